"""The Maintenance tab's Textual widgets."""

"""The Backups tab's Textual view."""

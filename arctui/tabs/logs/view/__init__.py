"""The Logs tab's widgets (imports Textual)."""

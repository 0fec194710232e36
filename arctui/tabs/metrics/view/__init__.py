"""The Metrics tab's widgets (the only part importing Textual)."""

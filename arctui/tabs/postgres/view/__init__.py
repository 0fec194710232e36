"""The Postgres tab view."""

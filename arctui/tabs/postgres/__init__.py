"""The Postgres tab: activity, sizes, slow queries and maintenance."""

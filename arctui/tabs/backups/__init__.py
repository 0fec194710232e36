"""The Backups tab: verified backups, RPO status per datastore, run/verify/delete/restore/drill."""

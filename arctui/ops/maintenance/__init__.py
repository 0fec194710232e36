"""Maintenance operations: disk use and prune, the Makefile runbook and custom commands,
the maintenance calendar, image updates. No Textual; every mutation goes through the gate."""

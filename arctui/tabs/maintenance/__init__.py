"""The Maintenance tab: the guide's calendar, disk and prune, the runbook, images."""

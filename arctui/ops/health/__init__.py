"""Health: protocol probes, verdicts, root cause along depends_on, state-change history."""

"""Plain-data views of a snapshot for headless output (`arctui status --json`)."""

from __future__ import annotations

from typing import Any

from arctui.config.masking import redact
from arctui.models import StackSnapshot
from arctui.text import one_line


def status_rows(snapshot: StackSnapshot) -> list[dict[str, Any]]:
    """One dict per service: what the Services tab shows, as JSON-friendly values."""
    rows = []
    for s in snapshot.services:
        codes = [
            c.exit_code for c in s.containers if c.state != "running" and c.exit_code is not None
        ]
        rows.append(
            {
                "service": one_line(s.name, 120),
                "role": one_line(s.role, 40),
                "state": s.state.value,
                "health": s.health,
                "replicas": len(s.containers),
                "restarts": s.restart_count,
                "exit": codes[0] if codes else None,
                "oom_killed": any(c.oom_killed for c in s.containers),
                "image": one_line(redact(s.image), 200),
                "containers": [one_line(c.name, 120) for c in s.containers],
                "depends_on": list(s.depends_on),
            }
        )
    return rows

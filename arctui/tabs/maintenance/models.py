"""What the Maintenance tab shows, read at one moment (no Textual).

The parts are the ops layer's own values (`arctui.ops.maintenance`): the tab shows what
`arctui maintenance`, `arctui disk` and `arctui run --list` print.
"""

from __future__ import annotations

from dataclasses import dataclass

from arctui.ops.maintenance.calendar import TaskState
from arctui.ops.maintenance.disk import DiskReport, growth_note
from arctui.ops.maintenance.runbook import Runbook

__all__ = [
    "READING",
    "DiskReport",
    "EngineDisk",
    "MaintenanceSnapshot",
    "Runbook",
    "TaskState",
    "growth_line",
]


# The report of an engine whose disk use is still being read (several engines).
READING = "still being read (docker system df can take 30 s)"


@dataclass(frozen=True)
class EngineDisk:
    """One engine's disk report, named (several engines: issue 24)."""

    engine: str
    env: str
    production: bool
    report: DiskReport


@dataclass(frozen=True)
class MaintenanceSnapshot:
    """The calendar, the disk report (read less often: slow) and the runbook."""

    taken_at: float
    calendar: tuple[TaskState, ...]
    disk: DiskReport | None
    runbook: Runbook
    disks: tuple[EngineDisk, ...] = ()  # every engine's report, the primary's first

    @property
    def multi(self) -> bool:
        """Disk reports of several engines (rows name their engine)."""
        return len(self.disks) > 1

    @property
    def due(self) -> int:
        """How many tasks are due, overdue or never done."""
        return sum(1 for t in self.calendar if t.status != "ok")


def growth_line(disks: tuple[EngineDisk, ...]) -> str:
    """The engines' growth notes, each said once with the engines it is true of:
    `growth, days left: not recorded: local (nothing recorded at …); e2, e3 (no store …)`."""
    groups: dict[str, list[str]] = {}
    for d in disks:
        if not d.report.error:
            groups.setdefault(d.report.growth, []).append(d.engine)
    if len(groups) <= 1:
        return next(iter(groups), "")
    missing = growth_note("")[: -len(" ()")]  # "growth, days left: not recorded"
    if all(note.startswith(missing + " (") for note in groups):
        parts = [f"{', '.join(names)} {note[len(missing) + 1 :]}" for note, names in groups.items()]
        return f"{missing}: {'; '.join(parts)}"
    return " · ".join(f"{', '.join(names)}: {note}" for note, names in groups.items())

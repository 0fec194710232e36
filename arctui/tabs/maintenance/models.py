"""What the Maintenance tab shows, read at one moment (no Textual).

The parts are the ops layer's own values (`arctui.ops.maintenance`): the tab shows what
`arctui maintenance`, `arctui disk` and `arctui run --list` print.
"""

from __future__ import annotations

from dataclasses import dataclass

from arctui.ops.maintenance.calendar import TaskState
from arctui.ops.maintenance.disk import DiskReport
from arctui.ops.maintenance.runbook import Runbook

__all__ = ["DiskReport", "EngineDisk", "MaintenanceSnapshot", "Runbook", "TaskState"]


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

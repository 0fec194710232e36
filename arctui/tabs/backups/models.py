"""Frozen snapshots of what the Backups tab shows (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass

from arctui.ops.backups.store import Manifest

GREEN, AMBER, RED = "green", "amber", "red"
AMBER_FRACTION = 0.75  # amber once 75 % of the RPO has passed: the next backup is due


@dataclass(frozen=True)
class RpoStatus:
    """One datastore against the RPO: age of its newest verified backup."""

    datastore: str  # kind/service
    kind: str
    newest_id: str | None
    age_s: float | None  # None: no verified backup at all
    rpo_s: float
    last_run_failed: bool = False
    last_run_detail: str = ""

    @property
    def status(self) -> str:
        """green within 75 % of the RPO, amber up to the RPO, red beyond it or with none."""
        if self.age_s is None or self.age_s > self.rpo_s:
            return RED
        return AMBER if self.age_s > self.rpo_s * AMBER_FRACTION else GREEN


@dataclass(frozen=True)
class DrillRecord:
    """The last DR drill."""

    at: float
    ok: bool
    elapsed_s: float
    detail: str


@dataclass(frozen=True)
class BackupsSnapshot:
    """Every backup (newest first), RPO per datastore, the last drill."""

    directory: str
    backups: tuple[Manifest, ...]
    rpo: tuple[RpoStatus, ...]
    taken_at: float
    keep_days: float
    rto_s: float
    last_drill: DrillRecord | None = None
    prune_refused: str | None = None

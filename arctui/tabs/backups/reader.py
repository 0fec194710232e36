"""Builds the Backups snapshot from the backup directory (files only: no engine, no database).

Datastores shown: every kind/service that has backups, plus Postgres and Redis when
there are none yet (red: nothing to restore).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from arctui.config.backups import BackupSettings
from arctui.ops.backups.retention import failed_last_runs, newest_verified
from arctui.ops.backups.settings import backup_settings
from arctui.ops.backups.store import BackupStore, Manifest
from arctui.ops.backups.targets import KINDS
from arctui.tabs.backups.models import BackupsSnapshot, DrillRecord, RpoStatus

if TYPE_CHECKING:
    from arctui.session import Session


def rpo_rows(
    manifests: Iterable[Manifest], runs: Iterable[dict[str, Any]], now: float, rpo_s: float
) -> tuple[RpoStatus, ...]:
    """RPO status per datastore, Postgres first."""
    manifests = list(manifests)
    runs = list(runs)
    best = newest_verified(manifests)
    failed = set(failed_last_runs(runs))
    last_detail = {
        str(r.get("datastore")): str(r.get("detail", ""))
        for r in runs
        if r.get("action") == "backup"
    }
    stores = {m.datastore: m.kind for m in manifests}
    for r in runs:
        name = str(r.get("datastore") or "")
        if r.get("action") == "backup" and "/" in name:
            stores.setdefault(name, name.split("/", 1)[0])
    for kind in KINDS:
        if kind not in stores.values():
            stores[kind] = kind
    rows = []
    for datastore, kind in stores.items():
        m = best.get(datastore)
        rows.append(
            RpoStatus(
                datastore=datastore,
                kind=kind,
                newest_id=m.id if m else None,
                age_s=(now - m.created_at) if m else None,
                rpo_s=rpo_s,
                last_run_failed=datastore in failed,
                last_run_detail=last_detail.get(datastore, "") if datastore in failed else "",
            )
        )
    order = {k: i for i, k in enumerate(KINDS)}
    return tuple(sorted(rows, key=lambda r: (order.get(r.kind, 9), r.datastore)))


def last_drill(runs: Iterable[dict[str, Any]]) -> DrillRecord | None:
    """The latest drill record."""
    drills = [r for r in runs if r.get("action") == "drill"]
    if not drills:
        return None
    r = drills[-1]
    return DrillRecord(
        at=float(r.get("at", 0)),
        ok=r.get("outcome") == "ok",
        elapsed_s=float(r.get("elapsed_s", 0)),
        detail=str(r.get("detail", "")),
    )


def snapshot_of(store: BackupStore, settings: BackupSettings, now: float) -> BackupsSnapshot:
    """Read the directory once."""
    from arctui.ops.backups.retention import plan_prune

    manifests = store.backups()
    runs = store.runs()
    return BackupsSnapshot(
        directory=str(store.directory),
        backups=tuple(reversed(manifests)),
        rpo=rpo_rows(manifests, runs, now, settings.rpo_s),
        taken_at=now,
        keep_days=settings.keep_days,
        rto_s=settings.rto_s,
        last_drill=last_drill(runs),
        prune_refused=plan_prune(manifests, runs, now, settings.keep_days).refused,
    )


class BackupsReader:
    """Reads the session's backup directory (the demo's simulated one under --demo)."""

    def __init__(self, session: Session, clock: Callable[[], float] = time.time) -> None:
        self.session = session
        self.clock = clock
        self.settings = backup_settings(session)

    def read(self) -> BackupsSnapshot:
        """A fresh snapshot."""
        if self.session.demo:
            from arctui.tabs.backups.demo import demo_snapshot

            return demo_snapshot(self.clock(), self.settings)
        return snapshot_of(BackupStore(self.settings.directory), self.settings, self.clock())

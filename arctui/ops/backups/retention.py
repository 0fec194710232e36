"""Retention: what `prune` deletes, and why; never the newest verified backup of a datastore.

Rules (the guide keeps 30 days; the issue adds the guards):
- a backup older than `keep_days` goes, verified or not;
- the newest VERIFIED backup of each datastore stays whatever its age, so a run of
  failures never leaves a datastore with nothing to restore;
- unverified backups never count as the one kept;
- nothing is pruned while the latest run of any datastore failed (the operator looks first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from arctui.ops.backups.store import Manifest

DAY = 86400.0


@dataclass(frozen=True)
class PrunePlan:
    """What prune would delete and keep; `refused` says why nothing may go."""

    delete: tuple[tuple[Manifest, str], ...]
    keep: tuple[tuple[Manifest, str], ...]
    refused: str | None = None


def newest_verified(manifests: Iterable[Manifest]) -> dict[str, Manifest]:
    """The newest verified backup per datastore (kind/service)."""
    best: dict[str, Manifest] = {}
    for m in manifests:
        if m.verified and (m.datastore not in best or m.created_at > best[m.datastore].created_at):
            best[m.datastore] = m
    return best


def failed_last_runs(runs: Iterable[dict[str, Any]]) -> list[str]:
    """Datastores whose latest backup run failed."""
    last: dict[str, dict[str, Any]] = {}
    for r in runs:
        if r.get("action") == "backup" and r.get("datastore"):
            last[str(r["datastore"])] = r
    return sorted(d for d, r in last.items() if r.get("outcome") != "ok")


def plan_prune(
    manifests: Iterable[Manifest],
    runs: Iterable[dict[str, Any]],
    now: float,
    keep_days: float,
) -> PrunePlan:
    """Decide, without touching anything."""
    manifests = list(manifests)
    keepers = {m.id for m in newest_verified(manifests).values()}
    cutoff = now - keep_days * DAY
    delete: list[tuple[Manifest, str]] = []
    keep: list[tuple[Manifest, str]] = []
    for m in manifests:
        age_days = (now - m.created_at) / DAY
        if m.id in keepers:
            keep.append((m, "newest verified backup of " + m.datastore))
        elif m.created_at < cutoff:
            state = "verified" if m.verified else "unverified"
            delete.append((m, f"{state}, {age_days:.1f} days old (keep {keep_days:g})"))
        else:
            keep.append((m, f"{age_days:.1f} days old, within {keep_days:g}"))
    failed = failed_last_runs(runs)
    refused = None
    if failed:
        refused = (
            f"the latest backup run failed for {', '.join(failed)}: nothing is pruned after a"
            " failed run; take a good backup first (arctui backup)"
        )
    return PrunePlan(tuple(delete), tuple(keep), refused)

"""The simulated backups behind --demo: fixed, realistic history (no Textual)."""

from __future__ import annotations

from arctui.config.backups import BackupSettings
from arctui.ops.backups.store import Manifest
from arctui.tabs.backups.models import BackupsSnapshot, DrillRecord
from arctui.tabs.backups.reader import rpo_rows

HOUR = 3600.0
DEMO_TABLES = tuple(f"public.table_{i:02d}" for i in range(42))


def _pg(
    now: float, hours_ago: float, size: int, verified: bool = True, detail: str = ""
) -> Manifest:
    at = now - hours_ago * HOUR
    stamp = f"{int(hours_ago):03d}"
    return Manifest(
        id=f"demo_arc-oracle-sql_h{stamp}",
        kind="postgres",
        file=f"demo_arc-oracle-sql_h{stamp}.dump",
        env="demo",
        project="arc-platform",
        service="arc-oracle-sql",
        container="arc-oracle-sql",
        created_at=at,
        duration_s=41.2,
        size=size,
        sha256="0" * 64,
        verified=verified,
        verify_detail=detail or "pg_restore --list and a full read OK; 42 tables with data",
        verified_at=at + 41,
        format="custom",
        server_version="16.4",
        database="arc_db",
        db_user="arc",
        tables=DEMO_TABLES if verified else (),
    )


def _redis(now: float, hours_ago: float, keys: int) -> Manifest:
    at = now - hours_ago * HOUR
    stamp = f"{int(hours_ago):03d}"
    return Manifest(
        id=f"demo_arc-sonic-cache_h{stamp}",
        kind="redis",
        file=f"demo_arc-sonic-cache_h{stamp}.rdb",
        env="demo",
        project="arc-platform",
        service="arc-sonic-cache",
        container="arc-sonic-cache",
        created_at=at,
        duration_s=2.3,
        size=keys * 61,
        sha256="0" * 64,
        verified=True,
        verify_detail="redis-check-rdb: RDB looks OK",
        verified_at=at + 2,
        format="rdb",
        server_version="7.2.4",
        keys=keys,
        expires=120,
    )


def demo_manifests(now: float) -> list[Manifest]:
    """Postgres hourly-ish and one failed verification; Redis a bit overdue (amber)."""
    return [
        _pg(now, 49, 812_000_000),
        _redis(now, 48, 180_220),
        _pg(now, 25, 820_500_000),
        _pg(
            now,
            13,
            0,
            verified=False,
            detail="verification failed: full read: pg_restore"
            ": error: could not read from input file: end of file",
        ),
        _pg(now, 0.4, 826_100_000),
        _redis(now, 0.8, 181_004),
    ]


def demo_snapshot(now: float, settings: BackupSettings) -> BackupsSnapshot:
    """The demo's backups, ages relative to `now`."""
    manifests = sorted(demo_manifests(now), key=lambda m: m.created_at)
    return BackupsSnapshot(
        directory="./backups (demo)",
        backups=tuple(reversed(manifests)),
        rpo=rpo_rows(manifests, [], now, settings.rpo_s),
        taken_at=now,
        keep_days=settings.keep_days,
        rto_s=settings.rto_s,
        last_drill=DrillRecord(
            at=now - 20 * 86400,
            ok=True,
            elapsed_s=312.4,
            detail="postgres: 42 tables, 2,311,004 rows; redis: 180,220 keys",
        ),
    )

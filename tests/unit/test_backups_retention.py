"""Retention rules and RPO status over synthetic manifests (no files, no engine)."""

from __future__ import annotations

import pytest

from arctui.ops.backups.retention import DAY, failed_last_runs, newest_verified, plan_prune
from arctui.ops.backups.store import Manifest
from arctui.tabs.backups.models import AMBER, GREEN, RED, RpoStatus
from arctui.tabs.backups.reader import rpo_rows

NOW = 2_000_000_000.0


def m(
    name: str, days_ago: float, verified: bool = True, kind: str = "postgres", service: str = "db"
) -> Manifest:
    return Manifest(
        id=name,
        kind=kind,
        file=f"{name}.dump",
        env="prod",
        project="p",
        service=service,
        container="c",
        created_at=NOW - days_ago * DAY,
        duration_s=1.0,
        size=10,
        sha256="a" * 64,
        verified=verified,
    )


def ids(pairs) -> list[str]:
    return [x.id for x, _ in pairs]


def test_old_backups_go_and_recent_ones_stay() -> None:
    plan = plan_prune([m("a", 40), m("b", 31), m("c", 29), m("d", 1)], [], NOW, 30)
    assert ids(plan.delete) == ["a", "b"] and ids(plan.keep) == ["c", "d"]
    assert plan.refused is None


def test_the_newest_verified_backup_is_kept_whatever_its_age() -> None:
    plan = plan_prune([m("a", 90), m("b", 60)], [], NOW, 30)
    assert ids(plan.delete) == ["a"] and ids(plan.keep) == ["b"]
    assert "newest verified" in plan.keep[0][1]


def test_unverified_backups_never_count_as_the_one_kept() -> None:
    # A run of failures after the last good backup: the good one stays, the bad ones go.
    backups = [
        m("good", 45),
        m("bad1", 40, verified=False),
        m("bad2", 35, verified=False),
        m("bad3", 2, verified=False),
    ]
    plan = plan_prune(backups, [], NOW, 30)
    assert ids(plan.delete) == ["bad1", "bad2"]
    assert "good" in ids(plan.keep) and "bad3" in ids(plan.keep)


def test_each_datastore_keeps_its_own_newest() -> None:
    backups = [m("pg", 50), m("rd", 50, kind="redis", service="cache"), m("pg2", 40)]
    plan = plan_prune(backups, [], NOW, 30)
    assert ids(plan.delete) == ["pg"]
    assert set(ids(plan.keep)) == {"rd", "pg2"}


def test_nothing_is_pruned_after_a_failed_run() -> None:
    runs = [
        {"action": "backup", "datastore": "postgres/db", "outcome": "ok"},
        {"action": "backup", "datastore": "redis/cache", "outcome": "failed"},
    ]
    plan = plan_prune([m("a", 40), m("b", 1)], runs, NOW, 30)
    assert plan.refused and "redis/cache" in plan.refused
    assert failed_last_runs(runs) == ["redis/cache"]
    # A later good run clears it.
    runs.append({"action": "backup", "datastore": "redis/cache", "outcome": "ok"})
    assert plan_prune([m("a", 40), m("b", 1)], runs, NOW, 30).refused is None


def test_newest_verified_ignores_unverified() -> None:
    best = newest_verified([m("a", 5), m("b", 1, verified=False)])
    assert best["postgres/db"].id == "a"


@pytest.mark.parametrize(
    "age,status",
    [(None, RED), (0, GREEN), (2700, GREEN), (2701, AMBER), (3600, AMBER), (3601, RED)],
)
def test_rpo_colours(age, status) -> None:
    row = RpoStatus("postgres/db", "postgres", "x" if age is not None else None, age, 3600)
    assert row.status == status


def test_rpo_rows_show_datastores_without_backups_as_red() -> None:
    rows = rpo_rows(
        [m("a", 0.01)],
        [{"action": "backup", "datastore": "postgres/db", "outcome": "ok"}],
        NOW,
        3600,
    )
    by = {r.datastore: r for r in rows}
    assert by["postgres/db"].status == GREEN
    assert by["redis"].status == RED and by["redis"].newest_id is None


def test_rpo_rows_flag_a_failed_last_run() -> None:
    runs = [
        {
            "action": "backup",
            "datastore": "postgres/db",
            "outcome": "failed",
            "detail": "pg_dump failed: boom",
        }
    ]
    [pg_row] = [r for r in rpo_rows([m("a", 0.01)], runs, NOW, 3600) if r.kind == "postgres"]
    assert pg_row.last_run_failed and "boom" in pg_row.last_run_detail

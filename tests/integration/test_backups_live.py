"""Backups against the REAL shared test stack: nothing here changes its live data.

Backups are taken from the stack's Postgres and Redis; the round trip restores into a
scratch database (and the drill into a throwaway Redis), never into the live ones.
Restores into live datastores run on a private stack: test_backups_restore_live.py.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from arctui.config.backups import BackupSettings
from arctui.config.settings import Settings
from arctui.ops.audit import AuditLog
from arctui.ops.backups import pg_dump, pg_restore, pg_verify, take
from arctui.ops.backups import run as ops
from arctui.ops.backups.common import BackupError
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import find_target
from arctui.ops.runner import Outcome
from arctui.session import Session, real_session
from tests.integration.stack import (
    HOST,
    PG_DB,
    PG_PASSWORD,
    PG_PORT,
    PG_USER,
    RunningStack,
    compose_env,
)

PROBE_ROWS = 1234


def stack_session(stack: RunningStack, **kw) -> Session:
    return real_session(
        stack.stack_dir,
        env=None,
        files=[str(stack.compose_file)],
        project_name=stack.project,
        settings=Settings(),
        environ=compose_env(),
        **kw,
    )


def connect(dbname: str = PG_DB) -> psycopg.Connection:
    return psycopg.connect(
        host=HOST,
        port=PG_PORT,
        user=PG_USER,
        password=PG_PASSWORD,
        dbname=dbname,
        autocommit=True,
        connect_timeout=5,
    )


@pytest.fixture
def ctx(test_stack: RunningStack, tmp_path: Path) -> ops.Context:
    return ops.Context.of(
        stack_session(test_stack),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        settings=BackupSettings(tmp_path / "backups"),
    )


@pytest.fixture
def probe_table(test_stack: RunningStack) -> Iterator[str]:
    """A table of our own with PROBE_ROWS rows in the shared database; dropped afterwards."""
    name = f"arctui_backup_probe_{uuid.uuid4().hex[:8]}"
    with connect() as conn:
        conn.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, payload text)")
        conn.execute(
            f"INSERT INTO {name} SELECT g, md5(g::text) FROM generate_series(1, {PROBE_ROWS}) g"
        )
    yield name
    with connect() as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}")


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def final_data_files(directory: Path) -> list[str]:
    return [n for n in files_in(directory) if n.endswith((".dump", ".rdb"))]


def audit_outcomes(ctx: ops.Context) -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in ctx.audit.read(raw=True)]


def assert_restores_probe_rows(restore: Callable[[str], object], probe_table: str) -> None:
    """`restore(dbname)` into a fresh scratch database brings back the probe rows as they
    were at backup time; the scratch database is dropped after."""
    scratch = f"arctui_rt_{uuid.uuid4().hex[:8]}"
    with connect() as conn:
        conn.execute(f"CREATE DATABASE {scratch}")
    try:
        restore(scratch)
        with connect(scratch) as conn:
            rows = conn.execute(f"SELECT count(*), sum(id) FROM {probe_table}").fetchone()
        assert rows == (PROBE_ROWS, PROBE_ROWS * (PROBE_ROWS + 1) // 2)
    finally:
        with connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


def test_postgres_backup_round_trip_into_a_scratch_database(ctx, probe_table) -> None:
    result = ops.backup(ctx, "postgres")
    assert result.outcome is Outcome.OK, result.message
    m = result.manifest
    assert m is not None and m.verified
    data = ctx.store.directory / m.file
    assert data.name == f"{m.id}.dump" and m.id.startswith("default_postgres_")
    assert stat.S_IMODE(data.stat().st_mode) == 0o600
    assert stat.S_IMODE(ctx.store.manifest_path(m.id).stat().st_mode) == 0o600
    assert f"public.{probe_table}" in m.tables
    assert m.server_version.startswith("15") and m.database == PG_DB
    assert m.size == data.stat().st_size and len(m.sha256) == 64
    assert not ctx.store.stale_partials()
    assert audit_outcomes(ctx) == [("backup", "started"), ("backup", "ok")]

    # The probe table changes after the backup; the archive still has the rows as they were.
    with connect() as conn:
        conn.execute(f"DELETE FROM {probe_table} WHERE id > 1000")
    target = find_target(ctx.session, "postgres")
    assert_restores_probe_rows(
        lambda scratch: pg_restore.restore(
            target, data, ctx.session.environ, None, lambda _: None, scratch, clean=False
        ),
        probe_table,
    )


def test_redis_backup_is_verified_by_redis_check_rdb(ctx, test_stack) -> None:
    result = ops.backup(ctx, "redis")
    assert result.outcome is Outcome.OK, result.message
    m = result.manifest
    assert m is not None and m.verified and m.keys_exact and m.keys is not None
    assert "RDB looks OK" in m.verify_detail
    data = ctx.store.directory / m.file
    assert data.read_bytes().startswith(b"REDIS")
    assert stat.S_IMODE(data.stat().st_mode) == 0o600
    assert m.extra["appendonly"] is True  # the test stack runs appendonly yes
    again = ops.verify(ctx, m.id)
    assert again.outcome is Outcome.OK and "sha256 OK" in again.message


def _old_verified(ctx: ops.Context) -> Manifest:
    """A verified backup from 40 days ago (past retention), as if taken long ago."""
    result = ops.backup(ctx, "postgres")
    assert result.manifest is not None
    old = dataclasses.replace(result.manifest, created_at=time.time() - 40 * 86400)
    ctx.store.save(old)
    return old


@pytest.mark.parametrize("field,value", [("database", "nosuchdb"), ("db_user", "nosuchuser")])
def test_a_failing_pg_dump_leaves_no_file_and_prunes_nothing(
    ctx, monkeypatch, field, value
) -> None:
    old = _old_verified(ctx)
    before = files_in(ctx.store.directory)
    real = find_target

    def wrong(session, kind, snapshot=None):
        return dataclasses.replace(real(session, kind, snapshot), **{field: value})

    monkeypatch.setattr(take, "find_target", wrong)
    result = ops.backup(ctx, "postgres")
    assert result.outcome is Outcome.FAILED
    assert "pg_dump failed" in result.message and value in result.message
    after = files_in(ctx.store.directory)
    assert [n for n in after if n not in before] == []  # no new file, partial or final
    assert ctx.store.runs()[-1]["outcome"] == "failed"
    # After a failed run nothing is pruned, not even the 40-day-old backup.
    pruned = ops.prune(ctx)
    assert pruned.outcome is Outcome.REFUSED and "failed" in pruned.message
    assert (ctx.store.directory / old.file).exists()
    assert ("backup", "failed") in audit_outcomes(ctx)


def test_truncated_archive_fails_verification_and_is_refused_for_restore(ctx) -> None:
    result = ops.backup(ctx, "postgres")
    m = result.manifest
    assert m is not None
    data = ctx.store.directory / m.file
    whole = data.read_bytes()
    # The pitfall: a truncated custom archive can pass --list and fail only the full read;
    # where the cut falls decides which of the two catches it. Either way it is refused.
    cut = ctx.store.directory / "cut.dump"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    target = find_target(ctx.session, "postgres")
    with pytest.raises(BackupError, match=r"verification failed|full read"):
        pg_verify.verify_archive(target, cut, ctx.session.environ, lambda _: None)
    cut.unlink()
    # The stored backup truncated: verify says so and the manifest no longer counts it.
    data.write_bytes(whole[: len(whole) // 2])
    verdict = ops.verify(ctx, m.id)
    assert verdict.outcome is Outcome.FAILED and "sha256 mismatch" in verdict.message
    assert ctx.store.get(m.id).verified is False
    refused = ops.restore(ctx, m.id)
    assert refused.outcome is Outcome.FAILED and "not a verified backup" in refused.message


def test_a_cancelled_backup_leaves_no_partial_file(ctx, monkeypatch) -> None:
    # Slow pg_dump down so the cancel lands while it streams: a 30 s sleep before it runs.
    real = pg_dump.dump_command
    monkeypatch.setattr(
        pg_dump,
        "dump_command",
        lambda t: [
            *t.exec_args(),
            "sh",
            "-c",
            'sleep 30; exec "$@"',
            "sh",
            *real(t)[len(t.exec_args()) :],
        ],
    )
    threading.Timer(1.0, ctx.cancel.set).start()
    started = time.monotonic()
    result = ops.backup(ctx, "postgres")
    assert result.outcome is Outcome.CANCELLED
    # Far sooner than the 30 s the dump would take: it was stopped, not waited for.
    assert time.monotonic() - started < 20.0
    assert files_in(ctx.store.directory) == [".lock", "runs.jsonl"]


def test_a_partial_left_by_a_killed_run_is_never_listed_and_is_removed(ctx) -> None:
    ctx.store.ensure()
    stale = ctx.store.partial_path("default_postgres_20200101T000000Z", "postgres")
    stale.write_bytes(b"PGDMP half an archive")
    assert ctx.store.backups() == []
    result = ops.backup(ctx, "postgres")
    assert result.ok, result.message
    assert not stale.exists()
    assert [m.id for m in ctx.store.backups()] == [result.manifest.id]


def test_read_only_refuses_every_mutation_and_audits_it(test_stack, tmp_path) -> None:
    ctx = ops.Context.of(
        stack_session(test_stack, read_only=True),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        settings=BackupSettings(tmp_path / "backups"),
    )
    for result in (
        ops.backup(ctx, "postgres"),
        ops.prune(ctx),
        ops.restore(ctx, "x"),
        ops.delete(ctx, "x"),
        ops.drill(ctx),
    ):
        assert result.outcome is Outcome.REFUSED and "read-only" in result.message
    assert not (tmp_path / "backups").exists()
    assert {o for _, o in audit_outcomes(ctx)} == {"refused"}


def test_no_audit_record_means_nothing_runs(test_stack, tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    ctx = ops.Context.of(
        stack_session(test_stack),
        audit=AuditLog(blocker / "audit.jsonl"),
        settings=BackupSettings(tmp_path / "backups"),
    )
    result = ops.backup(ctx, "postgres")
    assert result.outcome is Outcome.REFUSED and "audit log" in result.message
    assert not (tmp_path / "backups").exists()


def test_drill_restores_into_scratch_and_cleans_up(ctx, probe_table) -> None:
    assert ops.backup(ctx, "postgres").ok
    assert ops.backup(ctx, "redis").ok
    with connect() as conn:
        before = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    result = ops.drill(ctx)
    assert result.outcome is Outcome.OK, result.message
    assert "RTO 30 min" in result.message
    assert any("rows restored into" in line for line in result.details)
    assert any("throwaway Redis" in line for line in result.details)
    with connect() as conn:
        after = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert after == before  # the scratch database is gone
    import docker

    client = docker.from_env()
    try:
        leftovers = [
            c.name
            for c in client.containers.list(all=True)
            if (c.name or "").startswith("arctui-drill-")
        ]
    finally:
        client.close()
    assert leftovers == []
    assert ctx.store.runs()[-1]["action"] == "drill"
    assert ctx.store.runs()[-1]["outcome"] == "ok"


def test_cli_backup_list_verify_and_exit_codes(test_stack, tmp_path, capsys, monkeypatch) -> None:
    from arctui.cli import main

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for key, value in compose_env().items():
        monkeypatch.setenv(key, value)
    base = [
        "--project-dir",
        str(test_stack.stack_dir),
        "-f",
        str(test_stack.compose_file),
        "-p",
        test_stack.project,
    ]
    where = ["--dir", str(tmp_path / "b")]
    assert main([*base, "backup", "all", *where]) == 0
    assert main([*base, "backup", "list", "--json", *where]) == 0
    import json

    listing = json.loads(capsys.readouterr().out)
    ids = [b["id"] for b in listing["backups"]]
    assert len(ids) == 2 and {r["status"] for r in listing["rpo"]} == {"green"}
    assert main([*base, "backup", "verify", ids[0], *where]) == 0
    assert main([*base, "backup", "verify", "nosuch", *where]) == 1
    assert main([*base, "restore", ids[0], *where]) == 2  # no terminal, no --yes
    assert main([*base, "backup", "prune", "--dry-run", *where]) == 0
    # A broken backup file makes verify exit non-zero.
    path = tmp_path / "b" / listing["backups"][0]["file"]
    path.write_bytes(path.read_bytes()[:-10])
    assert main([*base, "backup", "verify", ids[0], *where]) == 1
    audit = (tmp_path / "state" / "arctui" / "audit.jsonl").read_text()
    assert (
        "arctui-test-secret" not in audit
        and os.path.getsize(tmp_path / "state" / "arctui" / "audit.jsonl") > 0
    )


def test_offsite_sync_runs_after_a_good_backup_and_its_failure_is_reported(
    test_stack, tmp_path
) -> None:
    copy = tmp_path / "offsite"
    good = ops.Context.of(
        stack_session(test_stack),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        settings=BackupSettings(
            tmp_path / "backups", offsite_command=("cp", "-r", "{dir}", str(copy))
        ),
    )
    result = ops.backup(good, "redis")
    assert result.outcome is Outcome.OK, result.message
    assert result.manifest.offsite["ok"] is True
    assert (copy / result.manifest.file).exists()
    bad = ops.Context.of(
        good.session,
        audit=good.audit,
        settings=BackupSettings(tmp_path / "backups", offsite_command=("false",)),
    )
    result = ops.backup(bad, "redis")
    assert result.outcome is Outcome.FAILED and "off-site sync FAILED" in result.message
    kept = bad.store.get(result.manifest.id)  # the backup itself is good and kept
    assert kept.verified and kept.offsite["ok"] is False


def test_a_backup_from_another_env_is_refused_for_restore(ctx) -> None:
    taken = ops.backup(ctx, "redis")
    assert taken.ok
    ctx.store.save(dataclasses.replace(taken.manifest, env="staging"))
    result = ops.restore(ctx, taken.manifest.id)
    assert result.outcome is Outcome.FAILED and "env staging" in result.message
    assert audit_outcomes(ctx)[-1] == ("restore", "failed")


def test_production_clean_unlocks_only_with_fresh_verified_backups_of_every_datastore(
    test_stack, tmp_path
) -> None:
    from arctui.ops.backups.unlock import clean_refusal
    from arctui.ops.gate import check_allowed
    from arctui.ops.lifecycle import plan_action

    base = stack_session(test_stack)
    prod = dataclasses.replace(
        base,
        production=True,
        settings=dataclasses.replace(base.settings, backups=BackupSettings(tmp_path / "b")),
    )
    ctx = ops.Context.of(prod, audit=AuditLog(tmp_path / "audit.jsonl"))
    assert ctx.store.directory == tmp_path / "b"
    reason = check_allowed(prod, plan_action(prod, "clean"))
    assert reason and "postgres/postgres" in reason and "redis/redis" in reason
    assert ops.backup(ctx, "postgres").ok
    reason = clean_refusal(prod)
    assert reason and "redis/redis" in reason and "postgres/postgres" not in reason
    taken = ops.backup(ctx, "redis")
    assert taken.ok
    clean = plan_action(prod, "clean")
    assert check_allowed(prod, clean) is None  # unlocked (never run here, of course)
    assert "Verified backups within the RPO" in clean.consequence
    assert taken.manifest.id in clean.consequence
    # Older than the RPO: locked again.
    ctx.store.save(dataclasses.replace(taken.manifest, created_at=time.time() - 7200))
    assert "redis/redis" in (clean_refusal(prod) or "")
    # An unverified one does not count either.
    ctx.store.save(dataclasses.replace(taken.manifest, verified=False))
    assert "redis/redis" in (clean_refusal(prod) or "")

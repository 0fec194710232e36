"""Plain-SQL gzip Postgres backups (`--format sql`) against the REAL test stack.

Backups come from the shared stack's Postgres and restore only into scratch databases;
the restore into a live database (dependents stopped and started) runs on a private
Postgres + app stack (`arctui-sqlbackuptest`, port 25442) built from the one of
test_backups_restore_live.py, removed at the end.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from arctui.config.backups import BackupSettings
from arctui.ops.audit import AuditLog
from arctui.ops.backups import pg_dump, pg_restore, take
from arctui.ops.backups import run as ops
from arctui.ops.backups.common import BackupError
from arctui.ops.backups.targets import find_target
from arctui.ops.runner import Outcome
from tests.integration import test_backups_restore_live as live
from tests.integration.stack import compose_env
from tests.integration.test_backups_live import (  # noqa: F401  (fixtures)
    PROBE_ROWS,
    assert_restores_probe_rows,
    audit_outcomes,
    connect,
    ctx,
    files_in,
    probe_table,
    stack_session,
)

PRIVATE = "arctui-sqlbackuptest"
PRIVATE_PG_PORT = 25442


def test_sql_backup_from_the_cli_verifies_is_listed_and_restores_into_scratch(
    test_stack,
    probe_table,  # noqa: F811
    tmp_path,
    capsys,
    monkeypatch,
) -> None:
    from arctui.cli import main

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for key, value in compose_env().items():
        monkeypatch.setenv(key, value)
    base = ["--project-dir", str(test_stack.stack_dir), "-f", str(test_stack.compose_file)]
    base += ["-p", test_stack.project]
    where = ["--dir", str(tmp_path / "b")]
    assert main([*base, "backup", "postgres", "--format", "sql", *where]) == 0
    assert main([*base, "backup", "postgres", *where]) == 0  # the default stays custom
    assert main([*base, "backup", "list", "--json", *where]) == 0
    listing = json.loads(capsys.readouterr().out)["backups"]
    assert [b["format"] for b in listing] == ["custom", "sql"]  # newest first
    assert listing[0]["file"].endswith(".dump") and listing[1]["file"].endswith(".sql.gz")
    sql = listing[1]
    assert sql["verified"] and f"public.{probe_table}" in sql["tables"]
    assert "CRC OK" in sql["verify_detail"] and sql["server_version"].startswith("15")
    path = tmp_path / "b" / sql["file"]
    assert sql["size"] == path.stat().st_size and len(sql["sha256"]) == 64
    with gzip.open(path, "rt") as f:
        text = f.read()
    assert text.startswith("--\n-- PostgreSQL database dump\n")
    assert "-- PostgreSQL database dump complete" in text[-300:]
    assert main([*base, "backup", "verify", sql["id"], *where]) == 0

    # The rows as they were at backup time come back in a scratch database.
    with connect() as conn:
        conn.execute(f"DELETE FROM {probe_table} WHERE id > 1000")
    session_target = find_target(stack_session(test_stack), "postgres")
    assert_restores_probe_rows(
        lambda scratch: pg_restore.restore(
            session_target, path, compose_env(), None, lambda _: None, scratch, fmt="sql"
        ),
        probe_table,
    )

    # A damaged file: verify exits 1 and says why.
    path.write_bytes(path.read_bytes()[:-10])
    assert main([*base, "backup", "verify", sql["id"], *where]) == 1
    assert "sha256 mismatch" in capsys.readouterr().err
    # An unknown format is a usage error.
    with pytest.raises(SystemExit) as exit_info:
        main([*base, "backup", "postgres", "--format", "tar", *where])
    assert exit_info.value.code == 2


def test_pg_dump_of_a_missing_database_fails_and_leaves_no_file(ctx, monkeypatch) -> None:  # noqa: F811
    target = dataclasses.replace(find_target(ctx.session, "postgres"), database="nosuchdb_sql")
    # pg_dump itself fails (its own exit status), before any verification.
    ctx.store.ensure()
    dest = ctx.store.directory / "direct.sql.gz"
    with pytest.raises(BackupError) as failed:
        pg_dump.dump(target, dest, ctx.session.environ, lambda _: None, None, "sql")
    assert "pg_dump failed" in failed.value.reason and "nosuchdb_sql" in failed.value.reason
    dest.unlink()  # pg_dump.dump's caller removes its partial file; ops.backup does below

    monkeypatch.setattr(take, "find_target", lambda *_a, **_k: target)
    before = files_in(ctx.store.directory)
    result = ops.backup(ctx, "postgres", "sql")
    assert result.outcome is Outcome.FAILED
    assert "pg_dump failed" in result.message and "nosuchdb_sql" in result.message
    new = [n for n in files_in(ctx.store.directory) if n not in before]
    assert sorted(new) == [".lock", "runs.jsonl"]  # no data, partial or manifest file
    assert not ctx.store.backups() and ctx.store.runs()[-1]["outcome"] == "failed"
    assert audit_outcomes(ctx) == [("backup", "started"), ("backup", "failed")]


def test_output_that_is_not_a_whole_dump_is_never_kept(ctx, monkeypatch) -> None:  # noqa: F811
    # Exit 0 but only the head of a dump (as from a dump killed by a crashed server).
    monkeypatch.setattr(
        pg_dump,
        "sql_dump_command",
        lambda t: [*t.exec_args(), "sh", "-c", "printf -- '--\\n-- PostgreSQL database dump\\n'"],
    )
    result = ops.backup(ctx, "postgres", "sql")
    assert result.outcome is Outcome.FAILED
    assert "verification failed: the dump is incomplete" in result.message
    assert files_in(ctx.store.directory) == [".lock", "runs.jsonl"]


def test_a_cancelled_sql_backup_leaves_no_partial_file(ctx, monkeypatch) -> None:  # noqa: F811
    real = pg_dump.sql_dump_command
    monkeypatch.setattr(
        pg_dump,
        "sql_dump_command",
        lambda t: (
            [
                *t.exec_args(),
                "sh",
                "-c",
                'sleep 30; exec "$@"',
                "sh",
                *real(t)[len(t.exec_args()) :],
            ]
        ),
    )
    threading.Timer(1.0, ctx.cancel.set).start()
    started = time.monotonic()
    result = ops.backup(ctx, "postgres", "sql")
    assert result.outcome is Outcome.CANCELLED
    # Far sooner than the 30 s the dump would take: it was stopped, not waited for.
    assert time.monotonic() - started < 20.0
    assert files_in(ctx.store.directory) == [".lock", "runs.jsonl"]


def test_a_stream_that_ends_early_commits_nothing(ctx, probe_table) -> None:  # noqa: F811
    """psql commits at the end of its input: a damaged file must not leave half a restore."""
    taken = ops.backup(ctx, "postgres", "sql")
    assert taken.ok and taken.manifest is not None, taken.message
    sql = gzip.decompress((ctx.store.directory / taken.manifest.file).read_bytes())
    start = sql.index(f"COPY public.{probe_table} ".encode())
    cut = sql.index(b"\n\\.\n", start) + 4  # right after the probe table's data
    damaged = ctx.store.directory / "damaged.sql.gz"
    with damaged.open("wb") as raw:
        packer = gzip.GzipFile(filename="", mode="wb", fileobj=raw)
        packer.write(sql[:cut])
        packer.flush()  # everything up to `cut` decompresses; the gzip end is missing
    target = find_target(ctx.session, "postgres")
    scratch = f"arctui_sql_cut_{uuid.uuid4().hex[:8]}"
    with connect() as conn:
        conn.execute(f"CREATE DATABASE {scratch}")
    try:
        with pytest.raises(BackupError) as failed:
            pg_restore.restore(
                target, damaged, ctx.session.environ, None, lambda _: None, scratch, fmt="sql"
            )
        assert "could not be decompressed" in failed.value.reason
        assert "rolled back" in failed.value.reason
        with connect(scratch) as conn:
            found = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE tablename = %s", (probe_table,)
            )
            assert found.fetchone() == (0,)
    finally:
        with connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


def test_the_drill_restores_a_sql_backup_into_scratch(ctx, probe_table) -> None:  # noqa: F811
    taken = ops.backup(ctx, "postgres", "sql")
    assert taken.ok and taken.manifest is not None, taken.message
    assert ops.backup(ctx, "redis").ok
    result = ops.drill(ctx)
    assert result.outcome is Outcome.OK, result.message
    (line,) = [x for x in result.details if x.startswith("postgres ")]
    assert taken.manifest.id in line and "rows restored into scratch database" in line
    tables = int(line.split(": ", 1)[1].split(" tables")[0])
    assert tables >= len(taken.manifest.tables) > 0


# ---------------------------------------------------------------- restore into a live database


class Private(live.Private):
    """test_backups_restore_live's private stack under another name and port, no Redis."""

    project = PRIVATE
    pg_port = PRIVATE_PG_PORT
    services = 2  # postgres, app


def private_yaml() -> dict:
    text = yaml.safe_dump(live.compose_yaml(), sort_keys=False)
    text = text.replace(live.PROJECT, PRIVATE).replace(str(live.PG_PORT), str(PRIVATE_PG_PORT))
    spec = yaml.safe_load(text)
    del spec["services"]["redis"], spec["volumes"]["redisdata"]
    spec["services"]["app"]["depends_on"] = ["postgres"]
    return spec


@pytest.fixture(scope="module")
def private(tmp_path_factory) -> Iterator[Private]:
    with Private.running(tmp_path_factory, "sqlbackuptest", private_yaml()) as stack:
        yield stack


def test_restore_of_a_sql_backup_brings_rows_back_and_restarts_dependents(
    private, tmp_path: Path
) -> None:
    pctx = ops.Context.of(
        private.session(),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        settings=BackupSettings(tmp_path / "backups", postgres_format="sql"),
    )
    with private.pg() as conn:
        conn.execute("DROP TABLE IF EXISTS items CASCADE")
        conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5000) g")
    taken = ops.backup(pctx, "postgres")  # the format from the settings
    assert taken.ok and taken.manifest is not None, taken.message
    assert taken.manifest.format == "sql" and taken.manifest.file.endswith(".sql.gz")
    with private.pg() as conn:
        conn.execute("DELETE FROM items WHERE id % 2 = 0")
        conn.execute("UPDATE items SET name = 'changed'")
    app_before = private.started_at("app")

    result = ops.restore(pctx, taken.manifest.id)
    assert result.outcome is Outcome.OK, result.message
    assert "psql completed in one transaction" in result.message
    with private.pg() as conn:
        assert conn.execute("SELECT count(*), sum(id) FROM items").fetchone() == (5000, 12502500)
        assert conn.execute("SELECT count(*) FROM items WHERE name = 'changed'").fetchone() == (0,)
    assert private.started_at("app") != app_before  # stopped for the restore, started again
    private.wait_healthy()
    assert ("restore", "ok") in [(e["action"], e["outcome"]) for e in pctx.audit.read()]

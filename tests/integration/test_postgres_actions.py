"""Cancel, terminate, VACUUM ANALYZE and CREATE EXTENSION on the real test Postgres, audited."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from arctui.ops.audit import AuditLog
from arctui.ops.runner import Outcome
from arctui.sources.postgres import PgConnection
from arctui.tabs.postgres.actions import plan_pg_action
from arctui.tabs.postgres.perform import perform_pg, run_explain
from arctui.tabs.postgres.reader import PostgresReader, reader_for
from tests.integration.stack import PG_PASSWORD, RunningStack
from tests.integration.test_postgres_live import PARAMS, connect, session, target


@pytest.fixture
def ctx(test_stack: RunningStack, tmp_path: Path):
    s = session(test_stack)
    reader = reader_for(s)
    reader.read()
    try:
        yield s, reader, AuditLog(tmp_path / "audit.jsonl")
    finally:
        reader.close()


def sleeper() -> tuple[psycopg.Connection[Any], threading.Thread, list[BaseException]]:
    conn = connect()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            conn.execute("SELECT pg_sleep(30)")
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    time.sleep(0.3)
    return conn, t, errors


def alive(pid: int) -> bool:
    with connect() as c:
        return (
            c.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]
            == 1
        )


def run(s, reader: PostgresReader, audit: AuditLog, verb: str, **kw):
    plan = plan_pg_action(
        s, reader.target, verb, own_pids=[reader.connection().backend_pid or 0], **kw
    )
    return plan, perform_pg(s, plan, reader.connection, audit)


def test_cancel_is_audited_and_ends_the_query(ctx):
    s, reader, audit = ctx
    conn, thread, errors = sleeper()
    pid = conn.info.backend_pid
    try:
        _, result = run(s, reader, audit, "cancel", pids=[pid])
        assert result.outcome is Outcome.OK, result.message
        thread.join(5)
        assert errors and isinstance(errors[0], psycopg.errors.QueryCanceled)
        assert alive(pid)  # cancel keeps the session
        (entry,) = audit.read()
        assert entry["action"] == "pg-cancel" and entry["outcome"] == "ok"
        assert f"pg_cancel_backend({pid})" in entry["command"] and entry["command"].startswith(
            "psql"
        )
        assert PG_PASSWORD not in (tmp := (audit.path.read_text()))
        assert "-h 127.0.0.1" in tmp
    finally:
        conn.close()


def test_terminate_ends_the_session(ctx):
    s, reader, audit = ctx
    conn, _, _ = sleeper()
    pid = conn.info.backend_pid
    try:
        _, result = run(s, reader, audit, "terminate", pids=[pid])
        assert result.outcome is Outcome.OK, result.message
        assert not alive(pid)  # pg_terminate_backend(pid, 5000) waited for it
        assert audit.read()[-1]["action"] == "pg-terminate"
    finally:
        conn.close()


def test_read_only_refuses_and_audits(ctx):
    s, reader, audit = ctx
    conn, _, _ = sleeper()
    pid = conn.info.backend_pid
    try:
        ro = dataclasses.replace(s, read_only=True)
        _, result = run(ro, reader, audit, "terminate", pids=[pid])
        assert result.outcome is Outcome.REFUSED and "read-only" in result.message
        assert alive(pid)
        assert audit.read()[-1]["outcome"] == "refused"
    finally:
        conn.cancel_safe()
        conn.close()


def test_own_backend_is_refused(ctx):
    s, reader, audit = ctx
    own = reader.connection().backend_pid
    assert own is not None
    _, result = run(s, reader, audit, "terminate", pids=[own])
    assert result.outcome is Outcome.REFUSED and "arctui's own" in result.message
    assert alive(own) and audit.read()[-1]["outcome"] == "refused"


def test_replication_connection_is_refused(ctx):
    s, reader, audit = ctx
    rep = psycopg.connect(**PARAMS, replication="database", autocommit=True)
    pid = rep.info.backend_pid
    try:
        with connect() as c:
            kind = c.execute(
                "SELECT backend_type FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
        assert kind == ("walsender",)
        _, result = run(s, reader, audit, "terminate", pids=[pid])
        assert result.outcome is Outcome.REFUSED and "replication" in result.message
        assert alive(pid)
    finally:
        rep.close()


def test_a_backend_that_ended_is_not_signalled(ctx):
    s, reader, audit = ctx
    conn = connect()
    pid = conn.info.backend_pid
    conn.close()
    time.sleep(0.2)
    _, result = run(s, reader, audit, "cancel", pids=[pid])
    assert result.outcome is Outcome.REFUSED and "ended since you looked" in result.message


def test_no_audit_possible_means_nothing_runs(ctx, tmp_path: Path):
    s, reader, _ = ctx
    blocker = tmp_path / "file"
    blocker.write_text("")
    audit = AuditLog(blocker / "sub" / "audit.jsonl")  # a file where a directory must be
    conn, thread, errors = sleeper()
    try:
        _, result = run(s, reader, audit, "cancel", pids=[conn.info.backend_pid])
        assert result.outcome is Outcome.REFUSED and "audit log cannot be written" in result.message
        thread.join(0.5)
        assert thread.is_alive() and not errors  # still sleeping: nothing was sent
    finally:
        conn.cancel_safe()
        conn.close()


def test_vacuum_analyze_runs_and_reports(ctx):
    s, reader, audit = ctx
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS arctui_vacuum_probe")
        c.execute("CREATE TABLE arctui_vacuum_probe AS SELECT g AS id, md5(g::text) AS t"
                  " FROM generate_series(1, 200000) g")  # fmt: skip
        c.execute("DELETE FROM arctui_vacuum_probe WHERE id % 2 = 0")
    lines: list[str] = []
    plan = plan_pg_action(s, reader.target, "vacuum", table=("public", "arctui_vacuum_probe"))
    result = perform_pg(s, plan, reader.connection, audit, on_output=lines.append, poll=0.02)
    assert result.outcome is Outcome.OK, result.message
    assert lines[-1] == "VACUUM ANALYZE public.arctui_vacuum_probe: done"
    assert 'VACUUM (ANALYZE) "public"."arctui_vacuum_probe"' in audit.read()[-1]["command"]
    with connect() as c:
        vac, an, dead = c.execute(
            "SELECT last_vacuum, last_analyze, n_dead_tup FROM pg_stat_user_tables"
            " WHERE relname = 'arctui_vacuum_probe'"
        ).fetchone()
        c.execute("DROP TABLE arctui_vacuum_probe")
    assert vac is not None and an is not None and dead == 0


def test_create_extension_enables_slow_queries(ctx):
    s, _, audit = ctx
    with connect() as c:
        c.execute("DROP DATABASE IF EXISTS arctui_ext_probe")
        c.execute("CREATE DATABASE arctui_ext_probe")
    r = PostgresReader(lambda: target(dbname="arctui_ext_probe"))
    try:
        assert not r.read().statements.available
        plan = plan_pg_action(s, r.target, "create-extension")
        result = perform_pg(s, plan, r.connection, audit)
        assert result.outcome is Outcome.OK, result.message
        assert r.read(force=True).statements.available
    finally:
        r.close()
        with connect() as c:
            c.execute("DROP DATABASE IF EXISTS arctui_ext_probe")


def test_the_action_connection_is_bounded(ctx):
    _, reader, _ = ctx
    conn = PgConnection(reader.target).open(statement_timeout_ms=10_000)  # type: ignore[arg-type]
    try:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("10s",)
        assert conn.execute("SHOW application_name").fetchone() == ("arctui",)
    finally:
        conn.close()


def test_alter_system_reload_and_restart_settings(ctx):
    s, reader, audit = ctx
    try:
        plan = plan_pg_action(s, reader.target, "alter-system",
                              setting=("work_mem", "8MB", "user", "default"))  # fmt: skip
        result = perform_pg(s, plan, reader.connection, audit)
        assert result.outcome is Outcome.OK and result.message == "work_mem is now 8MB"
        assert plan.sql.startswith("ALTER SYSTEM SET work_mem = '8MB';")
        assert "ALTER SYSTEM SET work_mem" in audit.read()[-1]["command"]
        restart = ("max_connections", "110", "postmaster", "default")
        plan = plan_pg_action(s, reader.target, "alter-system", setting=restart)
        assert "restarts" in plan.action.consequence
        result = perform_pg(s, plan, reader.connection, audit)
        assert result.outcome is Outcome.OK and "pending restart" in result.message
        bad = plan_pg_action(s, reader.target, "alter-system",
                             setting=("work_mem", "lots", "user", "default"))  # fmt: skip
        result = perform_pg(s, bad, reader.connection, audit)
        assert result.outcome is Outcome.FAILED and "work_mem" in result.message
    finally:
        with connect() as c:
            c.execute("ALTER SYSTEM RESET work_mem")
            c.execute("ALTER SYSTEM RESET max_connections")
            c.execute("SELECT pg_reload_conf()")


def test_explain_and_explain_analyze_rolls_back(ctx):
    s, reader, audit = ctx
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS arctui_explain_probe")
        c.execute("CREATE TABLE arctui_explain_probe (id int)")
    try:
        lines = run_explain(reader.connection, "SELECT * FROM arctui_explain_probe WHERE id = 1;")
        assert lines[0].startswith("Seq Scan on public.arctui_explain_probe")
        plan = plan_pg_action(s, reader.target, "explain-analyze",
                              query="INSERT INTO arctui_explain_probe SELECT 1")  # fmt: skip
        result = perform_pg(s, plan, reader.connection, audit)
        assert result.outcome is Outcome.OK and "Execution Time" in result.message
        assert any(
            line.startswith("Insert on public.arctui_explain_probe") for line in result.output
        )
        with connect() as c:  # executed, then rolled back
            assert c.execute("SELECT count(*) FROM arctui_explain_probe").fetchone() == (0,)
        sneaky = plan_pg_action(s, reader.target, "explain-analyze",
                                query="SELECT 1; DROP TABLE arctui_explain_probe")  # fmt: skip
        result = perform_pg(s, sneaky, reader.connection, audit)
        assert result.outcome is Outcome.FAILED and "multiple commands" in result.message
        ro = dataclasses.replace(s, read_only=True)
        assert perform_pg(ro, plan, reader.connection, audit).outcome is Outcome.REFUSED
    finally:
        with connect() as c:
            c.execute("DROP TABLE IF EXISTS arctui_explain_probe")

"""The Postgres tab's data layer against the real Postgres of the test stack."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from arctui.config.settings import Settings
from arctui.session import real_session
from arctui.sources.base import SourceError
from arctui.sources.postgres import PgConnection, PgTarget
from arctui.tabs.postgres.models import PostgresSnapshot, blocking_tree
from arctui.tabs.postgres.reader import PostgresReader, reader_for
from tests.integration.stack import (
    HOST,
    PG_CONTAINER,
    PG_DB,
    PG_PASSWORD,
    PG_PORT,
    PG_USER,
    RunningStack,
    compose_env,
    wait_settled,
)

PARAMS = {
    "host": HOST,
    "port": str(PG_PORT),
    "user": PG_USER,
    "password": PG_PASSWORD,
    "dbname": PG_DB,
}


def target(**over: str) -> PgTarget:
    return PgTarget({**PARAMS, **over}, {"password": "test"})


def connect(**over: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(**{**PARAMS, "autocommit": True, "connect_timeout": 5, **over})


def session(stack: RunningStack):
    return real_session(
        stack.stack_dir,
        env=None,
        files=[str(stack.compose_file)],
        project_name=stack.project,
        settings=Settings(),
        environ=compose_env(),
    )


@pytest.fixture
def reader(test_stack: RunningStack) -> Iterator[PostgresReader]:
    r = reader_for(session(test_stack))
    try:
        yield r
    finally:
        r.close()


def read_until(reader: PostgresReader, ok, timeout: float = 10.0) -> PostgresSnapshot:
    deadline = time.monotonic() + timeout
    while True:
        snap = reader.read(force=True)
        if ok(snap) or time.monotonic() > deadline:
            return snap
        time.sleep(0.2)


@contextlib.contextmanager
def background(sql: str, **over: Any) -> Iterator[psycopg.Connection[Any]]:
    """A connection running `sql` in a thread until the block ends (then cancelled)."""
    conn = connect(**over)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            conn.execute(sql)
        except psycopg.Error as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield conn
    finally:
        with contextlib.suppress(Exception):
            conn.cancel_safe(timeout=3)
        thread.join(10)
        conn.close()


def test_discovery_finds_the_stack_postgres_and_masks_the_password(reader: PostgresReader):
    snap = reader.read()
    t = reader.target
    assert t is not None
    assert t.params["host"] == "127.0.0.1" and t.params["port"] == str(PG_PORT)
    assert t.params["user"] == PG_USER and t.params["dbname"] == PG_DB
    assert t.params["password"] == PG_PASSWORD
    assert t.container_name == PG_CONTAINER
    assert "host network" in t.origins["host"] and "PG_PORT" in t.origins["port"]
    assert ".env" in t.origins["password"]
    assert (
        PG_PASSWORD not in snap.connection and f"{PG_USER}@127.0.0.1:{PG_PORT}" in snap.connection
    )


def test_overview_matches_the_server(reader: PostgresReader):
    snap = reader.read()
    with connect() as c:
        num, maxc = c.execute(
            "SELECT current_setting('server_version_num')::int,"
            " current_setting('max_connections')::int"
        ).fetchone()
        db_size = c.execute("SELECT pg_database_size(%s)", (PG_DB,)).fetchone()[0]
    o = snap.overview
    assert o.version_num == num and o.max_connections == maxc
    assert o.uptime_s > 0 and o.database == PG_DB and not o.in_recovery
    assert o.cache_hit_ratio is not None and 0 < o.cache_hit_ratio <= 1
    sizes = {d.name: d.size for d in o.databases}
    assert sizes[PG_DB] is not None and abs(sizes[PG_DB] - db_size) < 1024 * 1024
    time.sleep(0.3)
    assert reader.read().overview.tps is not None  # a rate needs two reads


def test_own_connection_is_arctui_and_hidden_from_activity(reader: PostgresReader):
    snap = reader.read()
    own = snap.overview.own_pid
    assert own is not None and snap.backend(own) is None
    with connect() as c:
        (app,) = c.execute(
            "SELECT application_name FROM pg_stat_activity WHERE pid = %s", (own,)
        ).fetchone()
    # every monitoring statement runs under the server-side timeout
    assert reader.connection().query("SHOW statement_timeout") == [("2s",)]
    assert app == "arctui"


def test_activity_shows_a_pg_sleep_session(reader: PostgresReader):
    with background("SELECT pg_sleep(30) /* arctui-sleep-probe */") as conn:
        pid = conn.info.backend_pid
        snap = read_until(
            reader, lambda s: (b := s.backend(pid)) is not None and b.state == "active"
        )
        b = snap.backend(pid)
        assert b is not None
        assert b.state == "active" and "arctui-sleep-probe" in b.query
        assert b.wait_event == "PgSleep" and b.user == PG_USER and b.database == PG_DB
        assert b.client.startswith("127.0.0.1:") and b.query_s is not None and b.query_s >= 0


def test_a_session_blocked_on_a_lock_shows_its_blocker(reader: PostgresReader):
    with connect() as setup:
        setup.execute("DROP TABLE IF EXISTS arctui_lock_probe")
        setup.execute("CREATE TABLE arctui_lock_probe (id int)")
    holder = connect(autocommit=False)
    try:
        holder.execute("LOCK TABLE arctui_lock_probe IN ACCESS EXCLUSIVE MODE")
        with background("SELECT count(*) FROM arctui_lock_probe") as waiter:
            wpid, hpid = waiter.info.backend_pid, holder.info.backend_pid
            snap = read_until(reader, lambda s: (b := s.backend(wpid)) and b.blocked_by)
            w = snap.backend(wpid)
            assert w is not None and w.blocked_by == (hpid,)
            assert hpid in snap.blocking_pids
            assert [(d, b.pid) for d, b in blocking_tree(snap.backends)] == [(0, hpid), (1, wpid)]
            held = [lk for lk in snap.locks if lk.pid == hpid]
            waited = [lk for lk in snap.locks if lk.pid == wpid]
            assert [(lk.granted, lk.mode, lk.relation) for lk in held] == [
                (True, "AccessExclusiveLock", "arctui_lock_probe")
            ]
            assert [(lk.granted, lk.relation) for lk in waited] == [(False, "arctui_lock_probe")]
    finally:
        holder.rollback()
        holder.close()


def test_a_session_blocked_by_two_holders_lists_both(reader: PostgresReader):
    with connect() as setup:
        setup.execute("DROP TABLE IF EXISTS arctui_lock_probe2")
        setup.execute("CREATE TABLE arctui_lock_probe2 (id int)")
    holders = [connect(autocommit=False), connect(autocommit=False)]
    try:
        for h in holders:
            h.execute("LOCK TABLE arctui_lock_probe2 IN SHARE MODE")  # compatible with each other
        with background(
            "BEGIN; LOCK TABLE arctui_lock_probe2 IN EXCLUSIVE MODE; ROLLBACK"
        ) as waiter:
            wpid = waiter.info.backend_pid
            snap = read_until(reader, lambda s: (b := s.backend(wpid)) and b.blocked_by)
            w = snap.backend(wpid)
            assert w is not None
            assert sorted(w.blocked_by) == sorted(h.info.backend_pid for h in holders)
            tree = [(d, b.pid) for d, b in blocking_tree(snap.backends)]
            for h in holders:  # the waiter appears under each of its blockers
                assert (0, h.info.backend_pid) in tree
            assert tree.count((1, wpid)) == 2
    finally:
        for h in holders:
            h.rollback()
            h.close()


def test_table_sizes_match_pg_total_relation_size(reader: PostgresReader):
    with connect() as c:
        c.execute('DROP TABLE IF EXISTS "Arctui Sizes"')
        c.execute('CREATE TABLE "Arctui Sizes" (id serial PRIMARY KEY, body text)')
        c.execute(
            'INSERT INTO "Arctui Sizes" (body) SELECT repeat(md5(g::text), 400)'
            " FROM generate_series(1, 300) g"
        )
        c.execute("INSERT INTO \"Arctui Sizes\" (body) SELECT 'x' FROM generate_series(1, 2000)")
        c.execute('DELETE FROM "Arctui Sizes" WHERE id % 3 = 0')
        c.execute('ANALYZE "Arctui Sizes"')
        expected = dict(
            (f"{s}.{n}", t)
            for s, n, t in c.execute(
                "SELECT schemaname, relname, pg_total_relation_size(relid) FROM pg_stat_user_tables"
            ).fetchall()
        )
    snap = reader.read(force=True)
    got = {t.qualified: t for t in snap.tables}
    for name, total in expected.items():
        assert got[name].total == total, name
    t = got["public.Arctui Sizes"]
    assert t.table + t.indexes + t.toast == t.total
    assert t.toast > 0 and t.indexes > 0 and t.dead_tuples and t.dead_tuples > 0
    assert t.last_analyze is not None and t.rows_estimate > 1000
    assert [x.total for x in snap.tables] == sorted((x.total for x in snap.tables), reverse=True)


def _probe_read(reader: PostgresReader, c: psycopg.Connection[Any]) -> tuple[Any, bool]:
    """Run the probe, read, and say whether the read shows it (or is full: 50 rows).

    The shared server's statistics can be reset or lost under us (a Postgres restart by
    another test drops them): then the reader rightly lacks the probe, and we run it again.
    """
    for _ in range(3):
        c.execute("SELECT 42 AS arctui_statement_probe")
    st = reader.read(force=True).statements
    return st, bool(_probe_rows(st)) or len(st.rows) == 50


def _probe_rows(st: Any) -> list[Any]:
    # The probe itself, not a statement quoting it (an EXPLAIN of it by another test).
    return [
        s
        for s in st.rows
        if "arctui_statement_probe" in s.query and s.query.lstrip().upper().startswith("SELECT")
    ]


def test_slow_queries_use_this_versions_columns(reader: PostgresReader):
    with connect() as c:
        num = c.execute("SHOW server_version_num").fetchone()[0]
        cols = {
            r[0]
            for r in c.execute(
                "SELECT attname FROM pg_attribute"
                " WHERE attrelid = 'pg_stat_statements'::regclass AND attnum > 0"
            )
        }
        deadline = time.monotonic() + 60
        st, kept = _probe_read(reader, c)
        while not kept and time.monotonic() < deadline:
            st, kept = _probe_read(reader, c)
    assert kept, f"the probe never showed in {len(st.rows)} rows (fewer than 50)"
    assert st.available, st.message
    used = dict(st.columns)
    expected_total = "total_exec_time" if int(num) >= 130000 else "total_time"
    assert used["total_ms"] == expected_total and used["total_ms"] in cols
    assert used["mean_ms"] in cols
    probe = _probe_rows(st)
    if not probe:  # it may not be among the top rows by total time on a busy server
        assert len(st.rows) == 50
    else:
        assert probe[0].calls >= 3 and probe[0].user == PG_USER and probe[0].database == PG_DB


def test_missing_extension_gives_the_guided_message(test_stack: RunningStack):
    with connect() as c:
        c.execute("DROP DATABASE IF EXISTS arctui_noext")
        c.execute("CREATE DATABASE arctui_noext")
    r = PostgresReader(lambda: target(dbname="arctui_noext"))
    try:
        st = r.read().statements
        assert not st.available and st.preloaded
        assert "CREATE EXTENSION pg_stat_statements" in st.message
        assert "arctui_noext" in st.message
    finally:
        r.close()
        with connect() as c:
            c.execute("DROP DATABASE IF EXISTS arctui_noext")


def test_wrong_password_is_a_clear_error_without_the_password(test_stack: RunningStack):
    r = PostgresReader(lambda: target(password="not-the-secret-xyz"))
    with pytest.raises(SourceError) as info:
        r.read()
    assert "refused the password" in info.value.reason
    assert "POSTGRES_PASSWORD" in info.value.fix
    assert "not-the-secret-xyz" not in info.value.reason + info.value.fix


def test_unreachable_server_is_a_clear_error(test_stack: RunningStack):
    with socket.socket() as s:  # a free loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = PostgresReader(lambda: target(port=str(port)))
    with pytest.raises(SourceError) as info:
        r.read()
    assert "connection refused" in info.value.reason and str(port) in info.value.reason


def test_a_server_that_never_answers_times_out(test_stack: RunningStack):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    try:
        r = PostgresReader(
            lambda: target(port=str(port)),
            connection_factory=lambda t: PgConnection(t, connect_timeout=2),
        )
        started = time.monotonic()
        with pytest.raises(SourceError) as info:
            r.read()
        took = time.monotonic() - started
        assert "did not answer" in info.value.reason
        assert took < 30  # libpq retries each address; bounded, not forever
    finally:
        listener.close()


def test_client_deadline_frees_a_worker_the_server_does_not(test_stack: RunningStack):
    conn = PgConnection(target(), statement_timeout_ms=500, deadline_grace=1.0)
    try:
        with pytest.raises(SourceError) as info:
            conn.query("SET statement_timeout = 0; SELECT pg_sleep(20)")
        assert "did not answer within 1.5s" in info.value.reason
        assert conn.query("SELECT 1") == [(1,)]  # reconnected
    finally:
        conn.close()


def test_statement_timeout_bounds_a_monitoring_query(test_stack: RunningStack):
    conn = PgConnection(target(), statement_timeout_ms=300)
    try:
        with pytest.raises(SourceError) as info:
            conn.query("SELECT pg_sleep(5)")
        assert "300 ms statement timeout" in info.value.reason
        assert conn.query("SELECT 1") == [(1,)]
    finally:
        conn.close()


def test_backend_cpu_and_memory_map_container_pids_to_host_pids(reader: PostgresReader):
    with (
        background("SELECT pg_sleep(30)") as sleeper,
        background("SELECT count(*) FROM generate_series(1, 400000000)") as burner,
    ):
        spid, bpid = sleeper.info.backend_pid, burner.info.backend_pid
        reader.read()
        time.sleep(2.0)
        snap = reader.read()
        assert snap.proc_note == ""
        s, b = snap.backend(spid), snap.backend(bpid)
        assert s is not None and b is not None and s.proc and b.proc
        assert s.proc.rss and s.proc.rss > 0
        # No fixed threshold (the machine may be busy): the burner used more CPU than the
        # sleeper, and the sleeper hardly any.
        assert b.proc.cpu is not None and s.proc.cpu is not None
        assert b.proc.cpu > s.proc.cpu and s.proc.cpu < 5
        # The mapped host process is the same one the container sees as `spid`.
        inside = subprocess.run(
            ["docker", "exec", PG_CONTAINER, "cat", f"/proc/{spid}/stat"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
        with open(f"/proc/{s.proc.host_pid}/stat") as f:
            outside = f.read()
        assert inside.split(")")[1].split()[19] == outside.split(")")[1].split()[19]


def test_server_stopped_then_started_recovers(test_stack: RunningStack, reader: PostgresReader):
    reader.read()
    subprocess.run(["docker", "stop", PG_CONTAINER], check=True, capture_output=True, timeout=60)
    try:
        with pytest.raises(SourceError) as info:
            reader.read()  # the open connection was terminated by the shutdown
        assert "Postgres closed the connection" in info.value.reason and info.value.fix
        with pytest.raises(SourceError) as info:
            reader.read()  # reconnecting finds nobody listening
        assert "not accepting connections" in info.value.reason
        assert "postgres service running" in info.value.fix
    finally:
        subprocess.run(
            ["docker", "start", PG_CONTAINER], check=True, capture_output=True, timeout=60
        )
        wait_settled(test_stack.client)
    snap = read_until(reader, lambda s: True)
    assert snap.overview.uptime_s < 120

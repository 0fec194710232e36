"""`arctui postgres [--json]` against the real Postgres of the test stack."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import psycopg

from tests.integration.stack import PG_PASSWORD, RunningStack, compose_env
from tests.integration.test_postgres_live import PARAMS, background


def arctui(stack: RunningStack, *args: str, env: dict[str, str] | None = None):
    base = {k: v for k, v in compose_env().items() if not k.startswith("PG") or k in ("PG_UID",
            "PG_GID", "PG_BIN")}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "arctui", "--project-dir", str(stack.stack_dir),
         "-f", str(stack.compose_file), "-p", stack.project, *args],
        capture_output=True, text=True, timeout=60, env={**base, **(env or {})},
    )  # fmt: skip


def test_json_shows_activity_and_hides_the_password(test_stack: RunningStack):
    evil = "evil\x1b]0;pwned\x07[@click=app.quit]x[/nope]"
    with psycopg.connect(**PARAMS, autocommit=True) as c:
        c.execute(psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(evil)))
        c.execute(psycopg.sql.SQL("CREATE TABLE {} (id int)").format(psycopg.sql.Identifier(evil)))
    try:
        with background(
            "SELECT pg_sleep(20) /* ALTER ROLE x PASSWORD 'arctui-test-secret' */"
        ) as conn:
            pid = conn.info.backend_pid
            proc = arctui(test_stack, "postgres", "--json")
        assert proc.returncode == 0, proc.stderr
        assert PG_PASSWORD not in proc.stdout and "\x1b" not in proc.stdout
        data = json.loads(proc.stdout)
        assert data["version"] == 1
        assert {"overview", "backends", "tables", "statements", "locks", "blocking_tree"} <= set(
            data
        )
        row = next(b for b in data["backends"] if b["pid"] == pid)
        assert row["state"] == "active" and "pg_sleep(20)" in row["query"]
        assert "PASSWORD '••••••'" in row["query"]
        assert "••••••" in data["connection"]
        names = [t["name"] for t in data["tables"]]
        assert "evil[@click=app.quit]x[/nope]" in names  # the OSC sequence stripped
        assert data["statements"]["available"] and data["statements"]["columns"]["total_ms"]
        text = arctui(test_stack, "postgres")
        assert text.returncode == 0 and "ACTIVITY" in text.stdout and "\x1b" not in text.stdout
        assert PG_PASSWORD not in text.stdout
    finally:
        with psycopg.connect(**PARAMS, autocommit=True) as c:
            c.execute(
                psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(evil))
            )


def test_unreachable_exits_1_with_the_reason(test_stack: RunningStack):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = arctui(test_stack, "postgres", env={"PGPORT": str(port)})
    assert proc.returncode == 1 and proc.stdout == ""
    assert "connection refused" in proc.stderr and f":{port}" in proc.stderr
    assert PG_PASSWORD not in proc.stderr


def test_wrong_password_exits_1_masked(test_stack: RunningStack):
    proc = arctui(test_stack, "postgres", "--json", env={"PGPASSWORD": "wrong-pass-123"})
    assert proc.returncode == 1 and proc.stdout == ""
    assert "refused the password" in proc.stderr
    assert "wrong-pass-123" not in proc.stderr and PG_PASSWORD not in proc.stderr
    assert "environment PGPASSWORD" in proc.stderr  # says where the password came from

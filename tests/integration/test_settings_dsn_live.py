"""`postgres_dsn` in the settings: a database outside the stack, read by `arctui postgres`.

The session here has an empty compose project and no env files, so the only way to the
test stack's Postgres is the settings' DSN, and the only place its password is known is
the settings: a backend whose query text carries the password must come out masked.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import threading
import time

import psycopg
import pytest

from arctui.config.masking import MASK
from arctui.config.settings import Settings
from arctui.models import ComposeModel
from arctui.session import Session
from arctui.stack.reader import StackReader
from arctui.tabs.postgres.cli import run
from tests.integration.stack import HOST, PG_DB, PG_PASSWORD, PG_PORT, PG_USER, RunningStack

DSN = f"postgresql://{PG_USER}:{PG_PASSWORD}@{HOST}:{PG_PORT}/{PG_DB}"


class _NoContainers:
    endpoint = "fake"

    def containers(self, project: str, known=None) -> list:
        return []

    def container(self, project: str, cid: str) -> None:
        return None

    def follow_events(self, project, on_event, stop, since=None) -> None:
        return None

    def close(self) -> None:
        return None


class _EmptyProject:
    def model(self) -> ComposeModel:
        return ComposeModel(project="elsewhere")


def outside_session() -> Session:
    return Session(
        env="dev",
        production=False,
        project="elsewhere",
        settings=Settings(postgres_dsn=DSN),
        reader=StackReader("elsewhere", _NoContainers(), _EmptyProject()),
        read_only=True,
        environ={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )


def test_the_settings_dsn_is_read_and_its_password_is_masked(
    test_stack: RunningStack, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = f"SELECT pg_sleep(30), '{PG_PASSWORD}' AS leaked /* arctui-dsn-probe */"
    conn = psycopg.connect(DSN, autocommit=True, connect_timeout=5)

    def sleep() -> None:
        with contextlib.suppress(psycopg.Error):  # cancelled at the end
            conn.execute(probe)

    worker = threading.Thread(target=sleep, daemon=True)
    try:
        worker.start()
        deadline = time.monotonic() + 15
        while True:
            assert run(outside_session(), argparse.Namespace(json=True, limit=50)) == 0
            out = capsys.readouterr().out
            data = json.loads(out)
            mine = [b for b in data["backends"] if "arctui-dsn-probe" in b["query"]]
            if mine or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert mine, "the settings' DSN did not reach the stack's Postgres"
        assert PG_PASSWORD not in out
        assert MASK in mine[0]["query"]
    finally:
        with contextlib.suppress(Exception):
            conn.cancel_safe(timeout=3)
        worker.join(10)
        conn.close()

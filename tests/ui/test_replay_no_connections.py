"""A replay opens no engine socket and no database: listeners count every connection.

The session is the real one (`arctui --at`, a compose project on disk), with DOCKER_HOST,
the Postgres DSN and the Redis URL pointing at sockets of this test. The same setup run
live connects to the engine socket at once: that shows the listeners would see it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from arctui import cli
from arctui.ui.app import ArcApp
from tests.replay_support import START, STEP, demo_frames, write_store
from tests.ui.conftest import wait_for

SIZE = (140, 40)


class Listener:
    """Accepts and counts connections (then closes them)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.accepted = 0
        self._stop = False
        sock.listen(16)
        sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listeners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Listener]]:
    engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    engine.bind(str(tmp_path / "docker.sock"))
    found = {"engine": Listener(engine)}
    for name in ("postgres", "redis"):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        found[name] = Listener(tcp)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    yield found
    for listener in found.values():
        listener.close()


def _project(tmp_path: Path, listeners: dict[str, Listener]) -> list[str]:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "docker-compose.yml").write_text(
        "services:\n"
        "  postgres: {image: postgres:15, network_mode: host}\n"
        "  redis: {image: redis:7, network_mode: host}\n"
    )
    pg = listeners["postgres"].sock.getsockname()[1]
    rd = listeners["redis"].sock.getsockname()[1]
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        f"postgres_dsn: postgresql://arc:pw@127.0.0.1:{pg}/arc\nredis_url: redis://127.0.0.1:{rd}/0\n"
    )
    return ["--project-dir", str(project), "-p", "arcreplay", "--settings", str(settings)]


async def _visit_every_tab(app: ArcApp, pilot) -> None:
    from arctui.tabs import TABS

    for i, spec in enumerate(TABS, start=1):
        await pilot.press(str(i))
        await wait_for(pilot, lambda spec=spec: app.active_tab == spec.id)
        await pilot.pause(0.4)
        await pilot.press("comma", "full_stop", "greater_than_sign")
        await pilot.pause(0.2)


async def test_a_replay_opens_no_engine_socket_and_no_database(tmp_path, listeners):
    frames, events = demo_frames(count=24)
    store = write_store(tmp_path / "rec.sqlite", frames, events)
    argv = [*_project(tmp_path, listeners), "--store", str(store), "--at", f"@{START + 10 * STEP}"]
    session = cli.make_session(cli.build_parser(argv).parse_args(argv))
    app = ArcApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await _visit_every_tab(app, pilot)
        await pilot.press("2")  # Resources: its source and charts' history
        await pilot.press("z")  # playing reads only the store
        await pilot.pause(1.5)
    assert {k: v.accepted for k, v in listeners.items()} == {
        "engine": 0,
        "postgres": 0,
        "redis": 0,
    }


async def test_live_the_same_setup_reaches_the_engine_socket(tmp_path, listeners):
    argv = _project(tmp_path, listeners)
    session = cli.make_session(cli.build_parser(argv).parse_args(argv))
    app = ArcApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: listeners["engine"].accepted > 0)

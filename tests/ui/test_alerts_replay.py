"""The header badge and the health view: the alerts of the store named by --store, and in a
replay (`--at`) the alerts of the moment shown, as they fired then (stores through the real
write path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from arctui.cli import build_parser, make_session
from arctui.config.settings import Settings
from arctui.record.frame import Event
from arctui.record.replay_session import replay_session
from arctui.record.store import Store
from arctui.session import demo_session
from arctui.ui.app import ArcApp
from arctui.ui.screens.health import HealthScreen
from arctui.ui.widgets.header import ArcHeader
from tests.replay_support import START, STEP, demo_frames, write_store
from tests.ui.conftest import make_demo_app, wait_for

SIZE = (160, 45)
A_FIRED, A_RESOLVED, B_FIRED = START + 3 * STEP, START + 10 * STEP, START + 15 * STEP


def alert(ts: float, kind: str, incident: str, text: str) -> Event:
    service = incident.split(":")[1]
    return Event(ts, kind, service, text, {"incident": incident})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames, events = demo_frames(count=24, crash_at=12)
    events += [
        alert(A_FIRED, "alert", "service_down:postgres", "service down: postgres"),
        alert(A_RESOLVED, "alert-resolved", "service_down:postgres", "resolved: postgres"),
        alert(B_FIRED, "alert", "restart_loop:raymond", "restart loop: raymond"),
    ]
    return write_store(tmp_path_factory.mktemp("rec") / "alerts.sqlite", frames, events)


def replay_app(store: Path, at: float) -> ArcApp:
    return ArcApp(replay_session(demo_session(Settings()), f"@{at}", store))


def _health_text(app: ArcApp) -> str:
    screen = app.screen
    return screen.alert_lines.plain if isinstance(screen, HealthScreen) else ""


async def test_replay_header_and_health_show_the_alerts_of_the_moment(store, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))  # no default store: only the replay's
    app = replay_app(store, START + 5 * STEP)
    async with app.run_test(size=SIZE) as pilot:
        header = app.query_one(ArcHeader)
        await wait_for(pilot, lambda: header.alerts_firing == 1)
        await pilot.press("H")  # opens in a replay: recorded health, no probes
        await wait_for(pilot, lambda: "service down: postgres" in _health_text(app))
        text = _health_text(app)
        assert "FIRING" in text and "restart loop" not in text  # B fired later: not yet
        assert "moment replayed" in text
        await pilot.press("escape")
        # Move past A's resolution and B's firing: the badge follows the moment.
        app.replay.move_to(START + 16 * STEP)
        await wait_for(pilot, lambda: app.replay.at == START + 16 * STEP)
        await pilot.press("H")
        await wait_for(pilot, lambda: "restart loop: raymond" in _health_text(app))
        lines = _health_text(app).splitlines()
        assert "FIRING" in lines[1] and "restart loop" in lines[1]
        assert "resolved" in lines[2] and "service down: postgres" in lines[2]
        await wait_for(pilot, lambda: header.alerts_firing == 1)  # B only
        app.replay.move_to(START + 11 * STEP)  # A resolved, B not fired: nothing firing
        await wait_for(pilot, lambda: header.alerts_firing == 0)


async def test_live_header_and_health_read_the_store_named_by_store(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the default: empty
    path = tmp_path / "elsewhere.sqlite"
    app = make_demo_app()
    store = Store.open(path)
    store.add_events([alert(app.session.clock() - 5, "alert", "disk:root", "disk low: root")])
    store.close()
    object.__setattr__(app.session, "store_path", path)  # as make_session does for --store
    async with app.run_test(size=SIZE) as pilot:
        header = app.query_one(ArcHeader)
        await wait_for(pilot, lambda: header.alerts_firing == 1)
        await pilot.press("H")
        await wait_for(pilot, lambda: "disk low: root" in _health_text(app))


def test_make_session_keeps_the_store_path(tmp_path):
    path = tmp_path / "x.sqlite"
    args = build_parser(["--demo", "--store", str(path)]).parse_args(
        ["--demo", "--store", str(path)]
    )
    assert make_session(args).store_path == path
    args = build_parser(["--demo"]).parse_args(["--demo"])
    assert make_session(args).store_path is None

"""The app in a replay (`--at`), on a store written through the real store's write path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Static

from arctui.config.settings import Settings
from arctui.ops.audit import default_audit_path
from arctui.record.replay_session import replay_session
from arctui.session import demo_session
from arctui.tabs import TABS
from arctui.tabs.logs.view.replay import ReplayLogsTab
from arctui.tabs.services.view.tab import ServicesTab
from arctui.ui.app import ArcApp
from arctui.ui.replay import LIVE_IDS, MUTATING_IDS, ReplayBar, binding_for
from tests.replay_support import CRASHED, START, STEP, demo_frames, write_store
from tests.ui.conftest import make_demo_app, wait_for

SIZE = (160, 45)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames, events = demo_frames(count=24, crash_at=12, postgres_down_at=(5,))
    return write_store(tmp_path_factory.mktemp("rec") / "demo.sqlite", frames, events)


def replay_app(store: Path, at: float) -> ArcApp:
    session = replay_session(demo_session(Settings()), f"@{at}", store)
    return ArcApp(session)


def _crashed_state(app: ArcApp) -> str | None:
    tab = app.query_one(ServicesTab)
    if tab.snapshot is None:
        return None
    return tab.snapshot.service(CRASHED).containers[0].state  # type: ignore[union-attr]


def _notes(app: ArcApp) -> list[str]:
    return [n.message for n in app._notifications]


def _bar(app: ArcApp) -> str:
    return str(app.query_one(ReplayBar).render())


async def test_banner_says_replay_the_moment_and_the_reach(store):
    app = replay_app(store, START + 11 * STEP + 2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: _crashed_state(app) is not None)
        await wait_for(pilot, lambda: "REPLAY" in _bar(app))
        bar = _bar(app)
        from arctui.record.when import describe

        assert describe(START + 11 * STEP + 2) in bar
        assert f"sample of {describe(START + 11 * STEP)[11:]}" in bar
        assert f"recorded {describe(START)} to {describe(START + 23 * STEP)}" in bar
        assert "paused" in bar


async def test_stepping_changes_what_the_tabs_show(store):
    app = replay_app(store, START + 11 * STEP)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: _crashed_state(app) == "running")
        await pilot.press("full_stop")
        await wait_for(pilot, lambda: _crashed_state(app) == "exited")
        await pilot.press("comma")
        await wait_for(pilot, lambda: _crashed_state(app) == "running")
        await pilot.press("5")  # Logs: the recorded figures of that interval
        logs = app.query_one(ReplayLogsTab)
        body = logs.query_one("#logs-replay-body", Static)
        await wait_for(pilot, lambda: "ERROR frame 11 failed" in str(body.render()))
        await pilot.press("full_stop")
        await wait_for(pilot, lambda: "ERROR frame 12 failed" in str(body.render()))
        assert "22" in str(body.render())  # raymond's line count of frame 12


async def test_event_jumps_and_the_banner_names_the_event(store):
    app = replay_app(store, START)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: _crashed_state(app) == "running")
        await pilot.press("right_parenthesis")  # the action at frame 3
        await pilot.press("right_parenthesis")  # the OOM kill
        await wait_for(pilot, lambda: _crashed_state(app) == "exited")
        assert "oom raymond: raymond was killed: out of memory" in _bar(app)


async def test_a_tab_with_nothing_recorded_says_so_and_shows_no_other_moment(store):
    app = replay_app(store, START + 6 * STEP)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        view = app.query_one("#postgres-tab")
        notice = app.query_one("#postgres-replay-empty", Static)
        await wait_for(pilot, lambda: view.display and not notice.display)
        await pilot.press("comma")  # frame 5: Postgres was down
        await wait_for(pilot, lambda: notice.display and not view.display)
        text = str(notice.render())
        assert "Postgres could not be read at" in text and "connection refused" in text
        await pilot.press("comma")
        await wait_for(pilot, lambda: view.display and not notice.display)


def _refused_keys() -> list[tuple[str, str, str]]:
    """(tab id, key, binding id) of every refused binding of the app and the tabs' views."""
    out = []
    for spec in TABS:
        try:
            view = spec.load_view(replay=True)
        except ImportError:  # a tab another change is still adding
            continue
        for cls in (view, ArcApp):
            for klass in cls.__mro__:
                for b in vars(klass).get("BINDINGS", ()):
                    bid = getattr(b, "id", None)
                    if bid in MUTATING_IDS or bid in LIVE_IDS:
                        out.append((spec.id, b.key.split(",")[0], bid))
    return sorted(set(out))


REFUSED = _refused_keys()


def test_every_refused_id_is_a_real_binding():
    seen = {bid for _, _, bid in REFUSED}
    live_view_ids = set()
    for spec in TABS:
        try:
            view = spec.load_view()
        except ImportError:
            continue
        for klass in view.__mro__:
            live_view_ids |= {getattr(b, "id", None) for b in vars(klass).get("BINDINGS", ())}
    app_ids = {getattr(b, "id", None) for k in ArcApp.__mro__ for b in vars(k).get("BINDINGS", ())}
    assert (MUTATING_IDS | set(LIVE_IDS)) <= live_view_ids | app_ids  # no stale name
    assert seen  # the replay views and the app have some


@pytest.mark.parametrize("tab", sorted({t for t, _, _ in REFUSED}))
async def test_every_mutating_or_live_key_is_refused_with_the_reason(store, tab, monkeypatch):
    ran: list[object] = []
    monkeypatch.setattr("arctui.ops.perform.run_action", lambda *a, **k: ran.append(a))
    app = replay_app(store, START + 11 * STEP)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: _crashed_state(app) is not None)
        await pilot.press(str(TAB_IDS.index(tab) + 1))
        await wait_for(pilot, lambda: app.query(f"#{tab}-tab"))
        await pilot.pause(0.3)
        for _, key, bid in [r for r in REFUSED if r[0] == tab]:
            before = len(_notes(app))
            await pilot.press(key)
            await wait_for(pilot, lambda before=before: len(_notes(app)) > before)
            message = _notes(app)[-1]
            assert message.startswith("replay: "), (bid, message)
            assert len(app.screen_stack) == 1, bid  # no confirmation, no screen opened
        await pilot.pause()
    assert ran == []
    audit = default_audit_path()
    started = [
        json.loads(line)
        for line in (audit.read_text().splitlines() if audit.exists() else [])
        if json.loads(line)["outcome"] == "started"
    ]
    assert started == []


TAB_IDS = [spec.id for spec in TABS]


async def test_a_palette_action_is_refused_by_the_gate(store):
    app = replay_app(store, START + 11 * STEP)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: _crashed_state(app) is not None)
        app.request_action("restart", CRASHED)  # what the palette's entry calls
        await wait_for(pilot, lambda: any("replay:" in n for n in _notes(app)))
        assert len(app.screen_stack) == 1
    entries = [json.loads(x) for x in default_audit_path().read_text().splitlines()]
    assert [e["outcome"] for e in entries] == ["refused"]


async def test_live_the_replay_keys_are_hidden_and_inert():
    app = make_demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.query(ReplayBar)
        for action in ("replay_step", "replay_seek", "replay_play"):
            assert app.check_action(action, ()) is False
        assert binding_for(app, "replay_step(1)") is not None
        await pilot.press("full_stop", "z")
        assert app.session.replay is None


def _footer_keys(app: ArcApp) -> set[str]:
    from textual.widgets import Footer

    return {k for k in (getattr(c, "key", None) for c in app.query_one(Footer).children) if k}


async def test_the_replay_footer_leaves_out_the_refused_keys_and_shows_the_replay_keys(store):
    refused = {key for tab, key, _ in REFUSED if tab == "services"}
    live = make_demo_app()
    async with live.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(_footer_keys(live) & refused))
        shown_live = _footer_keys(live) & refused  # the live footer offers them
    app = replay_app(store, START + 11 * STEP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: _crashed_state(app) is not None)
        await wait_for(pilot, lambda: {"comma", "full_stop", "z"} <= _footer_keys(app))
        assert not _footer_keys(app) & refused, _footer_keys(app) & refused
        key = sorted(shown_live)[0]  # pressed anyway, it still says why
        before = len(_notes(app))
        await pilot.press(key)
        await wait_for(pilot, lambda: len(_notes(app)) > before)
        assert _notes(app)[-1].startswith("replay: ")

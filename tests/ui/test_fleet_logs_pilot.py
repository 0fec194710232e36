"""Pilot tests of the Logs tab over several engines (issue 24): three demo engines."""

from __future__ import annotations

import threading

from arctui.config.engines import EngineSpec
from arctui.config.settings import Settings
from arctui.fleet import build_fleet
from arctui.session import demo_session
from arctui.sources.base import SourceError
from arctui.tabs.logs import fleet_feed
from arctui.tabs.logs.fleet_feed import line_engine
from arctui.ui.app import ArcApp
from tests.ui.conftest import make_demo_app, wait_for
from tests.ui.test_fleet_pilot import fleet_app
from tests.ui.test_logs_pilot import open_logs, screen_rows, status

ENGINES = {"local", "staging", "prod"}


def engines_of(lines) -> set[str | None]:
    return {line_engine(x) for x in lines}


async def test_lines_of_every_engine_tagged_filtered_by_engine_word_and_key():
    app = fleet_app()
    async with app.run_test(size=(140, 36)) as pilot:
        tab = await open_logs(pilot)
        await wait_for(pilot, lambda: engines_of(tab.buffer) == ENGINES)
        assert all(x.source.startswith(f"{line_engine(x)}/{x.service}") for x in tab.buffer)
        # The tag names its engine; each line drawn as its own (one arrival order).
        # A production engine's tag carries the production mark, as the Engine column does.
        rows = screen_rows(tab)
        shown = list(tab.view.lines)[-len(rows) :]

        def drawn(x) -> str:
            return x.source.replace("prod/", "prod!/", 1)

        assert [drawn(x) in row for x, row in zip(shown, rows, strict=True)] == [True] * len(rows)
        assert engines_of(shown) == ENGINES and any("prod!/" in row for row in rows)
        # `engine:NAME` in the search box (a prefix), the rest is the search itself.
        await pilot.press("slash", *"engine:stag", "enter")
        await pilot.pause()
        assert engines_of(tab.view.lines) == {"staging"} and tab.pattern == ""
        assert "engine stag" in status(tab)
        await pilot.press("slash")
        assert tab.query_one("#logs-search").value == "engine:stag"
        await pilot.press("ctrl+u", "enter")  # cleared: every engine again
        await pilot.pause()
        assert tab.engine is None and len(tab.view.lines) == len(tab.buffer)
        # E cycles: local, staging, prod, every engine.
        for expected in ("local", "staging", "prod"):
            await pilot.press("E")
            await pilot.pause()
            assert engines_of(tab.view.lines) == {expected}
        await pilot.press("E")
        await pilot.pause()
        assert tab.engine is None and engines_of(tab.view.lines) == ENGINES


class DeadSource:
    """An engine whose logs cannot be read: every call fails with its own reason."""

    def __init__(self) -> None:
        self.calls = 0

    def targets(self, services=()):
        raise SourceError("engine at unix:///run/dead.sock did not answer in time")

    def history(self, services=(), window=None):
        return self.targets()

    def follow(self, services, window, sink, stop: threading.Event, on_error=None):
        while not stop.is_set():
            self.calls += 1
            try:
                self.targets()
            except SourceError as exc:
                if on_error is not None:
                    on_error(exc)
            stop.wait(0.2)

    def close(self) -> None:
        pass


async def test_a_dead_engine_shows_its_own_reason_while_the_others_keep_streaming(monkeypatch):
    real = fleet_feed.session_source
    dead = DeadSource()
    monkeypatch.setattr(
        fleet_feed, "session_source", lambda s: dead if s.engine_name == "prod" else real(s)
    )
    primary = demo_session(Settings(), env="dev")  # a running clock: new lines keep coming
    build_fleet(primary, (EngineSpec("staging", host="demo"), EngineSpec("prod", host="demo:3")))
    app = ArcApp(primary)
    async with app.run_test(size=(160, 36)) as pilot:
        tab = await open_logs(pilot)  # loaded: two engines' history, prod's reason
        assert "engine prod: engine at unix:///run/dead.sock did not answer" in status(tab)
        assert "engine local" not in status(tab) and "engine staging" not in status(tab)
        assert engines_of(tab.buffer) == {"local", "staging"}
        before = tab.buffer.received
        await wait_for(pilot, lambda: tab.buffer.received > before, timeout=15)  # still live
        assert "prod" not in engines_of(tab.buffer) and dead.calls > 1


async def test_one_engine_names_no_engine_and_has_no_engine_key():
    app = make_demo_app()
    async with app.run_test(size=(140, 36)) as pilot:
        tab = await open_logs(pilot)
        assert engines_of(tab.buffer) == {None}
        assert tab.check_action("cycle_engine", ()) is False
        await pilot.press("slash", *"engine:local", "enter")  # plain text with one engine
        await pilot.pause()
        assert tab.pattern == "engine:local" and tab.engine is None

"""Pilot tests of the Logs tab over the demo source (and a scripted source)."""

from __future__ import annotations

import stat
import threading

import pytest

from arctui.sources.docker_logs import LogRecord, LogTarget
from arctui.tabs.logs.export import format_line
from arctui.tabs.logs.models import Level
from arctui.tabs.logs.view import tab as tab_module
from arctui.tabs.logs.view.tab import LogsTab
from tests.ui.conftest import make_demo_app, wait_for


async def open_logs(pilot) -> LogsTab:
    await pilot.press("5")
    tab = pilot.app.query_one(LogsTab)
    await wait_for(pilot, lambda: tab.feed is not None and tab.feed.history_loaded and tab.buffer)
    await pilot.pause(0.2)
    return tab


def status(tab: LogsTab) -> str:
    return str(tab.query_one("#logs-status").render())


def screen_rows(tab: LogsTab) -> list[str]:
    view = tab.view
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


async def test_opens_live_at_the_newest_line_with_counts() -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 36)) as pilot:
        tab = await open_logs(pilot)
        view = tab.view
        assert view.live and view.scroll_y == view.max_scroll_y > 0
        assert len(view.lines) == len(tab.buffer) > 1000
        last = screen_rows(tab)[-1]
        assert tab.buffer[-1].text[:40] in last
        assert "LIVE" in status(tab) and f"{len(tab.buffer):,}/{len(tab.buffer):,}" in status(tab)


async def test_level_filter_cycles_and_shows_only_those_levels() -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 36)) as pilot:
        tab = await open_logs(pilot)
        await pilot.press("L")
        assert tab.level is Level.ERROR and tab.view.lines
        assert all(x.level is Level.ERROR for x in tab.view.lines)
        await pilot.press("L")
        assert {x.level for x in tab.view.lines} == {Level.ERROR, Level.WARN}
        assert "level ≥ WARN" in status(tab)
        await pilot.press("L", "L", "L")
        assert tab.level is None and len(tab.view.lines) == len(tab.buffer)


async def test_search_highlights_jumps_and_only_matching() -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 36)) as pilot:
        tab = await open_logs(pilot)
        await pilot.press("slash", *"timeout", "enter")
        view = tab.view
        assert not view.live and view.cursor is not None
        first = view.cursor
        assert "timeout" in view.lines[first].text.lower()
        assert all("timeout" not in x.text.lower() for x in list(view.lines)[first + 1 :])
        await pilot.press("N")
        assert view.cursor < first and "timeout" in view.lines[view.cursor].text.lower()
        await pilot.press("n")
        assert view.cursor == first
        total = len(view.lines)
        await pilot.press("o")
        assert 0 < len(view.lines) < total
        assert all("timeout" in x.text.lower() for x in view.lines)
        await pilot.press("slash", "ctrl+u", *"(bad", "R", "enter")  # typed in the box
        assert tab.pattern == "(badR" and len(view.lines) == 0  # plain text: valid, no match
        await pilot.press("R")  # as a regex it is invalid: refused, nothing changes
        assert not tab.regex and tab.pattern == "(badR"


async def test_bad_regex_is_refused_with_a_message() -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 36)) as pilot:
        tab = await open_logs(pilot)
        await pilot.press("R")
        assert tab.regex
        await pilot.press("slash", *"(unclosed", "enter")
        await wait_for(
            pilot,
            lambda: any("bad regular expression" in str(n.message) for n in app._notifications),
        )
        assert tab.pattern == "" and tab.regex


async def test_copy_selected_lines(tmp_path) -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 36)) as pilot:
        tab = await open_logs(pilot)
        await pilot.press("y")  # live: nothing selected
        assert app.clipboard == ""
        await pilot.press("up")
        assert not tab.view.live
        await pilot.press("y")
        assert app.clipboard == format_line(tab.view.lines[tab.view.cursor])
        await pilot.press("v", "up", "up", "y")
        assert len(app.clipboard.splitlines()) == 3


async def test_save_writes_exactly_the_lines_shown_with_mode_0600(tmp_path) -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 36)) as pilot:
        tab = await open_logs(pilot)
        await pilot.press("L", "L")  # WARN and above
        await pilot.press("s")
        box = tab.query_one("#logs-save")
        target = tmp_path / "view.log"
        box.value = str(target)
        await pilot.press("enter")
        saved = target.read_text().splitlines()
        assert saved == [format_line(x) for x in tab.view.lines]
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        await pilot.press("S")
        box.value = str(tmp_path / "all.log")
        await pilot.press("enter")
        assert len((tmp_path / "all.log").read_text().splitlines()) == len(tab.buffer)


async def test_markup_and_escapes_render_as_plain_text() -> None:
    app = make_demo_app()
    async with app.run_test(size=(200, 36)) as pilot:
        tab = await open_logs(pilot)
        evil = [i for i, x in enumerate(tab.view.lines) if "[@click=app.quit]" in x.text]
        assert evil, "the demo carries a line with markup"
        tab.view.move_cursor(evil[-1])
        await pilot.pause()
        rows = [r for r in screen_rows(tab) if "odd request" in r]
        assert rows and "[@click=app.quit]free[/] [bold red]x[/nope]" in rows[-1]
        assert "\x1b" not in "".join(screen_rows(tab)) and "pwned" not in "".join(screen_rows(tab))
        assert app.is_running  # x[/nope] did not raise MarkupError


async def test_timestamps_and_wrap_toggles() -> None:
    app = make_demo_app()
    async with app.run_test(size=(80, 30)) as pilot:
        tab = await open_logs(pilot)
        assert screen_rows(tab)[-1][:2].isdigit()
        await pilot.press("t")
        assert not screen_rows(tab)[-1][:2].isdigit()
        rows_before = tab.view.virtual_size.height
        await pilot.press("w")
        assert tab.view.virtual_size.height > rows_before == len(tab.view.lines)
        assert tab.view.live and tab.view.scroll_y == tab.view.max_scroll_y
        await pilot.press("w")
        assert tab.view.virtual_size.height == len(tab.view.lines)


async def test_logql_says_it_is_not_built() -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await open_logs(pilot)
        await pilot.press("Q")
        await wait_for(
            pilot, lambda: any("not built" in str(n.message) for n in app._notifications)
        )


class Scripted:
    """A log source the test feeds by hand."""

    target = LogTarget("c1", "p-api-1", "api", 1)

    def __init__(self) -> None:
        self.sink = None
        self.ready = threading.Event()

    def targets(self, services=()):
        return [self.target]

    def follow(self, services, window, sink, stop, on_error=None) -> None:
        self.sink = sink
        sink([])
        self.ready.set()
        stop.wait(30)

    def close(self) -> None:
        pass

    def send(self, *texts: bytes, start: int = 0, cut: int = 0) -> None:
        assert self.sink is not None
        self.sink(
            [LogRecord(self.target, "stdout", start + i, t, cut) for i, t in enumerate(texts)]
        )


@pytest.fixture
def scripted(monkeypatch) -> Scripted:
    src = Scripted()
    monkeypatch.setattr(tab_module, "session_source", lambda session: src)
    return src


async def test_pause_keeps_the_view_still_and_counts_new_lines(scripted, monkeypatch) -> None:
    monkeypatch.setenv("ARCTUI_LOG_BUFFER", "50")
    app = make_demo_app()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.press("5")
        tab = app.query_one(LogsTab)
        await wait_for(pilot, lambda: scripted.ready.is_set())
        scripted.send(*[b"line %d" % i for i in range(40)], start=1000)
        await wait_for(pilot, lambda: len(tab.buffer) == 40)
        await pilot.press("space")
        assert not tab.view.live
        cursor_text = tab.view.lines[tab.view.cursor].text
        top = screen_rows(tab)[0]
        scripted.send(*[b"more %d" % i for i in range(30)], start=2000)
        await wait_for(pilot, lambda: tab.buffer.received == 70)
        await pilot.pause(0.2)
        # 20 of the oldest were evicted; the paused view still shows the same lines.
        assert tab.buffer.dropped == 20 and len(tab.buffer) == 50
        assert tab.view.lines[tab.view.cursor].text == cursor_text
        assert screen_rows(tab)[0] == top
        assert "+30 new" in status(tab) and "20 dropped" in status(tab)
        await pilot.press("G")
        assert tab.view.live and "more 29" in screen_rows(tab)[-1]


async def test_a_huge_cut_line_keeps_the_app_responsive(scripted) -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.press("5")
        tab = app.query_one(LogsTab)
        await wait_for(pilot, lambda: scripted.ready.is_set())
        scripted.send(b"x" * 16384, b"after", start=10, cut=1024 * 1024 - 16384)
        await wait_for(pilot, lambda: len(tab.buffer) == 2)
        await pilot.press("w")  # wrap the 16 KiB line: 140 rows, drawn on demand
        await pilot.press("up", "up")
        assert tab.view.lines[tab.view.cursor].text.endswith("[line cut: 1032192 more bytes]")
        await pilot.press("t")
        assert app.is_running and not tab.timestamps


async def test_an_empty_view_says_why(scripted) -> None:
    # A stack with no lines (never started) and a filter that matches nothing both say so.
    app = make_demo_app()
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.press("5")
        tab = app.query_one(LogsTab)
        await wait_for(pilot, lambda: scripted.ready.is_set() and tab.feed.history_loaded)
        await wait_for(pilot, lambda: "No log lines yet" in " ".join(screen_rows(tab)))
        assert "never started" in " ".join(screen_rows(tab)[:3])  # wrapped, not cut
        scripted.send(b"hello", b"world", start=1000)
        await wait_for(pilot, lambda: len(tab.buffer) == 2)
        await pilot.pause()
        shown = " ".join(screen_rows(tab))
        assert "hello" in shown and "No log lines" not in shown
        await pilot.press("slash", *"zzz", "enter", "o")
        await wait_for(pilot, lambda: "No line of the 2 held matches" in screen_rows(tab)[0])

"""Pilot tests of the Logs tab over the demo source (and a scripted source)."""

from __future__ import annotations

import stat
import threading

import pytest

from arctui.sources.docker_logs import LogRecord, LogTarget
from arctui.tabs.logs.export import format_line
from arctui.tabs.logs.models import Level
from arctui.tabs.logs.view import tab as tab_module
from arctui.tabs.logs.view.logview import LogView
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

    def send(
        self, *texts: bytes, start: int = 0, cut: int = 0, target: LogTarget | None = None
    ) -> None:
        assert self.sink is not None
        who = target or self.target
        self.sink([LogRecord(who, "stdout", start + i, t, cut) for i, t in enumerate(texts)])


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


WIDE = LogTarget("c2", "p-arc-raymond-services-1", "arc-raymond-services", 1)  # 20: > 18


@pytest.fixture
def measured(monkeypatch) -> list[int]:
    """How many lines each row-bookkeeping pass of the LogView measured."""
    counts: list[int] = []
    grow = LogView._grow

    def counting(self, done: int) -> None:
        counts.append(len(self.lines) - done)
        grow(self, done)

    monkeypatch.setattr(LogView, "_grow", counting)
    return counts


async def test_a_tag_wider_than_the_cap_measures_only_new_lines(scripted, measured) -> None:
    # Issue 18.1: a 20-character tag restyled (re-measured the whole buffer) every batch.
    scripted.target = WIDE
    app = make_demo_app()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.press("5")
        tab = app.query_one(LogsTab)
        await wait_for(pilot, lambda: scripted.ready.is_set())
        scripted.send(*[b"line %d" % i for i in range(2000)], start=10_000)
        await wait_for(pilot, lambda: len(tab.buffer) == 2000)
        await pilot.pause(0.2)
        measured.clear()
        for batch in range(5):
            scripted.send(*[b"more %d" % i for i in range(10)], start=20_000 + 100 * batch)
            await wait_for(pilot, lambda b=batch: tab.buffer.received == 2010 + 10 * b)
            await pilot.pause(0.15)
        assert 0 < sum(measured) <= 50, measured  # the 50 new lines, not 5 x 2,000


async def test_late_lines_from_another_container_measure_only_the_tail(scripted, measured) -> None:
    # A batch that lands a little before the newest line (two streams merged) used to
    # re-measure the whole buffer too; only the lines from the first late one on change.
    app = make_demo_app()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.press("5")
        tab = app.query_one(LogsTab)
        await wait_for(pilot, lambda: scripted.ready.is_set())
        scripted.send(*[b"line %d" % i for i in range(2000)], start=10_000)
        await wait_for(pilot, lambda: len(tab.buffer) == 2000)
        await pilot.pause(0.2)
        measured.clear()
        scripted.send(*[b"late %d" % i for i in range(10)], start=11_995, target=WIDE)
        await wait_for(pilot, lambda: tab.buffer.received == 2010)
        await pilot.pause(0.2)
        # (the new, wider tag restyles once, which measures everything once; then no more)
        scripted.send(*[b"later %d" % i for i in range(10)], start=11_998, target=WIDE)
        await wait_for(pilot, lambda: tab.buffer.received == 2020)
        await pilot.pause(0.2)
        tail = sum(1 for x in tab.buffer if x.ts_ns >= 11_998)
        assert 0 < measured[-1] <= tail, measured


@pytest.mark.parametrize("target", [Scripted.target, WIDE], ids=["narrow", "wide"])
async def test_a_paused_search_result_stays_put_while_the_buffer_evicts(
    scripted, monkeypatch, target
) -> None:
    # Issue 18.8: paused on a search result in a full buffer, the view moved one line
    # per evicted line (it re-found its place on the sequence after the eviction).
    monkeypatch.setenv("ARCTUI_LOG_BUFFER", "300")
    scripted.target = target
    app = make_demo_app()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.press("5")
        tab = app.query_one(LogsTab)
        await wait_for(pilot, lambda: scripted.ready.is_set())
        scripted.send(*[b"line %d" % i for i in range(300)], start=10_000)
        await wait_for(pilot, lambda: len(tab.buffer) == 300)
        await pilot.press("slash", *"line 250", "enter")
        view = tab.view
        assert not view.live and view.lines[view.cursor].text == "line 250"
        top, cursor = screen_rows(tab)[0], view.lines[view.cursor].text
        for batch in range(4):
            scripted.send(*[b"new %d" % i for i in range(40)], start=20_000 + 100 * batch)
            await wait_for(pilot, lambda b=batch: tab.buffer.received == 340 + 40 * b)
            await pilot.pause(0.15)
            assert tab.buffer.dropped == 40 * (batch + 1)
            assert view.lines[view.cursor].text == cursor
            assert screen_rows(tab)[0] == top, batch


@pytest.mark.parametrize("target", [Scripted.target, WIDE], ids=["narrow", "wide"])
async def test_a_paused_filtered_view_stays_put_while_its_subset_evicts(
    scripted, monkeypatch, target
) -> None:
    # Only matching lines shown: the subset loses its own oldest lines as the buffer evicts.
    monkeypatch.setenv("ARCTUI_LOG_BUFFER", "300")
    scripted.target = target
    app = make_demo_app()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.press("5")
        tab = app.query_one(LogsTab)
        await wait_for(pilot, lambda: scripted.ready.is_set())
        scripted.send(*[b"line %d" % i for i in range(300)], start=10_000)
        await wait_for(pilot, lambda: len(tab.buffer) == 300)
        await pilot.press("slash", *"line 1", "enter", "o")  # line 1, 10-19, 100-199
        view = tab.view
        assert len(view.lines) == 111 and view.lines[view.cursor].text == "line 199"
        await pilot.press(*["up"] * 30)  # cursor and top well inside the subset
        top, cursor = screen_rows(tab)[0], view.lines[view.cursor].text
        assert "line 1" in top and "line 1" in cursor
        for batch in range(3):  # evicts line 0-119: 31 lines of the subset
            scripted.send(*[b"new %d" % i for i in range(40)], start=20_000 + 100 * batch)
            await wait_for(pilot, lambda b=batch: tab.buffer.received == 340 + 40 * b)
            await pilot.pause(0.15)
            assert view.lines[view.cursor].text == cursor
            assert screen_rows(tab)[0] == top, batch
        assert len(view.lines) == 80 and tab.buffer.dropped == 120


async def test_a_paused_view_whose_lines_were_evicted_says_so(scripted, monkeypatch) -> None:
    monkeypatch.setenv("ARCTUI_LOG_BUFFER", "50")
    app = make_demo_app()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.press("5")
        tab = app.query_one(LogsTab)
        await wait_for(pilot, lambda: scripted.ready.is_set())
        scripted.send(*[b"line %d" % i for i in range(50)], start=1000)
        await wait_for(pilot, lambda: len(tab.buffer) == 50)
        await pilot.press("g")  # paused at the oldest line
        assert "evicted" not in status(tab)
        scripted.send(*[b"more %d" % i for i in range(10)], start=2000)
        await wait_for(pilot, lambda: tab.buffer.dropped == 10)
        await pilot.pause(0.15)
        assert "lines you were on were evicted" in status(tab)
        assert "line 10" in screen_rows(tab)[0]  # the oldest line left
        await pilot.press("down")
        assert "evicted" not in status(tab)


async def test_wrapped_rows_counted_by_parts_match_a_full_count(scripted, monkeypatch) -> None:
    # Only the lines after the unmoved front are folded again; the row table must come out
    # as a count from scratch would, through evictions and late lines.
    monkeypatch.setenv("ARCTUI_LOG_BUFFER", "120")
    app = make_demo_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("5")
        tab = app.query_one(LogsTab)
        await wait_for(pilot, lambda: scripted.ready.is_set())
        await pilot.press("w")
        sent = 0
        for batch in range(6):
            texts = [b"w%d " % i * (1 + (i * 7 + batch) % 23) for i in range(30)]
            scripted.send(*texts, start=10_000 + 100 * batch)
            scripted.send(*texts[:5], start=10_000 + 100 * batch + 20, target=WIDE)  # late
            sent += 35
            await wait_for(pilot, lambda s=sent: tab.buffer.received == s)
            await pilot.pause(0.15)
        view = tab.view

        def rows() -> tuple[list[int], int, object]:  # starts are absolute: from the first
            first = view._starts[0]
            return [x - first for x in view._starts], view._end - first, view.virtual_size

        parts = rows()
        view.show(view.lines)  # counts every line again
        assert len(parts[0]) == len(view.lines) and parts == rows()
        assert tab.buffer.dropped > 0

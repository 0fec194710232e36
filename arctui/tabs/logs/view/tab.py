"""The Logs tab: merged, searchable, live logs of the whole stack.

A LogFeed follows the engine on its own threads and posts `LogsArrived` when lines wait
(once, until they are taken: bursts collapse into one message). The handler takes them
at most ten times a second, merges them into the bounded buffer and tells the LogView,
which draws only the rows on screen. Following starts the first time the tab is shown.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from arctui.sources.docker_logs import LogWindow
from arctui.tabs.logs.buffer import DEFAULT_CAPACITY, LogBuffer, SortedLines
from arctui.tabs.logs.export import format_line, save_lines
from arctui.tabs.logs.filter import FilterError, LineFilter
from arctui.tabs.logs.fleet_feed import FleetFeed, line_engine
from arctui.tabs.logs.models import Level, LogLine
from arctui.tabs.logs.reader import LogFeed, session_maker, session_source
from arctui.tabs.logs.view.logview import LogView
from arctui.tabs.logs.view.presenters import (
    LineLook,
    StatusInfo,
    empty_text,
    look_colours,
    status_text,
    tag_width,
)
from arctui.text import one_line
from arctui.ui.fleet_cells import FILTER_WORD, engine_matches, next_filter, parse_filter
from arctui.ui.shell import shell

if TYPE_CHECKING:
    from arctui.session import Session

TAIL = 500  # lines per container loaded when the tab opens
DRAIN_GAP = 0.1  # seconds between two takes from the feed (10 screen updates/s at most)
KEY_FIRST = 0.1  # after a key, new lines wait this long: the key's answer is drawn first
TAG_CAP = 18  # the service column grows with the names up to this many characters
FLEET_TAG_CAP = 26  # ... and with `ENGINE/` before them, over several engines
LEVEL_CYCLE = (None, Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG)


def answering_key(app: App[Any]) -> bool:
    """Any thread: a key was pressed moments ago (its answer goes to the screen first)."""
    return time.monotonic() - shell(app).last_key_at < KEY_FIRST


def buffer_capacity() -> int:
    """Lines kept in memory: ARCTUI_LOG_BUFFER, else the default."""
    value = os.environ.get("ARCTUI_LOG_BUFFER", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_CAPACITY


class LogsArrived(Message):
    """The feed has lines (or a changed error) waiting."""


class TabLogView(LogView):
    """The LogView with the tab's movement keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "step(1)", "Down", show=False, id="logs.down"),
        Binding("up,k", "step(-1)", "Up", show=False, id="logs.up"),
        Binding("pagedown,ctrl+d", "page(1)", "Page down", show=False, id="logs.page_down"),
        Binding("pageup,ctrl+u", "page(-1)", "Page up", show=False, id="logs.page_up"),
        Binding("home,g", "top", "Top", show=False, id="logs.top"),
        Binding("end,G", "live", "Live", key_display="G", id="logs.live"),
    ]

    def action_step(self, delta: int) -> None:
        self.step(delta)

    def action_page(self, direction: int) -> None:
        self.step(direction * max(1, self.scrollable_content_region.height - 1))

    def action_top(self) -> None:
        self.move_cursor(0)

    def action_live(self) -> None:
        self.go_live()


class LogsTab(Vertical):
    """Logs of every container of the stack, merged in time order."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="logs.search"),
        Binding("n", "find(1)", "Next", show=False, id="logs.next"),
        Binding("N", "find(-1)", "Prev", show=False, key_display="N", id="logs.prev"),
        Binding("o", "only_matching", "Only matching", show=False, id="logs.only_matching"),
        Binding("R", "regex", "Regex", show=False, key_display="R", id="logs.regex"),
        Binding("C", "case", "Case", show=False, key_display="C", id="logs.case"),
        Binding("L", "level", "Level", key_display="L", id="logs.level"),
        # Several engines: the search's `engine:NAME` word, to the next engine and back.
        Binding("E", "cycle_engine", "Engine", show=False, key_display="E", id="logs.engine"),
        Binding("f", "focus_service", "Service", show=False, id="logs.focus_service"),
        Binding("space", "pause", "Pause", id="logs.pause"),
        Binding("t", "timestamps", "Time", show=False, id="logs.timestamps"),
        Binding("w", "wrap", "Wrap", show=False, id="logs.wrap"),
        Binding("v", "select", "Select", show=False, id="logs.select"),
        Binding("y", "copy", "Copy", show=False, id="logs.copy"),
        Binding("s", "save(False)", "Save view", show=False, id="logs.save"),
        Binding("S", "save(True)", "Save all", show=False, key_display="S", id="logs.save_all"),
        Binding("Q", "logql", "LogQL", show=False, key_display="Q", id="logs.logql"),
        Binding("escape", "close", "Close", show=False, id="logs.close"),
    ]

    def __init__(self, session: Session, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.session = session
        self.buffer = LogBuffer(buffer_capacity())
        self.shown: SortedLines | None = None  # None: every buffered line is shown
        self.feed: LogFeed | FleetFeed | None = None
        self.engine: str | None = None  # the `engine:NAME` word (several engines only)
        self.pattern = ""
        self.regex = False
        self.case = "smart"
        self.level: Level | None = None
        self.only_matching = False
        self.service: str | None = None
        self.timestamps = True
        self.wrap = False
        self.flt = LineFilter()
        self.new_below = 0
        self.containers = 0  # containers (service tags) whose lines arrived
        self._writers: set[str] = set()
        self._last_drain = 0.0
        self._drain_timer: Timer | None = None
        self._saving_all = False
        self._tag_width = 8
        self._production: frozenset[str] = frozenset()  # production engines (several engines)

    def compose(self) -> ComposeResult:
        yield Static(id="logs-status", markup=False)
        yield Input(placeholder="search (Enter applies, Esc cancels)", id="logs-search")
        yield Input(placeholder="save to file (Enter writes, Esc cancels)", id="logs-save")
        yield TabLogView(id="logs-view")

    @property
    def view(self) -> LogView:
        """The log lines widget."""
        return self.query_one("#logs-view", LogView)

    def on_mount(self) -> None:
        self.query_one("#logs-search").display = False
        self.query_one("#logs-save").display = False
        self.watch(self.app, "theme", lambda _t: self._restyle(), init=False)
        self._restyle()
        self._status()

    def on_show(self) -> None:
        if self.feed is None:
            self._start()
        self.view.focus()

    def _start(self) -> None:
        window, hold = LogWindow(tail=TAIL), partial(answering_key, self.app)
        if shell(self.app).multi_engine:  # one feed per engine, each with its own errors
            fleet = self.session.fleet.all
            self._production = frozenset(s.engine_name for s in fleet if s.production)
            self.feed = FleetFeed(fleet, window, self.buffer.capacity, self._ready, hold)
            self._restyle()
        else:
            source, maker = session_source(self.session), session_maker(self.session)
            self.feed = LogFeed(source, (), window, maker, self.buffer.capacity, self._ready, hold)
        self.feed.start()

    def _ready(self) -> None:
        """Feed thread: lines wait (posted once until taken)."""
        self.post_message(LogsArrived())

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.stop()

    # --- lines arriving ------------------------------------------------------------------
    def on_logs_arrived(self, _message: LogsArrived) -> None:
        now = time.monotonic()
        wait = max(
            DRAIN_GAP - (now - self._last_drain),
            KEY_FIRST - (now - shell(self.app).last_key_at),
        )
        if wait > 0:
            if self._drain_timer is None:
                self._drain_timer = self.set_timer(wait, self._drain)
            return
        self._drain()

    def _drain(self) -> None:
        self._drain_timer = None
        self._last_drain = time.monotonic()
        if self.feed is None:
            return
        batch = self.feed.take()
        self.buffer.discard_incoming(batch.dropped)
        shown = self.shown
        place = self.view.place()  # before the lines change: indexes shift under it
        first = len(shown) if shown is not None else 0  # subset: lowest index inserted at
        added = 0

        def inserted(line: LogLine, appended: bool) -> None:
            nonlocal added, first
            if shown is None:
                added += 1
            elif self._passes(line):
                first = min(first, shown.add(line, appended))
                added += 1

        evicted = self.buffer.add(batch.lines, inserted)
        if shown is None:
            first, removed = self.buffer.unmoved, len(evicted)
        else:
            removed = shown.evict(evicted)
            first -= removed
        self.view.changed(place, removed, first)
        cap = FLEET_TAG_CAP if isinstance(self.feed, FleetFeed) else TAG_CAP
        prod = self._production
        widest = min(cap, max((tag_width(x.source, prod) for x in batch.lines), default=0))
        if widest > self._tag_width:  # capped on both sides: a wider name restyles once
            self._tag_width = widest
            self._restyle()
        if not self.view.live:
            self.new_below += added
        self._writers.update(x.source for x in batch.lines)  # a recreated container: same tag
        self.containers = len(self._writers)
        self._status()

    def _passes(self, line: LogLine) -> bool:
        if self.service is not None and line.service != self.service:
            return False
        if self.engine is not None and not engine_matches(self.engine, line_engine(line) or ""):
            return False
        if self.level is not None and (line.level is None or line.level < self.level):
            return False
        return not (self.only_matching and self.pattern) or self.flt.matches(line)

    # --- showing ---------------------------------------------------------------------------
    def _refilter(self) -> None:
        """The filter changed: rebuild the shown subset (or show the whole buffer)."""
        if (
            self.service is None
            and self.engine is None
            and self.level is None
            and not (self.only_matching and self.pattern)
        ):
            self.shown = None
            self.view.show(self.buffer.lines)
        else:
            self.shown = SortedLines([x for x in self.buffer if self._passes(x)])
            self.view.show(self.shown.lines)
        self._status()

    def _restyle(self) -> None:
        look = LineLook(
            self.timestamps,
            self._tag_width,
            look_colours(self.app.get_css_variables()),
            self._production,
        )
        self.view.restyle(look, self.flt if self.pattern else None, self.wrap)
        if self.view.lines is not (self.shown.lines if self.shown else self.buffer.lines):
            self._refilter()

    def _status(self) -> None:
        feed = self.feed
        info = StatusInfo(
            containers=self.containers,
            lines=len(self.buffer),
            shown=len(self.view.lines),
            dropped=self.buffer.dropped,
            live=self.view.live,
            new_below=self.new_below,
            filter_text=self._filter_text(),
            only_matching=self.only_matching,
            wrap=self.wrap,
            timestamps=self.timestamps,
            loading=feed is None or not feed.history_loaded,
            error=self._feed_error(),
            lost=self.view.lost,
        )
        self.query_one("#logs-status", Static).update(status_text(info))
        empty = empty_text(info)
        if empty != self.view.empty_text:
            self.view.empty_text = empty
            self.view.refresh()

    def _feed_error(self) -> str:
        """Why lines cannot be read; over several engines, each failing engine's own."""
        feed = self.feed
        if isinstance(feed, FleetFeed):
            errors = feed.errors()
            return " · ".join(f"engine {n}: {one_line(r, 100)}" for n, r in errors)
        return one_line(feed.error.reason, 120) if feed and feed.error else ""

    def _filter_text(self) -> str:
        parts = []
        if self.engine is not None:
            parts.append(f"engine {self.engine}")
        if self.pattern:
            kind = "regex" if self.regex else "text"
            parts.append(f"search {self.pattern!r} ({kind}, {self.case} case)")
        if self.level is not None:
            parts.append(f"level ≥ {self.level.name}")
        if self.service is not None:
            parts.append(f"service {self.service}")
        return " · ".join(parts) or "no filter (/ search, L level)"

    def on_log_view_moved(self, _message: LogView.Moved) -> None:
        if self.view.live:
            self.new_below = 0
        self._status()

    # --- actions -------------------------------------------------------------------------
    def action_search(self) -> None:
        """Open the search box."""
        box = self.query_one("#logs-search", Input)
        box.value = " ".join(p for p in (self._engine_word(), self.pattern) if p)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "logs-search":
            self._apply_search(event.value)
        elif event.input.id == "logs-save":
            self._save(event.value)
        event.input.display = False
        self.view.focus()

    def _set_filter(self, pattern: str, regex: bool, case: str) -> bool:
        try:
            flt = LineFilter(pattern, regex=regex, case=case)
        except FilterError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        self.flt, self.pattern, self.regex, self.case = flt, pattern, regex, case
        self._restyle()
        self._refilter()
        return True

    def _engine_word(self) -> str:
        return f"{FILTER_WORD}{self.engine}" if self.engine is not None else ""

    def _apply_search(self, pattern: str) -> None:
        if isinstance(self.feed, FleetFeed):  # `engine:NAME` limits the lines to an engine
            self.engine, pattern = parse_filter(pattern)
        if self._set_filter(pattern, self.regex, self.case) and pattern:
            self.action_find(-1 if self.view.live else 1)

    def action_find(self, direction: int) -> None:
        """Move to the next (1) or previous (-1) line matching the search."""
        compiled = self.flt.compiled
        lines = self.view.lines
        if compiled is None or not lines:
            self.notify("no search: press / first", timeout=2)
            return
        cursor = self.view.cursor
        start = (len(lines) if direction < 0 else -1) if cursor is None else cursor
        i = start + direction
        while 0 <= i < len(lines):
            if compiled.search(lines[i].text):
                self.view.move_cursor(i)
                return
            i += direction
        self.notify("no more matches", timeout=2)

    def action_only_matching(self) -> None:
        """Show only the lines matching the search, or all lines with matches highlighted."""
        self.only_matching = not self.only_matching
        self._refilter()

    def action_regex(self) -> None:
        """Treat the search as a regular expression, or as plain text."""
        self._set_filter(self.pattern, not self.regex, self.case)

    def action_case(self) -> None:
        """Cycle the case mode: smart, sensitive, insensitive."""
        modes = ("smart", "sensitive", "insensitive")
        self._set_filter(self.pattern, self.regex, modes[(modes.index(self.case) + 1) % 3])

    def action_level(self) -> None:
        """Cycle the minimum level: all, ERROR, WARN, INFO, DEBUG."""
        self.level = LEVEL_CYCLE[(LEVEL_CYCLE.index(self.level) + 1) % len(LEVEL_CYCLE)]
        self._refilter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cycle_engine":  # one engine: the key is off (help says why)
            return shell(self.app).multi_engine
        return True

    def action_cycle_engine(self) -> None:
        """Only the next engine's lines (after the last one, every engine's again)."""
        names = list(self.session.fleet.names)
        self.engine = parse_filter(next_filter(self._engine_word(), names))[0]
        self._refilter()
        self.notify(f"engine {self.engine}" if self.engine else "every engine", timeout=2)

    def action_focus_service(self) -> None:
        """Only the selected line's service, or every service again."""
        if self.service is not None:
            self.service = None
        else:
            chosen = self.view.selection()
            if not chosen:
                self.notify("select a line first (↑ or click)", timeout=2)
                return
            self.service = chosen[0].service
        self._refilter()

    def action_pause(self) -> None:
        """Stop the view moving (lines keep arriving), or follow again."""
        if self.view.live:
            self.view.step(0)
        else:
            self.view.go_live()

    def action_timestamps(self) -> None:
        """Show or hide the time column."""
        self.timestamps = not self.timestamps
        self._restyle()
        self._status()

    def action_wrap(self) -> None:
        """Fold long lines, or scroll sideways."""
        self.wrap = not self.wrap
        self._restyle()
        self._status()

    def action_select(self) -> None:
        """Start (or drop) a selection of several lines at the cursor."""
        view = self.view
        view.mark = None if view.mark is not None or view.cursor is None else view.cursor
        view.refresh()

    def action_copy(self) -> None:
        """Copy the selected line(s) to the clipboard (OSC 52: works over SSH)."""
        chosen = self.view.selection()
        if not chosen:
            self.notify("select a line first (↑ or click; v selects several)", timeout=3)
            return
        self.app.copy_to_clipboard("\n".join(format_line(x) for x in chosen))
        self.notify(f"copied {len(chosen)} line{'s' if len(chosen) > 1 else ''}", timeout=2)

    def action_save(self, whole: bool) -> None:
        """Ask where to save the lines shown (or the whole buffer)."""
        self._saving_all = whole
        box = self.query_one("#logs-save", Input)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        box.value = str(Path.cwd() / f"arctui-logs-{stamp}.log")
        box.display = True
        box.focus()

    def _save(self, value: str) -> None:
        path = Path(value.strip()).expanduser()
        lines = list(self.buffer) if self._saving_all else list(self.view.lines)
        try:
            count = save_lines(lines, path)
        except OSError as exc:
            self.notify(f"could not save: {exc}", severity="error", markup=False)
            return
        self.notify(f"saved {count} lines to {path} (mode 0600)", timeout=4, markup=False)

    def action_logql(self) -> None:
        """LogQL over Loki: not built."""
        self.notify(
            "LogQL over Loki is not built yet; this tab reads the engine's logs. "
            "Loki's own lines show under its service (press f on one).",
            timeout=5,
        )

    def action_close(self) -> None:
        """Escape: close a box, then drop a selection."""
        for box_id in ("#logs-search", "#logs-save"):
            box = self.query_one(box_id, Input)
            if box.display:
                box.display = False
                self.view.focus()
                return
        if self.view.mark is not None:
            self.view.mark = None
            self.view.refresh()

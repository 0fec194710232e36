"""The Resources tab: a live top-like table of every container, host strip, history charts.

It polls its own source on a thread worker, at full rate only while visible (every 15 s
while hidden, to keep the history going), never two reads at once. Engine events (start,
die, oom ...) ask for an early read. Only what changed is repainted: table rows through
StatsTable, chart lines through LineView, and no layout pass unless a text's shape
changed, so a steady view costs little CPU and few bytes over SSH.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static

from arctui.models import SourceFailure
from arctui.tabs.resources.models import ResourcesSnapshot, VolumesSnapshot
from arctui.tabs.resources.rates import History
from arctui.tabs.resources.source import ResourcesSource
from arctui.tabs.resources.view.charts import render_charts, update_text
from arctui.tabs.resources.view.fleet import FleetUsage
from arctui.tabs.resources.view.polling import (
    HISTORY_WINDOW,
    EngineChanged,
    ResourcesFeed,
    bench_log,
    bench_log_path,
)
from arctui.tabs.resources.view.presenters import (
    COLUMNS,
    PRIORITY,
    SORT_KEYS,
    container_info,
    host_strip,
    oom_list,
    resource_row,
    visible_containers,
)
from arctui.ui.cells import Colours
from arctui.ui.colours import ThemeColours, on_theme_change
from arctui.ui.fleet_cells import ENGINE_COLUMN, EngineTag, next_filter, split_key
from arctui.ui.polling import SourceFailed, SourceUpdated
from arctui.ui.schedule import PollSchedule
from arctui.ui.shell import shell
from arctui.ui.widgets.filter_box import close_filter
from arctui.ui.widgets.line_view import LineView, text_lines
from arctui.ui.widgets.stats_table import Column, StatsTable
from arctui.units import duration

if TYPE_CHECKING:
    from arctui.session import Session


class ResourcesTab(Vertical):
    """Usage of every container of the project, refreshed while visible."""

    _ticker: Timer | None = None  # the tab's own timer: paused while hidden

    BINDINGS = [
        Binding("c", "sort('cpu')", "CPU", id="resources.sort_cpu"),
        Binding("m", "sort('mem')", "Mem", id="resources.sort_mem"),
        Binding("n", "sort('name')", "Name", id="resources.sort_name"),
        Binding("s", "next_sort", "Sort", show=False, id="resources.sort"),
        Binding("S", "reverse", "Reverse", show=False, key_display="S", id="resources.reverse"),
        Binding("slash", "filter", "Filter", id="resources.filter"),
        Binding("p", "pause", "Pause", id="resources.pause"),
        Binding("plus", "faster", "Faster", show=False, key_display="+", id="resources.faster"),
        Binding("minus", "slower", "Slower", show=False, key_display="-", id="resources.slower"),
        Binding("enter", "toggle_detail", "Charts", show=False, id="resources.detail"),
        Binding("escape", "close", "Close", show=False, id="resources.close"),
        Binding("E", "cycle_engine", "Engine", show=False, key_display="E", id="resources.engine"),
    ]

    def __init__(self, session: Session, interval: float = 1.0, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        source: ResourcesSource | None = session.resources
        self.session = session
        self.source = source
        self.clock = session.clock
        self.feed = ResourcesFeed(self, source, interval) if source else None
        self.schedule = self.feed.usage.schedule if self.feed else PollSchedule(interval)
        self.history = History()
        self.chart_window = HISTORY_WINDOW  # longer when the backfill came from a recording
        self.snapshot: ResourcesSnapshot | None = None
        self.volumes: VolumesSnapshot | None = None
        self.failure: SourceFailure | None = None
        self.sort_column = "cpu"
        self.sort_reverse = False
        self.query_text = ""
        self.selected: str | None = None
        self._sized = False
        self._header = ""
        self._palette = ThemeColours()
        self._bench = bench_log_path()
        self.interval = interval
        self.fleet: FleetUsage | None = None  # several engines: every engine's usage
        self._render_due = False

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter containers (Esc clears)", id="res-filter")
        yield LineView(id="res-host")
        yield StatsTable(id="res-table")
        with Horizontal(id="res-detail"):
            with Vertical(id="res-charts"):
                yield LineView(id="res-cpu")
                yield LineView(id="res-mem")
            with VerticalScroll(id="res-side"):
                yield Static(id="res-info")
                yield Static(id="res-oom")

    def on_mount(self) -> None:
        self.query_one("#res-filter").display = False
        self._render_host()
        on_theme_change(self, self.refresh_view)
        self._ticker = self.set_interval(1.0, self._tick, pause=True)  # runs while shown
        if self.feed is not None:
            self.feed.start()
        if shell(self.app).multi_engine and self.feed is not None:
            sessions = [s for s in self.session.fleet.all if s.resources is not None]
            self.fleet = FleetUsage(self, sessions, self.interval)
            self.fleet.start()

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.stop()
        if self.fleet is not None:
            self.fleet.stop()

    @property
    def schedules(self) -> list[PollSchedule]:
        """Every engine's usage schedule (pause and the rate keys act on all)."""
        feeds = self.fleet.feeds if self.fleet is not None else []
        return [self.schedule, *(f.usage.schedule for f in feeds)]

    def _render_soon(self) -> None:
        """Several engines read at about the same moment: one repaint for all of them."""
        if not self._render_due:
            self._render_due = True
            self.set_timer(0.2, self._render_now)

    def _render_now(self) -> None:
        self._render_due = False
        if self.is_shown():
            self.refresh_view()

    @property
    def table(self) -> StatsTable:
        """The containers table."""
        return self.query_one("#res-table", StatsTable)

    def is_shown(self) -> bool:
        """Whether this tab is the one shown (a hidden TabPane has display off)."""
        return all(n.display for n in self.ancestors_with_self if isinstance(n, Widget))

    def palette(self) -> Colours:
        """Semantic colours from the current theme."""
        return self._palette.get(self.app)

    # Polling ---------------------------------------------------------------------
    def _tick(self) -> None:
        if self.feed is not None and self.is_shown() and (self.schedule.paused or self.failure):
            self._render_host()  # the age of what is shown keeps growing

    def on_source_updated(self, message: SourceUpdated) -> None:
        usage = self.fleet.engine_of(message.source) if self.fleet is not None else None
        if usage is not None and self.fleet is not None:
            message.stop()
            self.fleet.updated(usage, *message.value)
            self._render_soon()
            if self._bench:  # another engine's readings: their age is measured too
                bench_log(self._bench, message.value[0], usage.name)
            return
        if message.source == "volumes":
            message.stop()
            self.volumes = message.value
            self._render_host()
            return
        if message.source != "resources":
            return
        message.stop()
        snapshot, past = message.value
        self.failure = None
        if past and snapshot.taken_at - past[0].taken_at > self.chart_window * 1.5:
            # A recording backs the charts: they reach back as far as it does.
            self.chart_window = snapshot.taken_at - past[0].taken_at
            self.history.window = self.chart_window
            self.history.thin = True
        self.history.extend(past)
        self.history.add(snapshot)
        self.snapshot = snapshot
        if self.fleet is not None:
            primary = self.fleet.primary
            primary.snapshot, primary.history, primary.rows = snapshot, self.history, None
            primary.failure = None
            self._render_soon()
        elif self.is_shown():
            self.refresh_view()
        if self._bench:
            bench_log(self._bench, snapshot)

    def on_source_failed(self, message: SourceFailed) -> None:
        usage = self.fleet.engine_of(message.source) if self.fleet is not None else None
        if usage is not None and self.fleet is not None:
            self.fleet.failed(usage, message.failure)
            self._render_soon()
            return
        if self.fleet is not None and message.source == "resources":
            self.fleet.failed(self.fleet.primary, message.failure)
        if message.source in ("resources", "volumes"):
            self.failure = message.failure
            self._render_host()

    def on_engine_changed(self, message: EngineChanged) -> None:
        message.stop()
        if self.fleet is not None and message.engine is not None:
            usage = self.fleet.engines.get(message.engine)
            if usage is not None and usage.feed is not None and self.is_shown():
                usage.feed.usage.request()
        elif self.feed is not None and self.is_shown():
            self.feed.usage.request()

    def on_hide(self) -> None:
        if self._ticker is not None:  # a hidden tab wakes nobody (at-rest benchmark)
            self._ticker.pause()

    def on_show(self) -> None:
        if self._ticker is not None:
            self._ticker.resume()
        if not self._sized:  # a short terminal shows the table first; Enter opens the charts
            self._sized = True
            self.query_one("#res-detail").display = self.app.size.height >= 34
        self.refresh_view()
        if self.feed is not None:
            self.feed.usage.request()
        for feed in self.fleet.feeds if self.fleet is not None else ():
            feed.usage.request()
        self.table.focus()

    # Rendering -------------------------------------------------------------------
    def refresh_view(self) -> None:
        """Redraw everything from the current snapshot."""
        self._render_host()
        self._render_table()
        self._render_detail()

    def _status(self) -> str:
        if self.source is None:
            return "no usage source in this session"
        parts = [self.snapshot.mode if self.snapshot else "", f"every {self.schedule.interval:g}s"]
        if self.snapshot is not None:
            age = self.clock() - (self.snapshot.oldest_sample or self.snapshot.taken_at)
            parts.append(f"data {age:.1f}s old" if age < 60 else f"data {duration(age)} old")
        if self.schedule.paused:
            parts.append("PAUSED (p)")
        if self.failure is not None:
            parts.append(f"STALE: {self.failure.reason}")
        parts += [f"STALE {line}" for line in (self.fleet.stale() if self.fleet else ())]
        return " · ".join(p for p in parts if p)

    def _render_host(self) -> None:
        # Several engines: the strip is the primary's host, and says so.
        s = self.session
        tag = EngineTag(s.engine_name, s.production) if self.fleet is not None else None
        text = host_strip(
            self.snapshot, self.volumes, self.clock(), self._status(), self.palette(), tag
        )
        self.query_one("#res-host", LineView).set_lines(text_lines(text))

    def _render_table(self) -> None:
        table = self.table
        multi = self.fleet is not None
        header = f"{self.sort_column}:{self.sort_reverse}:{multi}"
        if header != self._header:
            self._header = header
            # ▲ ascending, ▼ descending, as on the Services tab: numbers sort biggest
            # first, names A to Z, and S reverses either.
            ascending = (self.sort_column == "name") != self.sort_reverse
            arrow = " ▲" if ascending else " ▼"
            table.set_columns(
                [Column(key, label) for key, label in ((ENGINE_COLUMN,) if multi else ())]
                + [
                    Column(
                        key,
                        label + (arrow if key == self.sort_column else ""),
                        width,
                        priority=PRIORITY.get(key, 0),
                    )
                    for key, label, width in COLUMNS
                ]
            )
        if self.fleet is not None:
            self._render_fleet_table()
            return
        if self.snapshot is None:
            return
        palette, ncpu = self.palette(), self.snapshot.host.ncpu
        shown = visible_containers(
            self.snapshot, self.query_text, self.sort_column, self.sort_reverse
        )
        table.set_rows([resource_row(c, ncpu, palette) for c in shown], follow=self.selected)
        if self.snapshot.containers and not shown:
            table.set_empty_text(f"no running container matches the filter {self.query_text!r}")
        else:
            table.set_empty_text("no running container in this project (see the Services tab)")

    def _render_fleet_table(self) -> None:
        assert self.fleet is not None
        rows = self.fleet.rows(self.query_text, self.sort_column, self.sort_reverse, self.palette())
        table = self.table
        table.set_rows(rows, follow=self.selected)
        if self.fleet.total() and not rows:
            table.set_empty_text(f"no running container matches the filter {self.query_text!r}")
        else:
            table.set_empty_text("no running container in this project (see the Services tab)")

    def _render_detail(self) -> None:
        engine, key = split_key(self.selected)
        snap, history = self.snapshot, self.history
        if self.fleet is not None and engine in self.fleet.engines:
            usage = self.fleet.engines[engine]
            snap, history = usage.snapshot, usage.history
        if not self.query_one("#res-detail").display or snap is None:
            return
        now = self.clock()
        selected = snap.container(key or "")
        if selected is None and snap.containers:
            shown = visible_containers(snap, self.query_text, self.sort_column, self.sort_reverse)
            selected = shown[0] if shown else None
        render_charts(self, selected, history, now, self.palette(), self.chart_window)
        info = container_info(selected, snap.host.ncpu, now)
        if self.fleet is not None and engine is not None:  # same names on several engines
            info = Text.assemble((f"{engine} · ", "bold"), info)
        update_text(self.query_one("#res-info", Static), info)
        update_text(self.query_one("#res-oom", Static), oom_list(snap.oom_events, now))

    # Events and actions ------------------------------------------------------------
    def on_stats_table_highlighted(self, event: StatsTable.Highlighted) -> None:
        event.stop()
        self.selected = event.key
        self._render_detail()

    def on_stats_table_selected(self, event: StatsTable.Selected) -> None:
        event.stop()
        self.action_toggle_detail()

    def on_stats_table_header_clicked(self, event: StatsTable.HeaderClicked) -> None:
        event.stop()
        self.action_sort(event.column)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_text = event.value.strip()
        self._render_table()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def action_sort(self, column: str) -> None:
        """Sort by a column (biggest first); the same column again reverses."""
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self._render_table()

    def action_next_sort(self) -> None:
        """Sort by the next column."""
        i = SORT_KEYS.index(self.sort_column)
        self.action_sort(SORT_KEYS[(i + 1) % len(SORT_KEYS)])

    def action_reverse(self) -> None:
        """Reverse the sort order."""
        self.sort_reverse = not self.sort_reverse
        self._render_table()

    def action_filter(self) -> None:
        """Show the filter box and focus it."""
        box = self.query_one("#res-filter", Input)
        box.display = True
        box.focus()

    def action_close(self) -> None:
        """Escape: clear the filter first, then close the charts."""
        if close_filter(self.query_one("#res-filter", Input), self.table):
            return
        self.query_one("#res-detail").display = False

    def action_pause(self) -> None:
        """Pause or resume reading (every engine's)."""
        paused = not self.schedule.paused
        for schedule in self.schedules:
            schedule.paused = paused
        if not paused and self.feed is not None:
            self.feed.usage.request()
        self._render_host()

    def action_faster(self) -> None:
        """Shorter refresh interval."""
        steps = [s.step(faster=True) for s in self.schedules]
        self.notify(f"refresh every {steps[0]:g} s", timeout=2)
        self._render_host()

    def action_slower(self) -> None:
        """Longer refresh interval."""
        steps = [s.step(faster=False) for s in self.schedules]
        self.notify(f"refresh every {steps[0]:g} s", timeout=2)
        self._render_host()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.fleet is not None if action == "cycle_engine" else True

    def action_cycle_engine(self) -> None:
        """Show the next engine's containers only (then every engine's again)."""
        if self.fleet is None:
            return
        box = self.query_one("#res-filter", Input)
        box.value = next_filter(box.value, list(self.fleet.engines))
        box.display = bool(box.value)
        self.query_text = box.value.strip()
        self._render_table()
        self.table.focus()

    def action_toggle_detail(self) -> None:
        """Show or hide the charts of the selected container."""
        detail = self.query_one("#res-detail")
        detail.display = not detail.display
        self.call_after_refresh(self._render_detail)  # charts sized after the layout

    def on_resize(self) -> None:
        self.call_after_refresh(self._render_detail)

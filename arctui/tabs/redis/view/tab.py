"""The Redis tab: overview, persistence, charts, slowlog, big keys, live MONITOR, actions.

The overview is read by the one app poller (only while the tab is visible). The big-key
scan and MONITOR run on their own thread workers, on demand: both stop with `x`, when the
tab is left, and when the app quits; MONITOR also stops after its time limit. Every
string from Redis arrives already escaped (models) and is shown as plain `Text`.

Here: the layout, the keys, showing/hiding and the controls shared by the panels. The
parts are base.py (state, reading, panel switching), overview_panel.py, scan_panel.py,
monitor_panel.py and actions.py.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Log, Sparkline, Static

from arctui.tabs.redis.view.actions import RedisActions
from arctui.tabs.redis.view.base import MONITOR_BUFFER, SOURCE
from arctui.tabs.redis.view.monitor_panel import MonitorPanel
from arctui.tabs.redis.view.overview_panel import SLOWLOG_COLUMNS, OverviewPanel
from arctui.tabs.redis.view.scan_panel import BIGKEY_COLUMNS
from arctui.ui.colours import on_theme_change
from arctui.ui.polling import SourceFailed, SourceUpdated
from arctui.ui.widgets.table import ArcTable


# Each part is a RedisTabBase subclass; Textual finds their `on_*` and `action_*` in the MRO.
class RedisTab(OverviewPanel, MonitorPanel, RedisActions):
    """The project's Redis as the last read saw it."""

    _ticker: Timer | None = None  # the tab's own timer: paused while hidden

    BINDINGS = [
        # L, not l: the vim keymap moves to the next tab with l.
        Binding("L", "panel('slowlog')", "Slowlog", key_display="L", id="redis.slowlog"),
        Binding("b", "panel('bigkeys')", "Big keys", id="redis.bigkeys"),
        Binding("n", "scan", "Scan", id="redis.scan"),
        Binding("o", "sort", "Sort", show=False, id="redis.sort"),
        Binding("M", "monitor", "Monitor", show=False, key_display="M", id="redis.monitor"),
        Binding("x", "stop", "Stop", show=False, id="redis.stop"),
        Binding("slash", "filter", "Filter", show=False, id="redis.filter"),
        Binding("escape", "close", "Close", show=False, id="redis.close"),
        # Actions: each opens a confirmation; capitals, like every mutating key.
        Binding("W", "act('bgsave')", "BGSAVE", show=False, key_display="W", id="redis.bgsave"),
        Binding("D", "act('delete-key')", "Delete key", show=False, id="redis.delete"),
        Binding("C", "act('maxmemory')", "maxmemory", show=False, id="redis.maxmemory"),
        Binding("P", "act('maxmemory-policy')", "Policy", show=False, id="redis.policy"),
        Binding("Z", "act('slowlog-reset')", "Reset slowlog", show=False, id="redis.reset"),
    ]

    # Layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="redis-overview")
        with Horizontal(id="redis-charts"):
            with Vertical(classes="redis-chart"):
                yield Static("memory", id="redis-mem-label", classes="redis-chart-label")
                yield Sparkline([], id="redis-mem-chart", summary_function=max)
            with Vertical(classes="redis-chart"):
                yield Static("ops/s", id="redis-ops-label", classes="redis-chart-label")
                yield Sparkline([], id="redis-ops-chart", summary_function=max)
        yield Static(id="redis-panel-title")
        with ContentSwitcher(id="redis-panels", initial="redis-slowlog"):
            yield ArcTable(id="redis-slowlog", cursor_type="row", zebra_stripes=True)
            with Vertical(id="redis-bigkeys"):
                yield Static(id="redis-scan-status")
                yield Input(placeholder="filter keys (Esc clears)", id="redis-key-filter")
                yield ArcTable(id="redis-bigkeys-table", cursor_type="row", zebra_stripes=True)
                yield Static(id="redis-prefixes")
            with Vertical(id="redis-monitor"):
                yield Static(id="redis-monitor-status")
                yield Input(placeholder="filter commands (Esc clears)", id="redis-monitor-filter")
                yield Log(id="redis-monitor-log", max_lines=MONITOR_BUFFER)

    def on_mount(self) -> None:
        for table, columns in (
            (self.query_one("#redis-slowlog", ArcTable), SLOWLOG_COLUMNS),
            (self.query_one("#redis-bigkeys-table", ArcTable), BIGKEY_COLUMNS),
        ):
            for key, label in columns:
                table.add_column(label, key=key)
        self.query_one("#redis-key-filter").display = False
        self.query_one("#redis-monitor-filter").display = False
        self._render_overview()
        self._render_panel_title()
        self._render_scan()
        on_theme_change(self, self._restyle)
        self._ticker = self.set_interval(0.5, self._tick, pause=True)  # runs while shown
        self.poller.start()  # the first read comes when the tab is first shown

    def on_show(self) -> None:
        if self._ticker is not None:
            self._ticker.resume()
        self._focus_panel()
        self.poller.request()

    def on_hide(self) -> None:
        if self._ticker is not None:  # a hidden tab wakes nobody (at-rest benchmark)
            self._ticker.pause()
        self._stop_monitor("you left the Redis tab")
        if self._scan is not None:
            self._scan.stop.set()

    def on_unmount(self) -> None:
        self._stop_all("the view closed")
        self.poller.stop()
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()

    # Data -------------------------------------------------------------------------------

    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != SOURCE:
            return
        self.snapshot, self.failure = message.value, ""
        self._render_overview()
        self._render_slowlog()

    def _restyle(self) -> None:
        self._render_overview()
        self._render_slowlog()
        self._render_scan()

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != SOURCE:
            return
        f = message.failure
        self.failure = f.reason + (f"  fix: {f.fix}" if f.fix else "")
        self.failure += f"  (retry in {message.retry_in:.0f} s)"
        self._render_overview()

    # Ticking, stopping and filtering (both the scan and MONITOR) -------------------------

    def _tick(self) -> None:
        """Twice a second: drain MONITOR lines; stop MONITOR and the scan when hidden."""
        if self._monitor_stop is not None:
            if not self._is_shown():
                self._stop_monitor("you left the Redis tab")
            else:
                self._flush_monitor()
                self._render_monitor_status()
        if self._scan is not None and not self._is_shown():
            self._scan.stop.set()

    def _is_shown(self) -> bool:
        return all(n.display for n in self.ancestors_with_self if isinstance(n, Widget))

    def _stop_all(self, why: str) -> None:
        self._stop_monitor(why)
        if self._scan is not None:
            self._scan.stop.set()

    def action_stop(self) -> None:
        """Stop a running scan or MONITOR."""
        if self._scan is None and self._monitor_stop is None:
            self.notify("nothing is running", timeout=2)
        self._stop_all("stopped with x")

    def action_filter(self) -> None:
        """Filter the big keys or the MONITOR lines."""
        current = self.query_one("#redis-panels", ContentSwitcher).current
        box_id = "#redis-monitor-filter" if current == "redis-monitor" else "#redis-key-filter"
        if current == "redis-slowlog":
            self.action_panel("bigkeys")
        box = self.query_one(box_id, Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("redis-key-filter", "redis-monitor-filter"):
            self.filter_text = event.value.strip()
            if event.input.id == "redis-key-filter":
                self._render_scan()
            else:
                self._flush_monitor(rebuild=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._focus_panel()  # the filter stays; keys work again

    def action_close(self) -> None:
        """Escape: clear and hide a filter."""
        for box in self.query(Input).results(Input):
            if box.display:
                box.value = ""
                box.display = False
        self.filter_text = ""

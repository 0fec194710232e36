"""The Redis tab: overview, persistence, charts, slowlog, big keys, live MONITOR, actions.

The overview is read by the one app poller (only while the tab is visible). The big-key
scan and MONITOR run on their own thread workers, on demand: both stop with `x`, when the
tab is left, and when the app quits; MONITOR also stops after its time limit. Every
string from Redis arrives already escaped (models) and is shown as plain `Text`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Log, Sparkline, Static

from arctui.ops.redis_ops import POLICIES, RedisActionError, RedisPlan, plan_redis_action
from arctui.ops.runner import ActionResult, Outcome
from arctui.sources.base import SourceError
from arctui.tabs.redis.models import (
    BigKey,
    BigKeysResult,
    MonitorLine,
    RedisSnapshot,
    ScanProgress,
)
from arctui.tabs.redis.reader import RedisReader, reader_for
from arctui.tabs.redis.view.modals import RedisConfirmModal, ValueModal
from arctui.tabs.redis.view.presenters import (
    bigkey_row,
    overview_lines,
    palette_entries,
    parse_monitor,
    slowlog_row,
)
from arctui.text import one_line
from arctui.ui.colours import ThemeColours
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.ui.shell import shell
from arctui.ui.widgets.rows import sync_rows
from arctui.ui.widgets.table import ArcTable
from arctui.units import size

if TYPE_CHECKING:
    from arctui.session import Session

SOURCE = "redis"
MONITOR_LIMIT = 60.0  # seconds; MONITOR stops by itself after this
MONITOR_BUFFER = 2000  # lines kept
MONITOR_WARNING = (
    "MONITOR streams every command the server runs to arctui: on a busy server it can"
    " halve throughput. It stops after {limit:g} s, with x, or when you leave this view."
)
SLOWLOG_COLUMNS = (
    ("duration", "Duration"),
    ("age", "When"),
    ("client", "Client"),
    ("cmd", "Command"),
)
BIGKEY_COLUMNS = (("memory", "Memory"), ("type", "Type"), ("size", "Size"), ("key", "Key"))


def glob_escape(text: str) -> str:
    """Text for a SCAN MATCH pattern, matched literally."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


class ScanProgressed(Message):
    """The big-key scan moved on (posted from its worker)."""

    def __init__(self, progress: ScanProgress) -> None:
        super().__init__()
        self.progress = progress


class ScanFinished(Message):
    """The big-key scan ended (complete, stopped, or failed)."""

    def __init__(self, result: BigKeysResult | None, error: str = "") -> None:
        super().__init__()
        self.result = result
        self.error = error


class MonitorEnded(Message):
    """MONITOR ended: why."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why


class RedisTab(Vertical):
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

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.snapshot: RedisSnapshot | None = None
        self.failure: str = ""
        self.scan_result: BigKeysResult | None = None
        self.scan_progress: ScanProgress | None = None
        self.sort = "memory"
        self.filter_text = ""
        self.monitor_lines: deque[MonitorLine] = deque(maxlen=MONITOR_BUFFER)
        self.monitor_state = ""  # why the last MONITOR ended, or "running"
        self._reader: RedisReader | None = None
        self._rediscover = False
        self._reader_lock = threading.Lock()
        self._scan: Any = None
        self._monitor_stop: threading.Event | None = None
        self._monitor_seen = 0
        self._monitor_shown = 0
        self.scan_clock = time.monotonic  # tests pin it for stable pictures
        self._palette = ThemeColours()
        self.poller = Poller(self, SOURCE, self._read, interval=session.settings.refresh)

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

    def _focus_panel(self) -> None:
        current = self.query_one("#redis-panels", ContentSwitcher).current
        target = {
            "redis-slowlog": "#redis-slowlog",
            "redis-bigkeys": "#redis-bigkeys-table",
            "redis-monitor": "#redis-monitor-log",
        }.get(current or "", "#redis-slowlog")
        self.query_one(target).focus()

    def on_unmount(self) -> None:
        self._stop_all("the view closed")
        self.poller.stop()
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()

    # Reading (poller thread) ----------------------------------------------------------
    def _read(self) -> RedisSnapshot:
        with self._reader_lock:
            if self._reader is None or self._rediscover:
                fresh = reader_for(self.session)  # SourceError: retried with backoff
                if self._reader is not None:
                    fresh.adopt_history(self._reader)
                    self._reader.close()
                self._reader, self._rediscover = fresh, False
            reader = self._reader
        try:
            return reader.read()
        except SourceError as exc:
            # The container may come back on another published port: look again next time.
            self._rediscover = exc.reason.startswith("cannot connect")
            raise

    @property
    def source(self) -> Any:
        """The Redis connection, once discovered."""
        return self._reader.source if self._reader is not None else None

    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != SOURCE:
            return
        self.snapshot, self.failure = message.value, ""
        self._render_overview()
        self._render_slowlog()

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != SOURCE:
            return
        f = message.failure
        self.failure = f.reason + (f"  fix: {f.fix}" if f.fix else "")
        self.failure += f"  (retry in {message.retry_in:.0f} s)"
        self._render_overview()

    # Rendering ------------------------------------------------------------------------
    def _styles(self) -> dict[str, str]:
        """Theme colours usable in a Rich style (`ansi_bright_black` -> `bright_black`)."""
        return {k: v.removeprefix("ansi_") for k, v in self._palette.get(self.app).items()}

    def _render_overview(self) -> None:
        palette = self._styles()
        text = Text()
        if self.failure:
            text.append(
                "Redis not reachable: " + one_line(self.failure, 600), style=palette["down"]
            )
            if self.snapshot is not None:
                text.append("\n(last good reading below)\n", style=palette["muted"])
            elif self.failure:
                self.query_one("#redis-overview", Static).update(text)
                return
        if self.snapshot is None:
            text.append("connecting to Redis …", style=palette["muted"])
            self.query_one("#redis-overview", Static).update(text)
            return
        for i, line in enumerate(overview_lines(self.snapshot)):
            style = palette["degraded"] if line.startswith(("! ", "note:")) else ""
            if i:
                text.append("\n")
            text.append(one_line(line, 400), style=style)
        self.query_one("#redis-overview", Static).update(text)
        history = self.snapshot.history
        mem = [float(h[1]) for h in history]
        ops = [h[2] for h in history]
        charts = len(history) >= 2  # one point draws a misleading full bar
        for chart, data in (("#redis-mem-chart", mem), ("#redis-ops-chart", ops)):
            widget = self.query_one(chart, Sparkline)
            widget.data = data if charts else []
            widget.display = charts
        if mem:
            self.query_one("#redis-mem-label", Static).update(
                Text(f"memory {size(mem[-1])} (max {size(max(mem))})")
            )
            self.query_one("#redis-ops-label", Static).update(
                Text(f"ops/s {ops[-1]:,.0f} (max {max(ops):,.0f})")
            )

    def _render_slowlog(self) -> None:
        if self.snapshot is None:
            return
        table = self.query_one("#redis-slowlog", ArcTable)
        now = self.snapshot.taken_at
        rows = [
            (str(e.id), tuple(Text(c) for c in slowlog_row(e, now))) for e in self.snapshot.slowlog
        ]
        sync_rows(table, rows)

    def _render_panel_title(self) -> None:
        current = self.query_one("#redis-panels", ContentSwitcher).current or ""
        names = (
            ("redis-slowlog", "L slowlog"),
            ("redis-bigkeys", "b big keys"),
            ("redis-monitor", "M monitor"),
        )
        text = Text()
        for panel, label in names:
            text.append(f" {label} ", style="reverse bold" if panel == current else "")
            text.append(" ")
        self.query_one("#redis-panel-title", Static).update(text)

    def _visible_keys(self) -> list[BigKey]:
        if self.scan_result is None:
            return []
        ranked = (
            self.scan_result.by_elements()
            if self.sort == "elements"
            else self.scan_result.by_memory()
        )
        needle = self.filter_text.lower()
        return [k for k in ranked if needle in k.key.lower()] if needle else list(ranked)

    def _scan_status(self) -> Text:
        p, r = self.scan_progress, self.scan_result
        if self._scan is not None and p is not None:
            total = f" of ~{p.total:,}" if p.total else ""
            return Text(
                f"scanning … {p.scanned:,}{total} keys ({p.fraction:.0%}) in {p.elapsed:.1f} s"
                " · x stops (SCAN in small steps: the server stays responsive)"
            )
        if r is None:
            return Text(
                "n: scan for big keys (incremental SCAN, never KEYS); / then n: only keys"
                " containing the filter"
            )
        state = "complete" if r.complete else "stopped" if r.stopped else "incomplete"
        matching = f" matching {r.pattern}" if r.pattern else ""
        line = (
            f"{r.scanned:,} keys{matching} scanned in {r.elapsed:.1f} s ({state}) · sorted by"
            f" {self.sort} (o) · n scans again"
        )
        if r.error:
            line += f" · ended on: {one_line(r.error, 200)}"
        if r.memory_error:
            line += f" · {one_line(r.memory_error, 200)}"
        return Text(line)

    def _render_scan(self) -> None:
        r = self.scan_result
        self.query_one("#redis-scan-status", Static).update(self._scan_status())
        table = self.query_one("#redis-bigkeys-table", ArcTable)
        table.clear()
        for i, key in enumerate(self._visible_keys()):
            table.add_row(*(Text(c) for c in bigkey_row(key)), key=str(i))
        prefixes = Text()
        if r is not None and r.prefixes:
            prefixes.append("by prefix: ")
            prefixes.append(
                " · ".join(f"{p.prefix} {p.keys:,} keys {size(p.memory)}" for p in r.prefixes[:8])
            )
        self.query_one("#redis-prefixes", Static).update(prefixes)

    # Panels, scan and MONITOR ---------------------------------------------------------
    def action_panel(self, panel: str) -> None:
        """Show the slowlog, big keys or monitor panel."""
        switcher = self.query_one("#redis-panels", ContentSwitcher)
        if switcher.current == "redis-monitor" and panel != "monitor":
            self._stop_monitor("you left the monitor view")
        switcher.current = f"redis-{panel}"
        self._render_panel_title()
        self._focus_panel()

    def action_scan(self) -> None:
        """Start a big-key scan (one at a time)."""
        from arctui.tabs.redis.scan import BigKeyScan

        self.action_panel("bigkeys")
        if self._scan is not None:
            return
        if self.source is None:
            self.notify("Redis is not reachable yet", severity="warning")
            return
        # A filter in place narrows the scan itself (SCAN MATCH *filter*), not only the view.
        pattern = f"*{glob_escape(self.filter_text)}*" if self.filter_text else None
        scan = BigKeyScan(self.source, pattern=pattern, clock=self.scan_clock)
        self._scan, self.scan_progress = scan, ScanProgress(0, 0, 0.0)
        self._render_scan()

        def progressed(p: ScanProgress) -> None:
            self.post_message(ScanProgressed(p))

        def work() -> None:
            try:
                result = scan.run(progressed)
            except SourceError as exc:
                self.post_message(ScanFinished(None, exc.reason))
            else:
                self.post_message(ScanFinished(result))

        self.run_worker(work, thread=True, exit_on_error=False, group="redis-scan")

    def on_scan_progressed(self, message: ScanProgressed) -> None:
        self.scan_progress = message.progress
        if self._scan is not None:  # the status line only: the table waits for the result
            self.query_one("#redis-scan-status", Static).update(self._scan_status())

    def on_scan_finished(self, message: ScanFinished) -> None:
        self._scan = None
        if message.result is None:
            self.notify(f"big-key scan failed: {message.error}", severity="error", markup=False)
        else:
            self.scan_result = message.result
        self._render_scan()

    def action_monitor(self) -> None:
        """Open the MONITOR view and start streaming (bounded, time-limited)."""
        self.action_panel("monitor")
        if self._monitor_stop is not None:
            return
        if self.source is None:
            self.notify("Redis is not reachable yet", severity="warning")
            return
        stop = threading.Event()
        self._monitor_stop, self.monitor_state = stop, "running"
        self._render_monitor_status()
        source, lines = self.source, self.monitor_lines

        def on_line(raw: bytes) -> None:
            lines.append(parse_monitor(raw))
            self._monitor_seen += 1  # written by this worker only

        def work() -> None:
            try:
                why = source.monitor(on_line, stop, MONITOR_LIMIT)
            except SourceError as exc:
                why = f"failed: {exc.reason}"
            self.post_message(MonitorEnded(why))

        self.run_worker(work, thread=True, exit_on_error=False, group="redis-monitor")

    def on_monitor_ended(self, message: MonitorEnded) -> None:
        self._monitor_stop = None
        if self.monitor_state == "running":
            self.monitor_state = message.why
        self._flush_monitor()
        self._render_monitor_status()

    def _render_monitor_status(self) -> None:
        palette = self._styles()
        text = Text(MONITOR_WARNING.format(limit=MONITOR_LIMIT), style=palette["degraded"])
        state = self.monitor_state or "not running: M starts it"
        text.append(f"\nMONITOR: {one_line(state, 300)} · {len(self.monitor_lines):,} lines kept")
        self.query_one("#redis-monitor-status", Static).update(text)

    def _flush_monitor(self, rebuild: bool = False) -> None:
        """Write the lines that arrived since the last flush (all kept ones on rebuild)."""
        log = self.query_one("#redis-monitor-log", Log)
        seen = self._monitor_seen
        kept = list(self.monitor_lines)
        if rebuild:
            log.clear()
            new = kept
        else:
            new = kept[len(kept) - min(len(kept), seen - self._monitor_shown) :]
        self._monitor_shown = seen
        needle = self.filter_text.lower()
        out = [
            f"{time.strftime('%H:%M:%S', time.localtime(m.at))} {m.db:>2} {m.client:<21}"
            f" {m.command}"
            for m in new
            if not needle or needle in m.command.lower()
        ]
        if out:
            log.write_lines(out)

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

    def _stop_monitor(self, why: str) -> None:
        if self._monitor_stop is not None:
            self.monitor_state = f"stopped: {why}"
            self._monitor_stop.set()

    def _stop_all(self, why: str) -> None:
        self._stop_monitor(why)
        if self._scan is not None:
            self._scan.stop.set()

    def action_stop(self) -> None:
        """Stop a running scan or MONITOR."""
        if self._scan is None and self._monitor_stop is None:
            self.notify("nothing is running", timeout=2)
        self._stop_all("stopped with x")

    def action_sort(self) -> None:
        """Big keys: sort by memory or by element count."""
        self.sort = "elements" if self.sort == "memory" else "memory"
        self._render_scan()

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

    # Actions --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: the action keys are hidden from the footer and inert.
        return not (action == "act" and shell(self.app).actions_disabled)

    def selected_key(self) -> BigKey | None:
        """The big key under the cursor, if the big-keys table is shown."""
        if self.query_one("#redis-panels", ContentSwitcher).current != "redis-bigkeys":
            return None
        table = self.query_one("#redis-bigkeys-table", ArcTable)
        keys = self._visible_keys()
        row = table.cursor_row
        return keys[row] if 0 <= row < len(keys) else None

    def palette_commands(self) -> list[tuple[str, Any, str]]:
        """Palette entries named after what the tab sees now (read-only: none)."""
        if self.snapshot is None or self.source is None:
            return []
        if shell(self.app).actions_disabled:
            return []
        out = []
        for title, verb, key, help_text in palette_entries(self.snapshot, self.scan_result):
            run = partial(self._plan, verb, key=key) if key else partial(self.action_act, verb)
            out.append((title, run, help_text))
        return out

    def action_act(self, verb: str) -> None:
        """Plan a Redis action and open its confirmation."""
        if shell(self.app).mutation_busy:
            return
        if self.source is None or self.snapshot is None:
            self.notify("Redis is not reachable yet", severity="warning")
            return
        if verb == "delete-key":
            key = self.selected_key()
            if key is None:
                self.notify("select a key in the big keys view (b, n) first", severity="warning")
                return
            self._plan(verb, key=key)
        elif verb == "maxmemory":
            o = self.snapshot.overview
            hint = f"Now {size(o.maxmemory) if o.maxmemory else 'no limit'}, used"
            hint += f" {size(o.used_memory)}. Redis units: 512mb, 2gb, 0 = no limit."
            title = "New maxmemory (CONFIG SET maxmemory)"
            self.app.push_screen(ValueModal(title, hint), lambda v: self._valued(verb, v))
        elif verb == "maxmemory-policy":
            hint = f"Now {self.snapshot.overview.maxmemory_policy}. One of: {', '.join(POLICIES)}"
            title = "New maxmemory-policy (CONFIG SET maxmemory-policy)"
            self.app.push_screen(ValueModal(title, hint), lambda v: self._valued(verb, v))
        else:
            self._plan(verb)

    def _valued(self, verb: str, value: str | None) -> None:
        if value:
            self._plan(verb, value=value)

    def _plan(self, verb: str, value: str | None = None, key: BigKey | None = None) -> None:
        assert self.snapshot is not None
        o = self.snapshot.overview
        try:
            plan = plan_redis_action(
                self.session,
                self.source,
                verb,
                value=value,
                key=key,
                used_memory=o.used_memory,
                policy=o.maxmemory_policy,
            )
        except RedisActionError as exc:
            self.notify(str(exc), title=f"cannot {verb}", severity="error", markup=False)
            return
        audit = shell(self.app).audit
        source = self.source
        # The app's one confirmation path guards against a second modal.
        shell(self.app).confirm_mutation(
            plan.action,
            lambda: RedisConfirmModal(self.session, plan, source, audit),
            lambda result: self._action_closed(plan, result),
        )

    def _action_closed(self, plan: RedisPlan, result: ActionResult | None) -> None:
        if result is None or result.outcome is Outcome.DECLINED:
            return
        severity = "information" if result.ok else "error"
        self.notify(
            one_line(f"{plan.action.title}: {result.outcome} - {result.message}", 300),
            severity=severity,  # type: ignore[arg-type]
            markup=False,
        )
        if result.ok and plan.args[0] == "UNLINK" and self.scan_result is not None:
            gone = plan.args[1]
            r = self.scan_result
            self.scan_result = BigKeysResult(
                **{**r.__dict__, "keys": tuple(k for k in r.keys if k.raw != gone)}
            )
            self._render_scan()
        self.poller.request()

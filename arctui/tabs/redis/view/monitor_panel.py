"""The Redis tab's live MONITOR: its worker, the buffered flush to the log, its status."""

from __future__ import annotations

import threading
import time

from rich.text import Text
from textual.message import Message
from textual.widgets import Log, Static

from arctui.sources.base import SourceError
from arctui.tabs.redis.view.base import RedisTabBase
from arctui.tabs.redis.view.presenters import parse_monitor
from arctui.text import one_line

MONITOR_LIMIT = 60.0  # seconds; MONITOR stops by itself after this

MONITOR_WARNING = (
    "MONITOR streams every command the server runs to arctui: on a busy server it can"
    " halve throughput. It stops after {limit:g} s, with x, or when you leave this view."
)


class MonitorEnded(Message):
    """MONITOR ended: why."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why


class MonitorPanel(RedisTabBase):
    """RedisTab's MONITOR panel."""

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

"""What every part of the Redis tab shares: its state, the reading, panel switching.

The panels (overview, big keys, MONITOR, actions) are subclasses of this base, so each
sees the state typed; RedisTab puts them together with the layout and the keys.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Static

from arctui.sources.base import SourceError
from arctui.tabs.redis.models import BigKeysResult, MonitorLine, RedisSnapshot, ScanProgress
from arctui.tabs.redis.reader import RedisReader, reader_for
from arctui.ui.colours import ThemeColours
from arctui.ui.polling import Poller

if TYPE_CHECKING:
    from arctui.session import Session

SOURCE = "redis"

MONITOR_BUFFER = 2000  # lines kept


class RedisTabBase(Vertical):
    """The Redis tab's shared state and the calls every panel may make."""

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

    def _styles(self) -> dict[str, str]:
        """Theme colours usable in a Rich style (`ansi_bright_black` -> `bright_black`)."""
        return {k: v.removeprefix("ansi_") for k, v in self._palette.get(self.app).items()}

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

    def action_panel(self, panel: str) -> None:
        """Show the slowlog, big keys or monitor panel."""
        switcher = self.query_one("#redis-panels", ContentSwitcher)
        if switcher.current == "redis-monitor" and panel != "monitor":
            self._stop_monitor("you left the monitor view")
        switcher.current = f"redis-{panel}"
        self._render_panel_title()
        self._focus_panel()

    def _focus_panel(self) -> None:
        current = self.query_one("#redis-panels", ContentSwitcher).current
        target = {
            "redis-slowlog": "#redis-slowlog",
            "redis-bigkeys": "#redis-bigkeys-table",
            "redis-monitor": "#redis-monitor-log",
        }.get(current or "", "#redis-slowlog")
        self.query_one(target).focus()

    def _stop_monitor(self, why: str) -> None:
        if self._monitor_stop is not None:
            self.monitor_state = f"stopped: {why}"
            self._monitor_stop.set()

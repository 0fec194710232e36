"""The Redis tab's big-key scan: its worker, progress messages, table, filter and sort."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from arctui.sources.base import SourceError
from arctui.tabs.redis.models import BigKey, BigKeysResult, ScanProgress
from arctui.tabs.redis.view.base import RedisTabBase
from arctui.tabs.redis.view.presenters import bigkey_row
from arctui.text import one_line
from arctui.ui.widgets.table import ArcTable
from arctui.units import size

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


class ScanPanel(RedisTabBase):
    """RedisTab's big-key panel."""

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

    def action_sort(self) -> None:
        """Big keys: sort by memory or by element count."""
        self.sort = "elements" if self.sort == "memory" else "memory"
        self._render_scan()

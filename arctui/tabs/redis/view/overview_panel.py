"""The Redis tab's overview (text and charts) and its slowlog table."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Sparkline, Static

from arctui.tabs.redis.report import overview_lines
from arctui.tabs.redis.view.base import RedisTabBase
from arctui.tabs.redis.view.presenters import slowlog_row
from arctui.text import one_line
from arctui.ui.widgets.rows import sync_rows
from arctui.ui.widgets.table import ArcTable
from arctui.units import size

SLOWLOG_COLUMNS = (
    ("duration", "Duration"),
    ("age", "When"),
    ("client", "Client"),
    ("cmd", "Command"),
)


class OverviewPanel(RedisTabBase):
    """RedisTab's overview and slowlog rendering."""

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

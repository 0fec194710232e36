"""The Logs tab in a replay: the recorded log figures of the interval, not the lines.

The recorder keeps, per service and interval, how many lines and error lines were
written and the last few error lines (sanitized, redacted, capped). This view shows
those for the moment on screen; the live tab follows the engine, which a replay never
reads. Its poller's read is the frame's (`ui/polling.py` in a replay).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from arctui.text import one_line
from arctui.ui.widgets.recorded_view import RecordedView
from arctui.units import duration

if TYPE_CHECKING:
    from arctui.record.frame import LogCounts

SOURCE = "logs"
NAME_CAP = 30
LINE_CAP = 240


def counts_text(counts: LogCounts, at: float) -> Text:
    """The figures as a small table: service, lines, errors, then the last error lines."""
    from arctui.record.when import describe

    text = Text()
    text.append(
        f"Log figures over the {duration(counts.interval)} ending {describe(at)} "
        "(the recorder keeps counts and the last error lines, not every line)\n\n",
        style="dim",
    )
    names = sorted(counts.services)
    if not names:
        text.append("no service wrote a line in this interval")
        return text
    width = min(NAME_CAP, max(7, *(len(n) for n in names)))
    text.append(f"{'SERVICE':<{width}}  {'LINES':>7}  {'ERRORS':>7}\n", style="bold")
    for name in names:
        c = counts.services[name]
        style = "bold red" if c.errors else ""
        text.append(f"{one_line(name, width):<{width}}  {c.lines:>7}  ")
        text.append(f"{c.errors:>7}\n", style=style)
    errors = [(n, line) for n in names for line in counts.services[n].last_errors]
    if errors:
        text.append("\nLast error lines\n", style="bold")
        for name, line in errors:
            text.append(f"{one_line(name, NAME_CAP)}  ", style="bold")
            text.append(one_line(line, LINE_CAP) + "\n")
    return text


class ReplayLogsTab(RecordedView):
    """Recorded log figures of the moment shown."""

    SOURCE = SOURCE
    PREFIX = "logs"
    NOT_LIVE = "the recorded log figures are shown in a replay only"

    def render_value(self, value: Any) -> Text:
        frame = self.session.replay.frame if self.session.replay is not None else None
        return counts_text(value, frame.ts if frame is not None else self.session.clock())

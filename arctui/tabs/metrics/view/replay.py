"""The Metrics tab in a replay: the RED figures the recorder kept for the moment shown.

The recorder keeps, per sample and service, the request rate, the error rate and P95
(when the stack had a Prometheus); not the flow, Prometheus' own state, the charts or
operations, which a replay never reads live. A moment without them is the app's replay
notice ("nothing recorded for ..."). Its poller's read is the frame's (`ui/polling.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from arctui.tabs.metrics.report import latency, name, per_second
from arctui.text import one_line
from arctui.ui.widgets.recorded_view import RecordedView

if TYPE_CHECKING:
    from arctui.tabs.metrics.models import RecordedRed

SOURCE = "metrics"
NAME_CAP = 40


def recorded_text(red: RecordedRed) -> Text:
    """Service, requests/s, errors (share), P95, worst first, and where they came from."""
    from arctui.record.when import describe

    text = Text()
    text.append(
        f"RED figures over the {one_line(red.window, 10)} ending {describe(red.taken_at)}, "
        f"from {one_line(red.target, 80)} (the recorder keeps rate, errors and P95 per "
        "service; the flow, Prometheus' state and the charts are live only)\n\n",
        style="dim",
    )
    if not red.services:
        text.append("no service reported requests at that moment (no spanmetrics series)")
        return text
    width = min(NAME_CAP, max(7, *(len(s.name) for s in red.services)))
    text.append(f"{'SERVICE':<{width}}  {'REQ/S':>9}  {'ERRORS':>14}  {'P95':>10}\n", style="bold")
    for s in red.services:
        errors = f"{per_second(s.errors)} ({s.error_ratio:.1%})"
        style = "bold red" if s.error_ratio >= 0.05 else "yellow" if s.error_ratio >= 0.01 else ""
        text.append(f"{name(s.name, width):<{width}}  {per_second(s.rate):>9}  ")
        text.append(f"{errors:>14}", style=style)
        text.append(f"  {latency(s.p95, s.p95_capped):>10}\n")
    return text


class ReplayMetricsTab(RecordedView):
    """Recorded RED figures of the moment shown."""

    SOURCE = SOURCE
    PREFIX = "metrics"
    NOT_LIVE = "the recorded RED figures are shown in a replay only"

    def render_value(self, value: Any) -> Text:
        return recorded_text(value)

"""The Logs tab in a replay: the recorded log figures of the interval, not the lines.

The recorder keeps, per service and interval, how many lines and error lines were
written and the last few error lines (sanitized, redacted, capped). This view shows
those for the moment on screen; the live tab follows the engine, which a replay never
reads. Its poller's read is the frame's (`ui/polling.py` in a replay).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from arctui.sources.base import SourceError
from arctui.text import one_line
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.units import duration

if TYPE_CHECKING:
    from arctui.record.frame import LogCounts
    from arctui.session import Session

SOURCE = "logs"
NAME_CAP = 30
LINE_CAP = 240


def _not_live() -> Any:
    raise SourceError("the recorded log figures are shown in a replay only")


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


class ReplayLogsTab(Vertical):
    """Recorded log figures of the moment shown."""

    DEFAULT_CSS = """
    ReplayLogsTab #logs-replay-body { padding: 0 1; height: auto; }
    """

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.poller = Poller(self, SOURCE, _not_live, interval=1.0, hidden_interval=None)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="logs-replay"):
            yield Static(Text("reading the recording …"), id="logs-replay-body")

    def on_mount(self) -> None:
        self.poller.start()
        self.poller.request()

    def on_unmount(self) -> None:
        self.poller.stop()

    def on_show(self) -> None:
        self.poller.request()

    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != SOURCE:
            return
        message.stop()
        body = self.query_one("#logs-replay-body", Static)
        frame = self.session.replay.frame if self.session.replay is not None else None
        at = frame.ts if frame is not None else self.session.clock()
        body.update(counts_text(message.value, at))

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != SOURCE:
            return
        message.stop()
        body = self.query_one("#logs-replay-body", Static)
        body.update(Text(one_line(message.failure.reason, 300)))

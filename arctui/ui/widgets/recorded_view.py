"""A tab's replay view that shows one recorded text for the moment on screen.

Logs and Metrics keep figures in the recorder, not what their live tabs read; in a replay
they show a text built from the frame. Their poller's read is the frame's
(`ui/polling.py` in a replay); live, the read refuses. Subclasses name the poller's
source, the id prefix of their body, and how a recorded value becomes text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from arctui.sources.base import SourceError
from arctui.text import one_line
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated

if TYPE_CHECKING:
    from arctui.session import Session


class RecordedView(Vertical):
    """The recorded figures of the moment shown, as one text, read by the tab's poller."""

    DEFAULT_CSS = """
    RecordedView .recorded-body { padding: 0 1; height: auto; }
    """

    SOURCE: ClassVar[str]  # the poller's source name, the one the frame answers
    PREFIX: ClassVar[str]  # ids: PREFIX-replay (the scroll) and PREFIX-replay-body
    NOT_LIVE: ClassVar[str]  # why the read refuses outside a replay

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.poller = Poller(self, self.SOURCE, self._not_live, interval=1.0, hidden_interval=None)

    def _not_live(self) -> Any:
        raise SourceError(self.NOT_LIVE)

    def render_value(self, value: Any) -> Text:
        """The text of one recorded value."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with VerticalScroll(id=f"{self.PREFIX}-replay"):
            yield Static(
                Text("reading the recording …"),
                id=f"{self.PREFIX}-replay-body",
                classes="recorded-body",
            )

    def on_mount(self) -> None:
        self.poller.start()
        self.poller.request()

    def on_unmount(self) -> None:
        self.poller.stop()

    def on_show(self) -> None:
        self.poller.request()

    def _body(self) -> Static:
        return self.query_one(f"#{self.PREFIX}-replay-body", Static)

    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != self.SOURCE:
            return
        message.stop()
        self._body().update(self.render_value(message.value))

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != self.SOURCE:
            return
        message.stop()
        self._body().update(Text(one_line(message.failure.reason, 300)))

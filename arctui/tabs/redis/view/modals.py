"""The Redis tab's modals: a value prompt, and the shared confirmation running a Redis action.

`RedisConfirmModal` is the app's confirmation modal (same phases, typed names, Esc to
decline or stop, one audit line for every way out) with the lifecycle runner swapped
for `perform_redis`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from arctui.ops.runner import ActionResult, Outcome
from arctui.tabs.redis.actions import RedisPlan
from arctui.tabs.redis.perform import perform_redis
from arctui.ui.screens.confirm import ActionFinished, ConfirmActionModal

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.session import Session
    from arctui.sources.redis_client import RedisLike


class RedisConfirmModal(ConfirmActionModal):
    """Confirm, run and audit one Redis action."""

    def __init__(
        self, session: Session, plan: RedisPlan, source: RedisLike, audit: AuditLog | None
    ) -> None:
        super().__init__(session, plan.action, audit)
        self.plan = plan
        self.source = source

    def _work(self) -> None:
        try:
            result = perform_redis(
                self.session, self.plan, self.source, self.audit, self._output, self.cancel_event
            )
        except Exception as exc:  # a bug must not leave the modal spinning
            result = ActionResult(Outcome.FAILED, None, 0.0, (), f"unexpected error: {exc!r}")
        self.post_message(ActionFinished(result))


class ValueModal(ModalScreen[str | None]):
    """Ask for one value (maxmemory, policy); Enter accepts, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="redis.value_cancel")]
    DEFAULT_CSS = """
    ValueModal { align: center middle; }
    ValueModal > Vertical {
        width: 72; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    ValueModal Input { margin-top: 1; }
    """

    def __init__(self, title: str, hint: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.hint))
            yield Input(self.value, id="redis-value")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Escape: nothing is asked or run."""
        self.dismiss(None)

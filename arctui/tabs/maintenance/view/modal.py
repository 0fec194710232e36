"""The Maintenance tab's modals: the lifecycle confirmation running other work, and a prompt.

`MaintenanceModal` is the lifecycle's `ConfirmActionModal` (target, exact command, typed
words, live output, Stop cancels the process group, one audit line whichever way out) with
the work swapped: a prune or a runbook run, each of which passes the gate itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from arctui.ops.audit import AuditLog
from arctui.ops.lifecycle import Action
from arctui.ops.runner import ActionResult, Outcome
from arctui.session import Session
from arctui.text import one_line
from arctui.ui.screens.confirm import ActionFinished, ConfirmActionModal

Work = Callable[[Callable[[str], None], threading.Event], ActionResult]


class MaintenanceModal(ConfirmActionModal):
    """Confirm, then run `work(on_output, cancel)` (which goes through the gate)."""

    def __init__(self, session: Session, action: Action, audit: AuditLog | None, work: Work):
        super().__init__(session, action, audit)
        self.work = work

    def _work(self) -> None:
        try:
            result = self.work(self._output, self.cancel_event)
        except Exception as exc:  # a bug must not leave the modal spinning
            result = ActionResult(Outcome.FAILED, None, 0.0, (), f"unexpected error: {exc!r}")
        self.post_message(ActionFinished(result))


class VariablesPrompt(ModalScreen[str | None]):
    """Asks for `VAR=value ...` before a run is planned (Esc: nothing is run)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="maintenance.prompt_cancel")]
    DEFAULT_CSS = """
    VariablesPrompt { align: center middle; }
    VariablesPrompt #vars-dialog {
        width: 90%; max-width: 90; height: auto; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    VariablesPrompt Input { margin: 1 0 0 0; }
    """

    def __init__(self, name: str, initial: str = "") -> None:
        super().__init__()
        self.target_name = name
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="vars-dialog"):
            yield Static(Text(f"Variables for {one_line(self.target_name, 60)} (VAR=value ...)"))
            yield Input(self.initial, id="vars-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Close without running anything."""
        self.dismiss(None)

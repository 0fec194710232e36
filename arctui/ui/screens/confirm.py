"""The confirmation modal: target, exact command, typed names, then the live output.

Three phases: confirm (Cancel has focus; Escape declines) -> running (output streams
in; Stop or Escape cancels the whole process group) -> done (outcome shown; Close).
Every way out of it leaves exactly one audit line.

Small terminals: the dialog compacts (no margins, a shorter output box) and scrolls;
if the target, the command and the prompt still cannot all be shown, nothing may be
confirmed blind: the modal closes at once, refused and audited, and says why.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Log, Static

import arctui.ops.backups.unlock  # noqa: F401  (registers the production clean check)
from arctui.models import StackSnapshot
from arctui.ops.audit import AuditLog
from arctui.ops.gate import Gate
from arctui.ops.lifecycle import Action, ActionError, plan_action
from arctui.ops.perform import perform
from arctui.ops.runner import ActionResult, Outcome
from arctui.session import Session
from arctui.text import one_line

MAX_OUTPUT_LINES = 2000
_DONE_STYLE = {
    Outcome.OK: ("✔ done", "bold green"),
    Outcome.SIMULATED: ("◌ simulated", "bold yellow"),
    Outcome.FAILED: ("✖ failed", "bold red"),
    Outcome.CANCELLED: ("■ cancelled", "bold yellow"),
    Outcome.REFUSED: ("⊘ not run", "bold red"),
    Outcome.DECLINED: ("⊘ not run", "bold"),
}


class ActionOutput(Message):
    """One line of the running command's output (posted from the worker thread)."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class ActionFinished(Message):
    """The worker finished: checked, ran (or not) and audited."""

    def __init__(self, result: ActionResult) -> None:
        super().__init__()
        self.result = result


class ConfirmActionModal(ModalScreen[ActionResult | None]):
    """Asks before a mutation, runs it, shows the outcome."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]
    DEFAULT_CSS = """
    ConfirmActionModal { align: center middle; }
    ConfirmActionModal #confirm-dialog {
        width: 94%; max-width: 120; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmActionModal.destructive #confirm-dialog { border: thick $error; }
    ConfirmActionModal #confirm-title { text-style: bold; }
    ConfirmActionModal #confirm-command {
        background: $panel; color: $foreground; padding: 0 1; margin: 1 0 0 0;
    }
    ConfirmActionModal #confirm-consequence { color: $error; text-style: bold; }
    ConfirmActionModal .confirm-prompt { margin: 1 0 0 0; }
    ConfirmActionModal Input {
        width: 40; height: 1; border: none; padding: 0 1; background: $primary 15%;
    }
    ConfirmActionModal Input:focus { border: none; background: $primary 40%; }
    ConfirmActionModal #confirm-status { margin: 1 0 0 0; height: auto; }
    ConfirmActionModal #confirm-output { height: 8; border: round $primary; display: none; }
    ConfirmActionModal #confirm-buttons { height: 1; margin: 1 0 0 0; }
    ConfirmActionModal #confirm-buttons Button { margin: 0 2 0 0; min-width: 10; }
    ConfirmActionModal.compact #confirm-dialog { padding: 0; width: 100%; }
    ConfirmActionModal.compact #confirm-command,
    ConfirmActionModal.compact .confirm-prompt,
    ConfirmActionModal.compact #confirm-status,
    ConfirmActionModal.compact #confirm-buttons { margin: 0; }
    ConfirmActionModal.compact #confirm-output { height: 4; }
    """
    COMPACT_BELOW = (80, 24)  # (columns, rows) under which the dialog compacts

    def __init__(
        self,
        session: Session,
        action: Action,
        audit: AuditLog | None,
        snapshot: StackSnapshot | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.action = action
        self.audit = audit
        self.snapshot = snapshot
        self.phase = "confirm"  # confirm -> running -> done
        self.result: ActionResult | None = None
        self.cancel_event = threading.Event()
        self.set_class(action.destructive, "destructive")

    # Layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        a = self.action
        with VerticalScroll(id="confirm-dialog"):
            yield Static(self._title(), id="confirm-title")
            yield Static(self._where(), id="confirm-context")
            yield Static(Text(a.shown_command), id="confirm-command")
            consequence = Static(Text(a.consequence), id="confirm-consequence")
            consequence.display = bool(a.consequence)
            yield consequence
            if a.verb == "scale":
                yield Static(Text("Replicas (0-50):"), classes="confirm-prompt")
                yield Input(str(a.replicas), id="confirm-replicas", type="integer")
            for i, (what, word) in enumerate(a.confirmations):
                prompt = Text(f"Type the {what} to confirm: ")
                prompt.append(one_line(word, 80), style="bold")
                yield Static(prompt, classes="confirm-prompt")
                yield Input(id=f"confirm-word-{i}", classes="confirm-word")
            yield Static(id="confirm-status")
            yield Log(id="confirm-output", max_lines=MAX_OUTPUT_LINES)
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="confirm-cancel", variant="primary", compact=True)
                yield Button("Run", id="confirm-run", variant="error", compact=True)

    def on_mount(self) -> None:
        self._compact(self.app.size.width, self.app.size.height)
        self.call_after_refresh(self._check_fits)
        self.query_one("#confirm-status", Static).display = False
        # The safe choice: the typed-confirmation field when one is asked for (nothing can
        # run until the exact word is typed, and typing is what the operator must do next),
        # else Cancel.
        words = list(self.query(".confirm-word").results(Input))
        if words:
            words[0].focus()
        else:
            self.query_one("#confirm-cancel", Button).focus()

    def _compact(self, width: int, height: int) -> None:
        cols, rows = self.COMPACT_BELOW
        self.set_class(width < cols or height < rows, "compact")

    def on_resize(self, event: events.Resize) -> None:
        self._compact(event.size.width, event.size.height)
        self.call_after_refresh(self._check_fits)

    def fits(self) -> bool:
        """Whether the whole dialog (target, command, prompts, buttons) is on screen."""
        dialog = self.query_one("#confirm-dialog", VerticalScroll)
        return dialog.max_scroll_y == 0 and dialog.region.bottom <= self.size.height

    def _check_fits(self) -> None:
        if self.phase != "confirm" or not self.is_attached or self.fits():
            return
        w, h = self.app.size
        reason = (
            f"the terminal ({w}x{h}) is too small to show the target, the command and the"
            " confirmation together: nothing ran; enlarge it and ask again"
        )
        self.decline(reason, Outcome.REFUSED)
        self.app.notify(
            reason, title=f"{self.action.title}: refused", severity="error", markup=False
        )

    def decline(self, reason: str, outcome: Outcome = Outcome.DECLINED) -> None:
        """Close without running (Esc, quit, a terminal too small), audited once."""
        if self.phase != "confirm":
            return
        self.phase = "done"
        self.dismiss(Gate(self.session, self.action, self.audit).refuse(reason, outcome))

    def _title(self) -> Text:
        a = self.action
        title = Text()
        if a.production:
            title.append(" PRODUCTION ", style="bold reverse red")
            title.append(" ")
        if a.destructive:
            title.append(" DESTRUCTIVE ", style="bold reverse")
            title.append(" ")
        title.append(one_line(a.summary, 200))
        return title

    @property
    def busy(self) -> bool:
        """True while the command runs."""
        return self.phase == "running"

    def _where(self) -> Text:
        a = self.action
        text = Text()
        if self.session.fleet.multi:  # several engines: say which one this acts on
            name = one_line(self.session.engine_name, 32)
            text.append(f"engine {name}", style="bold reverse" if a.production else "bold")
            text.append(" · ")
        text.append(f"env {one_line(a.env, 30)} · project {one_line(a.project, 60)} · ")
        text.append(f"{a.scope} {one_line(a.target, 60)}", style="bold")
        if a.expected:
            text.append(f" · now {a.expected}")
        if a.simulated:
            text.append("\nDemo platform: the action is simulated; nothing runs on an engine.")
        return text

    def _status(self, text: Text | str) -> None:
        status = self.query_one("#confirm-status", Static)
        status.update(text)
        status.display = bool(str(text))

    # Confirm phase ------------------------------------------------------------
    @on(Input.Changed, "#confirm-replicas")
    def _replicas_changed(self, event: Input.Changed) -> None:
        value = event.value.strip()
        try:
            self.action = plan_action(
                self.session,
                "scale",
                self.action.target,
                snapshot=self.snapshot,
                replicas=int(value) if value.isdigit() else -1,
            )
        except ActionError as exc:
            self._status(Text(str(exc), style="bold red"))
            return
        self._status("")
        self.query_one("#confirm-command", Static).update(Text(self.action.shown_command))
        consequence = self.query_one("#confirm-consequence", Static)
        consequence.update(Text(self.action.consequence))
        consequence.display = bool(self.action.consequence)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "confirm-replicas":
            self.focus_next()
        else:
            self._run()

    @on(Button.Pressed, "#confirm-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._run()

    @on(Button.Pressed, "#confirm-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def _typed_mismatch(self) -> str | None:
        typed = [
            self.query_one(f"#confirm-word-{i}", Input).value
            for i in range(len(self.action.confirmations))
        ]
        return Gate(self.session, self.action, self.audit).typed_mismatch(typed)

    def _run(self) -> None:
        if self.phase != "confirm":
            return  # a second Run/Enter while it runs or after it ended does nothing
        if self.action.verb == "scale" and self.action.replicas is None:
            return
        if self.action.verb == "scale":
            value = self.query_one("#confirm-replicas", Input).value.strip()
            if not value.isdigit() or int(value) != self.action.replicas:
                self._status(Text("enter a replica count from 0 to 50", style="bold red"))
                return
        mismatch = self._typed_mismatch()
        if mismatch:
            self._finish(Gate(self.session, self.action, self.audit).refuse(mismatch))
            return
        if self.action.interactive:  # the app runs it on the terminal, and audits it
            self.phase = "done"
            self.dismiss(ActionResult(Outcome.OK, None, 0.0, (), "confirmed"))
            return
        self.phase = "running"
        for widget in self.query(".confirm-prompt, Input"):
            widget.display = False
        self.query_one("#confirm-run", Button).display = False
        self.query_one("#confirm-cancel", Button).label = "Stop"
        output = self.query_one("#confirm-output", Log)
        output.display = True
        output.focus()  # not a button: a second Enter must not press Stop
        self._status(Text("running … (Esc or Stop stops the command and its children)"))
        self.run_worker(self._work, thread=True, exit_on_error=False, group="action")

    # Running phase (worker thread) --------------------------------------------
    def _work(self) -> None:
        try:
            result = perform(
                self.session,
                self.action,
                self._output,
                self.cancel_event,
                self.audit,
            )
        except Exception as exc:  # a bug must not leave the modal spinning
            result = ActionResult(Outcome.FAILED, None, 0.0, (), f"unexpected error: {exc!r}")
        self.post_message(ActionFinished(result))

    def _output(self, line: str) -> None:
        self.post_message(ActionOutput(line))

    def on_action_output(self, message: ActionOutput) -> None:
        self.query_one("#confirm-output", Log).write_line(message.line)

    def on_action_finished(self, message: ActionFinished) -> None:
        self._finish(message.result)

    # Done phase ---------------------------------------------------------------
    def _finish(self, result: ActionResult) -> None:
        self.phase = "done"
        self.result = result
        label, style = _DONE_STYLE[result.outcome]
        text = Text(label, style=style)
        if result.outcome in (Outcome.OK, Outcome.FAILED, Outcome.CANCELLED):
            text.append(f" in {result.duration:.1f} s")
        if result.message:
            text.append(": " + one_line(result.message, 400))
        self._status(text)
        for widget in self.query(".confirm-prompt, Input"):
            widget.display = False
        output = self.query_one("#confirm-output", Log)
        output.display = bool(output.line_count) or result.outcome is Outcome.FAILED
        if result.outcome is Outcome.FAILED and not output.line_count:
            output.write_lines(result.output or (result.message,))
        self.query_one("#confirm-run", Button).display = False
        close = self.query_one("#confirm-cancel", Button)
        close.label = "Close"
        close.focus()

    def action_cancel(self) -> None:
        """Escape / Cancel: decline before, stop while running, close after."""
        if self.phase == "confirm":
            self.decline("declined at the confirmation")
        elif self.phase == "running":
            if not self.cancel_event.is_set():
                self.cancel_event.set()
                self._status(Text("cancelling: stopping the process group …", style="bold"))
        else:
            self.dismiss(self.result)

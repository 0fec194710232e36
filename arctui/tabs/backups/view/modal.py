"""The backup action modal: what will happen, typed names when needed, then live progress.

confirm (Cancel focused; Escape declines) -> running (progress lines stream; Escape or
Stop cancels) -> done (outcome; Close). Declines and typed mismatches are audited too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Log, Static

from arctui.ops.backups.run import Context, RunResult, confirmations, mutation, refuse
from arctui.ops.gate import typed_mismatch
from arctui.ops.runner import Outcome
from arctui.text import one_line
from arctui.ui.shell import shell

_DONE = {
    Outcome.OK: ("✔ done", "bold green"),
    Outcome.SIMULATED: ("◌ simulated", "bold yellow"),
    Outcome.FAILED: ("✖ FAILED", "bold red"),
    Outcome.CANCELLED: ("■ cancelled", "bold yellow"),
    Outcome.REFUSED: ("⊘ not run", "bold red"),
    Outcome.DECLINED: ("⊘ not run", "bold"),
}


@dataclass(frozen=True)
class BackupAction:
    """One requested operation: audit name, what it targets, what it does, how to run it."""

    action: str  # backup | backup-verify | backup-delete | backup-prune | restore | drill
    target: str
    summary: str
    command: str  # the equivalent headless command
    run: Callable[[Context], RunResult]
    consequence: str = ""
    destructive: bool = False


class Progressed(Message):
    """A progress line from the worker."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class Finished(Message):
    """The operation ended (audited)."""

    def __init__(self, result: RunResult) -> None:
        super().__init__()
        self.result = result


def confirm_backup(
    app: App[Any],
    ctx: Context,
    request: BackupAction,
    on_closed: Callable[[Any], None] | None = None,
) -> None:
    """Open the modal through the app's one confirmation path (checks on a worker)."""
    action = mutation(ctx.session, request.action, "backups", request.target, request.command)
    shell(app).confirm_mutation(
        action,
        lambda: BackupActionModal(ctx, request),
        on_closed,
        mutates=request.action != "backup-verify",  # verify only reads (runs in read-only)
    )


class BackupActionModal(ModalScreen[RunResult | None]):
    """Asks, runs on a thread, shows progress and the outcome."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="backups.modal_cancel")]
    DEFAULT_CSS = """
    BackupActionModal { align: center middle; }
    BackupActionModal #bk-dialog {
        width: 94%; max-width: 120; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    BackupActionModal.destructive #bk-dialog { border: thick $error; }
    BackupActionModal #bk-title { text-style: bold; }
    BackupActionModal #bk-command { background: $panel; padding: 0 1; margin: 1 0 0 0; }
    BackupActionModal #bk-consequence { color: $error; text-style: bold; }
    BackupActionModal .bk-prompt { margin: 1 0 0 0; }
    BackupActionModal Input { width: 40; height: 1; border: none; padding: 0 1;
        background: $primary 15%; }
    BackupActionModal Input:focus { border: none; background: $primary 40%; }
    BackupActionModal #bk-status { margin: 1 0 0 0; height: auto; }
    BackupActionModal #bk-output { height: 10; border: round $primary; display: none; }
    BackupActionModal #bk-buttons { height: 1; margin: 1 0 0 0; }
    BackupActionModal #bk-buttons Button { margin: 0 2 0 0; min-width: 10; }
    """

    def __init__(self, ctx: Context, request: BackupAction) -> None:
        super().__init__()
        self.ctx = ctx
        self.request = request
        self.words = confirmations(ctx.session, request.action)
        self.phase = "confirm"
        self.result: RunResult | None = None
        self.set_class(request.destructive, "destructive")

    @property
    def busy(self) -> bool:
        """True while the operation runs (the app will not quit under it)."""
        return self.phase == "running"

    def compose(self) -> ComposeResult:
        r, session = self.request, self.ctx.session
        title = Text()
        if session.production:
            title.append(" PRODUCTION ", style="bold reverse red")
            title.append(" ")
        if r.destructive:
            title.append(" DESTRUCTIVE ", style="bold reverse")
            title.append(" ")
        title.append(one_line(r.summary, 200))
        with Vertical(id="bk-dialog"):
            yield Static(title, id="bk-title")
            where = f"env {one_line(session.env, 30)} · project {one_line(session.project, 60)}"
            if session.demo:
                where += "\nDemo platform: simulated; nothing runs on an engine."
            yield Static(Text(where), id="bk-context")
            yield Static(Text(r.command), id="bk-command")
            consequence = Static(Text(r.consequence), id="bk-consequence")
            consequence.display = bool(r.consequence)
            yield consequence
            for i, (what, word) in enumerate(self.words):
                prompt = Text(f"Type the {what} to confirm: ")
                prompt.append(one_line(word, 80), style="bold")
                yield Static(prompt, classes="bk-prompt")
                yield Input(id=f"bk-word-{i}", classes="bk-word")
            yield Static(id="bk-status")
            yield Log(id="bk-output", max_lines=2000)
            with Horizontal(id="bk-buttons"):
                yield Button("Cancel", id="bk-cancel", variant="primary", compact=True)
                yield Button("Run", id="bk-run", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#bk-status", Static).display = False
        words = list(self.query(".bk-word").results(Input))
        (words[0] if words else self.query_one("#bk-cancel", Button)).focus()

    def _status(self, text: Text) -> None:
        status = self.query_one("#bk-status", Static)
        status.update(text)
        status.display = bool(str(text))

    def _refuse(self, reason: str, outcome: Outcome = Outcome.REFUSED) -> RunResult:
        r = self.request
        return refuse(self.ctx, r.action, r.target, r.command, reason, outcome)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._run()

    @on(Button.Pressed, "#bk-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._run()

    @on(Button.Pressed, "#bk-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def _run(self) -> None:
        if self.phase != "confirm":
            return
        typed = [self.query_one(f"#bk-word-{i}", Input).value for i in range(len(self.words))]
        r = self.request
        if mismatch := typed_mismatch(
            mutation(self.ctx.session, r.action, "backups", r.target, r.command), typed
        ):
            self._finish(self._refuse(mismatch))
            return
        self.phase = "running"
        for widget in self.query(".bk-prompt, Input"):
            widget.display = False
        self.query_one("#bk-run", Button).display = False
        self.query_one("#bk-cancel", Button).label = "Stop"
        output = self.query_one("#bk-output", Log)
        output.display = True
        output.focus()
        self._status(Text("running … (Esc or Stop cancels)"))

        def progress(line: str) -> None:
            self.post_message(Progressed(line))

        self.ctx.progress = progress
        self.run_worker(self._work, thread=True, exit_on_error=False, group="backups")

    def _work(self) -> None:
        try:
            result = self.request.run(self.ctx)
        except Exception as exc:  # a bug must not leave the modal spinning
            result = RunResult(
                self.request.action,
                self.request.target,
                Outcome.FAILED,
                f"unexpected error: {exc!r}",
            )
        self.post_message(Finished(result))

    def on_progressed(self, message: Progressed) -> None:
        self.query_one("#bk-output", Log).write_line(one_line(message.line, 400))

    def on_finished(self, message: Finished) -> None:
        self._finish(message.result)

    def _finish(self, result: RunResult) -> None:
        self.phase = "done"
        self.result = result
        label, style = _DONE[result.outcome]
        text = Text(label, style=style)
        if result.message:
            text.append(": " + one_line(result.message, 600))
        self._status(text)
        for widget in self.query(".bk-prompt, Input"):
            widget.display = False
        output = self.query_one("#bk-output", Log)
        for line in result.details:
            output.write_line(one_line(line, 400))
        output.display = bool(output.line_count)
        self.query_one("#bk-run", Button).display = False
        close = self.query_one("#bk-cancel", Button)
        close.label = "Close"
        close.focus()

    def action_cancel(self) -> None:
        """Escape / Cancel: decline before, stop while running, close after."""
        if self.phase == "confirm":
            self.phase = "done"
            self.dismiss(self._refuse("declined at the confirmation", Outcome.DECLINED))
        elif self.phase == "running":
            if not self.ctx.cancel.is_set():
                self.ctx.cancel.set()
                self._status(Text("cancelling: stopping the running command …", style="bold"))
        else:
            self.dismiss(self.result)

"""The blue-green wizard: check, start the new stack, wait for health, compare, tear down.

Every step that changes something shows its command, asks for the typed names the
confirmation rules require, runs through `ops.lifecycle.perform` (audited) and can be
stopped. Nothing is torn down unless the new stack was healthy just before. Closing
the wizard leaves both stacks as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Log, Static

from arctui.models import StackSnapshot
from arctui.ops import bluegreen as bg
from arctui.ops.audit import AuditLog
from arctui.ops.gate import Gate
from arctui.ops.lifecycle import Action
from arctui.ops.perform import perform
from arctui.session import Session
from arctui.sources.base import SourceError
from arctui.text import one_line


class StepDone(Message):
    """A worker step ended: the next phase, and what to say."""

    def __init__(self, phase: str, text: str, ok: bool, data: object = None) -> None:
        super().__init__()
        self.phase, self.text, self.ok, self.data = phase, text, ok, data


class Progress(Message):
    """One progress line from a worker."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class BlueGreenWizard(ModalScreen[None]):
    """Guided blue-green deployment of the current stack."""

    BINDINGS = [Binding("escape", "stop_or_close", "Stop/close", id="bluegreen.close")]
    DEFAULT_CSS = """
    BlueGreenWizard { align: center middle; }
    BlueGreenWizard > Vertical {
        width: 96%; max-width: 130; height: 96%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    BlueGreenWizard Input { width: 40; height: 1; border: none; background: $boost; }
    BlueGreenWizard #bg-body { height: auto; max-height: 12; }
    BlueGreenWizard #bg-command { background: $panel; padding: 0 1; }
    BlueGreenWizard #bg-log { height: 1fr; min-height: 4; border: round $primary; }
    BlueGreenWizard DataTable { height: auto; max-height: 10; }
    BlueGreenWizard #bg-buttons { height: 1; margin: 1 0 0 0; }
    BlueGreenWizard #bg-buttons Button { margin: 0 2 0 0; min-width: 10; }
    """

    def __init__(self, session: Session, audit: AuditLog | None) -> None:
        super().__init__()
        self.session = session
        self.audit = audit
        self.new: Session | None = None
        self.phase = "name"  # name -> start -> compare -> teardown -> done (or failed)
        self.busy = False
        self.cancel = threading.Event()
        self.pending: Action | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Blue-green: ", style="bold")
            title.append(f"run a second copy of {one_line(self.session.project, 60)} next to")
            title.append(" it, check it, then retire the old one.  Esc stops or closes.")
            yield Static(title)
            yield Static(Text("New project name:"))
            yield Input(bg.DEFAULT_NEW_PROJECT, id="bg-name")
            yield Static(id="bg-body")
            yield Static(id="bg-command")
            yield Static(id="bg-prompt")
            yield Input(id="bg-typed")
            yield DataTable(id="bg-compare", show_cursor=False)
            yield Log(id="bg-log", max_lines=2000)
            with Horizontal(id="bg-buttons"):
                yield Button("Close", id="bg-close", variant="primary", compact=True)
                yield Button("Check", id="bg-next", variant="warning", compact=True)

    def on_mount(self) -> None:
        for selector in ("#bg-command", "#bg-prompt", "#bg-typed", "#bg-compare"):
            self.query_one(selector).display = False
        self.query_one("#bg-close", Button).focus()

    # Helpers ------------------------------------------------------------------
    def _body(self, text: Text) -> None:
        self.query_one("#bg-body", Static).update(text)

    def _log(self, line: str) -> None:
        self.post_message(Progress(line))

    def on_progress(self, message: Progress) -> None:
        self.query_one("#bg-log", Log).write_line(message.line)

    def _offer(self, action: Action | None, button: str) -> None:
        """Show the next step's command, typed confirmations and button."""
        self.pending = action
        command = self.query_one("#bg-command", Static)
        prompt, typed = self.query_one("#bg-prompt", Static), self.query_one("#bg-typed", Input)
        command.display = action is not None
        needs = action.confirmations if action else ()
        prompt.display = typed.display = bool(needs)
        if action is not None:
            command.update(Text(action.shown_command))
        if needs:
            words = " then ".join(f"the {what} ({word})" for what, word in needs)
            prompt.update(Text(f"Type {words}, separated by spaces:"))
            typed.value = ""
        nxt = self.query_one("#bg-next", Button)
        nxt.label = button
        nxt.display = bool(button)

    def _work(self, job: Callable[[], None]) -> None:
        self.busy = True
        self.cancel.clear()
        self.query_one("#bg-next", Button).display = False
        self.query_one("#bg-close", Button).label = "Stop"
        self.query_one("#bg-log", Log).focus()
        self.run_worker(job, thread=True, exit_on_error=False, group="bluegreen")

    # Steps (main thread) --------------------------------------------------------
    @on(Button.Pressed, "#bg-next")
    def _next(self, event: Button.Pressed) -> None:
        event.stop()
        if self.busy:
            return
        if self.phase == "name":
            name = self.query_one("#bg-name", Input).value.strip()
            self.new = bg.new_session(self.session, name)
            self._work(self._check)
            return
        action = self.pending
        if action is None:
            return
        typed = self.query_one("#bg-typed", Input).value.split()
        wanted = [word for _, word in action.confirmations]
        if typed != wanted:
            Gate(self.session, action, self.audit).refuse(
                f"typed {' '.join(typed)!r}, not {' '.join(wanted)!r}: nothing was run"
            )
            self._body(Text("The typed names do not match: nothing was run.", style="bold red"))
            return
        job = {"start": self._start, "compare": self._teardown, "failed": self._remove_new}
        self._work(job[self.phase])

    def on_step_done(self, message: StepDone) -> None:
        self.busy = False
        self.query_one("#bg-close", Button).label = "Close"
        self.phase = message.phase
        self._body(Text(message.text, style="" if message.ok else "bold red"))
        assert self.new is not None
        if self.phase == "start":
            self.query_one("#bg-name", Input).disabled = True
            self._offer(bg.start_action(self.new), f"Start {self.new.project}")
        elif self.phase == "compare":
            if isinstance(message.data, tuple):  # fresh rows, and the teardown planned
                rows, teardown = message.data
                self._show_compare(rows)
                self._offer(teardown, f"Tear down {self.session.project}")
            else:
                self._offer(self.pending, f"Tear down {self.session.project}")
        elif self.phase == "failed":
            self._offer(self._remove_new_action(), f"Remove {self.new.project}")
        else:
            self._offer(None, "Check" if self.phase == "name" else "")
        self.query_one("#bg-close", Button).focus()

    def _show_compare(self, rows: list[bg.CompareRow]) -> None:
        table = self.query_one("#bg-compare", DataTable)
        table.clear(columns=True)
        assert self.new is not None
        old, new = one_line(self.session.project, 30), one_line(self.new.project, 30)
        table.add_columns("Service", f"{old} image", f"{old} state", f"{new} image", "state")
        for r in rows:
            cells = (r.service, r.old_image, r.old_state, r.new_image, r.new_state)
            table.add_row(*(Text(one_line(c, 60)) for c in cells))
        table.display = True

    def _remove_new_action(self) -> Action:
        from arctui.ops.lifecycle import plan_action

        assert self.new is not None
        snapshot = StackSnapshot(self.new.project, (), 0.0, "")
        return plan_action(self.new, "down", snapshot=snapshot)

    def action_stop_or_close(self) -> None:
        """Escape: stop the running step, else close (both stacks stay as they are)."""
        if self.busy:
            self.cancel.set()
            self._log("stopping …")
        else:
            self.dismiss(None)

    @on(Button.Pressed, "#bg-close")
    def _close(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_stop_or_close()

    # Steps (worker threads) ---------------------------------------------------
    def _check(self) -> None:
        assert self.new is not None
        try:
            result = bg.preflight(self.session, self.new)
        except SourceError as exc:
            self.post_message(StepDone("name", f"cannot check: {exc.reason}", False))
            return
        notes = "\n".join(f"• {note}" for note in result.notes)
        if result.blockers:
            text = "Cannot run both stacks side by side:\n" + "\n".join(
                f"✖ {b}" for b in result.blockers
            )
            self.post_message(StepDone("name", text, False))
            return
        text = f"Checks passed. Step 2: start the new stack.\n{notes}"
        self.post_message(StepDone("start", text, True))

    def _start(self) -> None:
        assert self.new is not None and self.pending is not None
        result = perform(self.new, self.pending, self._log, self.cancel, self.audit)
        if not result.ok:
            self.post_message(StepDone("failed", f"start failed: {result.message}", False))
            return
        ok, why = bg.wait_healthy(self.new, self.cancel, self._log)
        if not ok:
            text = f"{self.new.project} is not healthy ({why}); {self.session.project} untouched."
            self.post_message(StepDone("failed", text, False))
            return
        try:
            old = self.session.reader.read()
            rows = bg.compare(old, self.new.reader.read())
        except SourceError as exc:
            self.post_message(StepDone("failed", f"cannot compare: {exc.reason}", False))
            return
        teardown = bg.teardown_action(self.session, old)
        text = "Both stacks run. Switch traffic, then step 3: tear down the old stack."
        self.post_message(StepDone("compare", text, True, (rows, teardown)))

    def _teardown(self) -> None:
        assert self.new is not None and self.pending is not None
        try:
            waiting = bg.unready(self.new.reader.read())
        except SourceError as exc:
            waiting = [f"cannot read it: {exc.reason}"]
        if waiting:
            reason = f"{self.new.project} is no longer healthy: {', '.join(waiting)}"
            Gate(self.session, self.pending, self.audit).refuse(reason)
            self.post_message(StepDone("compare", f"Not torn down: {reason}", False))
            return
        result = perform(self.session, self.pending, self._log, self.cancel, self.audit)
        if result.ok:
            text = f"{self.session.project} is down; {self.new.project} now runs the platform."
            text += f" Manage it with: arctui -p {self.new.project}"
            self.post_message(StepDone("done", text, True))
        else:
            self.post_message(StepDone("compare", f"teardown: {result.message}", False))

    def _remove_new(self) -> None:
        assert self.new is not None and self.pending is not None
        result = perform(self.new, self.pending, self._log, self.cancel, self.audit)
        text = f"{self.new.project} removed." if result.ok else f"remove: {result.message}"
        self.post_message(StepDone("name" if result.ok else "failed", text, result.ok))

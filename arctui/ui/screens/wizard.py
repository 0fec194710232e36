"""The troubleshooting wizards (key D on the app, w from the health view).

Pick a wizard; it runs its checks step by step on a worker thread and shows what it
found with the evidence. Each fix is numbered: its digit offers it through the normal
path - a lifecycle verb goes to `request_action` (confirmation, audit, read-only
refusal), a command (a migration) through the same confirmation modal and `perform`,
advice is shown, never applied (arctui does not edit compose or env files).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from arctui.ops.doctor import WIZARDS, Wizard, run_wizard
from arctui.ops.doctor.context import DoctorContext
from arctui.ops.doctor.models import FOUND, OK, SKIPPED, Fix, Step, WizardResult
from arctui.ops.lifecycle import Action
from arctui.text import one_line
from arctui.ui.shell import shell

MARKS = {OK: ("✔", "green"), FOUND: ("✖", "bold red"), SKIPPED: ("-", "dim")}
MAX_FIXES = 9


def result_text(
    result: WizardResult, focus: str | None = None, start: int = 0, running: bool = False
) -> tuple[Text, list[Fix]]:
    """The wizard's steps, findings, evidence and fixes numbered from `start + 1`
    (`running`: its steps so far, and a line saying it goes on)."""
    out = Text()
    out.append(f"{result.title}\n", style="bold")
    if result.error:
        out.append(f"could not run: {one_line(result.error, 300)}\n", style="red")
    for step in result.steps:
        mark, style = MARKS.get(step.status, ("·", ""))
        out.append(f" {mark} ", style=style)
        out.append(one_line(step.name, 160))
        out.append(f"  {one_line(step.detail, 300)}\n" if step.detail else "\n", style="dim")
    fixes: list[Fix] = []
    if running:
        out.append(" … checking\n", style="italic")
        return out, fixes
    findings = sorted(result.findings, key=lambda f: (f.service != focus, f.severity != "error"))
    if not findings and not result.error:
        out.append("\nNothing found.\n", style="green")
    for f in findings:
        style = "bold red" if f.severity == "error" else "bold yellow"
        out.append(f"\n{f.severity.upper()} ", style=style)
        out.append(one_line(f.title, 300) + "\n", style="bold")
        for e in f.evidence:
            out.append(f"   │ {one_line(e, 400)}\n", style="dim")
        for fix in f.fixes:
            if fix.runnable and start + len(fixes) < MAX_FIXES:
                fixes.append(fix)
                out.append(f"   [{start + len(fixes)}] ", style="bold")
            else:
                out.append("   advice: ", style="italic")
            out.append(one_line(fix.label, 300))
            out.append(f"  ({one_line(' '.join(fix.command), 400)})\n" if fix.command else "\n")
    if fixes:
        out.append(
            "\nPress a fix's number to review it: nothing runs without your confirmation.\n",
            style="dim",
        )
    return out, fixes


class DoctorScreen(ModalScreen[None]):
    """Pick a wizard, see its checks and findings, offer its fixes."""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="doctor.close"),
        Binding("a", "run_all", "Run all", id="doctor.run_all"),
        *(
            Binding(str(n), f"fix({n})", f"Fix {n}", show=False, id=f"doctor.fix{n}")
            for n in range(1, MAX_FIXES + 1)
        ),
    ]
    DEFAULT_CSS = """
    DoctorScreen { align: center middle; }
    DoctorScreen > Horizontal {
        width: 96%; height: 94%; border: round $primary; background: $surface;
    }
    DoctorScreen OptionList { width: 34; height: 100%; border-right: solid $primary; }
    DoctorScreen VerticalScroll { width: 1fr; height: 100%; padding: 0 1; }
    """

    def __init__(self, session: Any, focus_service: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.focus_service = focus_service
        self.results: dict[str, WizardResult] = {}
        self.shown: str | None = None
        self.fixes: list[Fix] = []
        self._done: list[WizardResult] = []
        self._current: WizardResult | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(*(Option(w.title, id=w.id) for w in WIZARDS), id="doctor-list")
            with VerticalScroll():
                yield Static(self._intro(), id="doctor-result")

    @staticmethod
    def _intro() -> Text:
        out = Text("Troubleshooting wizards\n", style="bold")
        out.append("Enter runs the highlighted wizard's checks, a runs them all.\n"
                   "Checks only read: logs, health, limits, config, connections from inside"
                   " containers.\n", style="dim")  # fmt: skip
        return out

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        wizard = next(w for w in WIZARDS if w.id == event.option.id)
        self.run_wizards([wizard])

    def action_run_all(self) -> None:
        """Every wizard, one after the other."""
        self.run_wizards(list(WIZARDS))

    def run_wizards(self, wizards: list[Wizard]) -> None:
        """Run the checks on a worker thread; each step shows as soon as it is done."""
        self._done = []
        self._current = WizardResult(wizards[0].id, wizards[0].title)
        self._render_results()

        def step(wizard_id: str, done: Step) -> None:
            self.app.call_from_thread(self._step, wizard_id, done)

        def work() -> None:
            ctx = DoctorContext(self.session, on_step=step)
            try:
                for wizard in wizards:
                    self.app.call_from_thread(self._begin, wizard)
                    self.app.call_from_thread(self._finish, run_wizard(wizard, ctx))
            finally:
                ctx.close()

        self.run_worker(work, thread=True, exit_on_error=False, group="doctor", exclusive=True)

    def _begin(self, wizard: Wizard) -> None:
        self._current = WizardResult(wizard.id, wizard.title)
        self._render_results()

    def _step(self, wizard_id: str, step: Step) -> None:
        running = self._current
        if running is not None and running.id == wizard_id:
            self._current = replace(running, steps=(*running.steps, step))
            self._render_results()

    def _finish(self, result: WizardResult) -> None:
        self.results[result.id] = result
        self._done.append(result)
        self._current = None
        self._render_results()

    def _render_results(self) -> None:
        if not self.is_mounted:  # closed while the checks ran
            return
        text, fixes = Text(), list[Fix]()
        for r in self._done:
            part, found = result_text(r, self.focus_service, start=len(fixes))
            fixes += found
            text.append_text(part)
            text.append("\n")
        if self._current is not None:
            text.append_text(result_text(self._current, running=True)[0])
        self.fixes = fixes
        self.query_one("#doctor-result", Static).update(text)

    def action_fix(self, number: int) -> None:
        """Offer fix `number` through the normal confirmation path."""
        if not 1 <= number <= len(self.fixes):
            return
        offer_fix(self.app, self.session, self.fixes[number - 1])


def offer_fix(app: Any, session: Any, fix: Fix) -> None:
    """A fix through the path every action takes (refused in read-only, audited)."""
    if fix.kind == "lifecycle":
        app.request_action(fix.verb, fix.target or None)
        return
    if fix.kind == "command":
        offer_command(app, session, fix)
        return
    if fix.kind == "pg-setting":
        app.notify(f"Apply it from the Postgres tab's settings: {fix.target} = {fix.value}"
                   " (ALTER SYSTEM, confirmed and audited there)", title=one_line(fix.label, 80),
                   markup=False)  # fmt: skip
        return
    app.notify(
        one_line(fix.label, 300), title="advice (arctui does not edit your files)", markup=False
    )


def offer_command(app: Any, session: Any, fix: Fix) -> None:
    """An exact command (a migration) behind the confirmation modal, like a lifecycle verb."""
    from arctui.ops.guards import typed_confirmations
    from arctui.ui.screens.confirm import ConfirmActionModal

    host = shell(app)
    snapshot = host.current_snapshot()
    if snapshot is None or host.mutation_busy:
        return
    action = Action(
        verb=fix.verb or "run",
        scope="service",
        target=fix.target,
        project=session.project,
        env=session.env,
        command=fix.command,
        summary=fix.label,
        production=session.production,
        consequence="Runs a one-off container of the service with this command.",
        confirmations=typed_confirmations(session),
        cwd=str(session.spec.working_dir) if session.spec else None,
        simulated=session.demo,
    )
    host.confirm_mutation(
        action,
        lambda: ConfirmActionModal(session, action, host.audit, snapshot),
        lambda result: host.lifecycle_closed(action, result),
    )


def write_diagnostics(app: Any, session: Any) -> None:
    """Write the bundle into the working directory on a worker; say where, and what was masked.

    Writing a local file changes nothing on the stack: allowed in read-only mode too.
    """
    import time
    from pathlib import Path

    from arctui.ops.diagnostics import DiagnosticsError, write_bundle

    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(session.clock()))
    path = Path.cwd() / f"arc-diagnostics-{stamp}.tar.gz"
    app.notify(f"writing {path} ...", title="diagnostics", markup=False)

    def work() -> None:
        try:
            result = write_bundle(session, path)
        except DiagnosticsError as exc:
            message, severity = str(exc), "error"
        else:
            summary = result.report_lines()[0]
            message, severity = f"wrote {result.path} (0600): {summary}", "information"
        app.call_from_thread(
            app.notify, one_line(message, 400), title="diagnostics", severity=severity,
            markup=False, timeout=15,
        )  # fmt: skip

    app.run_worker(work, thread=True, exit_on_error=False, group="diagnostics")

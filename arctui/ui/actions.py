"""The app's action flow: keys, palette, tabs and wizards all end in `confirm_mutation`.

`ActionsApp` is the base class of ArcApp. It owns the stack-wide bindings, the
read-only switch (bindings hidden, palette empty, requests refused), the one-modal-at-
a-time guard, and the shell (the app suspends around `docker exec -it ... sh`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SuspendNotSupported
from textual.binding import Binding, BindingType, Keymap
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Static

import arctui.ops.backups.unlock  # noqa: F401  (registers the production clean check)
from arctui.models import StackSnapshot
from arctui.ops.audit import AuditLog
from arctui.ops.gate import Gate
from arctui.ops.lifecycle import Action, ActionError, plan_action
from arctui.ops.perform import applicable, perform_interactive
from arctui.ops.runner import ActionResult, Outcome, run_interactive
from arctui.text import one_line
from arctui.ui.commands import ActionCommands
from arctui.ui.messages import ActionRequested
from arctui.ui.theming import ThemeFileError, check_keymap, validate_theme

if TYPE_CHECKING:
    from arctui.session import Session
    from arctui.ui.polling import Poller

STACK_VERB_KEYS = {
    "up": ("U", "Stack up"),
    "down": ("D", "Stack down"),
    "restart": ("ctrl+r", "Stack restart"),
    "kill": ("ctrl+k", "Stack kill"),
    "clean": ("ctrl+x", "Stack clean"),
}
_MUTATING = frozenset({"stack_action", "bluegreen"})


class ReadOnlyBadge(Static):
    """`READ-ONLY` at the start of the footer row."""

    SCOPED_CSS = False  # the rule for Footer must apply outside this widget
    DEFAULT_CSS = """
    ReadOnlyBadge {
        dock: bottom; width: 11; height: 1; layer: overlay;
        background: $warning; color: $background; text-style: bold;
    }
    Screen.read-only Footer { padding-left: 11; }
    """

    def on_mount(self) -> None:
        self.screen.add_class("read-only")  # the footer makes room for the badge


def known_binding_ids() -> set[str]:
    """Every binding id of every screen and widget class loaded (and arctui's screens)."""
    import importlib
    import pkgutil

    import arctui.ui.screens

    for module in pkgutil.iter_modules(arctui.ui.screens.__path__):
        importlib.import_module(f"arctui.ui.screens.{module.name}")
    ids: set[str] = set()
    classes: list[type] = [DOMNode]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


class ActionsApp(App[None]):
    """Base of ArcApp: lifecycle actions behind confirmation, audit view, shell."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"stack_action('{verb}')", label, show=False, id=f"stack.{verb}")
            for verb, (key, label) in STACK_VERB_KEYS.items()
        ),
        Binding("A", "audit", "Audit log", show=False, id="app.audit"),
        Binding("B", "bluegreen", "Blue-green", show=False, id="stack.bluegreen"),
    ]
    COMMANDS = App.COMMANDS | {ActionCommands}

    session: Session
    poller: Poller
    _action_busy: bool = False
    _audit_log: AuditLog | None = None

    @property
    def audit(self) -> AuditLog:
        """The audit log (XDG state dir), opened on first use."""
        if self._audit_log is None:
            self._audit_log = AuditLog()
        return self._audit_log

    def register_theme(self, theme: Theme, validated: bool = False) -> None:
        """Register a theme only if Textual can use it; else say why once and skip it.

        `validated`: already checked (theme files are, as they are read).
        """
        from textual.theme import BUILTIN_THEMES

        # Textual's own themes (registered by App.__init__) need no check.
        validated = validated or BUILTIN_THEMES.get(theme.name) is theme
        try:
            if not validated:
                validate_theme(theme, theme.name)
        except ThemeFileError as exc:
            self.notify(f"theme ignored: {exc}", severity="warning", timeout=10, markup=False)
            return
        super().register_theme(theme)

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        """Save a redacted SVG screenshot (0600, private folder); say where, or why not."""
        from arctui.ui.screenshot import screenshot_name, write_screenshot

        name = filename or screenshot_name(self.title, time_format)
        try:
            saved = write_screenshot(
                self.export_screenshot(), name, Path(path).expanduser() if path else None
            )
        except OSError as exc:
            where = exc.filename or path or "the screenshot folder"
            self.notify(
                f"screenshot not saved: {where}: {exc.strerror or exc}",
                title="Screenshot",
                severity="error",
                markup=False,
            )
            return None
        self.notify(f"saved to {saved} (mode 0600)", title="Screenshot", markup=False)
        return str(saved)

    def set_keymap(self, keymap: Keymap) -> None:
        """Apply the usable part of a keymap; unknown ids and bad keys are reported."""
        usable, problems = check_keymap(dict(keymap), known_binding_ids())
        if problems:
            self.notify(
                "keymap entries ignored: " + "; ".join(problems),
                severity="warning",
                timeout=10,
                markup=False,
            )
        super().set_keymap(usable)

    @property
    def actions_disabled(self) -> bool:
        """True in read-only mode: no mutating path is offered."""
        return self.session.read_only

    @property
    def mutation_busy(self) -> bool:
        """True while a mutation is being confirmed or run (one at a time)."""
        return self._action_busy

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _MUTATING and self.actions_disabled:
            return False  # hidden and inert: read-only
        return super().check_action(action, parameters)

    def action_running(self) -> bool:
        """True while an action's command runs (in a modal or the wizard)."""
        return any(getattr(screen, "busy", False) for screen in self.screen_stack)

    async def action_quit(self) -> None:
        """Quit, unless a command is running: it would keep running, unwatched.

        A confirmation still open is declined first, so it leaves its audit line.
        """
        if self.action_running():
            self.notify(
                "an action is running: stop it first (Esc), or wait for it to finish",
                severity="warning",
            )
            return
        from arctui.ui.screens.confirm import ConfirmActionModal  # first used here: lazy

        for screen in self.screen_stack:
            if isinstance(screen, ConfirmActionModal):
                screen.decline("declined: arctui was quit with the confirmation open")
        self.exit()

    def current_snapshot(self) -> StackSnapshot | None:
        """The snapshot the operator is looking at."""
        raise NotImplementedError

    # Several engines: FleetApp (ui/fleet_app.py) answers these for each engine.
    def engine_session(self, engine: str | None) -> Session:
        """The session whose gate acts on the engine's rows."""
        return self.session

    def engine_snapshot(self, engine: str | None) -> StackSnapshot | None:
        """The engine's last stack snapshot."""
        return self.current_snapshot()

    def engine_request(self, engine: str | None) -> None:
        """Read the engine's stack now."""
        self.poller.request()

    # Entry points -------------------------------------------------------------
    def action_stack_action(self, verb: str) -> None:
        """A stack-wide action key."""
        self.request_action(verb)

    def on_action_requested(self, message: ActionRequested) -> None:
        message.stop()
        self.request_action(message.verb, message.target, message.engine)

    def action_audit(self) -> None:
        """Show the audit log."""
        from arctui.ui.screens.audit import AuditScreen

        self.push_screen(AuditScreen(self.audit))

    def action_bluegreen(self) -> None:
        """Open the blue-green wizard."""
        from arctui.ui.screens.bluegreen import BlueGreenWizard

        if self._action_busy or self.actions_disabled:
            return
        self._action_busy = True
        self.push_screen(BlueGreenWizard(self.session, self.audit), callback=self._wizard_closed)

    def _wizard_closed(self, _: None) -> None:
        self._action_busy = False
        self.poller.request()

    def request_action(
        self, verb: str, target: str | None = None, engine: str | None = None
    ) -> None:
        """Plan a lifecycle action on a worker, then pass it to `confirm_mutation`.

        Planning reads files (a production clean names its verified backups), so it runs
        off the event loop like the gate's checks. `engine`: the row's engine, whose
        session (its gate, env rules, read-only) plans, checks and runs it.
        """
        if self._action_busy:
            return  # a second press while the first modal is open or the shell runs
        session = self.engine_session(engine)
        snapshot = (
            self.current_snapshot() if session is self.session else self.engine_snapshot(engine)
        )
        if snapshot is None:
            self.notify("no data yet: wait for the first read of the stack", severity="warning")
            return
        replicas = None
        if verb == "scale" and target and (service := snapshot.service(target)):
            replicas = max(1, len(service.containers))
        self._action_busy = True
        self.run_worker(
            partial(self._plan, verb, target, snapshot, replicas, session),
            thread=True,
            exit_on_error=False,
            group="confirm",  # tests' pilot.pause() waits for this group
            description=f"planning {verb}",
        )

    def _plan(
        self,
        verb: str,
        target: str | None,
        snapshot: StackSnapshot,
        replicas: int | None,
        session: Session,
    ) -> None:
        """Worker thread: the plan, or why there is none; the rest on the loop."""
        try:
            action: Action | str = plan_action(
                session, verb, target, snapshot=snapshot, replicas=replicas
            )
        except ActionError as exc:
            action = str(exc)
        except Exception as exc:  # a plan that breaks is said, never a crash
            action = f"planning failed: {exc!r}"
        self.call_from_thread(self._planned, verb, action, snapshot, session)

    def _planned(
        self, verb: str, action: Action | str, snapshot: StackSnapshot, session: Session
    ) -> None:
        self._action_busy = False
        if isinstance(action, str):
            self.notify(action, title=f"cannot {verb}", severity="error", markup=False)
            return
        if action.interactive and not action.confirmations and not session.read_only:
            self._start_shell(action, session)  # a shell changes nothing by itself (gated there)
            return
        from arctui.ui.screens.confirm import ConfirmActionModal

        self.confirm_mutation(
            action,
            lambda: ConfirmActionModal(session, action, self.audit, snapshot),
            lambda result: self._action_closed(action, result, session),
            check=lambda: self._not_applicable(action, snapshot),
            session=session,
        )

    def confirm_mutation(
        self,
        action: Action,
        modal: Callable[[], Screen[Any]],
        on_closed: Callable[[Any], None] | None = None,
        *,
        mutates: bool = True,
        check: Callable[[], str | None] | None = None,
        session: Session | None = None,
    ) -> bool:
        """The one confirmation path: refuse (audited, said) or open `modal()`.

        Every tab, wizard and palette entry that offers a mutation calls this. The gate's
        checks (read-only, production rules: a production clean reads the backups and the
        stack; `check`; whether the audit log opens) run on a thread worker, never on the
        event loop; the modal then asks, and runs the action through the gate itself.
        Returns False when another action is already being confirmed or run.
        `session`: the engine's whose gate decides (default: the primary's).
        """
        if self._action_busy:
            return False
        self._action_busy = True
        self.run_worker(
            partial(self._admit, action, modal, on_closed, mutates, check, session or self.session),
            thread=True,
            exit_on_error=False,
            group="confirm",
            description=f"checks before {action.title}",
        )
        return True

    def _admit(
        self,
        action: Action,
        modal: Callable[[], Screen[Any]],
        on_closed: Callable[[Any], None] | None,
        mutates: bool,
        check: Callable[[], str | None] | None,
        session: Session,
    ) -> None:
        """Worker thread: the gate's checks; then the modal or the refusal, on the loop."""
        gate = Gate(session, action, self.audit, mutates=mutates)
        try:
            reason = gate.rules() or (check() if check is not None else None)
            unwritable = None if reason else self.audit.writable()
        except Exception as exc:  # a check that breaks refuses; it never opens the modal
            reason, unwritable = f"the checks before {action.verb} failed: {exc!r}", None
        if reason:  # read-only, clean in production, nothing to act on: record it
            reason = gate.refuse(reason).message
        elif unwritable:
            reason = f"the audit log cannot be written ({unwritable}): nothing can run"
        self.call_from_thread(self._admitted, action, reason, modal, on_closed)

    def _admitted(
        self,
        action: Action,
        refusal: str | None,
        modal: Callable[[], Screen[Any]],
        on_closed: Callable[[Any], None] | None,
    ) -> None:
        if refusal:
            self._action_busy = False
            self.notify(refusal, title=f"{action.title}: refused", severity="error", markup=False)
            return

        def closed(result: Any) -> None:
            self._action_busy = False
            if on_closed is not None:
                on_closed(result)

        self.push_screen(modal(), callback=closed)

    @staticmethod
    def _not_applicable(action: Action, snapshot: StackSnapshot) -> str | None:
        """Why a service action cannot apply to what is on screen (not created ...)."""
        if action.scope != "service":
            return None
        service = snapshot.service(action.target)
        if service is None:
            return None
        return applicable(action, service)

    def lifecycle_closed(self, action: Action, result: ActionResult | None) -> None:
        """A lifecycle confirmation closed: show the outcome, read the stack again."""
        self._action_closed(action, result)

    def _action_closed(
        self, action: Action, result: ActionResult | None, session: Session | None = None
    ) -> None:
        session = session or self.session
        if result is None:
            return
        if action.interactive and result.outcome is Outcome.OK:
            self._start_shell(action, session)
            return
        if result.outcome is not Outcome.DECLINED:
            severity: SeverityLevel = "information" if result.ok else "error"
            if result.outcome in (Outcome.CANCELLED, Outcome.REFUSED):
                severity = "warning"
            self.notify(
                one_line(f"{action.title}: {result.outcome} - {result.message}", 300),
                severity=severity,
                markup=False,
            )
        self.engine_request(session.engine_name if session is not self.session else None)

    # Shell --------------------------------------------------------------------
    def _start_shell(self, action: Action, session: Session | None = None) -> None:
        self._action_busy = True
        self.run_worker(
            lambda: self._shell_worker(action, session or self.session),
            thread=True,
            exit_on_error=False,
            group="shell",
            description="shell",
        )

    def _shell_worker(self, action: Action, session: Session) -> None:
        result = perform_interactive(
            session,
            action,
            self.audit,
            runner=lambda a: self.call_from_thread(self._suspended_run, a, session),
        )
        self.call_from_thread(self._shell_done, action, result)

    def _suspended_run(self, action: Action, session: Session) -> ActionResult:
        try:
            with self.suspend():
                print(f"arctui: {action.shown_command}  (exit the shell to return)", flush=True)
                return run_interactive(action.command, session.environ)
        except SuspendNotSupported:
            message = "this terminal cannot be handed over to a shell"
            return ActionResult(Outcome.FAILED, None, 0.0, (), message)

    def _shell_done(self, action: Action, result: ActionResult) -> None:
        self._action_busy = False
        if not result.ok:
            self.notify(
                f"shell in {action.target}: {result.message}", severity="error", markup=False
            )
        self.refresh(layout=True)
        self.poller.request()

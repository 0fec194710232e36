"""The one gate every mutation passes: rules, typed confirmation, audit first, outcome.

Lifecycle (scale and blue-green steps included), doctor fixes, Redis, Postgres and the
backups (backup, verify, prune, delete, restore, drill), maintenance and alerts' test
messages all describe their mutation as an `Action` and run it through `Gate`:

1. `rules()`: the read-only switch (verify, which only reads, passes `mutates=False`) and
   the production rules (a production `clean` needs fresh verified backups);
2. `typed_mismatch()`: the typed confirmation, checked by whoever asked (modal, prompt);
3. `open()`: a "started" record is written and fsynced BEFORE anything runs; when it
   cannot be written (no such directory, read-only file, full filesystem) the attempt
   is refused and nothing runs;
4. the work runs;
5. `finish()`: the outcome record, once; messages and output are redacted.

No audit log configured (`audit=None`) means the default log under the state dir
(`$XDG_STATE_HOME/arctui/audit.jsonl`): there is no way to run a mutation unaudited, and
a state dir that cannot be written refuses every mutation. Refused and declined
attempts are one line (best effort: a refusal runs nothing either way). Entries come
from `audit.build_entry`, which sanitizes and redacts every field. No Textual here.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from arctui.ops.audit import AuditLog, Mutation, build_entry, redactor_for
from arctui.ops.runner import ActionResult, Outcome

if TYPE_CHECKING:
    from arctui.session import Session

FAILED_DETAIL_LINES = 8  # output lines kept in the record of a failed attempt


# Production rules by (scope, verb), registered by the layer that knows them (the
# lifecycle registers the backups' unlock for a stack `clean`): the gate stays at the
# bottom of ops/ and imports none of them.
ProductionRule = Callable[["Session"], "str | None"]
PRODUCTION_RULES: dict[tuple[str, str], ProductionRule] = {}


def production_rule(scope: str, verb: str, rule: ProductionRule) -> None:
    """Register why `verb` on `scope` must not run in production now (None: it may)."""
    PRODUCTION_RULES[(scope, verb)] = rule


# Rules that need the planned action itself (an image update's digest), same semantics.
ActionRule = Callable[["Session", Mutation], "str | None"]
ACTION_RULES: dict[tuple[str, str], ActionRule] = {}


def production_action_rule(scope: str, verb: str, rule: ActionRule) -> None:
    """Register a production rule that is given the planned action too."""
    ACTION_RULES[(scope, verb)] = rule


def check_allowed(session: Session, action: Mutation, mutates: bool = True) -> str | None:
    """Why this action must not run in this session at all, or None.

    May read the stack (a production clean checks the backups): call it off the UI loop.
    """
    if session.replay_at is not None:  # even a read (verify): replay touches nothing live
        return replay_refusal(action.verb)
    if mutates and session.read_only:
        return f"read-only mode: {action.verb} is disabled (--read-only or the settings)"
    rule = PRODUCTION_RULES.get((action.scope, action.verb))
    if rule is not None and session.production:
        return rule(session)
    action_rule = ACTION_RULES.get((action.scope, action.verb))
    if action_rule is not None and session.production:
        return action_rule(session, action)
    return None


def replay_refusal(verb: str) -> str:
    """Why nothing runs in a replay (`--at`): the screen shows the past, not the stack."""
    return (
        f"replay: {verb} is refused: arctui is showing a recorded moment (--at), "
        "not the live stack; nothing was run (run arctui without --at to act)"
    )


def typed_mismatch(action: Mutation, typed: Sequence[str]) -> str | None:
    """Why the typed words do not confirm `action` (one per confirmation), or None."""
    from arctui.text import one_line

    for i, (what, word) in enumerate(action.confirmations):
        got = typed[i].strip() if i < len(typed) else ""
        if got != word:
            shown = one_line(got, 60) or "nothing"
            return f"you typed {shown!r}, not the {what}: nothing was run"
    return None


def ask_confirmation(
    confirmations: Sequence[tuple[str, str]], ask: Callable[[str], str], interactive: bool
) -> tuple[Outcome, str] | None:
    """Ask on a terminal with the modal's rules (typed words, else y/N); None: confirmed.

    The headless commands' one prompt (lifecycle and backups alike).
    """
    from arctui.text import one_line

    if not interactive:
        return Outcome.REFUSED, "not on a terminal: pass --yes to confirm"
    try:
        for what, word in confirmations:
            typed = ask(f"Type the {what} ({one_line(word, 80)}) to confirm: ").strip()
            if typed != word:
                shown = one_line(typed, 60)
                return Outcome.REFUSED, f"typed {shown!r}, not the {what} {word!r}: nothing ran"
        if not confirmations:
            answer = ask("Run it? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                return Outcome.DECLINED, "not confirmed: nothing ran"
    except (EOFError, KeyboardInterrupt):
        return Outcome.DECLINED, "not confirmed: nothing ran"
    return None


def redacted(result: ActionResult, redact: Callable[[str], str]) -> ActionResult:
    """The result with its message and output redacted."""
    return dataclasses.replace(
        result,
        message=redact(result.message),
        output=tuple(redact(line) for line in result.output),
    )


def _detail(result: ActionResult) -> str:
    if result.outcome is not Outcome.FAILED:
        return result.message
    lines = [line for line in result.output if line.strip()][-FAILED_DETAIL_LINES:]
    return "\n".join([result.message, *lines]) if lines else result.message


class Gate:
    """One attempt of one mutation: at most one "started" and exactly one outcome record."""

    def __init__(
        self,
        session: Session,
        action: Mutation,
        audit: AuditLog | None = None,
        *,
        mutates: bool = True,
    ) -> None:
        self.session = session
        self.action = action
        self.audit = audit if audit is not None else AuditLog()
        self.mutates = mutates
        self.attempt = secrets.token_hex(6)  # links the started line to its outcome
        self.opened = False
        self.ended = False
        self._started = 0.0
        self._redact = redactor_for(session).redact

    # Checks -------------------------------------------------------------------
    def rules(self) -> str | None:
        """Read-only and production rules: why it must not run, or None."""
        return check_allowed(self.session, self.action, self.mutates)

    def admissible(self) -> str | None:
        """The rules, then whether the audit log can be opened: for asking before a prompt.

        Only a hint (a full disk opens fine): `open()` is the guarantee.
        """
        if reason := self.rules():
            return reason
        if error := self.audit.writable():
            return f"the audit log cannot be written ({error}): nothing can run"
        return None

    def typed_mismatch(self, typed: Sequence[str]) -> str | None:
        """Why the typed words do not confirm the action, or None."""
        return typed_mismatch(self.action, typed)

    # Records ------------------------------------------------------------------
    def _write(
        self, outcome: str, exit_code: int | None, duration: float, detail: str
    ) -> str | None:
        entry = build_entry(
            self.session,
            self.action,
            outcome=outcome,
            exit_code=exit_code,
            duration=duration,
            detail=detail,
            attempt=self.attempt,
        )
        return self.audit.append(entry)

    def refuse(self, reason: str, outcome: Outcome = Outcome.REFUSED) -> ActionResult:
        """End the attempt without running anything (recorded once, best effort)."""
        return self.finish(ActionResult(outcome, None, 0.0, (), reason))

    def open(self, precheck: Callable[[], str | None] | None = None) -> ActionResult | None:
        """Rules, `precheck` (the target read again), then the "started" record.

        Returns the refusal, or None: the record is on disk and the action may run.
        """
        if self.ended:
            return ActionResult(Outcome.REFUSED, None, 0.0, (), "this attempt has ended")
        reason = self.rules() or (precheck() if precheck is not None else None)
        if reason:
            return self.refuse(reason)
        error = self._write("started", None, 0.0, "")
        if error:
            self.ended = True  # nowhere to record anything: nothing runs
            message = f"nothing ran: the audit log cannot be written ({error})"
            return ActionResult(Outcome.REFUSED, None, 0.0, (), self._redact(message))
        self.opened = True
        self._started = time.monotonic()
        return None

    def finish(self, result: ActionResult) -> ActionResult:
        """Record the outcome once (later calls only redact); the redacted result."""
        result = redacted(result, self._redact)
        if self.ended:
            return result
        self.ended = True
        duration = result.duration or (time.monotonic() - self._started if self.opened else 0.0)
        error = self._write(str(result.outcome), result.exit_code, duration, _detail(result))
        if error:
            note = f"{result.message} (audit log not written: {error})"
            return dataclasses.replace(result, message=self._redact(note))
        return result

    # The whole path -----------------------------------------------------------
    def run(
        self,
        work: Callable[[], ActionResult],
        *,
        precheck: Callable[[], str | None] | None = None,
        cancel: threading.Event | None = None,
    ) -> ActionResult:
        """Open, run `work` and finish. An unexpected error is recorded, then raised."""
        if refusal := self.open(precheck):
            return refusal
        if cancel is not None and cancel.is_set():
            return self.finish(
                ActionResult(Outcome.CANCELLED, None, 0.0, (), "cancelled before it started")
            )
        try:
            result = work()
        except BaseException as exc:
            # The record must not say "started" forever; the caller still sees the bug.
            message = f"unexpected error: {exc!r}"
            self.finish(ActionResult(Outcome.FAILED, None, 0.0, (), message))
            raise
        return self.finish(result)

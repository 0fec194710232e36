"""The headless commands' one guarded path (arctui/ops/headless.py) and who uses it."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from arctui.ops.audit import AuditLog
from arctui.ops.guards import typed_confirmations
from arctui.ops.headless import Hooks, run_guarded
from arctui.ops.lifecycle import Action
from arctui.ops.runner import ActionResult, Outcome
from tests.unit.test_lifecycle import make_session

ROOT = Path(__file__).parents[2] / "arctui"


def _action(session: Any, confirm: bool = False) -> Action:
    return Action(
        verb="wipe",
        scope="service",
        target="raymond",
        project=session.project,
        env=session.env,
        command=("echo", "wipe"),
        summary="wipe raymond",
        consequence="raymond loses its data",
        confirmations=typed_confirmations(session) if confirm else (),
    )


def _args(**kw: Any) -> argparse.Namespace:
    return argparse.Namespace(**{"yes": False, "production_ok": False, **kw})


class Work:
    def __init__(self, result: ActionResult | None = None, error: Exception | None = None):
        self.calls: list[Action] = []
        self.result = result or ActionResult(Outcome.OK, 0, 0.1, (), "exit code 0")
        self.error = error

    def __call__(self, action: Action, out: Callable[[str], None], cancel: threading.Event):
        self.calls.append(action)
        out("a line of output")
        if self.error:
            raise self.error
        return self.result


def _go(tmp_path, args, answers=(), tty=True, session=None, work=None, **kw):
    session = session or make_session(tmp_path)
    work = work or Work()
    replies = iter(answers)
    audit = AuditLog(tmp_path / "audit.jsonl")
    action = kw.pop("action", None) or _action(session, kw.pop("confirm", False))
    code = run_guarded(
        session,
        action,
        args,
        work,
        ask=lambda _: next(replies),
        interactive=tty,
        audit=audit,
        **kw,
    )
    return code, work, [e["outcome"] for e in audit.read()] if audit.path.exists() else []


def test_yes_runs_and_says_the_plan_and_the_outcome(tmp_path, capsys):
    code, work, _ = _go(tmp_path, _args(yes=True))
    out = capsys.readouterr()
    assert code == 0 and len(work.calls) == 1
    assert "wipe raymond" in out.err and "command: echo wipe" in out.err
    assert "raymond loses its data" in out.err and "OK: exit code 0" in out.err
    assert "a line of output" in out.out


def test_declined_on_the_terminal_is_recorded_and_exits_2(tmp_path, capsys):
    code, work, outcomes = _go(tmp_path, _args(), answers=["n"])
    assert (code, work.calls, outcomes) == (2, [], ["declined"])
    assert "DECLINED: not confirmed: nothing ran" in capsys.readouterr().err


def test_not_a_terminal_without_yes_is_refused(tmp_path, capsys):
    code, work, outcomes = _go(tmp_path, _args(), tty=False)
    assert (code, work.calls, outcomes) == (2, [], ["refused"])
    assert "pass --yes to confirm" in capsys.readouterr().err


def test_typed_words_must_match(tmp_path):
    s = make_session(tmp_path, production=True, env="prod")
    ok = _go(tmp_path, _args(production_ok=True), ["prod"], session=s, confirm=True)
    assert ok[0] == 0 and len(ok[1].calls) == 1
    bad = _go(tmp_path, _args(production_ok=True), ["dev"], session=s, confirm=True)
    assert bad[0] == 2 and bad[1].calls == [] and bad[2][-1] == "refused"


def test_production_needs_the_flag_unless_it_only_reads(tmp_path, capsys):
    s = make_session(tmp_path, production=True, env="prod")
    code, work, outcomes = _go(tmp_path, _args(yes=True), session=s)
    assert (code, work.calls, outcomes) == (2, [], ["refused"])
    assert "prod is production: add --i-know-this-is-production" in capsys.readouterr().err
    code, work, _ = _go(tmp_path, _args(yes=True), session=s, mutates=False)
    assert code == 0 and len(work.calls) == 1


def test_read_only_refuses_before_asking(tmp_path, capsys):
    s = make_session(tmp_path, read_only=True)
    asked: list[str] = []
    code = run_guarded(
        s, _action(s), _args(), Work(), ask=lambda p: asked.append(p) or "y", interactive=True
    )
    assert code == 2 and asked == []
    assert "REFUSED: read-only mode" in capsys.readouterr().err


def test_unwritable_audit_log_refuses_before_asking(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    s = make_session(tmp_path)
    work = Work()
    audit = AuditLog(tmp_path / "file" / "audit.jsonl")
    code = run_guarded(s, _action(s), _args(yes=True), work, audit=audit)
    err = capsys.readouterr().err
    assert code == 2 and work.calls == []
    assert "REFUSED: the audit log cannot be written" in err and "fix: make the state" in err


@pytest.mark.parametrize(
    ("result", "code"),
    [
        (ActionResult(Outcome.FAILED, 1, 0.1, (), "exit code 1"), 1),
        (ActionResult(Outcome.CANCELLED, None, 0.1, (), "cancelled"), 1),
        (ActionResult(Outcome.SIMULATED, None, 0.1, (), "simulated"), 0),
    ],
)
def test_exit_codes(tmp_path, result, code):
    assert _go(tmp_path, _args(yes=True), work=Work(result))[0] == code


def test_a_bug_in_the_work_is_said_not_raised(tmp_path, capsys):
    code, _, _ = _go(tmp_path, _args(yes=True), work=Work(error=RuntimeError("boom")))
    assert code == 1 and "FAILED: unexpected error: RuntimeError('boom')" in capsys.readouterr().err


def test_hooks_change_the_action_checked_confirmed_and_run(tmp_path):
    s = make_session(tmp_path)
    seen: list[str] = []

    def rules(a: Action) -> Action:
        seen.append("rules")
        return a

    def typed(a: Action) -> Action:
        return Action(**{**a.__dict__, "summary": "confirmed"})

    hooks = Hooks(rules_action=rules, confirmed=typed, with_yes=lambda a: (Outcome.REFUSED, "no"))
    code, work, _ = _go(tmp_path, _args(), answers=["y"], session=s, hooks=hooks)
    assert code == 0 and seen == ["rules"] and work.calls[0].summary == "confirmed"
    code, work, outcomes = _go(tmp_path, _args(yes=True), session=s, hooks=hooks)
    assert code == 2 and work.calls == [] and outcomes[-1] == "refused"


def test_every_headless_mutation_uses_the_one_path():
    """No CLI writes its own "ask, then refuse or run" again."""
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name in ("headless.py", "gate.py"):
            continue
        assert "ask_confirmation(" not in text, path
        assert "audit.writable()" not in text or path.match("ui/*.py"), path

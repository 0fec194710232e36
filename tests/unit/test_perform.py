"""Permission, re-check and audited running of planned actions (no Docker needed)."""

from __future__ import annotations

import dataclasses
import threading

from arctui.ops.audit import AuditLog
from arctui.ops.gate import check_allowed
from arctui.ops.lifecycle import plan_action
from arctui.ops.perform import perform, precheck
from arctui.ops.runner import Outcome
from tests.unit.test_lifecycle import FakeEngine, containers, make_session


def test_read_only_refuses_everything_and_production_refuses_clean(tmp_path):
    ro = make_session(tmp_path, read_only=True)
    assert "read-only" in check_allowed(ro, plan_action(ro, "start", "raymond"))
    assert "read-only" in check_allowed(ro, plan_action(ro, "up"))
    prod = make_session(tmp_path, env="prod", production=True)
    assert check_allowed(prod, plan_action(prod, "restart", "raymond")) is None
    reason = check_allowed(prod, plan_action(prod, "clean"))
    assert reason and "backup" in reason
    assert check_allowed(make_session(tmp_path), plan_action(prod, "clean")) is None


def test_precheck_catches_drift_and_pointless_actions(tmp_path):
    engine = FakeEngine(containers())
    s = make_session(tmp_path, engine)
    stop = plan_action(s, "stop", "raymond")
    assert precheck(s, stop) is None
    # Someone else stopped it after the operator looked.
    engine.items = [c if c.service != "raymond" else dataclasses.replace(c, state="exited")
                    for c in containers()]  # fmt: skip
    drift = precheck(s, stop)
    assert drift and "changed since you looked" in drift and "stopped" in drift
    start = plan_action(s, "start", "raymond")
    assert precheck(s, start) is None
    engine.items = containers()
    assert "it was down, now it is running" in precheck(s, start)
    assert "already running" in precheck(s, plan_action(s, "start", "raymond"))
    assert "not paused" in precheck(s, plan_action(s, "unpause", "raymond"))
    engine.fail = "engine gone"
    assert "cannot re-check" in precheck(s, stop)


def test_a_crash_loop_flipping_to_restarting_is_not_drift(tmp_path):
    engine = FakeEngine(containers())
    s = make_session(tmp_path, engine)
    stop = plan_action(s, "stop", "postgres")
    engine.items = [dataclasses.replace(c, state="restarting") if c.service == "postgres" else c
                    for c in containers()]  # fmt: skip
    assert precheck(s, stop) is None


def test_stack_precheck(tmp_path):
    engine = FakeEngine(containers())
    s = make_session(tmp_path, engine)
    down = plan_action(s, "down")
    up = plan_action(s, "up")
    engine.items = containers()[:1]
    assert "had 3 containers, now 1" in precheck(s, down)
    assert precheck(s, up) is None  # up is idempotent
    engine.items = []
    assert "no containers" in precheck(s, down)
    assert "no containers" in precheck(s, plan_action(s, "kill"))


def test_perform_refused_runs_nothing_and_is_audited(tmp_path):
    marker = tmp_path / "ran"
    s = make_session(tmp_path, read_only=True)
    action = dataclasses.replace(
        plan_action(s, "restart", "raymond"), command=("sh", "-c", f"touch {marker}")
    )
    log = AuditLog(tmp_path / "audit.jsonl")
    result = perform(s, action, lambda line: None, threading.Event(), log)
    assert result.outcome is Outcome.REFUSED and not marker.exists()
    [entry] = log.read()
    assert entry["outcome"] == "refused" and entry["action"] == "restart"
    assert "read-only" in entry["detail"]


def test_perform_runs_the_command_and_audits_success_and_failure(tmp_path):
    s = make_session(tmp_path)
    log = AuditLog(tmp_path / "audit.jsonl")
    ok = dataclasses.replace(
        plan_action(s, "restart", "raymond"), command=("sh", "-c", "echo restarted")
    )
    lines: list[str] = []
    result = perform(s, ok, lines.append, threading.Event(), log)
    assert result.outcome is Outcome.OK and lines == ["restarted"]
    bad = dataclasses.replace(ok, command=("sh", "-c", "echo 'no such service: x' >&2; exit 3"))
    result = perform(s, bad, lines.append, threading.Event(), log)
    assert result.outcome is Outcome.FAILED and result.exit_code == 3
    assert "no such service" in result.message
    first, second = log.read()
    assert (first["outcome"], second["outcome"]) == ("ok", "failed")
    assert second["exit_code"] == 3 and "no such service" in second["detail"]


def test_perform_drift_is_refused_before_running(tmp_path):
    engine = FakeEngine(containers())
    s = make_session(tmp_path, engine)
    marker = tmp_path / "ran"
    action = dataclasses.replace(
        plan_action(s, "stop", "raymond"), command=("sh", "-c", f"touch {marker}")
    )
    engine.items = [c for c in containers() if c.service != "raymond"]
    result = perform(s, action, lambda line: None, threading.Event(), None)
    assert result.outcome is Outcome.REFUSED and "changed since you looked" in result.message
    assert not marker.exists()

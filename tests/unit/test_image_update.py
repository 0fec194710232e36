"""The update's steps and its health gate, with a fake engine that follows the commands
(pull moves the tag, `docker tag` moves it back, `up` recreates from the tag)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from arctui.ops.audit import AuditLog, build_entry
from arctui.ops.gate import Gate
from arctui.ops.maintenance import health_wait
from arctui.ops.maintenance.health_wait import health_window
from arctui.ops.maintenance.update import (
    UpdateAction,
    confirmed,
    healthy_elsewhere,
    perform_update,
)
from arctui.ops.runner import ActionResult, Outcome
from tests.unit.test_lifecycle import make_session

OLD, NEW = "sha256:" + "0" * 64, "sha256:" + "1" * 64
REF = "127.0.0.1:15000/app/web:1"
DIGEST = "sha256:" + "d" * 64
NS = 1_000_000_000
CHECK = {"Test": ["CMD", "true"], "Interval": NS, "Retries": 3, "Timeout": NS}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


class FakeEngine:
    """Tag and containers that the runner's commands change, and scripted health."""

    def __init__(self, health: dict[str, list[str]]) -> None:
        self.tag = OLD
        self.running = OLD
        self.health = {k: list(v) for k, v in health.items()}  # image -> states in turn
        self.commands: list[tuple[str, ...]] = []

    def image(self, ref: str) -> dict[str, Any] | None:
        image_id = self.tag if ref == REF else ref
        return {"Id": image_id, "RepoDigests": [f"127.0.0.1:15000/app/web@{DIGEST}"]}

    def service_containers(self, project: str, service: str) -> list[dict[str, Any]]:
        states = self.health.get(self.running) or ["healthy"]
        state = states.pop(0) if len(states) > 1 else states[0]
        return [
            {
                "Image": self.running,
                "Config": {"Healthcheck": CHECK},
                "State": {"Status": "running", "Health": {"Status": state, "Log": []}},
            }
        ]

    def run(self, argv: Sequence[str], on_output, cancel, cwd=None, env=None) -> ActionResult:
        argv = tuple(argv)
        self.commands.append(argv)
        if "pull" in argv:
            self.tag = NEW
        elif argv[:2] == ("docker", "tag"):
            self.tag = argv[2]
        elif "up" in argv:
            self.running = self.tag
        return ActionResult(Outcome.OK, 0, 0.0, (), "exit code 0")


def _action(session, **kw: Any) -> UpdateAction:
    pull = ("docker", "compose", "pull", "web")
    fields: dict[str, Any] = {
        "verb": "update",
        "scope": "service",
        "target": "web",
        "project": session.project,
        "env": session.env,
        "command": pull,
        "summary": "update web",
        "ref": REF,
        "old_image": OLD,
        "remote_digest": DIGEST,
        "pull": pull,
        "up": ("docker", "compose", "up", "-d", "--no-deps", "web"),
        **kw,
    }
    return UpdateAction(**fields)


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Health polling on a fake clock: no real waiting."""
    real = health_wait.wait_healthy

    def quick(reads, project, service, image_id, cancel, **kw):
        return real(reads, project, service, image_id, cancel, clock=Clock(), poll=0)

    monkeypatch.setattr("arctui.ops.maintenance.update.wait_healthy", quick)


def _run(tmp_path: Path, engine: FakeEngine, **kw: Any) -> tuple[ActionResult, AuditLog]:
    session = make_session(tmp_path)
    audit = AuditLog(tmp_path / "audit.jsonl")
    action = _action(session, **kw)
    result = perform_update(
        session,
        action,
        lambda _: None,
        threading.Event(),
        audit,
        runner=engine.run,
        reads=engine,
    )
    return result, audit


def test_the_health_window_is_start_period_plus_interval_times_retries_plus_a_timeout():
    check = {"Test": ["CMD", "x"], "Interval": 2 * NS, "Retries": 4, "StartPeriod": 5 * NS}
    assert health_window({"Config": {"Healthcheck": {**check, "Timeout": NS}}}) == 5 + 8 + 1
    assert health_window({"Config": {"Healthcheck": {"Test": ["CMD", "x"]}}}) == 30 * 3 + 30
    assert health_window({"Config": {"Healthcheck": {"Test": ["NONE"]}}}) is None
    assert health_window({"Config": {}}) is None


def test_a_healthy_new_image_lands_and_the_digest_is_recorded(tmp_path):
    engine = FakeEngine({NEW: ["starting", "starting", "healthy"]})
    result, audit = _run(tmp_path, engine)
    assert result.outcome is Outcome.OK, result.message
    assert engine.running == NEW
    assert f"{REF} digest {DIGEST}" in result.message and "healthy" in result.message
    assert [c[-2:] for c in engine.commands] == [("pull", "web"), ("--no-deps", "web")]
    started, ended = audit.read(10, raw=True)
    assert (started["outcome"], ended["outcome"]) == ("started", "ok")


def test_an_unhealthy_new_image_is_rolled_back_by_itself(tmp_path):
    engine = FakeEngine({NEW: ["starting", "unhealthy"], OLD: ["healthy"]})
    result, audit = _run(tmp_path, engine)
    assert result.outcome is Outcome.FAILED and result.exit_code == 1
    assert "unhealthy" in result.message and "rolled back" in result.message
    assert engine.running == OLD and engine.tag == OLD
    assert engine.commands[2] == ("docker", "tag", OLD, REF)
    assert engine.commands[3][-2:] == ("--force-recreate", "web")
    assert "rolled back" in audit.read(1)[0]["detail"]


def test_a_new_image_still_starting_at_the_end_of_its_window_is_rolled_back(tmp_path):
    engine = FakeEngine({NEW: ["starting"], OLD: ["healthy"]})
    result, _ = _run(tmp_path, engine)
    assert result.outcome is Outcome.FAILED and "not healthy within" in result.message
    assert engine.running == OLD


def test_a_failed_pull_changes_nothing(tmp_path):
    engine = FakeEngine({})

    def failing(argv, on_output, cancel, cwd=None, env=None):
        engine.commands.append(tuple(argv))
        return ActionResult(Outcome.FAILED, 1, 0.0, ("denied",), "exit code 1: denied")

    session = make_session(tmp_path)
    audit = AuditLog(tmp_path / "audit.jsonl")
    result = perform_update(
        session, _action(session), print, threading.Event(), audit, runner=failing, reads=engine
    )
    assert result.outcome is Outcome.FAILED and "pull failed" in result.message
    assert len(engine.commands) == 1 and engine.running == OLD


def test_the_same_image_after_the_pull_is_not_recreated(tmp_path):
    engine = FakeEngine({})

    def same(argv, on_output, cancel, cwd=None, env=None):
        engine.commands.append(tuple(argv))
        return ActionResult(Outcome.OK, 0, 0.0, (), "exit code 0")  # the tag stays OLD

    session = make_session(tmp_path)
    result = perform_update(
        session,
        _action(session),
        print,
        threading.Event(),
        AuditLog(tmp_path / "a.jsonl"),
        runner=same,
        reads=engine,
    )
    assert result.outcome is Outcome.OK and "nothing recreated" in result.message
    assert len(engine.commands) == 1


def test_a_service_that_changed_since_planning_is_refused(tmp_path):
    engine = FakeEngine({})
    engine.running = NEW  # someone updated it meanwhile
    result, _ = _run(tmp_path, engine)
    assert result.outcome is Outcome.REFUSED and "changed since you looked" in result.message
    assert engine.commands == []


def _record(tmp_path: Path, env: str, outcome: str, detail: str, audit: AuditLog) -> None:
    session = make_session(tmp_path, env=env)
    action = _action(session)
    audit.append(
        build_entry(session, action, outcome=outcome, exit_code=0, duration=1.0, detail=detail)
    )


def test_test_in_dev_first_reads_the_audit_and_gates_production(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")
    ok = f"updated web: {REF} digest {DIGEST} image {NEW[:19]}: healthy after 2.0 s"
    _record(tmp_path, "dev", "ok", ok, audit)
    _record(tmp_path, "staging", "failed", ok.replace("healthy", "unhealthy"), audit)
    _record(tmp_path, "prod", "ok", ok.replace(DIGEST, "sha256:" + "e" * 64), audit)
    found = healthy_elsewhere(audit, "prod", REF, DIGEST)
    assert len(found) == 1 and found[0].startswith("dev (")
    assert healthy_elsewhere(audit, "dev", REF, DIGEST) == ()  # its own env does not count
    assert healthy_elsewhere(audit, "prod", "other/ref:1", DIGEST) == ()

    prod = make_session(tmp_path, env="prod", production=True)
    untested = _action(prod, confirmations=(("environment name", "prod"),))
    reason = Gate(prod, untested, audit).rules() or ""
    assert reason.startswith("test in dev first") and "--confirm-env" in reason
    assert Gate(prod, confirmed(untested), audit).rules() is None  # the name was typed
    assert Gate(prod, _action(prod, tested_in=found), audit).rules() is None
    dev = make_session(tmp_path, env="dev")
    assert Gate(dev, _action(dev), audit).rules() is None  # not production: no rule

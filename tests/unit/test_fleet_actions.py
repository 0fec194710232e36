"""Headless actions on a fleet (issue 24): `--engine NAME`, the engine found by its service,
and each action under ITS engine's rules (env, production guard, read-only), audited with it."""

from __future__ import annotations

from typing import Any

import pytest

from arctui.cli import build_parser
from arctui.cli_actions import run_action_command
from arctui.config.engines import EngineSpec
from arctui.config.settings import Settings
from arctui.fleet import build_fleet
from arctui.ops.audit import AuditLog
from arctui.ops.fleet_read import EngineChoiceError, pick_engine
from arctui.session import Session, demo_session


def fleet_session(settings: Settings | None = None) -> Session:
    settings = settings or Settings()
    primary = demo_session(settings, env="dev")
    build_fleet(
        primary,
        (EngineSpec("staging", host="demo"), EngineSpec("prod", host="demo")),
        settings=settings,
    )
    return primary


def only_on(session: Session, service: str, engine: str) -> None:
    """Remove `service`'s containers on every engine but `engine` (the demo's own scale)."""
    for member in session.fleet.all:
        if member.engine_name != engine:
            member.reader.compose.simulate_action("scale", "service", service, 0)  # type: ignore[union-attr]


def run(
    argv: list[str], session: Session, answers: list[str] | None = None
) -> tuple[int, list[str]]:
    args = build_parser().parse_args(argv)
    asked: list[str] = []
    replies = iter(answers or [])

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(replies)

    return run_action_command(session, args, ask=ask, interactive=True), asked


def state(session: Session, engine: str, service: str) -> str:
    member = session.fleet.by_name(engine)
    assert member is not None
    view = member.reader.read().service(service)
    assert view is not None
    return view.state.value


def test_an_action_needs_an_engine_when_the_service_runs_on_several(
    capsys: pytest.CaptureFixture[str],
) -> None:
    session = fleet_session()
    code, asked = run(["restart", "redis", "-y"], session)
    assert code == 2 and not asked
    assert "redis runs on several engines (local, staging, prod): add --engine NAME" in (
        capsys.readouterr().err
    )
    assert AuditLog().read() == []  # nothing was planned, nothing ran
    code, _ = run(["down", "-y"], session)
    assert code == 2
    assert "the stack runs on several engines" in capsys.readouterr().err
    code, _ = run(["stop", "redis", "--engine", "nope", "-y"], session)
    assert code == 2 and "no engine called 'nope'" in capsys.readouterr().err


def test_the_action_goes_to_its_engine_only() -> None:
    session = fleet_session()
    code, _ = run(["stop", "redis", "--engine", "staging", "-y"], session)
    assert code == 0
    assert [state(session, e, "redis") for e in ("local", "staging", "prod")] == [
        "running",
        "stopped",
        "running",
    ]
    [entry] = AuditLog().read()
    assert entry["engine"] == "staging" and entry["env"] == "staging"
    assert entry["outcome"] == "simulated" and entry["target"] == "redis"


def test_a_service_on_one_engine_needs_no_engine_option() -> None:
    session = fleet_session()
    only_on(session, "raymond", "staging")
    code, _ = run(["stop", "raymond", "-y"], session)
    assert code == 0
    assert state(session, "staging", "raymond") == "stopped"
    assert AuditLog().read()[-1]["engine"] == "staging"


def test_a_production_engine_asks_for_its_env_name(capsys: pytest.CaptureFixture[str]) -> None:
    session = fleet_session()
    code, _ = run(["restart", "redis", "--engine", "prod", "-y"], session)
    assert code == 2 and "prod is production: add --i-know-this-is-production" in (
        capsys.readouterr().err
    )
    flag = "--i-know-this-is-production"
    code, asked = run(["stop", "redis", "--engine", "prod", flag], session, answers=["dev"])
    assert code == 2 and state(session, "prod", "redis") == "running"
    assert any("prod" in prompt for prompt in asked)  # the typed env name is ITS env's
    code, asked = run(["stop", "redis", "--engine", "prod", flag], session, answers=["prod"])
    assert code == 0 and state(session, "prod", "redis") == "stopped"
    assert state(session, "local", "redis") == "running"  # the dev engine asked nothing
    code, asked = run(["stop", "nats", "--engine", "local"], session, answers=["y"])
    assert code == 0 and not any("environment" in p for p in asked)
    outcomes = [(e["engine"], e["production"], e["outcome"]) for e in AuditLog().read()]
    assert outcomes == [
        ("prod", True, "refused"),
        ("prod", True, "refused"),
        ("prod", True, "simulated"),
        ("local", False, "simulated"),
    ]


def test_a_read_only_engine_refuses_and_the_others_do_not() -> None:
    session = fleet_session(Settings(envs={"staging": {"read_only": True}}))
    code, _ = run(["stop", "redis", "--engine", "staging", "-y"], session)
    assert code == 2 and state(session, "staging", "redis") == "running"
    code, _ = run(["stop", "redis", "--engine", "local", "-y"], session)
    assert code == 0 and state(session, "local", "redis") == "stopped"
    entries: list[dict[str, Any]] = AuditLog().read()
    assert [(e["engine"], e["outcome"]) for e in entries] == [
        ("staging", "refused"),
        ("local", "simulated"),
    ]
    assert "read-only" in entries[0]["detail"]


def test_pick_engine_with_one_engine_is_the_session() -> None:
    session = demo_session()
    assert pick_engine(session, None, None) is session
    assert pick_engine(session, "local", "redis") is session
    with pytest.raises(EngineChoiceError, match="engines: local"):
        pick_engine(session, "e2", None)

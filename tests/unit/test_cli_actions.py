"""Headless lifecycle subcommands over the demo platform: confirmation rules and exit codes."""

from __future__ import annotations

import json

import pytest

from arctui.cli import build_parser, main
from arctui.cli_actions import run_action_command
from arctui.config.settings import Settings
from arctui.ops.audit import AuditLog
from arctui.session import demo_session


def audit_entries() -> list[dict]:
    return AuditLog().read()


def state(session, service: str) -> str:
    return session.reader.read().service(service).state.value


def run(argv: list[str], session=None, answers: list[str] | None = None, tty: bool = True):
    args = build_parser().parse_args(argv)
    session = session or demo_session(Settings())
    replies = iter(answers or [])
    code = run_action_command(session, args, ask=lambda prompt: next(replies), interactive=tty)
    return code, session


def test_yes_runs_without_asking_and_is_audited(capsys):
    code, s = run(["stop", "postgres", "--yes"])
    assert code == 0 and state(s, "postgres") == "stopped"
    err = capsys.readouterr().err
    assert "docker compose -p arc-platform stop -t 10 postgres" in err
    assert "SIMULATED" in err
    [entry] = audit_entries()
    assert entry["outcome"] == "simulated" and entry["target"] == "postgres"


def test_prompt_yes_no_and_typed_names():
    code, s = run(["restart", "redis"], answers=["y"])
    assert code == 0
    code, s = run(["restart", "redis"], answers=["n"])
    assert code == 2
    code, s = run(["kill", "redis"], answers=["arc-platfrom"])
    assert code == 2 and state(s, "redis") == "running"
    code, s = run(["kill", "redis"], answers=["arc-platform"])
    assert code == 0 and state(s, "redis") == "stopped"
    outcomes = [e["outcome"] for e in audit_entries()]
    assert outcomes == ["simulated", "declined", "refused", "simulated"]
    assert "arc-platfrom" in audit_entries()[2]["detail"]


def test_without_a_terminal_it_needs_yes():
    code, s = run(["stop", "redis"], tty=False)
    assert code == 2 and state(s, "redis") == "running"
    assert "pass --yes" in audit_entries()[-1]["detail"]


def test_read_only_refuses_even_with_yes():
    code, _ = run(["up", "--yes"], session=demo_session(Settings(), read_only=True))
    assert code == 2
    assert audit_entries()[-1]["outcome"] == "refused"


def test_production_needs_the_flag_and_the_env_name():
    prod = demo_session(Settings(), env="prod")
    code, _ = run(["restart", "redis", "--yes"], session=prod)
    assert code == 2 and "--i-know-this-is-production" in audit_entries()[-1]["detail"]
    code, _ = run(["restart", "redis", "--i-know-this-is-production"], prod, ["staging"])
    assert code == 2
    code, _ = run(["restart", "redis", "--i-know-this-is-production"], prod, ["prod"])
    assert code == 0
    code, _ = run(["clean", "--yes", "--i-know-this-is-production"], session=prod)
    assert code == 2 and "backup" in audit_entries()[-1]["detail"]


def test_unknown_service_is_an_error_without_audit(capsys):
    code, _ = run(["stop", "nope", "--yes"])
    assert code == 2 and "no service called 'nope'" in capsys.readouterr().err
    assert audit_entries() == []


def test_scale_and_stack_down_up_on_the_demo():
    code, s = run(["scale", "raymond", "3", "--yes"])
    assert code == 0 and len(s.reader.read().service("raymond").containers) == 3
    code, s = run(["down", "--yes"], session=s)
    assert code == 0 and all(not v.containers for v in s.reader.read().services)
    code, s = run(["up", "--yes"], session=s)
    assert code == 0 and len(s.reader.read().service("raymond").containers) == 2


def test_scale_needs_a_number():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["scale", "raymond", "many"])


def test_audit_subcommand_prints_text_and_json(capsys):
    main(["--demo", "stop", "postgres", "--yes"])
    main(["--demo", "--read-only", "kill", "redis", "--yes"])
    capsys.readouterr()
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "stop postgres  SIMULATED" in out and "kill redis  REFUSED" in out
    assert "docker compose -p arc-platform kill redis" in out
    assert main(["audit", "--json", "-n", "1"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["action"] == "kill"


def test_a_per_env_read_only_default_applies_to_headless_commands():
    settings = Settings(envs={"prod": {"read_only": True}})
    prod = demo_session(settings, env="prod")
    assert prod.read_only
    code, _ = run(["restart", "redis", "--yes", "--i-know-this-is-production"], session=prod)
    assert code == 2 and "read-only" in audit_entries()[-1]["detail"]
    assert not demo_session(settings, env="dev").read_only


def test_an_argument_that_is_not_utf8_is_audited_before_the_restart(capsys):
    """`arctui --env $'\\xff' restart redis --yes`: recorded first, shown as \\xff."""
    session = demo_session(Settings(), env="\udcff")
    code, _ = run(["restart", "redis", "--yes"], session=session)
    assert code == 0
    raw = AuditLog().path.read_bytes().decode("utf-8")  # strict
    assert "\udcff" not in raw
    started, ended = AuditLog().read(raw=True)
    assert (started["outcome"], ended["outcome"]) == ("started", "simulated")
    assert started["env"] == ended["env"] == "\\xff"
    assert "Traceback" not in capsys.readouterr().err


def test_an_unexpected_error_in_the_action_fails_cleanly(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("arctui.ops.perform.perform", broken)  # imported when used
    code, _ = run(["restart", "redis", "--yes"])
    assert code == 1
    assert "unexpected error: RuntimeError('bug')" in capsys.readouterr().err

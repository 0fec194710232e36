"""The runbook: Makefile targets from make's database and ## comments, variables, commands."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import pytest

from arctui.config.custom_commands import CustomCommand, check_custom_commands
from arctui.config.errors import SettingError
from arctui.ops.maintenance.runbook import (
    Runbook,
    RunError,
    Target,
    custom_argv,
    help_comments,
    parse_assignments,
    plan_run,
    read_runbook,
)
from tests.unit.test_lifecycle import make_session

MAKEFILE = """\
ENV_FILE ?= .env
X := $(shell touch {marker})
.PHONY: up down logs-service clean

## Start the stack
up:
\t@echo up

down: ## Stop the stack
\t@echo down

logs-service: ## Follow one service (SERVICE=name)
\t@echo logs $(SERVICE)

clean: ## Remove containers and volumes
\tdocker compose down -v
\t+touch {plus}

build/%.o: src/%.c
\tcc -o $@ $<
"""


def test_help_comments_on_the_line_and_above() -> None:
    found = help_comments(MAKEFILE)
    assert found["up"][0] == "Start the stack"
    assert found["down"][0] == "Stop the stack"
    assert "ENV_FILE" not in found and "X" not in found and ".PHONY" not in found
    assert not any("%" in name for name in found)


def test_make_database_lists_targets_and_recipes_without_running_them(tmp_path: Path) -> None:
    plus = tmp_path / "plus-ran"
    (tmp_path / "Makefile").write_text(MAKEFILE.format(marker=tmp_path / "m", plus=plus))
    book = read_runbook(tmp_path)
    assert [t.name for t in book.targets] == ["up", "down", "logs-service", "clean"]
    clean = book.target("clean")
    assert clean is not None and clean.dangerous and "docker compose down -v" in clean.recipe
    assert not book.target("up").dangerous  # type: ignore[union-attr]
    assert not plus.exists()  # not even a `+` recipe line ran


def test_without_make_the_comments_still_list_targets(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "Makefile").write_text(MAKEFILE.format(marker="/dev/null", plus="/dev/null"))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    book = read_runbook(tmp_path, environ={"PATH": str(tmp_path / "nothing")})
    assert "comments only" in book.note
    assert {t.name for t in book.targets} == {"up", "down", "logs-service", "clean"}


@pytest.mark.parametrize(
    "word", ["SERVICE=a b", "SERVICE=x;rm -rf /", "SERVICE=$(id)", "SERVICE=`id`", "S=a|b", "noeq"]
)
def test_values_a_shell_would_interpret_are_refused(word: str) -> None:
    with pytest.raises(RunError):
        parse_assignments([word])


def test_plain_values_pass() -> None:
    assert parse_assignments(["SERVICE=otel-collector", "TAG=v1.2:3"]) == {
        "SERVICE": "otel-collector",
        "TAG": "v1.2:3",
    }


def test_make_plan_is_the_exact_command_and_dangerous_needs_the_project_name(tmp_path) -> None:
    s = make_session(tmp_path, production=True, env="prod")
    book = Runbook(
        tmp_path / "Makefile",
        (Target("logs-service", "follow"), Target("clean", recipe=("docker compose down -v",))),
    )
    plan = plan_run(s, book, "logs-service", ["SERVICE=kratos"])
    assert plan.action.command == (
        "make", "-C", str(tmp_path), "-f", "Makefile", "logs-service", "SERVICE=kratos",
    )  # fmt: skip
    assert plan.mutates and plan.action.confirmations == (("environment name", "prod"),)
    danger = plan_run(s, book, "clean")
    assert danger.action.destructive
    assert ("project name", "arc-platform") in danger.action.confirmations
    with pytest.raises(RunError, match="no target or command"):
        plan_run(s, book, "nope")


def test_custom_command_variables_are_words_and_shell_quoted_in_a_script(tmp_path) -> None:
    cmd = CustomCommand("x", tuple(shlex.split("sh -c 'echo $SERVICE; ls ${ENV}' $ENV")), "service")
    argv = custom_argv(cmd, {"SERVICE": "a'b", "ENV": "dev"})
    assert argv == ("sh", "-c", "echo 'a'\"'\"'b'; ls dev", "dev")


def test_custom_command_plan(tmp_path) -> None:
    s = make_session(tmp_path)
    safe = CustomCommand("size", ("du", "-sh", "$SERVICE"), "service")
    wipe = CustomCommand("wipe", ("rm", "-rf", "/tmp/x"), "stack", dangerous=True)
    book = Runbook(None, (), (safe, wipe))
    plan = plan_run(s, book, "size", ["SERVICE=postgres"])
    assert plan.action.command == ("du", "-sh", "postgres") and not plan.mutates
    assert plan.action.confirmations == ()
    danger = plan_run(s, book, "wipe")
    assert danger.mutates and danger.action.confirmations == (("command name", "wipe"),)
    with pytest.raises(RunError, match="SERVICE=name"):
        plan_run(s, book, "size")
    with pytest.raises(RunError, match="not a service name"):
        plan_run(s, book, "size", ["SERVICE=../x"])


def test_settings_validation() -> None:
    ok = check_custom_commands([{"name": "a", "command": "echo $ENV", "dangerous": True}])
    assert ok[0].dangerous and ok[0].argv == ("echo", "$ENV") and ok[0].scope == "stack"
    for bad in (
        [{"name": "a b", "command": "x"}],
        [{"name": "a", "command": ""}],
        [{"name": "a", "command": "echo 'open"}],
        [{"name": "a", "command": "x", "scope": "cluster"}],
        [{"name": "a", "command": "x", "dangerous": "yes"}],
        [{"name": "a", "command": "docker exec $CONTAINER ls"}],  # stack scope, $CONTAINER
        [{"name": "a", "command": "x"}, {"name": "a", "command": "y"}],
        [{"name": "a", "command": "x", "shell": True}],
    ):
        with pytest.raises((SettingError, ValueError)):
            check_custom_commands(bad)


def test_custom_command_container_is_the_running_one(tmp_path) -> None:
    s = make_session(tmp_path)
    snap = s.reader.read()
    service = next(sv for sv in snap.services if any(c.state == "running" for c in sv.containers))
    running = next(c for c in service.containers if c.state == "running")
    cmd = CustomCommand("top", ("docker", "top", "$CONTAINER"), "service")
    plan = plan_run(
        dataclasses.replace(s), Runbook(None, (), (cmd,)), "top", [f"SERVICE={service.name}"], snap
    )
    assert plan.action.command == ("docker", "top", running.name)

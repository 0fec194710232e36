"""Planning, permission and re-check of lifecycle actions (no Docker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from arctui.config.project import ProjectSpec
from arctui.config.settings import Settings
from arctui.models import (
    ComposeModel,
    ContainerInfo,
    DeclaredService,
    Mount,
    StackSnapshot,
)
from arctui.ops.lifecycle import ActionError, plan_action
from arctui.session import Session
from arctui.sources.base import SourceError
from arctui.stack.reader import StackReader


class FakeEngine:
    """A ContainerSource whose containers the test sets."""

    endpoint = "fake"

    def __init__(self, containers: list[ContainerInfo]) -> None:
        self.items = containers
        self.fail: str | None = None

    def containers(self, project: str, known=None) -> list[ContainerInfo]:
        if self.fail:
            raise SourceError(self.fail)
        return list(self.items)

    def follow_events(self, project, on_event, stop, since=None) -> None:
        return None

    def close(self) -> None:
        return None


class FakeCompose:
    def model(self) -> ComposeModel:
        return ComposeModel(
            project="arc-platform",
            services=(
                DeclaredService("postgres", container_name="arc-oracle-sql", stop_grace_period=4.5),
                DeclaredService("raymond"),
                DeclaredService("livekit", profiles=("voice",)),
            ),
        )


def ctr(service: str, state: str = "running", n: int = 1, **kw) -> ContainerInfo:
    return ContainerInfo(
        id=f"{service}{n}".ljust(64, "0"),
        name=kw.pop("name", f"arc-platform-{service}-{n}"),
        project="arc-platform",
        service=service,
        image="img",
        state=state,
        replica=n,
        **kw,
    )


def containers() -> list[ContainerInfo]:
    pg_mount = Mount("volume", "arc_postgres_data", "/var/lib/postgresql/data")
    bind = Mount("bind", "/etc/arc", "/etc/arc")
    return [
        ctr("postgres", name="arc-oracle-sql", mounts=(pg_mount, bind)),
        ctr("raymond", n=1),
        ctr("raymond", n=2),
    ]


def make_session(
    tmp_path: Path,
    engine: FakeEngine | None = None,
    *,
    env: str = "dev",
    production: bool = False,
    read_only: bool = False,
) -> Session:
    engine = engine or FakeEngine(containers())
    compose_file = tmp_path / "docker-compose.yml"
    compose_file.write_text("services: {}\n")
    spec = ProjectSpec(
        project_dir=tmp_path,
        compose_files=(compose_file,),
        project_name="arc-platform",
        env=env,
        env_files=(tmp_path / ".env",),
        production=production,
    )
    return Session(
        env=env,
        production=production,
        project="arc-platform",
        settings=Settings(),
        reader=StackReader("arc-platform", engine, FakeCompose()),
        read_only=read_only,
        spec=spec,
        environ={"PATH": "/usr/bin:/bin"},
    )


def snap(session: Session) -> StackSnapshot:
    return session.reader.read()


BASE = ["docker", "compose", "-p", "arc-platform", "--project-directory"]


def test_stop_uses_the_declared_grace_period_and_the_session_compose_args(tmp_path):
    s = make_session(tmp_path)
    action = plan_action(s, "stop", "postgres")
    assert list(action.command[:5]) == BASE
    assert action.command[5:] == (
        str(tmp_path),
        "--env-file",
        str(tmp_path / ".env"),
        "-f",
        str(tmp_path / "docker-compose.yml"),
        "stop",
        "-t",
        "5",
        "postgres",
    )
    assert action.scope == "service" and action.target == "postgres"
    assert not action.destructive and action.confirmations == ()
    assert action.expected == "up"
    assert action.cwd == str(tmp_path)
    assert "SIGKILL after 5 s" in action.summary
    # No stop_grace_period: compose's default of 10 s; an explicit timeout wins.
    assert plan_action(s, "restart", "raymond").command[-3:] == ("-t", "10", "raymond")
    assert plan_action(s, "stop", "raymond", timeout=2).command[-3:] == ("-t", "2", "raymond")


def test_service_verbs_map_to_the_compose_command_an_operator_would_type(tmp_path):
    s = make_session(tmp_path)
    tail = {
        "start": ("start", "raymond"),
        "kill": ("kill", "raymond"),
        "pause": ("pause", "raymond"),
        "unpause": ("unpause", "raymond"),
    }
    for verb, expected in tail.items():
        assert plan_action(s, verb, "raymond").command[-2:] == expected
    scale = plan_action(s, "scale", "raymond", replicas=3)
    assert scale.command[-7:] == (
        "up",
        "-d",
        "--no-deps",
        "--no-recreate",
        "--scale",
        "raymond=3",
        "raymond",
    )
    assert scale.title == "scale raymond=3"
    shell = plan_action(s, "shell", "postgres")
    assert shell.command == ("docker", "exec", "-it", "arc-oracle-sql", "sh")
    assert shell.interactive


def test_destructive_actions_need_the_project_name_and_production_the_env(tmp_path):
    s = make_session(tmp_path)
    kill = plan_action(s, "kill", "raymond")
    assert kill.destructive and kill.confirmations == (("project name", "arc-platform"),)
    clean = plan_action(s, "clean")
    assert clean.command[-2:] == ("down", "-v") and clean.destructive
    assert "arc_postgres_data" in clean.consequence and "/etc/arc" not in clean.consequence
    assert plan_action(s, "scale", "raymond", replicas=0).destructive

    prod = make_session(tmp_path, env="prod", production=True)
    restart = plan_action(prod, "restart", "raymond")
    assert restart.production and restart.confirmations == (("environment name", "prod"),)
    kill = plan_action(prod, "kill")
    assert kill.confirmations == (("project name", "arc-platform"), ("environment name", "prod"))


def test_stack_verbs(tmp_path):
    s = make_session(tmp_path)
    assert plan_action(s, "up").command[-2:] == ("up", "-d")
    assert plan_action(s, "up", wait=True).command[-3:] == ("up", "-d", "--wait")
    assert plan_action(s, "down").command[-1] == "down"
    assert plan_action(s, "kill").command[-1] == "kill"
    assert plan_action(s, "restart").command[-1] == "restart"
    assert plan_action(s, "down").expected == "3 containers"


@pytest.mark.parametrize(
    ("verb", "target", "kw", "message"),
    [
        ("stop", "nope", {}, "no service called 'nope'"),
        ("scale", "postgres", {"replicas": 2}, "container_name"),
        ("scale", "raymond", {"replicas": 51}, "from 0 to 50"),
        ("scale", "raymond", {}, "from 0 to 50"),
        ("shell", "livekit", {}, "no running container"),
        ("clean", "raymond", {}, "unknown service action"),
        ("start", None, {}, "needs a service"),
    ],
)
def test_actions_that_cannot_be_planned(tmp_path, verb, target, kw, message):
    with pytest.raises(ActionError, match=message):
        plan_action(make_session(tmp_path), verb, target, **kw)


def test_demo_session_shows_the_command_without_a_spec():
    from arctui.session import demo_session

    s = demo_session(Settings())
    action = plan_action(s, "stop", "postgres")
    assert action.command[:4] == ("docker", "compose", "-p", "arc-platform")
    assert action.simulated and action.cwd is None

"""The fleet model (issue 24): engines from settings and --engine, one session per engine."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from arctui.cli import build_parser, make_session
from arctui.config.engines import EngineSpec, parse_engine_option
from arctui.config.errors import ConfigError
from arctui.config.settings import Settings, load_settings
from arctui.fleet import Fleet, build_fleet, engine_env, merge_specs, with_engine
from arctui.session import demo_session, real_session
from arctui.sources.base import SourceError


def _settings(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def test_engines_settings_parse(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        "engines:\n"
        "  - {name: staging, host: 'ssh://deploy@stage', env: staging, project_dir: /srv/arc x}\n"
        "  - {name: prod, context: prod-eu, timeout: 3}\n"
        "  - {name: laptop}\n",
    )
    assert settings.engines == (
        EngineSpec("staging", host="ssh://deploy@stage", env="staging", project_dir="/srv/arc x"),
        EngineSpec("prod", context="prod-eu", timeout=3.0),
        EngineSpec("laptop"),
    )
    assert [s.kind for s in settings.engines] == ["ssh", "docker", "default"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("engines: {name: a}", "must be a list"),
        ("engines: [{host: 'tcp://h:2375'}]", "needs a name"),
        ("engines: [{name: 'a b', host: 'tcp://h'}]", "letters, digits"),
        ("engines: [{name: a, host: 'ftp://h'}]", "DOCKER_HOST URL"),
        ("engines: [{name: a, host: 'tcp://h', context: c}]", "not both"),
        ("engines: [{name: a, host: 'tcp://h', colour: red}]", "not an engine setting"),
        ("engines: [{name: a, host: 'tcp://h'}, {name: A, host: 'tcp://i'}]", "repeats"),
        ("engines: [{name: a, host: 'tcp://h', timeout: 0}]", "seconds"),
        ("engines: [{name: a, env: prod}]", "name only"),
    ],
)
def test_engines_settings_errors(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError, match="engines") as caught:
        _settings(tmp_path, text + "\n")
    assert said in str(caught.value)


def test_engine_option() -> None:
    assert parse_engine_option("e2=unix:///run/e2.sock") == EngineSpec(
        "e2", host="unix:///run/e2.sock"
    )
    assert parse_engine_option("prod=prod-ctx") == EngineSpec("prod", context="prod-ctx")
    assert parse_engine_option("s=demo:5").demo_seed == 5
    for bad in ("nohost", "x=", "=tcp://h", "a b=tcp://h"):
        with pytest.raises(ValueError):
            parse_engine_option(bad)
    with pytest.raises(SystemExit):
        build_parser(["--engine", "x", "status"]).parse_args(["--engine", "x", "status"])


def test_engine_env_defaults() -> None:
    settings = Settings(production_envs=("prod", "live"))
    assert engine_env(EngineSpec("prod", host="demo"), "dev", settings) == "prod"
    assert engine_env(EngineSpec("live", host="demo"), "dev", settings) == "live"
    assert engine_env(EngineSpec("eu1", host="demo"), "dev", settings) == "dev"
    assert engine_env(EngineSpec("eu1", host="demo", env="prod"), "dev", settings) == "prod"


def test_merge_specs_command_line_replaces() -> None:
    configured = (EngineSpec("a", host="tcp://a"), EngineSpec("b", host="tcp://b"))
    merged = merge_specs(configured, (EngineSpec("B", host="tcp://other"),))
    assert merged == (EngineSpec("a", host="tcp://a"), EngineSpec("B", host="tcp://other"))
    with pytest.raises(ConfigError, match="twice"):
        merge_specs((), (EngineSpec("x", host="demo"), EngineSpec("x", host="demo")))


def test_with_engine_points_at_one_engine() -> None:
    base = {"DOCKER_HOST": "unix:///var/run/docker.sock", "DOCKER_CONTEXT": "x", "PATH": "/bin"}
    assert with_engine(base, EngineSpec("e", host="tcp://h:1")) == {
        "DOCKER_HOST": "tcp://h:1",
        "PATH": "/bin",
    }
    assert with_engine(base, EngineSpec("e", context="c")) == {
        "DOCKER_CONTEXT": "c",
        "PATH": "/bin",
    }


def test_a_session_is_a_fleet_of_one() -> None:
    session = demo_session()
    assert isinstance(session.fleet, Fleet)
    assert session.fleet.all == (session,)
    assert session.fleet.names == ("local",)
    assert not session.fleet.multi
    copy = dataclasses.replace(session, env="other")  # how a replay is built
    assert copy.fleet.primary is copy


def test_demo_fleet_sessions_differ_and_follow_their_env() -> None:
    settings = Settings(envs={"staging": {"read_only": True}})
    primary = demo_session(settings, env="dev")
    fleet = build_fleet(
        primary,
        (EngineSpec("staging", host="demo"), EngineSpec("prod", host="demo")),
        settings=settings,
    )
    try:
        assert fleet.names == ("local", "staging", "prod")
        _, prod = fleet.members
        assert [s.env for s in fleet] == ["dev", "staging", "prod"]
        assert [s.production for s in fleet] == [False, False, True]
        assert [s.read_only for s in fleet] == [False, True, False]  # staging's own rule
        assert all(s.fleet is fleet for s in fleet)
        assert all(s.redactor is primary.redactor for s in fleet)  # one redactor per run
        assert fleet.by_name("PROD") is prod
        assert fleet.by_name("nope") is None
        # Their own readers, hubs and platforms: what each shows is its own.
        assert len({id(s.reader) for s in fleet}) == 3
        assert len({id(s.events) for s in fleet}) == 3
        ids = [{c.id for v in s.reader.read().services for c in v.containers} for s in fleet]
        assert not ids[0] & ids[1] and not ids[1] & ids[2]
        states = [{v.name: v.state.value for v in s.reader.read().services} for s in fleet.all]
        assert states[0]["grafana"] == "running"
        assert states[1]["grafana"] != "running"  # the staging demo has one service stopped
        assert states[2]["loki"] != "running"
    finally:
        primary.close()


def test_primary_named_by_settings_and_name_clash() -> None:
    primary = demo_session()
    fleet = build_fleet(primary, (EngineSpec("laptop"), EngineSpec("stage", host="demo")))
    assert fleet.names == ("laptop", "stage")
    with pytest.raises(ConfigError, match="used twice"):
        build_fleet(demo_session(), (EngineSpec("local", host="demo"),))


def test_demo_and_real_engines_do_not_mix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--demo takes only demo engines"):
        build_fleet(demo_session(), (EngineSpec("e2", host="tcp://127.0.0.1:1"),))
    (tmp_path / "compose.yaml").write_text("services: {a: {image: busybox}}\n")
    real = real_session(tmp_path, None, (), "proj", Settings(), environ={"PATH": "/usr/bin"})
    with pytest.raises(ConfigError, match="only with --demo"):
        build_fleet(real, (EngineSpec("d", host="demo"),))


def test_real_member_builds_without_contacting_its_engine(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services: {a: {image: busybox}}\n")
    environ = {"PATH": "/usr/bin:/bin", "DOCKER_HOST": "unix:///nonexistent/primary.sock"}
    primary = real_session(tmp_path, "dev", (), "proj", Settings(), environ=environ)
    fleet = build_fleet(
        primary, (EngineSpec("prod", host="unix:///nonexistent/e2.sock", timeout=2.0),)
    )
    member = fleet.members[0]
    assert member.project == "proj" and member.env == "prod" and member.production
    assert member.environ is not None and member.environ["DOCKER_HOST"].endswith("e2.sock")
    assert member.engine is not None and member.engine.timeout == 2.0
    assert member.engine.endpoint == "unix:///nonexistent/e2.sock"
    assert primary.engine is not None and primary.engine.endpoint.endswith("primary.sock")
    # Its reads fail on their own, with their own reason.
    with pytest.raises(SourceError, match=r"e2\.sock"):
        member.reader.read(with_compose=False)
    primary.close()


def test_cli_builds_the_fleet_from_engine_options() -> None:
    argv = ["--demo", "--engine", "staging=demo", "--engine", "prod=demo:3", "status"]
    session = make_session(build_parser(argv).parse_args(argv))
    try:
        assert session.fleet.names == ("local", "staging", "prod")
        assert session.fleet.members[1].production
    finally:
        session.close()


@pytest.mark.parametrize(
    ("info", "state", "notice"),
    [
        ({"Swarm": {"LocalNodeState": "active", "NodeID": "abc"}}, "active", True),
        ({"Swarm": {"LocalNodeState": "locked"}}, "locked", True),
        ({"Swarm": {"LocalNodeState": "inactive", "NodeID": ""}}, "inactive", False),
        ({"Swarm": {"LocalNodeState": "pending"}}, "pending", False),
        ({"Swarm": None}, "", False),
        ({}, "", False),
        (None, "", False),
        ({"Swarm": {"LocalNodeState": 3}}, "", False),
        ({"Swarm": "active"}, "", False),
    ],
)
def test_swarm_from_info(info: object, state: str, notice: bool) -> None:
    from arctui.fleet import SWARM_NOTICE, swarm_notice, swarm_state

    assert swarm_state(info) == state  # type: ignore[arg-type]
    assert swarm_notice(info) == (SWARM_NOTICE if notice else None)  # type: ignore[arg-type]


def test_engine_notices_name_the_engine() -> None:
    from arctui.fleet import SWARM_NOTICE, engine_notices

    class Engine:
        def __init__(self, info: object) -> None:
            self._info = info

        def info(self) -> object:
            if isinstance(self._info, Exception):
                raise self._info
            return self._info

    session = demo_session(engine_name="prod")
    assert engine_notices(session) == ()  # the demo has no engine to ask
    swarm = dataclasses.replace(session, engine=Engine({"Swarm": {"LocalNodeState": "active"}}))
    assert engine_notices(swarm) == (f"engine prod: {SWARM_NOTICE}",)
    down = dataclasses.replace(session, engine=Engine(SourceError("no answer")))
    assert engine_notices(down) == ()

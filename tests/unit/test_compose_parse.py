"""Reading `docker compose config --format json`: parsing, and the real CLI on tmp files."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from arctui.models import PortBinding
from arctui.sources.base import SourceError
from arctui.sources.compose import ComposeCli, parse_config, parse_duration

# --- durations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1m30s", 90.0),
        ("10s", 10.0),
        ("1.5s", 1.5),
        ("500ms", 0.5),
        ("2h", 7200.0),
        ("1h2m3s", 3723.0),
        ("250us", 0.00025),
        ("100ns", 1e-7),
        ("", None),
        (None, None),
        ("soon", None),
    ],
)
def test_parse_duration(text, seconds) -> None:
    result = parse_duration(text)
    if seconds is None:
        assert result is None
    else:
        assert result == pytest.approx(seconds)


# --- parse_config ------------------------------------------------------------------------

# Shaped like compose v2.40's output (keys and value types as it prints them).
CONFIG = {
    "name": "arc-platform",
    "networks": {"default": {"name": "arc-platform_default", "ipam": {}}},
    "services": {
        "postgres": {
            "command": None,
            "container_name": "arc-oracle-sql",
            "deploy": {
                "resources": {"limits": {"cpus": 0.5, "memory": "67108864"}},
                "placement": {},
            },
            "entrypoint": None,
            "environment": {
                "EMPTY": None,
                "POSTGRES_PASSWORD": "hunter2",
                "POSTGRES_USER": "arc",
            },
            "healthcheck": {"test": ["CMD", "pg_isready", "-U", "arc"], "interval": "10s"},
            "image": "postgres:16",
            "labels": {"arc.service.layer": "core", "arc.service.tech": "postgresql"},
            "networks": {"default": None},
            "ports": [
                {
                    "mode": "ingress",
                    "host_ip": "127.0.0.1",
                    "target": 5432,
                    "published": "5432",
                    "protocol": "tcp",
                },
                {"mode": "ingress", "target": 9187, "protocol": "tcp"},
                {"mode": "ingress", "target": 53, "published": "5353", "protocol": "udp"},
            ],
            "stop_grace_period": "1m30s",
        },
        "redis": {
            "depends_on": {
                "postgres": {"condition": "service_healthy", "required": True},
                "vault": {"condition": "service_started", "required": False},
            },
            "deploy": {"replicas": 2, "resources": {}, "placement": {}},
            "environment": ["A=1=2", "B"],
            "healthcheck": {"disable": True},
            "image": "redis:7",
            "labels": ["arc.service.tech=redis", "a=b=c"],
        },
        "debug": {
            "profiles": ["debug", "tools"],
            "depends_on": ["postgres"],
            "image": "busybox",
        },
        "vault": None,
    },
    "volumes": {
        "pgdata": {"name": "arc_postgres_data"},
        "scratch": None,
    },
}


@pytest.fixture
def model():
    return parse_config(CONFIG, ["a.yml", "b.yml"])


def test_project_services_volumes_and_files(model) -> None:
    assert model.project == "arc-platform"
    assert [s.name for s in model.services] == ["postgres", "redis", "debug", "vault"]
    assert model.volumes == ("arc_postgres_data", "scratch")
    assert model.files == ("a.yml", "b.yml")


def test_postgres_declaration(model) -> None:
    pg = model.service("postgres")
    assert pg is not None
    assert pg.image == "postgres:16"
    assert pg.container_name == "arc-oracle-sql"
    assert pg.labels == {"arc.service.layer": "core", "arc.service.tech": "postgresql"}
    assert pg.environment == (
        ("EMPTY", ""),
        ("POSTGRES_PASSWORD", "hunter2"),
        ("POSTGRES_USER", "arc"),
    )
    assert pg.ports == (
        PortBinding(5432, "tcp", "127.0.0.1", 5432),
        PortBinding(9187, "tcp", "", None),
        PortBinding(53, "udp", "", 5353),
    )
    assert pg.mem_limit == 64 * 1024 * 1024
    assert pg.cpu_limit == 0.5
    assert pg.stop_grace_period == 90.0
    assert pg.has_healthcheck is True
    assert pg.replicas is None
    assert pg.depends_on == ()
    assert pg.profiles == ()


def test_depends_on_mapping_with_conditions(model) -> None:
    redis = model.service("redis")
    assert redis is not None
    assert redis.depends_on == ("postgres", "vault")


def test_depends_on_list(model) -> None:
    debug = model.service("debug")
    assert debug is not None
    assert debug.depends_on == ("postgres",)
    assert debug.profiles == ("debug", "tools")


def test_labels_and_environment_as_lists_split_on_first_equals(model) -> None:
    redis = model.service("redis")
    assert redis is not None
    assert redis.labels == {"arc.service.tech": "redis", "a": "b=c"}
    assert redis.environment == (("A", "1=2"), ("B", ""))


def test_replicas_and_disabled_healthcheck(model) -> None:
    redis = model.service("redis")
    assert redis is not None
    assert redis.replicas == 2
    assert redis.has_healthcheck is False
    assert redis.mem_limit is None
    assert redis.cpu_limit is None
    assert redis.stop_grace_period is None


def test_disable_wins_over_a_test() -> None:
    m = parse_config(
        {"services": {"s": {"healthcheck": {"test": ["CMD", "true"], "disable": True}}}}
    )
    assert m.services[0].has_healthcheck is False


def test_empty_service_and_empty_document() -> None:
    vault = parse_config(CONFIG).service("vault")
    assert vault is not None
    assert (vault.image, vault.labels, vault.environment, vault.ports) == ("", {}, (), ())
    empty = parse_config({})
    assert (empty.project, empty.services, empty.volumes, empty.files) == ("", (), (), ())


def test_healthcheck_none_means_disabled() -> None:
    m = parse_config({"services": {"s": {"healthcheck": {"test": ["NONE"]}}}})
    assert m.services[0].has_healthcheck is False


# --- ComposeCli against the real `docker compose` --------------------------------------

needs_compose = pytest.mark.skipif(shutil.which("docker") is None, reason="docker CLI missing")

GOOD = """\
name: should-be-overridden
services:
  postgres:
    image: postgres:${PG_TAG:-16}
    container_name: arc-oracle-sql
    labels:
      arc.service.tech: postgresql
    ports: ["127.0.0.1:5432:5432"]
    deploy:
      resources:
        limits: {memory: 64M, cpus: "0.5"}
    stop_grace_period: 1m30s
  redis:
    image: redis:${REDIS_TAG}
    depends_on:
      postgres: {condition: service_healthy}
    healthcheck:
      disable: true
  debug:
    image: busybox
    profiles: [debug]
volumes:
  pgdata:
    name: arc_postgres_data
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}


@needs_compose
def test_compose_cli_renders_a_real_file(tmp_path: Path) -> None:
    compose_file = tmp_path / "docker-compose.yml"
    compose_file.write_text(GOOD)
    env_file = tmp_path / ".env.test"
    env_file.write_text("REDIS_TAG=7.2\n")
    cli = ComposeCli(
        ["-p", "arc-test", "--env-file", str(env_file), "-f", str(compose_file)],
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    model = cli.model()
    assert model.project == "arc-test"
    assert model.files == (str(compose_file),)
    # Inactive profiles are rendered too (--profile '*').
    assert sorted(s.name for s in model.services) == ["debug", "postgres", "redis"]
    pg = model.service("postgres")
    redis = model.service("redis")
    assert pg is not None and redis is not None
    assert pg.image == "postgres:16"
    assert redis.image == "redis:7.2"  # interpolated from the env file
    assert pg.container_name == "arc-oracle-sql"
    assert pg.labels["arc.service.tech"] == "postgresql"
    assert pg.ports == (PortBinding(5432, "tcp", "127.0.0.1", 5432),)
    assert pg.mem_limit == 67108864
    assert pg.cpu_limit == 0.5
    assert pg.stop_grace_period == 90.0
    assert redis.depends_on == ("postgres",)
    assert redis.has_healthcheck is False
    assert model.service("debug").profiles == ("debug",)  # type: ignore[union-attr]


def test_compose_cli_command_argv() -> None:
    cli = ComposeCli(["-p", "arc-platform", "-f", "a.yml"])
    assert cli.command("ps", "--format", "json") == [
        "docker",
        "compose",
        "-p",
        "arc-platform",
        "-f",
        "a.yml",
        "ps",
        "--format",
        "json",
    ]


@needs_compose
def test_compose_cli_missing_required_variable(tmp_path: Path) -> None:
    compose_file = tmp_path / "compose.yml"
    compose_file.write_text("services:\n  app:\n    image: 'busybox:${X:?X must be set}'\n")
    cli = ComposeCli(["-p", "t", "-f", str(compose_file)], cwd=tmp_path, env=_env(tmp_path))
    # What the file declares is still shown (`config --no-interpolate`), with the reason.
    model = cli.model()
    assert model.problem is not None and "X must be set" in model.problem
    assert model.interpolated is False
    assert [s.name for s in model.services] == ["app"]


@needs_compose
def test_compose_cli_bad_yaml(tmp_path: Path) -> None:
    compose_file = tmp_path / "compose.yml"
    compose_file.write_text("services:\n  app:\n    image: [unclosed\n  - nope: {\n")
    cli = ComposeCli(["-p", "t", "-f", str(compose_file)], cwd=tmp_path, env=_env(tmp_path))
    with pytest.raises(SourceError) as info:
        cli.model()
    assert info.value.reason.startswith("compose config does not render: ")
    assert "yaml" in info.value.reason.lower()


@needs_compose
def test_compose_cli_missing_file(tmp_path: Path) -> None:
    cli = ComposeCli(
        ["-p", "t", "-f", str(tmp_path / "nope.yml")], cwd=tmp_path, env=_env(tmp_path)
    )
    with pytest.raises(SourceError) as info:
        cli.model()
    assert "nope.yml" in info.value.reason


# --- ComposeCli failure modes with a fake `docker` ------------------------------------------


def _fake_docker(tmp_path: Path, script: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "docker"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}


def test_compose_cli_docker_not_installed(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    cli = ComposeCli([], cwd=tmp_path, env={"PATH": str(empty)})
    with pytest.raises(SourceError) as info:
        cli.model()
    assert info.value.reason == "the docker CLI is not installed"


def test_compose_cli_compose_plugin_missing(tmp_path: Path) -> None:
    env = _fake_docker(
        tmp_path, "echo \"docker: 'compose' is not a docker command.\" >&2\nexit 1\n"
    )
    with pytest.raises(SourceError) as info:
        ComposeCli([], cwd=tmp_path, env=env).model()
    assert info.value.reason == "docker compose v2 is not installed"


def test_compose_cli_timeout(tmp_path: Path) -> None:
    env = _fake_docker(tmp_path, "exec sleep 10\n")
    with pytest.raises(SourceError) as info:
        ComposeCli([], cwd=tmp_path, env=env, timeout=0.3).model()
    assert "took over" in info.value.reason


def test_compose_cli_invalid_json(tmp_path: Path) -> None:
    env = _fake_docker(tmp_path, "echo 'not json'\n")
    with pytest.raises(SourceError) as info:
        ComposeCli([], cwd=tmp_path, env=env).model()
    assert info.value.reason.startswith("compose config printed invalid JSON")


def test_compose_cli_error_output_is_sanitized_and_last_lines_kept(tmp_path: Path) -> None:
    env = _fake_docker(
        tmp_path,
        "printf 'line1\\nline2\\n\\033]0;pwned\\007line3\\nline4\\n' >&2\nexit 15\n",
    )
    with pytest.raises(SourceError) as info:
        ComposeCli([], cwd=tmp_path, env=env).model()
    assert info.value.reason == "compose config does not render: line2 | line3 | line4"


def test_compose_cli_passes_all_profiles_and_args(tmp_path: Path) -> None:
    env = _fake_docker(tmp_path, 'printf \'%s\\n\' "$@" > "$HOME/argv"\necho \'{"name":"x"}\'\n')
    model = ComposeCli(["-p", "x", "-f", "a.yml", "-f", "b.yml"], cwd=tmp_path, env=env).model()
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv == [
        "compose",
        "--profile",
        "*",
        "-p",
        "x",
        "-f",
        "a.yml",
        "-f",
        "b.yml",
        "config",
        "--format",
        "json",
    ]
    assert model.files == ("a.yml", "b.yml")
    assert model.project == "x"

"""Compose project resolution: files in both layouts, env files, name, production."""

from __future__ import annotations

from pathlib import Path

import pytest

from arctui.config.errors import ConfigError
from arctui.config.project import (
    ProjectSpec,
    discover_compose_files,
    normalize_project_name,
    resolve_project,
)
from arctui.config.settings import Settings

PLATFORM_PARTS = ("services", "production", "core", "base", "zextra", "security", "observability")


def write(path: Path, text: str = "services: {}\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def platform(tmp_path: Path) -> Path:
    for part in PLATFORM_PARTS:
        write(tmp_path / f"deployments/docker/docker-compose.{part}.yml")
    return tmp_path / "deployments/docker"


def test_guide_layout_with_stack_file(tmp_path: Path) -> None:
    base = write(tmp_path / "docker-compose.yml")
    assert discover_compose_files(tmp_path) == (base,)
    stack = write(tmp_path / "docker-compose.stack.yml")
    assert discover_compose_files(tmp_path) == (base, stack)


def test_guide_layout_prefers_compose_yaml(tmp_path: Path) -> None:
    write(tmp_path / "docker-compose.yml")
    preferred = write(tmp_path / "compose.yaml")
    assert discover_compose_files(tmp_path) == (preferred,)


def test_platform_layout_order_and_production_overlay(tmp_path: Path) -> None:
    d = platform(tmp_path)
    ordered = ["base", "core", "observability", "security", "services", "zextra"]
    assert discover_compose_files(tmp_path) == tuple(d / f"docker-compose.{p}.yml" for p in ordered)
    # The overlay is not implied by production: the Makefile, COMPOSE_FILE or -f name it.
    assert discover_compose_files(tmp_path, production=True) == tuple(
        d / f"docker-compose.{p}.yml" for p in ordered
    )


def test_no_compose_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        discover_compose_files(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path}: no compose file found")
    assert "docker-compose.yml" in message and "deployments/docker" in message


def test_resolve_platform_layout_like_the_makefile(tmp_path: Path) -> None:
    d = platform(tmp_path)
    env = write(tmp_path / ".env", "POSTGRES_USER=arc\n")
    spec, layers = resolve_project(tmp_path, environ={})
    assert spec.project_name == "arc-platform"
    assert spec.env is None and spec.production is False
    assert spec.env_files == (env,) == layers.files
    args = spec.compose_args()
    assert args[:6] == ["-p", "arc-platform", "--project-directory", str(d), "--env-file", str(env)]
    assert args[6:8] == ["-f", str(d / "docker-compose.base.yml")]
    assert args.count("-f") == 6
    assert str(d / "docker-compose.production.yml") not in args


def test_env_file_from_environ_selects_prod(tmp_path: Path) -> None:
    d = platform(tmp_path)
    write(tmp_path / ".env", "A=dev\n")
    prod = write(tmp_path / ".env.prod", "A=prod\n")
    spec, layers = resolve_project(tmp_path, environ={"ENV_FILE": ".env.prod"})
    assert spec.env == "prod"
    assert spec.production is True
    assert spec.env_files == (prod,)
    assert layers.values["A"].value == "prod"
    assert d / "docker-compose.production.yml" not in spec.compose_files


def test_production_follows_settings(tmp_path: Path) -> None:
    write(tmp_path / "docker-compose.yml")
    spec, layers = resolve_project(tmp_path, env="live", environ={})
    assert spec.production is False
    assert layers.missing == (tmp_path / ".env.live",)
    spec, _ = resolve_project(
        tmp_path, env="live", environ={}, settings=Settings(production_envs=("live",))
    )
    assert spec.production is True


def test_explicit_files_relative_to_cwd_then_project_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    base = write(project / "docker-compose.yml")
    extra = write(project / "ops/extra.yml")
    local = write(tmp_path / "cwd/local.yml")
    monkeypatch.chdir(tmp_path / "cwd")
    spec, _ = resolve_project(
        project, files=["docker-compose.yml", str(extra), "local.yml"], environ={}
    )
    assert spec.compose_files == (base, extra, local)


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "docker-compose.yml")
    with pytest.raises(ConfigError, match=r"^nope\.yml: compose file not found"):
        resolve_project(tmp_path, files=["nope.yml"], environ={})


@pytest.mark.parametrize(
    ("kwargs", "environ", "expected"),
    [
        ({"project_name": "from-flag"}, {"COMPOSE_PROJECT_NAME": "from-shell"}, "from-flag"),
        ({}, {"COMPOSE_PROJECT_NAME": "from-shell"}, "from-shell"),
        ({}, {}, "from-env-file"),
    ],
)
def test_project_name_precedence(
    tmp_path: Path, kwargs: dict[str, str], environ: dict[str, str], expected: str
) -> None:
    platform(tmp_path)
    write(tmp_path / ".env", "COMPOSE_PROJECT_NAME=from-env-file\n")
    spec, _ = resolve_project(tmp_path, environ=environ, **kwargs)  # type: ignore[arg-type]
    assert spec.project_name == expected


def test_project_name_from_compose_file_then_directory(tmp_path: Path) -> None:
    project = tmp_path / "_My Stack.v2"
    compose = write(project / "docker-compose.yml", "name: arc-${STAGE:-dev}\nservices: {}\n")
    assert resolve_project(project, environ={})[0].project_name == "arc-dev"
    assert resolve_project(project, environ={"STAGE": "qa"})[0].project_name == "arc-qa"
    write(compose, "services: {}\n")
    assert resolve_project(project, environ={})[0].project_name == "mystackv2"


def test_broken_compose_yaml_is_not_fatal(tmp_path: Path) -> None:
    project = tmp_path / "demo"
    write(project / "docker-compose.yml", "services: [unclosed\n")
    assert resolve_project(project, environ={})[0].project_name == "demo"


def test_invalid_explicit_project_name_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "docker-compose.yml")
    with pytest.raises(ConfigError, match="invalid compose project name 'Arc Platform' from -p"):
        resolve_project(tmp_path, project_name="Arc Platform", environ={})


def test_normalize_project_name() -> None:
    assert normalize_project_name("__My-Project.2") == "my-project2"
    assert normalize_project_name("--") == ""


def test_compose_args_order() -> None:
    spec = ProjectSpec(
        project_dir=Path("/p"),
        compose_files=(Path("/p/a.yml"), Path("/p/b.yml")),
        project_name="arc",
        env_files=(Path("/p/.env"), Path("/p/.env.prod")),
    )
    assert spec.compose_args() == [
        "-p", "arc", "--project-directory", "/p",
        "--env-file", "/p/.env", "--env-file", "/p/.env.prod",
        "-f", "/p/a.yml", "-f", "/p/b.yml",
    ]  # fmt: skip

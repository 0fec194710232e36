"""The rendered compose model is cached on disk and rendered again when any input changes.

Real `docker compose config` behind a `docker` wrapper that counts its invocations.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from arctui.sources.compose import ComposeCli
from arctui.sources.compose_cache import RenderCache, cache_dir

DOCKER = shutil.which("docker")
pytestmark = pytest.mark.skipif(DOCKER is None, reason="needs the docker CLI")


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.log = root / "calls.log"
        bindir = root / "bin"
        bindir.mkdir()
        wrapper = bindir / "docker"
        wrapper.write_text(f'#!/bin/sh\necho "$*" >> {self.log}\nexec {DOCKER} "$@"\n')
        wrapper.chmod(0o755)
        self.compose = root / "compose.yaml"
        self.compose.write_text(
            "services:\n  web:\n    image: nginx:${TAG:-1}\n    env_file: app.env\n"
        )
        self.env_file = root / ".env"
        self.env_file.write_text("UNUSED=1\n")
        self.app_env = root / "app.env"
        self.app_env.write_text("GREETING=hello\n")
        self.environ = {
            **os.environ,
            "PATH": f"{bindir}:{os.environ['PATH']}",
            "XDG_CACHE_HOME": str(root / "cache"),
        }
        self.environ.pop("TAG", None)

    def cli(self) -> ComposeCli:
        """A fresh client, as each `arctui status` builds one."""
        cache = RenderCache(cache_dir(self.environ), [self.compose, self.env_file], self.environ)
        args = ["-p", "cachetest", "-f", str(self.compose), "--env-file", str(self.env_file)]
        return ComposeCli(args, cwd=self.root, env=self.environ, cache=cache)

    def renders(self) -> int:
        text = self.log.read_text() if self.log.exists() else ""
        return sum(" config " in f" {line} " for line in text.splitlines())


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def _image(cli: ComposeCli) -> str:
    return cli.model().services[0].image


def _env(cli: ComposeCli) -> dict[str, str]:
    return dict(cli.model().services[0].environment)


def test_second_call_uses_the_cache(project: Project) -> None:
    assert _image(project.cli()) == "nginx:1"
    assert project.renders() == 1
    second = project.cli()
    assert _image(second) == "nginx:1"
    assert project.renders() == 1 and second.cache is not None and second.cache.hits == 1
    assert str(cache_dir(project.environ)).startswith(str(project.root))


def test_a_compose_file_change_renders_again(project: Project) -> None:
    _image(project.cli())
    project.compose.write_text(project.compose.read_text().replace("nginx", "httpd"))
    assert _image(project.cli()) == "httpd:1" and project.renders() == 2


def test_an_env_file_change_renders_again(project: Project) -> None:
    _image(project.cli())
    project.env_file.write_text("TAG=2\n")
    assert _image(project.cli()) == "nginx:2" and project.renders() == 2


def test_a_service_env_file_change_renders_again(project: Project) -> None:
    assert _env(project.cli())["GREETING"] == "hello"
    project.app_env.write_text("GREETING=bye\n")
    assert _env(project.cli())["GREETING"] == "bye" and project.renders() == 2


def test_an_interpolated_variable_renders_again(project: Project) -> None:
    _image(project.cli())
    project.environ["TAG"] = "3"
    assert _image(project.cli()) == "nginx:3" and project.renders() == 2
    project.environ["UNRELATED_VARIABLE"] = "x"  # not interpolated: the cache holds
    assert _image(project.cli()) == "nginx:3" and project.renders() == 2


def test_a_corrupt_entry_is_ignored_and_rewritten(project: Project) -> None:
    _image(project.cli())
    entries = list(cache_dir(project.environ).glob("*.json"))
    assert entries
    for entry in entries:
        entry.write_text('{"v": 1, "result": ')
    assert _image(project.cli()) == "nginx:1" and project.renders() == 2
    assert _image(project.cli()) == "nginx:1" and project.renders() == 2  # rewritten
    assert all(oct(e.stat().st_mode & 0o777) == "0o600" for e in entries)


def test_a_session_renders_again_when_a_default_env_file_appears(tmp_path: Path) -> None:
    """Through the session: a `.env` that appears joins the inputs (and compose's args)."""
    from arctui.config.settings import Settings
    from arctui.session import real_session

    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:${TAG:-1}\n")
    environ = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    environ.pop("TAG", None)

    def image() -> str:
        session = real_session(tmp_path, None, [], "cachetest", Settings(), environ=environ)
        model, error = session.reader.compose_model()
        assert model is not None, error
        return model.services[0].image

    assert image() == "nginx:1"
    assert image() == "nginx:1"
    (tmp_path / ".env").write_text("TAG=5\n")
    assert image() == "nginx:5"


def test_an_entry_is_used_only_for_the_exact_inputs_it_holds(project: Project) -> None:
    """The file name is a checksum: an entry in the slot made from other inputs is not used."""
    import json

    _image(project.cli())
    (entry,) = cache_dir(project.environ).glob("*.json")
    data = json.loads(entry.read_text())
    # The same slot, as if two keys' checksums collided: one byte of a file differs.
    data["key"] = data["key"].replace("nginx:${TAG:-1}", "nginx:${TAG:-2}")
    data["result"]["data"]["services"]["web"]["image"] = "stale:0"
    entry.write_text(json.dumps(data))
    assert _image(project.cli()) == "nginx:1" and project.renders() == 2

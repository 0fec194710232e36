"""Issue 8 against a real engine: a platform-shaped checkout with one service running.

The checkout (tests/fixtures/platform, copied) runs under its own compose project
`arctui-platformtest`: `arc-friday-viz` (busybox, host network, a loopback port) is up,
the 14 others were never created, the external network `arc_net` does not exist (never
created here: it is only detected), and one container carries the project's label
without any compose file declaring its service. Everything is removed at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from arctui import cli
from arctui.config.settings import Settings
from arctui.session import real_session
from arctui.tabs.services.view.presenters import ports_text, service_detail
from tests.integration import stack
from tests.platform_fixture import RUNNING, SERVICES, checkout, compose_files

PROJECT = "arctui-platformtest"
VIZ_CONTAINER = f"{PROJECT}-friday-viz"
STRAY_CONTAINER = f"{PROJECT}-stray"
STRAY_SERVICE = "arc-legacy-worker"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _docker(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    proc = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


@dataclass(frozen=True)
class Platform:
    root: Path  # the checkout the service was started from
    other: Path  # an identical checkout elsewhere (another clone of the repository)
    port: int


def _compose_args(root: Path) -> list[str]:
    args = ["compose", "-p", PROJECT, "--env-file", str(root / ".env")]
    for f in compose_files(root):
        args += ["-f", str(f)]
    return args


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    try:
        stack.ensure_engine()
    except RuntimeError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    if not _docker("images", "-q", stack.BUSYBOX_IMAGE).strip():
        stack.build_images()
    port = _free_port()
    extra = f"\nGRAFANA_CONTAINER_NAME={VIZ_CONTAINER}\nGRAFANA_PORT={port}\n"
    base = tmp_path_factory.mktemp("platform")
    root = checkout(base / "arc-platform", extra_env=extra)
    other = checkout(base / "another-clone" / "arc-platform", extra_env=extra)
    # `up` checks every external network of the file set; `arc_net` must stay missing, so
    # this one start points the network at the engine's `host` (the service uses host mode).
    env = {**os.environ, "ARC_NETWORK": "host"}
    env.pop("COMPOSE_FILE", None)
    up = [*_compose_args(root), "up", "-d", "--no-deps", RUNNING]
    try:
        _docker(*up, env=env, timeout=180)
        _docker(
            "run", "-d", "--name", STRAY_CONTAINER, "--network", "host",
            "--label", f"com.docker.compose.project={PROJECT}",
            "--label", f"com.docker.compose.service={STRAY_SERVICE}",
            "--label", "com.docker.compose.container-number=1",
            stack.BUSYBOX_IMAGE, "sh", "-c", "trap 'exit 0' TERM INT; sleep 3600 & wait",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            health = _docker("inspect", "-f", "{{.State.Health.Status}}", VIZ_CONTAINER).strip()
            if health == "healthy":
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"{VIZ_CONTAINER} did not become healthy")
        yield Platform(root, other, port)
    finally:
        subprocess.run(
            ["docker", "rm", "-f", STRAY_CONTAINER], capture_output=True, timeout=60, check=False
        )
        subprocess.run(
            ["docker", *_compose_args(root), "down", "-v", "--remove-orphans", "-t", "2"],
            capture_output=True,
            env=env,
            timeout=180,
            check=False,
        )


def _status(
    argv: list[str], capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, **env: str
) -> tuple[dict, str, int]:
    for key in ("COMPOSE_FILE", "ENV_FILE", "COMPOSE_PROJECT_NAME", "ARC_NETWORK"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = cli.main([*argv, "-p", PROJECT, "status", "--json"])
    out = capsys.readouterr()
    return json.loads(out.out), out.err, code


def test_declared_running_undeclared_and_missing_network(
    platform: Platform, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _, _ = _status(["--project-dir", str(platform.root)], capsys, monkeypatch)
    rows = {r["service"]: r for r in data["services"]}
    assert set(rows) == {*SERVICES, STRAY_SERVICE}  # 16: 15 declared + the stray
    assert sum(r["state"] == "not created" for r in rows.values()) == 14
    viz = rows[RUNNING]
    assert viz["state"] == "running" and viz["health"] == "healthy"
    # Host network: the engine binds nothing; compose's `3000` is declared, not bound.
    assert viz["ports"] == {"bound": [], "declared": ["3000"], "network_mode": "host"}
    assert viz["declared"] is True and viz["foreign_config"] is None
    assert rows[STRAY_SERVICE]["declared"] is False
    assert data["missing_networks"] == ["arc_net"]
    pg_net = rows["arc-oracle-sql"]["networks"]
    assert pg_net[0]["name"] == "arc_net" and pg_net[0]["missing"] is True
    deps = {d["service"]: d["condition"] for d in rows["arc-raymond-services"]["dependencies"]}
    assert deps == {
        "arc-oracle-sql": "service_healthy",
        "arc-sonic-cache": "service_healthy",
        "arc-flash-pulse": "service_started",
    }
    # The real binding is on the loopback port the container listens on.
    with socket.create_connection(("127.0.0.1", platform.port), timeout=5):
        pass


def test_detail_and_ports_cell_of_the_running_host_network_service(platform: Platform) -> None:
    session = real_session(
        platform.root, None, (), PROJECT, Settings(), environ={"PATH": os.environ["PATH"]}
    )
    try:
        snap = session.reader.read()
    finally:
        session.reader.containers.close()
    viz = snap.service(RUNNING)
    assert viz is not None and viz.containers
    assert ports_text(viz) == "host net"
    detail = service_detail(viz, time.time()).plain
    assert "bound: none published (host network" in detail
    assert "declared: 3000  (ignored on the host network)" in detail
    stray = snap.service(STRAY_SERVICE)
    assert stray is not None and stray.undeclared
    pg = snap.service("arc-oracle-sql")
    assert pg is not None
    assert (
        "network arc_net does not exist on the engine: `up` will fail"
        in service_detail(pg, time.time()).plain
    )


def test_production_keeps_every_service(
    platform: Platform, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod = platform.root / ".env.prod"
    prod.write_text((platform.root / ".env").read_text())
    try:
        data, _, _ = _status(
            ["--project-dir", str(platform.root)], capsys, monkeypatch, ENV_FILE=".env.prod"
        )
        assert len(data["services"]) == 16
        assert data["compose_error"] is None
        assert any("docker-compose.production.yml is not used" in n for n in data["notes"])
        # Named with -f, the overlay breaks the set: said, and the other files still show.
        files = [f"--file={f}" for f in compose_files(platform.root, production=True)]
        data, _, code = _status(
            ["--project-dir", str(platform.root), *files], capsys, monkeypatch, ENV_FILE=".env.prod"
        )
        assert len(data["services"]) == 16
        assert data["compose_error"].startswith("docker-compose.production.yml breaks the file set")
        assert code == 1
    finally:
        prod.unlink()


def test_started_from_another_checkout_is_marked(
    platform: Platform, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _, _ = _status(["--project-dir", str(platform.other)], capsys, monkeypatch)
    viz = next(r for r in data["services"] if r["service"] == RUNNING)
    assert viz["foreign_config"] is not None
    assert (
        str(platform.root / "deployments/docker/docker-compose.base.yml") in viz["foreign_config"]
    )


def test_missing_env_files_are_said_and_declared_services_stay(
    platform: Platform, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, err, _ = _status(
        ["--project-dir", str(platform.root)], capsys, monkeypatch, ENV_FILE=".env.staging"
    )
    assert "expected env file not found: .env.staging" in err
    assert len(data["services"]) == 16  # the not-created ones did not vanish
    assert "POSTGRES_PASSWORD" in (data["compose_error"] or "")


def test_status_from_deployments_docker(
    platform: Platform, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(platform.root / "deployments" / "docker")
    data, err, _ = _status([], capsys, monkeypatch)
    assert len(data["services"]) == 16
    assert "no compose file found" not in err

"""Bring the real arctui test stack (tests/stack/docker-compose.yml) up and down.

Plain module with no pytest dependency, so it also works from a shell::

    python -m tests.integration.stack up      # build images, up, wait for the settled state
    python -m tests.integration.stack down
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
from docker.models.containers import Container

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = REPO_ROOT / "tests" / "stack"
COMPOSE_FILE = STACK_DIR / "docker-compose.yml"
ENV_FILE = STACK_DIR / ".env"
BUILD_SCRIPT = STACK_DIR / "build-images.sh"
ENSURE_DOCKER = REPO_ROOT / "scripts" / "ensure-docker.sh"

PROJECT = "arctui-test"
HOST = "127.0.0.1"
PG_PORT = 15432
REDIS_PORT = 16379
GATEWAY_PORT = 18080
FLAGS_PORT = 18081
PG_USER = "arc"
PG_PASSWORD = "arctui-test-secret"
PG_DB = "arc_db"

BUSYBOX_IMAGE = "arctui-test/busybox:local"
HOSTROOT_IMAGE = "arctui-test/hostroot:local"

# Containers compose names itself (no container_name in the compose file).
PG_CONTAINER = "arctui-test-oracle-sql"
GATEWAY_CONTAINER = "arctui-test-heimdall-gateway"
FLAGS_CONTAINER = "arctui-test-mystique-flags"
REDIS_CONTAINER = "arctui-test-redis-1"
WORKER_CONTAINER = "arctui-test-worker-1"
RAYMOND_CONTAINERS = ("arctui-test-raymond-1", "arctui-test-raymond-2")

SERVICES = ("postgres", "redis", "gateway", "flags", "worker", "raymond", "hostile", "extra")
"""Every service declared in the compose file; `extra` sits behind a profile."""

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def _run(cmd: list[str], *, env: Mapping[str, str] | None = None, timeout: float = 300) -> str:
    """Run a command, return stdout; raise RuntimeError with its output on failure."""
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"{' '.join(cmd)}: {exc}") from exc
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}".strip()
        )
    return proc.stdout


def _engine_answers() -> str | None:
    """Return None when `docker info` and `docker compose` answer, else the reason."""
    for cmd in (
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        ["docker", "compose", "version"],
    ):
        try:
            _run(cmd, timeout=20)
        except RuntimeError as exc:
            return str(exc)
    return None


def ensure_engine() -> None:
    """Make sure a Docker engine and `docker compose` v2 answer (root on Linux may start one)."""
    reason = _engine_answers()
    if reason is None:
        return
    if sys.platform.startswith("linux") and os.geteuid() == 0 and ENSURE_DOCKER.exists():
        env = {**os.environ, "PYTHON": sys.executable}
        try:
            _run(["bash", str(ENSURE_DOCKER)], env=env, timeout=600)
        except RuntimeError as exc:
            reason = f"{reason}\n{ENSURE_DOCKER.name} failed: {exc}"
        else:
            reason = _engine_answers()
            if reason is None:
                return
    raise RuntimeError(f"no usable Docker engine / docker compose v2: {reason}")


def _ids(user: str) -> tuple[int, int]:
    """Numeric uid/gid of a host user (the host's postgres/redis packages create them)."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError as exc:
        raise RuntimeError(
            f"no '{user}' user on this host: install postgresql and redis-server "
            "(apt-get install -y postgresql redis-server busybox-static)"
        ) from exc
    return entry.pw_uid, entry.pw_gid


def _pg_bin() -> str:
    """Directory of the host's newest Postgres server binaries."""
    base = Path("/usr/lib/postgresql")
    candidates = sorted(
        (p for p in base.glob("*/bin") if (p / "postgres").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise RuntimeError(f"no Postgres server under {base} (apt-get install -y postgresql)")
    return str(candidates[-1])


def compose_env() -> dict[str, str]:
    """Environment for compose: ours plus the host uids/paths the compose file interpolates."""
    pg_uid, pg_gid = _ids("postgres")
    redis_uid, redis_gid = _ids("redis")
    return {
        **os.environ,
        "PG_UID": str(pg_uid),
        "PG_GID": str(pg_gid),
        "REDIS_UID": str(redis_uid),
        "REDIS_GID": str(redis_gid),
        "PG_BIN": _pg_bin(),
    }


def compose_cmd(*args: str) -> list[str]:
    """The exact `docker compose` command line used for this project."""
    return [
        "docker",
        "compose",
        "-p",
        PROJECT,
        "-f",
        str(COMPOSE_FILE),
        "--env-file",
        str(ENV_FILE),
        *args,
    ]


def compose(*args: str, timeout: float = 300) -> str:
    """Run `docker compose <args>` for this project with compose_env(); return stdout."""
    return _run(compose_cmd(*args), env=compose_env(), timeout=timeout)


def check_host() -> None:
    """Raise RuntimeError unless the host has busybox-static, postgresql and redis-server."""
    if not Path("/bin/busybox").exists():
        raise RuntimeError("/bin/busybox missing (apt-get install -y busybox-static)")
    if not Path("/usr/bin/redis-server").exists():
        raise RuntimeError("/usr/bin/redis-server missing (apt-get install -y redis-server)")
    compose_env()  # the postgres/redis users and the Postgres binaries


def build_images() -> None:
    """Build (or keep, when up to date) the two local images the stack needs."""
    check_host()
    _run(["bash", str(BUILD_SCRIPT)], timeout=600)


def client(timeout: int = 30) -> docker.DockerClient:
    """A Docker SDK client for the local engine."""
    return docker.from_env(timeout=timeout)


def project_containers(dc: docker.DockerClient, service: str | None = None) -> list[Container]:
    """All containers of this compose project (optionally of one service), sorted by name."""
    labels = [f"{PROJECT_LABEL}={PROJECT}"]
    if service is not None:
        labels.append(f"{SERVICE_LABEL}={service}")
    found = dc.containers.list(all=True, filters={"label": labels})
    return sorted(found, key=lambda c: c.name or "")


def health(container: Container) -> str | None:
    """Health status ('healthy', 'unhealthy', 'starting') or None without a healthcheck."""
    state: dict[str, Any] = container.attrs.get("State", {})
    h = state.get("Health")
    return h.get("Status") if h else None


def restart_count(container: Container) -> int:
    """How often the engine restarted this container."""
    return int(container.attrs.get("RestartCount", 0))


@dataclass
class Settled:
    """Result of one check of the stack against its expected settled state."""

    ok: bool
    problems: list[str] = field(default_factory=list)


def check_settled(dc: docker.DockerClient) -> Settled:
    """Compare the live containers with the state up() promises."""
    problems: list[str] = []
    by_service: dict[str, list[Container]] = {}
    for c in project_containers(dc):
        by_service.setdefault(c.labels.get(SERVICE_LABEL, "?"), []).append(c)

    def one(service: str) -> Container | None:
        found = by_service.get(service, [])
        if len(found) != 1:
            problems.append(f"{service}: {len(found)} containers, want 1")
            return None
        return found[0]

    settled_healthy = ("postgres", "redis", "gateway", "hostile")  # hostile: issue 9's fixture
    for service, want in ((name, "healthy") for name in settled_healthy):
        c = one(service)
        if c is not None and (c.status != "running" or health(c) != want):
            problems.append(f"{service}: {c.status}/{health(c)}, want running/{want}")
    flags = one("flags")
    if flags is not None and health(flags) != "unhealthy":
        problems.append(f"flags: {flags.status}/{health(flags)}, want unhealthy")
    worker = one("worker")
    if worker is not None and restart_count(worker) < 1:
        problems.append(f"worker: restart count {restart_count(worker)}, want >= 1")
    replicas = by_service.get("raymond", [])
    good = [c for c in replicas if c.status == "running" and health(c) == "healthy"]
    if len(replicas) != 2 or len(good) != 2:
        problems.append(f"raymond: {len(good)}/{len(replicas)} running+healthy, want 2/2")
    if by_service.get("extra"):
        problems.append("extra: has a container, want none (profile not enabled)")
    return Settled(ok=not problems, problems=problems)


def wait_settled(dc: docker.DockerClient, timeout: float = 120, poll: float = 0.5) -> float:
    """Poll until check_settled passes; return seconds waited, raise RuntimeError on timeout."""
    start = time.monotonic()
    while True:
        result = check_settled(dc)
        if result.ok:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            try:
                logs = compose("logs", "--no-color", "--tail", "20", timeout=30)
            except RuntimeError as exc:
                logs = str(exc)
            raise RuntimeError(
                f"stack {PROJECT} did not settle within {timeout:.0f}s:\n  "
                + "\n  ".join(result.problems)
                + f"\n--- logs ---\n{logs}"
            )
        time.sleep(poll)


def up(wait_timeout: float = 120) -> float:
    """`compose up -d`, then wait for the settled state; return the total seconds taken."""
    start = time.monotonic()
    compose("up", "-d", "--remove-orphans", timeout=wait_timeout + 60)
    dc = client()
    try:
        wait_settled(dc, timeout=max(1.0, wait_timeout - (time.monotonic() - start)))
    finally:
        dc.close()
    return time.monotonic() - start


def down() -> float:
    """Remove this project's containers (every profile) and volumes; return seconds taken."""
    start = time.monotonic()
    compose("--profile", "*", "down", "-v", "--remove-orphans", "--timeout", "5", timeout=120)
    return time.monotonic() - start


@dataclass(frozen=True)
class RunningStack:
    """What the `test_stack` fixture yields: where the stack lives and how to reach it."""

    client: docker.DockerClient
    project: str = PROJECT
    stack_dir: Path = STACK_DIR
    compose_file: Path = COMPOSE_FILE
    env_file: Path = ENV_FILE
    host: str = HOST
    pg_port: int = PG_PORT
    redis_port: int = REDIS_PORT
    gateway_port: int = GATEWAY_PORT
    flags_port: int = FLAGS_PORT
    pg_user: str = PG_USER
    pg_password: str = PG_PASSWORD
    pg_db: str = PG_DB
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def pg_dsn(self) -> str:
        """libpq connection string for the stack's Postgres."""
        return (
            f"host={self.host} port={self.pg_port} user={self.pg_user} "
            f"password={self.pg_password} dbname={self.pg_db}"
        )

    @property
    def redis_url(self) -> str:
        """redis:// URL for the stack's Redis."""
        return f"redis://{self.host}:{self.redis_port}/0"

    def containers(self, service: str | None = None) -> list[Container]:
        """This project's containers (optionally of one compose service), fresh from the engine."""
        return project_containers(self.client, service)

    def compose_cmd(self, *args: str) -> list[str]:
        """The exact `docker compose` command line for this project."""
        return compose_cmd(*args)

    def compose(self, *args: str, timeout: float = 300) -> str:
        """Run `docker compose <args>` for this project; return stdout."""
        return compose(*args, timeout=timeout)


def main(argv: list[str]) -> int:
    """Tiny CLI: `up` (build + up + wait) or `down`."""
    if argv[:1] == ["up"]:
        ensure_engine()
        build_images()
        print(f"{PROJECT} up and settled in {up():.1f}s")
        return 0
    if argv[:1] == ["down"]:
        print(f"{PROJECT} down in {down():.1f}s")
        return 0
    print("usage: python -m tests.integration.stack up|down", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

# ruff: noqa: E501  (the compose file below keeps its lines whole)
"""arctui's own fault project, `arctui-healthtest`: real faults for health, doctor, diagnostics.

Created and removed here, host network, loopback ports 28xxx. It plants a Kratos stand-in
crash-looping with a migration error in its logs, a memory hog OOM-killed at its 24 MB
limit, an API whose health check needs its Postgres (a real one, on 28432) and whose
REDIS_URL points at a closed port, an OTel collector stand-in whose mounted config has no
Loki exporter, and a Loki stand-in. `faults` is a session fixture (conftest imports it).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from arctui.config.settings import Settings
from arctui.session import Session, real_session
from tests.integration.stack import (
    BUSYBOX_IMAGE,
    HOSTROOT_IMAGE,
    STACK_DIR,
    RunningStack,
    compose_env,
)

PROJECT = "arctui-healthtest"
PG_PORT = 28432
API_PORT = 28181
LOKI_PORT = 28100
OTEL_PORT = 28133
CLOSED_PORT = 28379  # nothing listens here
PG_PASSWORD = "healthtest-Pg-secret-7Q4"
API_TOKEN = "healthtest-api-token-Zx81"
ENTRYPOINT = STACK_DIR / "postgres" / "entrypoint.sh"

ENV = f"""\
POSTGRES_USER=arc
POSTGRES_PASSWORD={PG_PASSWORD}
POSTGRES_DB=arc_db
PG_PORT={PG_PORT}
API_TOKEN={API_TOKEN}
KRATOS_SECRET_COOKIE=CHANGE_ME_cookie_secret
GRAFANA_ADMIN_PASSWORD=admin
REDIS_URL=redis://127.0.0.1:{CLOSED_PORT}/0
"""

COLLECTOR = """\
receivers:
  otlp:
    protocols:
      grpc:
      http:
exporters:
  prometheus:
    endpoint: 0.0.0.0:8889
  debug:
    verbosity: basic
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
"""

COMPOSE = f"""\
name: {PROJECT}
services:
  postgres:
    image: {HOSTROOT_IMAGE}
    network_mode: host
    user: "${{PG_UID:?}}:${{PG_GID:?}}"
    labels: {{arc.service.tech: postgresql}}
    entrypoint: ["/bin/sh", "/docker-entrypoint.sh"]
    environment:
      POSTGRES_USER: arc
      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD}}
      POSTGRES_DB: arc_db
      PGDATA: /var/lib/postgresql/data/pgdata
      PG_BIN: ${{PG_BIN}}
      PG_PORT: "{PG_PORT}"
      PATH: ${{PG_BIN}}:/usr/sbin:/usr/bin:/sbin:/bin
      LANG: C.UTF-8
    volumes:
      - /usr:/usr:ro
      - /lib:/lib:ro
      - /lib64:/lib64:ro
      - /bin:/bin:ro
      - /sbin:/sbin:ro
      - /etc:/etc:ro
      - {ENTRYPOINT}:/docker-entrypoint.sh:ro
      - pgdata:/var/lib/postgresql/data
    stop_signal: SIGINT
    stop_grace_period: 5s
    healthcheck:
      test: ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-p", "{PG_PORT}", "-U", "arc", "-d", "arc_db"]
      interval: 1s
      timeout: 3s
      retries: 30
  api:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    restart: unless-stopped
    labels: {{arc.service.tech: custom}}
    environment:
      DATABASE_URL: postgres://arc:${{POSTGRES_PASSWORD}}@127.0.0.1:{PG_PORT}/arc_db
      API_TOKEN: ${{API_TOKEN}}
      REDIS_URL: ${{REDIS_URL}}
      OTEL_EXPORTER_OTLP_ENDPOINT: http://127.0.0.1:28318
    command:
      - sh
      - -c
      - >-
        trap 'exit 0' TERM INT;
        echo "connecting to $$DATABASE_URL with token $$API_TOKEN";
        httpd -f -p 127.0.0.1:{API_PORT} -h /www & wait
    volumes:
      - ./www:/www:ro
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD-SHELL", "nc -w 1 127.0.0.1 {PG_PORT} </dev/null"]
      interval: 1s
      timeout: 2s
      retries: 2
    depends_on:
      postgres: {{condition: service_healthy}}
  kratos:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    restart: always
    labels: {{arc.service.tech: kratos}}
    command:
      - sh
      - -c
      - >-
        echo 'time=2026-12-01T10:00:00Z level=info msg="applying migrations"';
        echo 'time=2026-12-01T10:00:01Z level=error msg="migration failed" error="ERROR: relation \\"identity_credentials\\" does not exist (SQLSTATE 42P01)"' >&2;
        sleep 1; exit 1
    depends_on:
      postgres: {{condition: service_healthy}}
  hog:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    restart: unless-stopped
    labels: {{arc.service.tech: custom}}
    mem_limit: 24m
    memswap_limit: 24m
    command: ["sh", "-c", "echo allocating; a=$$(head -c 64000000 /dev/zero | tr '\\\\0' x); sleep 3600"]
  otel:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    restart: unless-stopped
    labels: {{arc.service.tech: opentelemetry}}
    command: ["sh", "-c", "trap 'exit 0' TERM INT; httpd -f -p 127.0.0.1:{OTEL_PORT} -h /www & wait"]
    volumes:
      - ./www:/www:ro
      - ./otel-collector-config.yml:/etc/otelcol/config.yaml:ro
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:{OTEL_PORT}/health"]
      interval: 1s
      timeout: 2s
      retries: 3
  loki:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    restart: unless-stopped
    labels: {{arc.service.tech: loki}}
    command: ["sh", "-c", "trap 'exit 0' TERM INT; httpd -f -p 127.0.0.1:{LOKI_PORT} -h /www & wait"]
    volumes:
      - ./www:/www:ro
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:{LOKI_PORT}/ready"]
      interval: 1s
      timeout: 2s
      retries: 3
volumes:
  pgdata:
"""


@dataclass
class Faults:
    """The fault project: where it lives and how to run compose and arctui on it."""

    directory: Path
    client: docker.DockerClient

    def compose(self, *args: str, timeout: float = 180) -> str:
        """`docker compose -p arctui-healthtest ... ARGS`; raises on failure."""
        proc = subprocess.run(
            ["docker", "compose", "-p", PROJECT, "-f", "docker-compose.yml", *args],
            cwd=self.directory,
            env=compose_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"compose {' '.join(args)}: {proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def session(self, **kwargs: object) -> Session:
        """An arctui session on the project, found the way an operator's would be."""
        return real_session(
            self.directory,
            env=None,
            files=[],
            project_name=None,
            settings=Settings(),
            environ=compose_env(),
            **kwargs,  # type: ignore[arg-type]
        )

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`python -m arctui ARGS` run in the project directory."""
        return subprocess.run(
            [sys.executable, "-m", "arctui", *args],
            cwd=self.directory,
            env=compose_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def container(self, service: str) -> docker.models.containers.Container:
        """The service's (only) container, fresh."""
        found = self.client.containers.list(
            all=True,
            filters={
                "label": [
                    f"com.docker.compose.project={PROJECT}",
                    f"com.docker.compose.service={service}",
                ]
            },
        )
        assert len(found) == 1, (service, found)
        return found[0]


def wait_for(what: str, check: Callable[[], bool], timeout: float = 90) -> None:
    """Poll `check` until true or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


def health(c: docker.models.containers.Container) -> str | None:
    c.reload()
    h = c.attrs["State"].get("Health")
    return h["Status"] if h else None


@contextlib.contextmanager
def fault_project(base: Path) -> Iterator[Faults]:
    """Write, start and settle the fault project; remove it (volumes too) at the end."""
    directory = base / "healthtest"
    (directory / "www").mkdir(parents=True)
    for name, body in (("health", "ok\n"), ("ready", "ready\n"), ("ping", "OK\n")):
        (directory / "www" / name).write_text(body)
    (directory / "docker-compose.yml").write_text(COMPOSE)
    (directory / ".env").write_text(ENV)
    (directory / "otel-collector-config.yml").write_text(COLLECTOR)
    faults = Faults(directory, docker.from_env(timeout=30))
    try:
        # Every service at once (api and kratos start when Postgres is healthy): the hog's
        # OOM kill and kratos's crash happen while the others settle, not after them.
        faults.compose("up", "-d")
        for service in ("postgres", "api", "otel", "loki"):
            wait_for(
                f"{service} healthy", lambda s=service: health(faults.container(s)) == "healthy"
            )
        wait_for("kratos to restart", lambda: faults.container("kratos").attrs["RestartCount"] >= 1)
        wait_for(
            "hog to be OOM-killed",
            lambda: (
                (c := faults.container("hog")).reload() is None
                and (c.attrs["State"]["OOMKilled"] or c.attrs["RestartCount"] >= 1)
            ),
        )
        yield faults
    finally:
        with contextlib.suppress(Exception):
            faults.compose("down", "-v", "-t", "1", "--remove-orphans")
        faults.client.close()


@pytest.fixture(scope="session")
def faults(test_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faults]:
    """The fault project, up and settled once for the health, doctor and diagnostics tests.

    Up in ~6 s idle but 30 s and more on a busy machine: one start for the three modules.
    A test that changes it puts it back (test_health_live stops and restarts Postgres).
    """
    with fault_project(tmp_path_factory.mktemp("faults")) as project:
        yield project

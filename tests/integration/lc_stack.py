"""A second, tiny compose project for the destructive lifecycle tests (`arctui-test-lc`).

Stack-wide down, kill and clean run against this project, never against the shared
`arctui-test` stack. Same rules as tests/stack: the local busybox image, host network,
127.0.0.1 only, no networks created. `stuck.yml` adds a service whose health check
never passes, with a dependant, so `up -d` blocks (for the cancel test).
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import docker

from tests.integration.stack import BUSYBOX_IMAGE, PROJECT_LABEL

LC_PROJECT = "arctui-test-lc"
WEB_PORT = 18090
OTHER_PORT = 18091  # the blue-green test's second project

COMPOSE = f"""\
name: {LC_PROJECT}
services:
  web:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    restart: unless-stopped
    command:
      - sh
      - -c
      - >-
        trap 'exit 0' TERM INT;
        httpd -f -p 127.0.0.1:${{WEB_PORT:-{WEB_PORT}}} -h /srv/gateway & wait
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:${{WEB_PORT:-{WEB_PORT}}}/ping"]
      interval: 1s
      timeout: 2s
      retries: 3
    volumes:
      - webdata:/data
  sleeper:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    restart: unless-stopped
    command: ["sh", "-c", "trap 'exit 0' TERM INT; while true; do sleep 5 & wait; done"]
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 3
    volumes:
      - cache:/cache
volumes:
  webdata:
  cache:
"""

STUCK = f"""\
services:
  stuck:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    command: ["sh", "-c", "trap 'exit 0' TERM INT; while true; do sleep 5 & wait; done"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      timeout: 1s
      retries: 100000
  waiter:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    command: ["sh", "-c", "trap 'exit 0' TERM INT; while true; do sleep 5 & wait; done"]
    stop_grace_period: 1s
    depends_on:
      stuck:
        condition: service_healthy
"""

ENV = "# lifecycle test project\nLC_SECRET_TOKEN=lc-token-value-9321\n"


def write_project(directory: Path, project: str = LC_PROJECT, port: int = WEB_PORT) -> Path:
    """Write the compose file (and `.env`) into `directory`; return the compose file."""
    directory.mkdir(parents=True, exist_ok=True)
    compose = COMPOSE.replace(f"name: {LC_PROJECT}", f"name: {project}")
    compose = compose.replace(f":-{WEB_PORT}", f":-{port}")
    (directory / "docker-compose.yml").write_text(compose)
    (directory / "stuck.yml").write_text(STUCK)
    (directory / ".env").write_text(ENV)
    return directory / "docker-compose.yml"


def compose(directory: Path, project: str, *args: str, timeout: float = 120) -> str:
    """Run `docker compose -p PROJECT -f ... ARGS` in `directory`; stdout, raises on failure."""
    files = ["-f", str(directory / "docker-compose.yml")]
    if "--profile-stuck" in args:
        args = tuple(a for a in args if a != "--profile-stuck")
        if (directory / "stuck.yml").exists():
            files += ["-f", str(directory / "stuck.yml")]
    proc = subprocess.run(
        ["docker", "compose", "-p", project, *files, *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"compose {' '.join(args)}: {proc.stdout}\n{proc.stderr}")
    return proc.stdout


def remove(directory: Path, project: str) -> None:
    """Take the project down with its volumes, stuck services included."""
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        compose(directory, project, "--profile-stuck", "down", "-v", "-t", "1", "--remove-orphans")


def containers(client: docker.DockerClient, project: str, service: str | None = None) -> list:
    """The project's containers (optionally one service), fresh from the engine."""
    labels = [f"{PROJECT_LABEL}={project}"]
    if service:
        labels.append(f"com.docker.compose.service={service}")
    return client.containers.list(all=True, filters={"label": labels})


def volumes(client: docker.DockerClient, project: str) -> set[str]:
    """Names of the volumes compose created for the project."""
    found = client.volumes.list(filters={"label": f"com.docker.compose.project={project}"})
    return {v.name for v in found}


BG_PROJECT = "arctui-test-bg"
BLUEGREEN = f"""\
name: {BG_PROJECT}
services:
  app:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    restart: unless-stopped
    command: ["sh", "-c", "trap 'exit 0' TERM INT; while true; do sleep 5 & wait; done"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 3
    volumes:
      - appdata:/data
volumes:
  appdata:
"""


def write_bluegreen_project(directory: Path) -> Path:
    """A project with no container_name, no ports: two copies can run side by side."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "docker-compose.yml").write_text(BLUEGREEN)
    return directory / "docker-compose.yml"

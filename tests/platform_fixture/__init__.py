"""A checkout shaped like the A.R.C. platform's repository, set up as its docs say.

The files live in `tests/fixtures/platform/`: `deployments/docker/` with base, core,
observability, security, services and an out-of-date production overlay; a Makefile
passing `-p arc-platform --env-file $(ENV_FILE)` and the five files; `.env.example` with
`CHANGE_ME` placeholders and inline comments; per-service `.env.example` templates that
no compose file reads. `checkout()` copies it and does the docs' setup steps.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "platform"
COMPOSE_DIR = Path("deployments") / "docker"
PARTS = ("base", "core", "observability", "security", "services")
SERVICES = (
    "arc-oracle-sql",
    "arc-sonic-cache",
    "arc-flash-pulse",
    "arc-strange-stream",
    "arc-widow-otel",
    "arc-watson-logs",
    "arc-house-metrics",
    "arc-columbo-traces",
    "arc-friday-viz",
    "arc-fury-vault",
    "arc-deckard-identity",
    "arc-mystique-flags",
    "arc-heimdall-gateway",
    "arc-daredevil-voice",
    "arc-raymond-services",
)
RUNNING = "arc-friday-viz"  # the one light service (busybox on the host network)
SERVICE_TEMPLATES = ("core/caching/redis", "core/telemetry/otel-collector")


def compose_files(root: Path, production: bool = False) -> list[Path]:
    """The Makefile's five files (plus the overlay when asked), absolute."""
    parts = [*PARTS, "production"] if production else list(PARTS)
    return [root / COMPOSE_DIR / f"docker-compose.{p}.yml" for p in parts]


def checkout(
    dest: Path,
    env: bool = True,
    service_envs: bool = True,
    extra_env: str = "",
) -> Path:
    """Copy the fixture to `dest` and do the setup: `cp .env.example .env` (+ per service)."""
    shutil.copytree(FIXTURE, dest)
    if env:
        text = (dest / ".env.example").read_text(encoding="utf-8")
        (dest / ".env").write_text(text + extra_env, encoding="utf-8")
    if service_envs:
        for rel in SERVICE_TEMPLATES:
            template = dest / rel / ".env.example"
            (dest / rel / ".env").write_text(template.read_text(encoding="utf-8"), "utf-8")
    return dest

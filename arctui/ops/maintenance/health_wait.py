"""Waiting for a recreated service to be healthy within its health-check window.

The window is the container's own check (`Config.Healthcheck` of the inspect, which
merges the image's HEALTHCHECK with compose's `healthcheck:`): start_period +
interval x retries, plus one check's timeout (a check started at the edge ends up to
`timeout` later). Unhealthy, exited or restarting ends the wait at once. A container
without a health check must stay running for `NO_CHECK_SETTLE` seconds. No Textual.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from arctui.text import one_line

NS = 1_000_000_000
DEFAULT_INTERVAL = 30.0  # the engine's defaults when a check sets none
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
NO_CHECK_SETTLE = 10.0
APPEAR_WITHIN = 60.0  # the new container must exist this long after `up` returned
POLL = 0.5


class ServiceReads(Protocol):
    """The engine reads an update makes (the real one: `update.EngineReads`)."""

    def image(self, ref: str) -> dict[str, Any] | None: ...

    def service_containers(self, project: str, service: str) -> list[dict[str, Any]]: ...


def health_window(inspect: Mapping[str, Any]) -> float | None:
    """Seconds the container has to become healthy; None when it has no health check."""
    check = (inspect.get("Config") or {}).get("Healthcheck") or {}
    test = check.get("Test") or []
    if not test or test[0] == "NONE":
        return None

    def seconds(key: str, default: float) -> float:
        value = check.get(key) or 0
        return value / NS if value > 0 else default

    retries = int(check.get("Retries") or 0) or DEFAULT_RETRIES
    interval = seconds("Interval", DEFAULT_INTERVAL)
    return seconds("StartPeriod", 0.0) + interval * retries + seconds("Timeout", DEFAULT_TIMEOUT)


@dataclass(frozen=True)
class HealthVerdict:
    """How the wait ended."""

    healthy: bool
    detail: str  # "healthy in 3.1 s", "unhealthy: <last check output>" ...
    waited: float
    window: float | None = None


def _last_output(inspect: Mapping[str, Any]) -> str:
    log = ((inspect.get("State") or {}).get("Health") or {}).get("Log") or []
    if not log:
        return ""
    last = log[-1]
    return (
        f" (last check exit {last.get('ExitCode')}: {one_line(str(last.get('Output', '')), 160)})"
    )


def wait_healthy(
    reads: ServiceReads,
    project: str,
    service: str,
    image_id: str,
    cancel: threading.Event,
    *,
    clock: Callable[[], float] = time.monotonic,
    poll: float = POLL,
) -> HealthVerdict:
    """Wait until every container of `service` runs `image_id` and is healthy."""
    started = clock()
    deadline = started + APPEAR_WITHIN
    window: float | None = None
    settled_since: float | None = None
    while True:
        now = clock()
        waited = now - started
        containers = [
            c for c in reads.service_containers(project, service) if c.get("Image") == image_id
        ]
        if containers and window is None:
            windows = [health_window(c) for c in containers]
            known = [w for w in windows if w is not None]
            window = max(known) if known else NO_CHECK_SETTLE
            deadline = now + window
        verdict = _judge(containers, waited, window)
        if verdict is not None:
            if verdict.healthy and any(health_window(c) is None for c in containers):
                # No health check: it must stay up for the settle time, not just start.
                settled_since = settled_since if settled_since is not None else now
                if now - settled_since < NO_CHECK_SETTLE and now < deadline:
                    verdict = None
            if verdict is not None:
                return verdict
        if cancel.is_set():
            return HealthVerdict(False, "cancelled while waiting for health", waited, window)
        if now >= deadline:
            if not containers:
                return HealthVerdict(False, "no container of it runs the new image", waited)
            states = ", ".join(_state(c) for c in containers)
            out = _last_output(containers[0])
            return HealthVerdict(
                False, f"not healthy within {window:.0f} s ({states}){out}", waited, window
            )
        cancel.wait(poll)


def _state(inspect: Mapping[str, Any]) -> str:
    state = inspect.get("State") or {}
    health = (state.get("Health") or {}).get("Status")
    return f"{state.get('Status', '?')}" + (f"/{health}" if health else "")


def _judge(
    containers: list[dict[str, Any]], waited: float, window: float | None
) -> HealthVerdict | None:
    """A final verdict from what the containers show now, or None to keep waiting."""
    if not containers:
        return None
    all_ok = True
    for c in containers:
        state = c.get("State") or {}
        status = state.get("Status")
        health = (state.get("Health") or {}).get("Status")
        if status in ("exited", "dead") or state.get("Restarting") or status == "restarting":
            code = state.get("ExitCode")
            return HealthVerdict(False, f"the container stopped (exit code {code})", waited, window)
        if health == "unhealthy":
            return HealthVerdict(False, f"unhealthy{_last_output(c)}", waited, window)
        if status != "running" or health not in (None, "healthy"):
            all_ok = False
    if all_ok:
        what = "healthy" if any(health_window(c) is not None for c in containers) else "running"
        return HealthVerdict(True, f"{what} after {waited:.1f} s", waited, window)
    return None

"""Lifecycle actions on the demo platform: remembered and laid over the simulated containers.

So `--demo` shows what stop, pause, scale or down would do, without an engine. The
result of such an action is reported as "simulated", never as a real success.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace

from arctui.models import ContainerInfo

_SERVICE_WORDS = {
    "start": ("Starting", "Started"),
    "stop": ("Stopping", "Stopped"),
    "restart": ("Restarting", "Started"),
    "kill": ("Killing", "Killed"),
    "pause": ("Pausing", "Paused"),
    "unpause": ("Unpausing", "Unpaused"),
}


class DemoActions:
    """What the operator did to the demo stack, per service."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.stack_down = False
        self._state: dict[str, tuple[str, float]] = {}  # service -> (what, when)
        self._replicas: dict[str, int] = {}
        self._lock = threading.Lock()

    def replicas(self, service: str, declared: int) -> int:
        """How many replicas the service has now."""
        with self._lock:
            return self._replicas.get(service, declared)

    def apply(
        self, verb: str, scope: str, target: str, replicas: int | None, services: Iterable[str]
    ) -> list[str]:
        """Remember the action; return compose-like progress lines."""
        now = self.clock()
        names = list(services) if scope == "stack" else [target]
        with self._lock:
            if scope == "stack":
                if verb == "up":
                    self.stack_down = False
                    self._state.clear()
                    self._replicas.clear()
                    return [f"Container {n}  Started" for n in names]
                if verb in ("down", "clean"):
                    self.stack_down = True
                    self._state.clear()
                    lines = [f"Container {n}  Removed" for n in names]
                    return [*lines, "Volumes removed"] if verb == "clean" else lines
                what = {"kill": "killed", "restart": "started"}[verb]
                for n in names:
                    self._state[n] = (what, now)
                return [f"Container {n}  {what.title()}" for n in names]
            if verb == "scale" and replicas is not None:
                self._replicas[target] = replicas
                return [f"Service {target}  scaled to {replicas}"]
            change = {
                "start": "started",
                "restart": "started",
                "stop": "stopped",
                "kill": "killed",
                "pause": "paused",
            }.get(verb)
            if change is None:  # unpause: back to what the simulation says
                self._state.pop(target, None)
            else:
                self._state[target] = (change, now)
        doing, done = _SERVICE_WORDS.get(verb, (verb, verb))
        return [f"Container {target}  {doing}", f"Container {target}  {done}"]

    def adjust(self, container: ContainerInfo) -> ContainerInfo:
        """The container as the remembered actions left it."""
        with self._lock:
            change = self._state.get(container.service)
        if change is None:
            return container
        what, at = change
        if what in ("stopped", "killed"):
            code = 137 if what == "killed" else 0
            return replace(
                container,
                state="exited",
                status=f"Exited ({code})",
                health=None,
                exit_code=code,
                finished_at=at,
                oom_killed=False,
            )
        if what == "paused":
            return replace(container, state="paused", status=f"{container.status} (Paused)")
        return replace(  # started / restarted
            container,
            state="running",
            status="Up (healthy)",
            health="healthy",
            started_at=at,
            finished_at=None,
            exit_code=None,
            oom_killed=False,
        )

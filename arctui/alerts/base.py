"""The pieces every alert rule is made of: `Condition`, `Rule`, `HeldRule`, and helpers.

A rule does not decide when to send: `engine.py` turns conditions into incidents (the
rule's `for_s`, one message per incident, the rate limit, quiet hours, "resolved").
A condition names the service, the figure, the threshold, since when (when the data
knows: a container's exit time, a blocked backend's wait) and the first place to look.
Rules that see events rather than states (an OOM kill, evictions, a late sample) hold
the incident for `hold_s` after the last event, so it can resolve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from arctui.models import ServiceView, StackSnapshot
from arctui.record.frame import Frame

CRITICAL, WARNING = "critical", "warning"


@dataclass(frozen=True)
class Condition:
    """One thing wrong now, as one rule sees it."""

    rule: str
    key: str  # the incident's identity within the rule (a service, a pid, a replica)
    service: str  # "" for the host or the stack as a whole
    figure: str  # what is measured now: "memory 61.2 MiB of 64.0 MiB (96 %)"
    threshold: str  # "above 90 % for 1m"
    look: str  # the first thing to look at
    since: float | None = None  # when it began, when the data says; else first seen
    severity: str = WARNING
    detail: str = ""  # evidence (a health check's output, a query): outside text

    @property
    def incident(self) -> str:
        """Unique over every rule."""
        return f"{self.rule}:{self.key}"


class Rule:
    """A rule with its figures (defaults, then settings)."""

    id = ""

    def __init__(self, params: Mapping[str, float | bool]) -> None:
        self.params = dict(params)

    @property
    def for_s(self) -> float:
        """How long a condition must hold before it fires."""
        return float(self.params.get("for_s", 0))

    @property
    def enabled(self) -> bool:
        return bool(self.params.get("enabled", True))

    def num(self, key: str) -> float:
        return float(self.params[key])

    def check(self, frame: Frame) -> list[Condition]:
        raise NotImplementedError

    def cond(
        self,
        key: str,
        service: str,
        figure: str,
        threshold: str,
        look: str,
        *,
        since: float | None = None,
        severity: str = WARNING,
        detail: str = "",
    ) -> Condition:
        return Condition(self.id, key, service, figure, threshold, look, since, severity, detail)


class HeldRule(Rule):
    """Event-like conditions: the incident lasts `hold_s` after the last event."""

    def __init__(self, params: Mapping[str, float | bool]) -> None:
        super().__init__(params)
        self._held: dict[str, tuple[float, Condition]] = {}  # key -> (last event, condition)

    def events(self, frame: Frame) -> list[tuple[float, Condition]]:
        raise NotImplementedError

    def check(self, frame: Frame) -> list[Condition]:
        hold = self.num("hold_s")
        for at, c in self.events(frame):
            if frame.ts - at >= hold:
                continue  # old news (seen at start): nothing to tell now
            known = self._held.get(c.key)
            first = known[1].since if known else c.since
            last = max(at, known[0]) if known else at
            self._held[c.key] = (last, replace(c, since=first if first is not None else at))
        self._held = {k: v for k, v in self._held.items() if frame.ts - v[0] < hold}
        return [c for _, c in self._held.values()]


def service_of(stack: StackSnapshot | None, role: str, fallback: str) -> ServiceView | str:
    """The stack's service with this role (postgres, redis), else the source's name."""
    if stack is not None:
        for view in stack.services:
            if view.role == role:
                return view
    return fallback


def failing_since(view: ServiceView) -> tuple[float | None, str]:
    """When the current run of failed health checks began, and the last one's output."""
    since: float | None = None
    output = ""
    for c in view.containers:
        if c.health != "unhealthy":
            continue
        run = None
        for entry in reversed(c.health_log):
            if entry.exit_code == 0:
                break
            run = entry.start
            output = output or entry.output
        if run is not None and (since is None or run < since):
            since = run
    return since, output


def name_of(found: ServiceView | str) -> str:
    return found.name if isinstance(found, ServiceView) else found

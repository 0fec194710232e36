"""Verdicts from the stack snapshot alone, and the root cause along `depends_on` (pure).

`docker_verdict` needs no probe, so the Services tab can say "unhealthy because postgres
is down" from the snapshot it already has; the health report refines verdicts with its
probes and calls `root_causes` with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from arctui.models import ServiceState, ServiceView, StackSnapshot
from arctui.ops.health.models import (
    COMPLETED,
    DEGRADED,
    DOWN,
    FINE,
    HEALTHY,
    NOT_CREATED,
    STARTING,
    UNHEALTHY,
    RootCause,
)
from arctui.text import one_line

_COMPLETED_CONDITION = "service_completed_successfully"
CRASH_WINDOW = 60.0  # seconds: restarted by the policy and up less than this = a crash loop


def dependencies(view: ServiceView) -> tuple[str, ...]:
    """The services this one waits for (required ones; `depends_on` when no conditions)."""
    if view.declared is not None and view.declared.dependencies:
        return tuple(d.service for d in view.declared.dependencies if d.required)
    return view.depends_on


def _completed_wanted(snapshot: StackSnapshot, name: str) -> bool:
    for other in snapshot.services:
        deps = other.declared.dependencies if other.declared else ()
        if any(d.service == name and d.condition == _COMPLETED_CONDITION for d in deps):
            return True
    return False


def docker_verdict(view: ServiceView, snapshot: StackSnapshot | None = None) -> tuple[str, str]:
    """(verdict, reason) from the engine's state and Docker's own health check."""
    state = view.state
    if state is ServiceState.NOT_CREATED:
        return NOT_CREATED, "declared, no container"
    exits = [c.exit_code for c in view.containers if c.state in ("exited", "dead")]
    if state is ServiceState.STOPPED:
        if (
            exits
            and all(e == 0 for e in exits)
            and snapshot
            and _completed_wanted(snapshot, view.name)
        ):
            return COMPLETED, "exited 0 (a one-shot that dependents wait for)"
        oom = any(c.oom_killed for c in view.containers)
        code = exits[0] if exits else None
        text = (
            "stopped"
            + (f", exit {code}" if code is not None else "")
            + (", OOM-killed" if oom else "")
        )
        return DOWN, text
    if state is ServiceState.RESTARTING:
        codes = [c.exit_code for c in view.containers if c.exit_code is not None]
        last = f", last exit {codes[0]}" if codes else ""
        return DOWN, f"restarting (crash loop, {view.restart_count} restarts{last})"
    if state is ServiceState.PAUSED:
        return DOWN, "paused"
    looping = _crash_loop(view, snapshot.taken_at if snapshot else None)
    if looping:
        return DOWN, looping
    health = view.health
    if health == "unhealthy":
        return UNHEALTHY, "Docker health check failing"
    if state is ServiceState.PARTIAL:
        up = sum(1 for c in view.containers if c.state == "running")
        return DEGRADED, f"{up} of {len(view.containers)} replicas running"
    if health == "starting":
        return STARTING, "Docker health check not passed yet"
    return HEALTHY, "running" + (", Docker health check passing" if health else "")


def _crash_loop(view: ServiceView, now: float | None) -> str:
    """A container the restart policy brought back less than CRASH_WINDOW s ago: a loop.

    Caught between two crashes it is `running` (and, without a health check, would look
    healthy); the policy's restart count is what gives it away.
    """
    if now is None:
        return ""
    for c in view.containers:
        if c.state == "running" and c.restart_count and c.started_at:
            up = now - c.started_at
            if 0 <= up < CRASH_WINDOW:
                code = f", last exit {c.exit_code}" if c.exit_code else ""
                return f"crash loop: {c.restart_count} restarts, up {up:.0f} s{code}"
    return ""


def last_health_output(view: ServiceView) -> str:
    """The output of the last failing Docker health check of any replica ('' if none)."""
    for c in view.containers:
        for result in reversed(c.health_log):
            if result.exit_code != 0:
                return one_line(result.output, 300)
    return ""


def root_causes(
    snapshot: StackSnapshot,
    verdicts: Mapping[str, str],
    evidence: Callable[[str], str] = lambda _name: "",
) -> dict[str, RootCause]:
    """For each failing service with a failing dependency: the deepest failing one.

    A dependency that is not created counts as failing for the services that need it.
    Cycles are cut (compose refuses them, but a partial render could still show one).
    """
    views = {s.name: s for s in snapshot.services}

    def failing(name: str, dependent: bool) -> bool:
        verdict = verdicts.get(name)
        if verdict is None:
            return dependent  # needed but not declared at all
        return verdict not in FINE or (dependent and verdict == NOT_CREATED)

    def deepest(name: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        view = views.get(name)
        for dep in dependencies(view) if view is not None else ():
            if dep in seen or not failing(dep, True):
                continue
            below = deepest(dep, (*seen, dep))
            return below if below is not None else (*seen, dep)
        return None

    out: dict[str, RootCause] = {}
    for name, verdict in verdicts.items():
        if verdict in FINE:
            continue
        chain = deepest(name, (name,))
        if chain is None:
            continue
        root = chain[-1]
        out[name] = RootCause(
            service=root,
            verdict=verdicts.get(root, "not declared"),
            chain=chain,
            evidence=evidence(root),
        )
    return out


def snapshot_root_cause(snapshot: StackSnapshot, name: str) -> RootCause | None:
    """The root cause of one service from the snapshot only (the Services tab's line)."""
    verdicts = {s.name: docker_verdict(s, snapshot)[0] for s in snapshot.services}
    views = {s.name: s for s in snapshot.services}

    def evidence(root: str) -> str:
        view = views.get(root)
        if view is None:
            return ""
        return last_health_output(view) or docker_verdict(view, snapshot)[1]

    return root_causes(snapshot, verdicts, evidence).get(name)

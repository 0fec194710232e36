"""The health report: Docker's view of every service, refined by arctui's own probes,
with the root cause along `depends_on` (what `make health-all` meant, made precise).

Probes run in parallel, each bounded by its timeout; the demo platform's are simulated
from its containers' states. No Textual.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from typing import TYPE_CHECKING

from arctui.models import ServiceView, StackSnapshot
from arctui.ops.health.models import (
    HEALTHY,
    STARTING,
    UNHEALTHY,
    HealthReport,
    ProbeResult,
    ServiceHealth,
)
from arctui.ops.health.probes import (
    TIMEOUT,
    ExecRunner,
    ProbePlan,
    exec_command_probe,
    exec_http_probe,
    http_probe,
    plan_probe,
    timed_probe,
)
from arctui.ops.health.rootcause import docker_verdict, last_health_output, root_causes
from arctui.sources.base import SourceError
from arctui.stack.catalog import Catalog, default_catalog

if TYPE_CHECKING:
    from arctui.session import Session

MAX_PARALLEL = 8


class Prober:
    """Runs the probes of one report against the session's sources."""

    def __init__(self, session: Session, snapshot: StackSnapshot, timeout: float = TIMEOUT):
        self.session = session
        self.snapshot = snapshot
        self.timeout = timeout
        self.local = _local_engine(snapshot.endpoint)
        self._runner: ExecRunner | None = None

    @property
    def runner(self) -> ExecRunner:
        """The exec connection (made on first use)."""
        if self._runner is None:
            self._runner = ExecRunner(self.session.engine, timeout=self.timeout + 2)
        return self._runner

    def plan(self, view: ServiceView, catalog: Catalog) -> ProbePlan | None:
        """The probe of a service (None: no probe for its role, or nothing runs)."""
        role = catalog.role(view.role)
        return plan_probe(view, role.probe if role else {}, self.local)

    def run(self, plan: ProbePlan) -> ProbeResult:
        """Run one planned probe."""
        if plan.kind == "postgres":
            return self._postgres()
        if plan.kind == "redis":
            return self._redis()
        if plan.kind == "exec" and plan.container is not None:
            return exec_command_probe(self.runner, plan.container, plan.command, plan.expect)
        if plan.container is not None:
            return exec_http_probe(self.runner, plan.container, plan.url, self.timeout)
        return http_probe(plan.url, self.timeout, plan.guessed)

    def _postgres(self) -> ProbeResult:
        from arctui.sources.postgres import PgConnection, discover

        environ = dict(os.environ if self.session.environ is None else self.session.environ)
        dsn = self.session.settings.postgres_dsn
        target = discover(self.snapshot, self.session.env_layers, environ, dsn)
        where = target.describe().split(" password")[0]

        def select_one() -> str:
            conn = PgConnection(target, connect_timeout=max(2, int(self.timeout)))
            try:
                rows = conn.query("SELECT 1")
            finally:
                conn.close()
            return f"SELECT 1 -> {rows[0][0] if rows else 'no row'}"

        return timed_probe("postgres", f"SELECT 1 on {where}", select_one)

    def _redis(self) -> ProbeResult:
        from arctui.sources.redisdb import RedisSource, discover_target

        url = self.session.settings.redis_url
        try:
            target = discover_target(
                self.session.env_layers, self.session.environ, self.snapshot.services, url
            )
        except SourceError as exc:
            return ProbeResult("redis", "PING", False, None, exc.reason)
        source = RedisSource(target, timeout=self.timeout, connect_timeout=self.timeout)

        def ping() -> str:
            try:
                answer = source.execute("PING")
            finally:
                source.close()
            return "PONG" if answer in (True, b"PONG", "PONG") else repr(answer)

        return timed_probe("redis", f"PING {target.label}", ping)

    def close(self) -> None:
        """Release the exec connection."""
        if self._runner is not None:
            self._runner.close()


def _local_engine(endpoint: str) -> bool:
    return (
        endpoint.startswith(("unix://", "npipe://"))
        or "127.0.0.1" in endpoint
        or "localhost" in endpoint
    )


def simulated_probe(view: ServiceView, plan: ProbePlan | None) -> ProbeResult | None:
    """The demo's probe: from the simulated container's health, with a stable latency."""
    if plan is None:
        return None
    target = {
        "postgres": "SELECT 1 on arc@127.0.0.1:5432/arc_db",
        "redis": "PING 127.0.0.1:6379/0",
    }.get(plan.kind, f"GET {plan.url}")
    if plan.kind == "exec" and plan.container is not None:
        target = f"{' '.join(plan.command)} in {plan.container.name}"
    import hashlib  # the demo's only: OpenSSL's load is not on `health`'s path

    digest = hashlib.sha256(view.name.encode()).digest()
    latency = 1.0 + digest[0] / 16
    failing = last_health_output(view)
    if view.health == "unhealthy":
        return ProbeResult(
            plan.kind, target, False, latency * 10, failing or "no answer", "simulated"
        )
    return ProbeResult(plan.kind, target, True, latency, "OK", "simulated")


def _combine(
    view: ServiceView, snapshot: StackSnapshot, probe: ProbeResult | None
) -> tuple[str, str]:
    verdict, reason = docker_verdict(view, snapshot)
    if probe is None:
        return verdict, reason
    if probe.ok is False and verdict in (HEALTHY, STARTING):
        return UNHEALTHY, f"probe failed: {probe.output}"
    if probe.ok and verdict == UNHEALTHY:
        return verdict, f"{reason}, although arctui's probe answers: check the health check itself"
    return verdict, reason


def build_report(
    session: Session,
    snapshot: StackSnapshot | None = None,
    *,
    probe: bool = True,
    timeout: float = TIMEOUT,
    catalog: Catalog | None = None,
) -> HealthReport:
    """Read the stack (unless given) and probe every running service."""
    started = time.monotonic()
    catalog = catalog or default_catalog()
    if snapshot is None:
        try:
            snapshot = session.reader.read()
        except SourceError as exc:
            return HealthReport(session.project, session.env, session.clock(), (), error=exc.reason)
    probes: dict[str, ProbeResult | None] = {}
    prober = Prober(session, snapshot, timeout)
    try:
        plans = {v.name: prober.plan(v, catalog) for v in snapshot.services} if probe else {}
        if session.demo:
            probes = {v.name: simulated_probe(v, plans.get(v.name)) for v in snapshot.services}
        elif plans:
            from concurrent.futures import ThreadPoolExecutor  # not for `--no-probe`

            todo = {name: plan for name, plan in plans.items() if plan is not None}
            with ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="probe") as pool:
                futures = {name: pool.submit(prober.run, plan) for name, plan in todo.items()}
                for name, future in futures.items():
                    try:
                        probes[name] = future.result(timeout=timeout * 3 + 5)
                    except Exception as exc:  # a probe must never sink the report
                        probes[name] = ProbeResult("?", name, False, None, f"probe error: {exc}")
    finally:
        with contextlib.suppress(Exception):
            prober.close()
    entries: dict[str, ServiceHealth] = {}
    for view in snapshot.services:
        result = probes.get(view.name)
        verdict, reason = _combine(view, snapshot, result)
        exits = [c.exit_code for c in view.containers if c.exit_code not in (None, 0)]
        entries[view.name] = ServiceHealth(
            service=view.name,
            role=view.role,
            state=view.state.value,
            docker_health=view.health,
            verdict=verdict,
            reason=reason,
            probe=result,
            restarts=view.restart_count,
            oom_killed=any(c.oom_killed for c in view.containers),
            exit_code=exits[0] if exits else None,
            health_output=last_health_output(view),
        )

    def evidence(root: str) -> str:
        entry = entries.get(root)
        if entry is None:
            return "not declared in the compose files"
        if entry.probe is not None and entry.probe.ok is False:
            return f"{entry.probe.target}: {entry.probe.output}"
        return entry.health_output or entry.reason

    causes = root_causes(snapshot, {n: e.verdict for n, e in entries.items()}, evidence)
    services = tuple(
        dataclasses.replace(e, root_cause=causes.get(name)) for name, e in entries.items()
    )
    return HealthReport(
        project=snapshot.project,
        env=session.env,
        taken_at=snapshot.taken_at,
        services=services,
        duration_ms=(time.monotonic() - started) * 1000,
    )

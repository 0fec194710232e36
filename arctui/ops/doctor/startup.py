"""Wizard 1: services hang on startup / restart loop (the guide's first scenario).

For every service that is down, unhealthy, starting or crash-looping: restart count and
exit codes, the last log lines, its health check's definition and recent results, the
`depends_on` chain and which dependency is not ready, and its resource limits. Fixes:
start the dependency that is down, restart the service; advice on the health check's
timing and on `depends_on` (edits arctui does not make for you).
"""

from __future__ import annotations

from arctui.models import ServiceView
from arctui.ops.doctor.context import DoctorContext
from arctui.ops.doctor.models import FOUND, INFO, OK, Finding, Fix, Step, WizardResult
from arctui.ops.health.models import FINE, NOT_CREATED, ServiceHealth
from arctui.sources.log_levels import Level, parse_level
from arctui.units import size

ID, TITLE = "startup", "Services hang on startup / restart loop"
LOG_LINES = 8


def _limits(view: ServiceView, ctx: DoctorContext) -> str:
    """The limits the containers run with (the engine's), else what compose declares."""
    usage = ctx.resources()
    rows = [c for c in usage.containers if c.service == view.name] if usage else []
    d = view.declared
    mem_limit = next((r.mem_limit for r in rows if r.mem_limit), d.mem_limit if d else None)
    cpu_limit = next((r.cpu_limit for r in rows if r.cpu_limit), d.cpu_limit if d else None)
    if mem_limit is None and cpu_limit is None:
        return "no memory or CPU limit"
    mem = f"memory {size(mem_limit)}" if mem_limit else "no memory limit"
    cpu = f"{cpu_limit:g} CPUs" if cpu_limit else "no CPU limit"
    used = next((r.mem for r in rows if r.mem is not None), None)
    now = f", using {size(used)} now" if used is not None else ""
    return f"{mem}, {cpu}{now}"


def _healthcheck(view: ServiceView) -> list[str]:
    spec = view.declared.healthcheck if view.declared else None
    if spec is None:
        return ["health check: none declared (Docker cannot tell when it is ready)"]
    timing = ", ".join(
        f"{k} {v:g}{'' if k == 'retries' else ' s'}"
        for k, v in (
            ("interval", spec.interval),
            ("timeout", spec.timeout),
            ("retries", spec.retries),
            ("start_period", spec.start_period),
        )
        if v is not None
    )
    out = [f"health check: {spec.command()}" + (f" ({timing})" if timing else "")]
    for c in view.containers[:1]:
        for r in c.health_log[-3:]:
            out.append(f"  check exit {r.exit_code}: {r.output.strip()[:200] or '(no output)'}")
    return out


def _log_evidence(lines: list[str]) -> list[str]:
    """The last lines, errors preferred (a crash's reason is rarely its very last line)."""
    errors = [line for line in lines if parse_level(line) is Level.ERROR]
    chosen = errors[-LOG_LINES:] if errors else lines[-LOG_LINES:]
    return [f"log: {line}" for line in chosen]


def _fixes(entry: ServiceHealth, view: ServiceView) -> list[Fix]:
    fixes: list[Fix] = []
    cause = entry.root_cause
    if cause is not None and cause.verdict == "down":
        fixes.append(
            Fix(
                f"Start {cause.service} (the dependency that is down)",
                "lifecycle",
                cause.service,
                "start",
            )
        )
    if view.containers:
        verb = "start" if view.state.value == "stopped" else "restart"
        fixes.append(Fix(f"{verb.title()} {view.name}", "lifecycle", view.name, verb))
    spec = view.declared.healthcheck if view.declared else None
    if spec is not None and entry.verdict in ("unhealthy", "starting"):
        fixes.append(
            Fix(
                "Give the health check more time: raise its timeout / start_period"
                " in the compose file",
                "advice",
                view.name,
            )
        )
    if view.depends_on:
        fixes.append(
            Fix(
                "Review depends_on: wait for dependencies with condition: service_healthy",
                "advice",
                view.name,
            )
        )
    return fixes


def run(ctx: DoctorContext) -> WizardResult:
    """Check every service that is not up and healthy, or keeps restarting."""
    report = ctx.health
    views = {s.name: s for s in ctx.snapshot.services}
    steps = ctx.step_log(ID)
    findings: list[Finding] = []
    for entry in report.services:
        view = views.get(entry.service)
        if view is None:
            continue
        if entry.verdict in FINE and entry.restarts == 0:
            continue
        evidence = [
            f"state {entry.state}, verdict {entry.verdict}: {entry.reason}",
            f"restarts {entry.restarts}"
            + "".join(f", {c.name} exit {c.exit_code}" for c in view.containers if c.exit_code)
            + (", OOM-killed" if entry.oom_killed else ""),
        ]
        evidence += _healthcheck(view)
        chain = " -> ".join(entry.root_cause.chain) if entry.root_cause else ""
        if entry.root_cause is not None:
            evidence.append(
                f"depends_on: {chain}: {entry.root_cause.service} is {entry.root_cause.verdict}"
                + (f" ({entry.root_cause.evidence})" if entry.root_cause.evidence else "")
            )
        elif view.depends_on:
            evidence.append(f"depends_on: {', '.join(view.depends_on)} (all ready)")
        evidence.append(f"limits: {_limits(view, ctx)}")
        evidence += _log_evidence(ctx.logs(view.name))
        if entry.verdict in FINE:
            title = f"{view.name} restarted {entry.restarts} times (running now)"
            severity = "warning"
        elif entry.root_cause is not None:
            title = f"{entry.line()}"
            severity = "error"
        else:
            title = f"{view.name} is {entry.verdict}: {entry.reason}"
            severity = "error"
        findings.append(
            Finding(
                ID,
                "restart-loop" if entry.restarts else "not-ready",
                severity,
                title,
                view.name,
                tuple(evidence),
                tuple(_fixes(entry, view)),
            )
        )
        steps.append(
            Step(
                f"{view.name}: state, logs, health check, depends_on, limits", FOUND, entry.verdict
            )
        )
    absent = [e.service for e in report.services if e.verdict == NOT_CREATED]
    if absent and len(absent) == len(report.services):
        # Not created is fine for one service (a profile not started), not for all.
        findings.append(
            Finding(
                ID,
                "stack-not-created",
                "warning",
                f"none of the {len(absent)} declared services has a container: the stack is not up",
                evidence=(f"declared: {', '.join(absent)}",),
                fixes=(Fix("Start the whole stack (docker compose up -d)", "lifecycle", "", "up"),),
            )
        )
        steps.append(Step("containers of the declared services", FOUND, "none created"))
    elif absent:
        steps.append(
            Step(
                f"{len(absent)} declared service{'s' if len(absent) > 1 else ''} without"
                " a container",
                INFO,
                ", ".join(absent) + " (a profile not started, or never created)",
            )
        )
    if not findings:
        what = "every created service" if absent else "every service"
        steps.append(Step(f"{what} is up, healthy and not restarting", OK))
    return WizardResult(ID, TITLE, tuple(steps), tuple(findings))

"""Wizard 2: high memory / OOM kills.

OOM events (the engine's `oom` events and inspect's OOMKilled), the top memory consumers
against their limits (page cache excluded, as in the Resources tab), and the guide's
remedies where they apply: Pulsar's heap (`PULSAR_MEM`), Postgres `work_mem` (ALTER
SYSTEM, through the Postgres action), a higher limit or swap (edits to the compose file).
"""

from __future__ import annotations

from arctui.ops.doctor.context import DoctorContext
from arctui.ops.doctor.models import FOUND, INFO, OK, SKIPPED, Finding, Fix, Step, WizardResult
from arctui.sources.usage import MEM_WARN_FRACTION, ContainerStats
from arctui.units import size

ID, TITLE = "memory", "High memory usage / OOM kills"
TOP = 5
SIGKILL_EXIT = 137  # 128 + 9: how a container killed by the OOM killer exits


def _usage(c: ContainerStats) -> str:
    pct = f" ({c.mem_pct:.0f}% of {size(c.mem_limit)})" if c.mem_pct is not None else " (no limit)"
    return f"{c.name}: {size(c.mem)}{pct}"


def remedies(role: str, service: str) -> list[Fix]:
    """The guide's remedies for a service of this role."""
    fixes: list[Fix] = []
    if role == "pulsar":
        fixes.append(
            Fix(
                "Reduce Pulsar's heap: PULSAR_MEM=-Xms64m -Xmx256m in its env file,"
                " then restart it",
                "advice",
                service,
            )
        )
    if role == "postgres":
        fixes.append(
            Fix(
                "Reduce Postgres work_mem to 64MB (ALTER SYSTEM, reloaded)",
                "pg-setting",
                "work_mem",
                value="64MB",
            )
        )
    fixes.append(
        Fix(
            f"Raise {service}'s memory limit (deploy.resources.limits.memory) or add"
            " swap (memswap_limit, the guide's --memory-swap)",
            "advice",
            service,
        )
    )
    return fixes


def run(ctx: DoctorContext) -> WizardResult:
    """OOM kills and memory near limits."""
    steps = ctx.step_log(ID)
    findings: list[Finding] = []
    roles = {s.name: s.role for s in ctx.snapshot.services}
    killed: dict[str, list[str]] = {}
    usage = ctx.resources()
    limits = {c.name: c.mem_limit for c in usage.containers} if usage is not None else {}
    for s in ctx.snapshot.services:
        for c in s.containers:
            if c.oom_killed:
                killed.setdefault(s.name, []).append(
                    f"{c.name}: last exit {c.exit_code} OOMKilled, {c.restart_count} restarts"
                )
            elif c.exit_code == SIGKILL_EXIT and (limit := limits.get(c.name)):
                # The engine sets OOMKilled from an oom event that can arrive after the exit
                # (cgroup v2) and a one-off run sees no past events: a SIGKILL under a memory
                # limit is the kernel's OOM killer until shown otherwise.
                killed.setdefault(s.name, []).append(
                    f"{c.name}: last exit 137 (SIGKILL) under its {size(limit)} memory limit,"
                    f" {c.restart_count} restarts (OOMKilled not recorded by the engine)"
                )
    if usage is not None:
        for e in usage.oom_events:
            killed.setdefault(e.service or e.name, []).append(f"oom event in {e.name}")
        ranked = sorted(
            (c for c in usage.containers if c.mem is not None), key=lambda c: -(c.mem or 0)
        )
        top = ", ".join(_usage(c) for c in ranked[:TOP]) or "nothing running"
        steps.append(Step("top memory consumers", INFO, top))
    else:
        steps.append(Step("memory usage", SKIPPED, "; ".join(ctx.notes) or "not readable"))
        ranked = []
    steps.append(
        Step("OOM kills", FOUND if killed else OK, ", ".join(sorted(killed)) or "none on record")
    )
    for service, evidence in sorted(killed.items()):
        near = [_usage(c) for c in ranked if c.service == service]
        rows = usage.containers if usage is not None else ()
        near += [
            f"{c.name}: memory limit {size(c.mem_limit)} (killed at its limit)"
            for c in rows
            if c.service == service and c.mem_limit and c.mem is None
        ]
        fixes = remedies(roles.get(service, ""), service)
        views = {s.name: s for s in ctx.snapshot.services}
        if service in views and views[service].containers:
            verb = "start" if views[service].state.value == "stopped" else "restart"
            fixes.insert(0, Fix(f"{verb.title()} {service}", "lifecycle", service, verb))
        findings.append(
            Finding(
                ID,
                "oom-killed",
                "error",
                f"{service} was OOM-killed",
                service,
                tuple(evidence[:5] + near),
                tuple(fixes),
            )
        )
    for row in ranked:
        if row.mem_warning and row.service not in killed:
            findings.append(
                Finding(
                    ID,
                    "near-limit",
                    "warning",
                    f"{row.name} uses {row.mem_pct:.0f}% of its memory limit"
                    f" (over {MEM_WARN_FRACTION:.0%})",
                    row.service,
                    (_usage(row),),
                    tuple(remedies(roles.get(row.service, ""), row.service)),
                )
            )
    if usage is not None and not any(f.check == "near-limit" for f in findings):
        steps.append(Step(f"containers over {MEM_WARN_FRACTION:.0%} of their limit", OK, "none"))
    return WizardResult(ID, TITLE, tuple(steps), tuple(findings))

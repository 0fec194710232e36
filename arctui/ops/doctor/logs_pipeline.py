"""Wizard 5: logs not appearing in Grafana.

The OTel Collector's health, Loki's health, the collector config's `exporters:` section
(is there a Loki exporter, and does the logs pipeline use it; is the OTLP receiver on),
the collector's own recent errors, and `OTEL_EXPORTER_OTLP_ENDPOINT` of the app services.
The config is the file the collector's container mounts, else the guide's
`config/otel-collector-config.yml` in the project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from arctui.models import ServiceView
from arctui.ops.doctor.context import DoctorContext
from arctui.ops.doctor.models import FOUND, INFO, OK, SKIPPED, Finding, Fix, Step, WizardResult
from arctui.sources.log_levels import Level, parse_level
from arctui.text import one_line
from arctui.yamlio import load_yaml

ID, TITLE = "logs", "Logs not appearing in Grafana"
MAX_CONFIG = 1024 * 1024
_GUIDE_PATHS = (
    "config/otel-collector-config.yml",
    "config/otel-collector-config.yaml",
    "otel-collector-config.yml",
    "otel-collector-config.yaml",
)


def config_path(view: ServiceView, project_dir: Path | None) -> Path | None:
    """The collector's config file on this host: a mounted YAML file, else the guide's path."""
    mounts = list(view.declared.mounts) if view.declared else []
    for c in view.containers:
        mounts += list(c.mounts)
    for m in mounts:
        if m.type == "bind" and m.source.endswith((".yml", ".yaml")) and Path(m.source).is_file():
            return Path(m.source)
    for rel in _GUIDE_PATHS if project_dir else ():
        assert project_dir is not None
        if (project_dir / rel).is_file():
            return project_dir / rel
    return None


def _is_loki(name: str, conf: Any) -> bool:
    if name.split("/")[0] == "loki":
        return True
    endpoint = str((conf or {}).get("endpoint", "")) if isinstance(conf, dict) else ""
    return name.startswith("otlphttp") and ("loki" in endpoint or ":3100" in endpoint)


def exporters_section(text: str, lines: int = 10) -> list[str]:
    """The guide's `grep -A 10 exporters:` of the config."""
    rows = text.splitlines()
    for i, row in enumerate(rows):
        if row.strip().startswith("exporters:") and not row.startswith((" ", "\t")):
            return [r for r in rows[i : i + lines + 1] if r.strip()]
    return []


def analyse(text: str) -> tuple[list[str], list[str]]:
    """(problems, facts) of a collector config."""
    problems: list[str] = []
    facts: list[str] = []
    try:
        doc = load_yaml(text) or {}
    except yaml.YAMLError as exc:
        return [f"the config is not valid YAML: {one_line(str(exc), 200)}"], facts
    if not isinstance(doc, dict):
        return ["the config is not a YAML mapping"], facts
    exporters = doc.get("exporters") or {}
    receivers = doc.get("receivers") or {}
    names = list(exporters) if isinstance(exporters, dict) else []
    loki = [n for n in names if _is_loki(n, exporters.get(n))]
    facts.append(f"exporters: {', '.join(names) or 'none'}")
    if not loki:
        problems.append("no Loki exporter in exporters: (loki, or otlphttp to Loki)")
    if not any(str(r).split("/")[0] == "otlp" for r in (receivers or {})):
        problems.append("no otlp receiver: apps cannot send to the collector")
    pipelines = (
        ((doc.get("service") or {}).get("pipelines") or {})
        if isinstance(doc.get("service"), dict)
        else {}
    )
    logs = [p for name, p in pipelines.items() if str(name).split("/")[0] == "logs"]
    if not logs:
        problems.append("no logs pipeline under service.pipelines")
    elif loki and not any(set(loki) & set((p or {}).get("exporters") or []) for p in logs):
        problems.append(f"the logs pipeline does not use the Loki exporter ({', '.join(loki)})")
    for p in logs:
        facts.append(
            f"logs pipeline exporters: {', '.join((p or {}).get('exporters') or []) or 'none'}"
        )
    return problems, facts


def _health_step(
    ctx: DoctorContext, role: str, label: str, steps: list[Step], findings: list[Finding]
) -> list[str]:
    entries = [e for e in ctx.health.services if e.role == role]
    if not entries:
        steps.append(Step(f"{label} health", FOUND, f"no {label} service in the stack"))
        findings.append(
            Finding(
                ID,
                f"no-{role}",
                "error",
                f"the stack has no {label}",
                "",
                (f"no service with role {role}",),
                (Fix(f"Add and start {label} (observability profile)", "advice"),),
            )
        )
        return []
    for e in entries:
        detail = f"{e.probe.target}: {e.probe.output}" if e.probe else e.reason
        steps.append(Step(f"{label} health ({e.service})", OK if e.ok else FOUND, detail))
        if not e.ok:
            verb = "start" if e.verdict == "down" else "restart"
            findings.append(
                Finding(
                    ID,
                    f"{role}-unhealthy",
                    "error",
                    e.line(),
                    e.service,
                    (detail,),
                    (Fix(f"{verb.title()} {e.service}", "lifecycle", e.service, verb),),
                )
            )
    return [e.service for e in entries]


def _flow_step(ctx: DoctorContext, steps: list[Step], findings: list[Finding]) -> None:
    """Whether log records flow, from Prometheus: where they are lost, and since when."""
    from arctui.ops import telemetry
    from arctui.sources.base import SourceError

    name = "log records flowing (Prometheus)"
    if ctx.session.demo:
        steps.append(Step(name, SKIPPED, "the demo platform has no Prometheus to ask"))
        return
    try:
        flow = telemetry.read_flow(ctx.session)
    except SourceError as exc:
        steps.append(Step(name, SKIPPED, exc.reason))
        return
    now = ctx.session.clock()
    losses = telemetry.log_losses(flow)
    if not flow.collector_seen and not flow.loki_seen:
        steps.append(Step(name, SKIPPED, "no collector or Loki metrics in Prometheus"))
        return
    received = [h for h in flow.receivers("log_records")]
    accepted = sum(h.passed for h in received)
    facts = f"collector accepts {accepted:.1f} log records/s"
    if flow.loki_lines is not None:
        facts += f", Loki ingests {flow.loki_lines:.1f} lines/s"
    if not losses:
        steps.append(Step(name, OK, facts))
        return
    sentences = [telemetry.loss_sentence(loss, now) for loss in losses]
    steps.append(Step(name, FOUND, f"{sentences[0]} ({facts})"))
    findings.append(
        Finding(
            ID,
            "logs-lost",
            "error",
            sentences[0],
            "",
            (*sentences, facts),
            (
                Fix(
                    "A refusing receiver is usually the memory_limiter or a full queue: check"
                    " the collector's log, raise memory_limiter limit_mib or its queue size",
                    "advice",
                ),
                Fix(
                    "Loki discarding lines (rate_limited, per-stream limits): raise"
                    " limits_config ingestion_rate_mb / per_stream_rate_limit",
                    "advice",
                ),
            ),
        )
    )


def run(ctx: DoctorContext) -> WizardResult:
    """Collector, Loki, the exporters section, the apps' OTLP endpoint, the flow."""
    steps = ctx.step_log(ID)
    findings: list[Finding] = []
    collectors = _health_step(ctx, "otel-collector", "OTel Collector", steps, findings)
    _health_step(ctx, "loki", "Loki", steps, findings)
    _flow_step(ctx, steps, findings)
    views = {s.name: s for s in ctx.snapshot.services}
    for name in collectors:
        path = config_path(views[name], ctx.project_dir)
        if path is None:
            steps.append(
                Step(
                    f"{name}: collector config",
                    SKIPPED,
                    "no mounted YAML file and no config/otel-collector-config.yml",
                )
            )
            continue
        try:
            text = path.read_bytes()[:MAX_CONFIG].decode("utf-8", "replace")
        except OSError as exc:
            steps.append(Step(f"{name}: collector config {path}", SKIPPED, str(exc)))
            continue
        problems, facts = analyse(text)
        steps.append(
            Step(f"{name}: collector config {path}", FOUND if problems else OK, "; ".join(facts))
        )
        if problems:
            errors = [f"log: {line}" for line in ctx.logs(name) if parse_level(line) is Level.ERROR]
            findings.append(
                Finding(
                    ID,
                    "collector-config",
                    "error",
                    f"{name}: {problems[0]}",
                    name,
                    tuple(
                        [
                            *problems,
                            f"{path}:",
                            *(f"  {r}" for r in exporters_section(text)),
                            *errors[-4:],
                        ]
                    ),
                    (
                        Fix(
                            "Add a loki exporter (http://<loki>:3100/loki/api/v1/push, or otlphttp"
                            " to Loki's /otlp) and list it in service.pipelines.logs.exporters",
                            "advice",
                            name,
                        ),
                        Fix(
                            f"Restart {name} to load the changed config",
                            "lifecycle",
                            name,
                            "restart",
                        ),
                    ),
                )
            )
    apps = [v for v in views.values() if v.role == "app" and v.containers]
    for view in apps:
        env = dict(view.containers[0].env)
        value = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        if value:
            steps.append(Step(f"{view.name}: OTEL_EXPORTER_OTLP_ENDPOINT", INFO, value))
        else:
            steps.append(Step(f"{view.name}: OTEL_EXPORTER_OTLP_ENDPOINT", FOUND, "not set"))
            findings.append(
                Finding(
                    ID,
                    "no-otlp-endpoint",
                    "warning",
                    f"{view.name} has no OTEL_EXPORTER_OTLP_ENDPOINT: its logs go nowhere",
                    view.name,
                    ("OTEL_EXPORTER_OTLP_ENDPOINT is not in the container's environment",),
                    (
                        Fix(
                            "Set OTEL_EXPORTER_OTLP_ENDPOINT=http://<collector>:4317 in its env"
                            " file, then recreate it",
                            "advice",
                            view.name,
                        ),
                    ),
                )
            )
    if not apps:
        steps.append(Step("app services' OTLP endpoint", SKIPPED, "no running app service"))
    return WizardResult(ID, TITLE, tuple(steps), tuple(findings))

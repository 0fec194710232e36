"""Compose's rendered JSON (`docker compose config --format json`) as a ComposeModel.

Plain parsing, no subprocess: `sources/compose.py` runs compose and hands the JSON here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from arctui.models import (
    ComposeModel,
    DeclaredService,
    Dependency,
    HealthCheckSpec,
    Mount,
    NetworkAttachment,
    PortBinding,
)
from arctui.text import one_line

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def parse_duration(text: str | None) -> float | None:
    """Compose/Go duration (`1m30s`, `500ms`) -> seconds."""
    if not text:
        return None
    parts = _DURATION.findall(str(text))
    return sum(float(n) * _UNIT[u] for n, u in parts) if parts else None


def _pairs(value: Any) -> dict[str, str]:
    """Compose mappings come as dicts or as `KEY=VALUE` lists."""
    if isinstance(value, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for item in value or ():
        key, _, val = str(item).partition("=")
        out[key] = val
    return out


def _dependencies(value: Any) -> tuple[Dependency, ...]:
    if isinstance(value, Mapping):
        return tuple(
            Dependency(
                str(name),
                str((spec or {}).get("condition") or "service_started"),
                bool((spec or {}).get("required", True)),
            )
            for name, spec in value.items()
        )
    return tuple(Dependency(str(name)) for name in value or ())


def _int(value: Any) -> int | None:
    return int(value) if str(value if value is not None else "").isdigit() else None


def _healthcheck(hc: Mapping[str, Any], redact: Callable[[str], str]) -> HealthCheckSpec | None:
    test = hc.get("test")
    if not test or hc.get("disable"):
        return None
    tokens = [test] if isinstance(test, str) else [str(t) for t in test]
    if tokens[:1] == ["NONE"]:
        return None
    if len(tokens) == 1 and tokens[0] not in ("CMD", "CMD-SHELL"):
        tokens = ["CMD-SHELL", tokens[0]]
    return HealthCheckSpec(
        test=tuple(redact(one_line(t, 400)) for t in tokens),
        interval=parse_duration(hc.get("interval")),
        timeout=parse_duration(hc.get("timeout")),
        retries=_int(hc.get("retries")),
        start_period=parse_duration(hc.get("start_period")),
    )


def _mounts(value: Any) -> tuple[Mount, ...]:
    out = []
    for v in value or ():
        if isinstance(v, Mapping):
            out.append(
                Mount(
                    str(v.get("type") or "volume"),
                    str(v.get("source") or ""),
                    str(v.get("target") or ""),
                    bool(v.get("read_only")),
                )
            )
        else:  # short syntax, as `config --no-interpolate` may leave it
            parts = str(v).split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
            kind = "bind" if source.startswith((".", "/", "~", "$")) else "volume"
            out.append(Mount(kind, source, target, parts[2:3] == ["ro"]))
    return tuple(out)


def _networks(
    value: Any, declared: Mapping[str, Any], project: str, missing: Sequence[str]
) -> tuple[NetworkAttachment, ...]:
    items = value.items() if isinstance(value, Mapping) else ((n, None) for n in value or ())
    out = []
    for key, spec in items:
        top = declared.get(key) or {}
        name = str(top.get("name") or f"{project}_{key}")
        out.append(
            NetworkAttachment(
                key=str(key),
                name=name,
                aliases=tuple(str(a) for a in (spec or {}).get("aliases") or ()),
                external=bool(top.get("external")),
                missing=name in missing,
            )
        )
    return tuple(out)


def _env_file_paths(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str | Mapping) else list(value or ())
    return tuple(str(i.get("path") if isinstance(i, Mapping) else i) for i in items)


def _ports(value: Any) -> tuple[PortBinding, ...]:
    ports = []
    for p in value or ():
        if isinstance(p, Mapping) and str(p.get("target", "")).isdigit():
            published = str(p.get("published") or "")
            ports.append(
                PortBinding(
                    int(p["target"]),
                    str(p.get("protocol") or "tcp"),
                    str(p.get("host_ip") or ""),
                    int(published) if published.isdigit() else None,
                )
            )
    return tuple(ports)


def _identity(text: str) -> str:
    return text


def _declared(
    name: str,
    svc: Mapping[str, Any],
    redact: Callable[[str], str] = _identity,
    networks: Mapping[str, Any] | None = None,
    project: str = "",
    missing: Sequence[str] = (),
) -> DeclaredService:
    deploy = svc.get("deploy") or {}
    limits = (deploy.get("resources") or {}).get("limits") or {}
    depends = svc.get("depends_on") or {}
    memory = limits.get("memory")
    cpus = limits.get("cpus")
    hc = svc.get("healthcheck") or {}
    return DeclaredService(
        name=name,
        image=str(svc.get("image") or ""),
        container_name=svc.get("container_name"),
        depends_on=tuple(depends if isinstance(depends, Mapping) else depends or ()),
        labels=_pairs(svc.get("labels")),
        environment=tuple(sorted(_pairs(svc.get("environment")).items())),
        ports=_ports(svc.get("ports")),
        profiles=tuple(svc.get("profiles") or ()),
        has_healthcheck=bool(hc.get("test"))
        and not hc.get("disable")
        and list(hc.get("test") or [])[:1] != ["NONE"],
        replicas=deploy.get("replicas"),
        mem_limit=int(str(memory)) if str(memory or "").isdigit() else None,
        cpu_limit=float(cpus) if cpus not in (None, "") else None,
        stop_grace_period=parse_duration(svc.get("stop_grace_period")),
        dependencies=_dependencies(depends),
        healthcheck=_healthcheck(hc, redact),
        mounts=_mounts(svc.get("volumes")),
        networks=_networks(svc.get("networks"), networks or {}, project, missing),
        network_mode=str(svc.get("network_mode") or ""),
        env_files=_env_file_paths(svc.get("env_file")),
    )


def external_networks(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Engine names of the external networks a rendered config needs."""
    out = []
    for key, spec in (data.get("networks") or {}).items():
        if isinstance(spec, Mapping) and spec.get("external"):
            out.append(str(spec.get("name") or key))
    return tuple(out)


def parse_config(
    data: Mapping[str, Any],
    files: Sequence[str] = (),
    redact: Callable[[str], str] = _identity,
    missing_networks: Sequence[str] = (),
) -> ComposeModel:
    """ComposeModel from the JSON `docker compose config --format json` prints."""
    services = data.get("services") or {}
    volumes = data.get("volumes") or {}
    networks = data.get("networks") or {}
    project = str(data.get("name") or "")
    return ComposeModel(
        project=project,
        services=tuple(
            _declared(n, s or {}, redact, networks, project, missing_networks)
            for n, s in services.items()
        ),
        volumes=tuple(str((v or {}).get("name") or k) for k, v in volumes.items()),
        files=tuple(files),
        missing_networks=tuple(missing_networks),
    )

"""The platform model: engine containers merged with what compose declares.

Containers are the project's by their compose label. Two kinds are marked, not mixed in
silently: those of a service no compose file declares (`undeclared`), and those started
from compose files other than ours (`foreign_config`: another checkout's paths in their
`config_files` label). A container started from a subset of our files (`make
up-minimal`) is not foreign.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from arctui.models import ComposeModel, ContainerInfo, PortBinding, ServiceView
from arctui.stack.catalog import Catalog, default_catalog

CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"
MIN_RANGE = 3  # consecutive ports folded into `a-b`


def _norm(path: str) -> str:
    return os.path.normpath(os.path.abspath(path.strip()))


def foreign_config(containers: Iterable[ContainerInfo], files: Sequence[str]) -> str:
    """The compose files these containers were started from that are not ours ('' if none)."""
    ours = {_norm(f) for f in files}
    if not ours:
        return ""
    foreign: dict[str, None] = {}
    for c in containers:
        label = c.labels.get(CONFIG_FILES_LABEL, "")
        for path in (p for p in label.split(",") if p.strip()):
            if _norm(path) not in ours:
                foreign[path.strip()] = None
    return ", ".join(foreign)


def build_services(
    containers: Iterable[ContainerInfo],
    compose: ComposeModel | None,
    catalog: Catalog | None = None,
) -> tuple[ServiceView, ...]:
    """One ServiceView per service: replicas grouped, declared-but-absent ones included."""
    catalog = catalog or default_catalog()
    groups: dict[str, list[ContainerInfo]] = {}
    for c in containers:
        groups.setdefault(c.service or c.name, []).append(c)
    declared = {s.name: s for s in compose.services} if compose else {}
    names = list(declared) + sorted(n for n in groups if n not in declared)
    files = compose.files if compose else ()
    views = []
    for name in names:
        members = tuple(sorted(groups.get(name, ()), key=lambda c: (c.replica, c.name)))
        decl = declared.get(name)
        first = members[0] if members else None
        labels = dict(decl.labels) if decl else {}
        if first:
            labels.update(first.labels)
        role = catalog.resolve(
            labels=labels,
            image=first.image if first else (decl.image if decl else ""),
            service=name,
            container_name=first.name if first else (decl.container_name or "" if decl else ""),
        )
        views.append(
            ServiceView(
                name=name,
                role=role,
                containers=members,
                declared=decl,
                depends_on=decl.depends_on if decl else (),
                undeclared=compose is not None and decl is None,
                foreign_config=foreign_config(members, files),
            )
        )
    return tuple(views)


def _port_run_label(run: list[PortBinding]) -> str:
    first, last = run[0], run[-1]
    if len(run) == 1:
        return first.label()
    proto = "" if first.proto == "tcp" else f"/{first.proto}"
    inner = f"{first.container_port}-{last.container_port}"
    if first.host_port is None or last.host_port is None:
        return f"({inner}{proto})"
    ip = first.host_ip if first.host_ip not in ("", "0.0.0.0", "::") else ""
    host = f"[{ip}]:" if ":" in ip else f"{ip}:" if ip else ""
    outer = f"{first.host_port}-{last.host_port}"
    mapped = "" if outer == inner else f"->{inner}"
    return f"{host}{outer}{mapped}{proto}"


def port_labels(ports: Iterable[PortBinding]) -> list[str]:
    """Port labels with consecutive ports folded into ranges (`50000-50100/udp`)."""
    unique = sorted(
        set(ports), key=lambda p: (p.proto, p.host_ip, p.host_port is None, p.container_port)
    )
    runs: list[list[PortBinding]] = []
    for p in unique:
        prev = runs[-1][-1] if runs else None
        if (
            prev is not None
            and (prev.proto, prev.host_ip) == (p.proto, p.host_ip)
            and p.container_port == prev.container_port + 1
            and (
                (p.host_port is None and prev.host_port is None)
                or (
                    p.host_port is not None
                    and prev.host_port is not None
                    and p.host_port == prev.host_port + 1
                )
            )
        ):
            runs[-1].append(p)
        else:
            runs.append([p])
    # Two neighbours (4317 4318) read better as two ports; three or more are a range.
    runs = [r for run in runs for r in ([run] if len(run) >= MIN_RANGE else [[p] for p in run])]
    runs.sort(key=lambda r: (r[0].host_port is None, r[0].container_port, r[0].proto))
    return [_port_run_label(r) for r in runs]

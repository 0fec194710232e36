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

from arctui.models import ComposeModel, ContainerInfo, ServiceView
from arctui.stack.catalog import Catalog, default_catalog

CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"


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

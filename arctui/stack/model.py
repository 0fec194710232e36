"""The platform model: engine containers merged with what compose declares."""

from __future__ import annotations

from collections.abc import Iterable

from arctui.models import ComposeModel, ContainerInfo, ServiceView
from arctui.stack.catalog import Catalog, default_catalog


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
            )
        )
    return tuple(views)

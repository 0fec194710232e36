"""Snapshot -> cells: pure functions, no widgets, unit-tested.

Every cell is a `rich.text.Text` built from sanitized strings: a `str` cell in a
DataTable is parsed as markup, which outside text must never be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text

from arctui.config.masking import mask_value, redact
from arctui.models import ContainerInfo, ServiceState, ServiceView, StackSnapshot
from arctui.text import clean, one_line
from arctui.ui.cells import DEFAULT_PALETTE, Palette, Row, human_duration

COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Service"),
    ("role", "Role"),
    ("state", "State"),
    ("health", "Health"),
    ("uptime", "Uptime"),
    ("restarts", "Rst"),
    ("exit", "Exit"),
    ("ports", "Ports"),
    ("image", "Image"),
)
SORT_KEYS = ("name", "role", "state", "health", "uptime", "restarts")

_STATE_ORDER = {
    ServiceState.RESTARTING: 0,
    ServiceState.STOPPED: 1,
    ServiceState.PARTIAL: 2,
    ServiceState.PAUSED: 3,
    ServiceState.NOT_CREATED: 4,
    ServiceState.RUNNING: 5,
}
_HEALTH_ORDER = {"unhealthy": 0, "starting": 1, None: 2, "healthy": 3}


def state_kind(state: ServiceState) -> str:
    """Semantic colour of a state."""
    if state is ServiceState.RUNNING:
        return "up"
    if state in (ServiceState.RESTARTING, ServiceState.STOPPED):
        return "down"
    if state is ServiceState.NOT_CREATED:
        return "muted"
    return "degraded"


def health_kind(health: str | None) -> str:
    """Semantic colour of a health value."""
    return {"healthy": "up", "unhealthy": "down", "starting": "degraded"}.get(health or "", "muted")


def uptime(service: ServiceView, now: float) -> float | None:
    """Seconds since the most recent start of a running replica (crash loops show short)."""
    starts = [c.started_at for c in service.containers if c.state == "running" and c.started_at]
    return now - max(starts) if starts else None


def exit_text(service: ServiceView) -> str:
    """Exit code and OOM marker of stopped or restarting replicas."""
    parts = []
    for c in service.containers:
        if c.state in ("running", "created", "paused") or c.exit_code is None:
            continue
        parts.append(f"{c.exit_code}" + (" OOM" if c.oom_killed else ""))
    return ",".join(dict.fromkeys(parts))


def ports_text(service: ServiceView) -> str:
    """Published ports of the first replica, else declared ones."""
    ports = service.containers[0].ports if service.containers else ()
    if not ports and service.declared:
        ports = service.declared.ports
    shown = [p for p in ports if p.host_port is not None] or list(ports)
    if not shown and service.containers and service.containers[0].network_mode == "host":
        return "host net"  # ports are not published: the container binds the host's
    return " ".join(dict.fromkeys(p.label() for p in shown))


def service_row(service: ServiceView, now: float, palette: Palette = DEFAULT_PALETTE) -> Row:
    """Cells for one service, in COLUMNS order."""
    state = service.state
    replicas = len(service.containers)
    running = sum(c.state == "running" for c in service.containers)
    state_label = state.value + (f" {running}/{replicas}" if replicas > 1 else "")
    health = service.health
    restarts = service.restart_count
    exit_value = exit_text(service)
    return Row(
        key=service.name,
        cells=(
            Text(one_line(service.name, 60)),
            Text(one_line(service.role, 20), style=palette["accent"]),
            Text(state_label, style=palette[state_kind(state)]),
            Text(health or "-", style=palette[health_kind(health)]),
            Text(human_duration(uptime(service, now))),
            Text(str(restarts), style=palette["down"] if restarts else ""),
            Text(exit_value, style=palette["down"] if exit_value else ""),
            Text(one_line(ports_text(service), 80)),
            Text(one_line(redact(service.image), 80), style=palette["muted"]),
        ),
    )


def matches(service: ServiceView, query: str) -> bool:
    """Case-insensitive substring match on name, role, state, health, image, containers."""
    if not query:
        return True
    q = query.lower()
    haystack = [
        service.name,
        service.role,
        service.state.value,
        service.health or "",
        service.image,
    ]
    haystack += [c.name for c in service.containers]
    return any(q in h.lower() for h in haystack)


def sort_key(column: str, now: float) -> Callable[[ServiceView], tuple]:
    """Key function for sorting services by a column; ties broken by name."""
    keys: dict[str, Callable[[ServiceView], object]] = {
        "name": lambda s: 0,
        "role": lambda s: s.role,
        "state": lambda s: _STATE_ORDER[s.state],
        "health": lambda s: _HEALTH_ORDER.get(s.health, 2),
        "uptime": lambda s: uptime(s, now) if uptime(s, now) is not None else -1.0,
        "restarts": lambda s: -s.restart_count,
    }
    first = keys[column]
    return lambda s: (first(s), s.name)


def visible_services(
    snapshot: StackSnapshot, query: str, column: str, reverse: bool, now: float
) -> list[ServiceView]:
    """Filtered and sorted services as the table shows them."""
    shown = [s for s in snapshot.services if matches(s, query)]
    return sorted(shown, key=sort_key(column, now), reverse=reverse)


def _section(out: Text, title: str) -> None:
    out.append(f"\n{title}\n", style="bold")


def _pairs(out: Text, pairs: Iterable[tuple[str, str]]) -> None:
    any_pair = False
    for key, value in pairs:
        any_pair = True
        shown = redact(mask_value(key, value))  # labels hold secrets too (basicauth.users)
        out.append(f"  {one_line(key, 120)}", style="italic")
        out.append(" = ")
        out.append(one_line(shown, 400) + "\n")
    if not any_pair:
        out.append("  (none)\n", style="dim")


def container_lines(out: Text, c: ContainerInfo, now: float) -> None:
    """One line per replica: name, id, state, uptime or exit."""
    line = f"  {one_line(c.name, 80)}  {c.short_id}  {c.state}"
    if c.state == "running":
        line += f" {human_duration(now - c.started_at) if c.started_at else ''}"
    elif c.exit_code is not None:
        line += f" exit {c.exit_code}" + (" OOMKilled" if c.oom_killed else "")
    if c.restart_count:
        line += f"  restarts {c.restart_count}"
    out.append(line + "\n")


def service_detail(service: ServiceView, now: float) -> Text:
    """The detail pane: containers, depends_on, health log, labels, env (masked), mounts."""
    out = Text()
    out.append(one_line(service.name, 80), style="bold")
    out.append(f"  ({one_line(service.role, 30)})  {service.state.value}\n")
    if service.declared and service.declared.profiles:
        out.append(f"  profiles: {one_line(', '.join(service.declared.profiles))}\n")
    _section(out, "Containers")
    if not service.containers:
        out.append("  none: declared in compose, not created\n", style="dim")
    for c in service.containers:
        container_lines(out, c, now)
    _section(out, "Depends on")
    out.append("  " + (one_line(", ".join(service.depends_on)) or "(nothing)") + "\n")
    first = service.containers[0] if service.containers else None
    _section(out, "Last health checks")
    if first and first.health_log:
        for h in first.health_log[-5:]:
            ago = human_duration(now - h.end) if h.end else "?"
            out.append(f"  {ago:>6} ago  exit {h.exit_code}  ")
            out.append(one_line(redact(clean(h.output)).strip(), 300) + "\n")
    else:
        out.append("  (no health check results)\n", style="dim")
    labels = first.labels if first else (service.declared.labels if service.declared else {})
    _section(out, "Labels")
    _pairs(out, sorted(labels.items()))
    env = first.env if first else (service.declared.environment if service.declared else ())
    _section(out, "Environment (secrets masked)")
    _pairs(out, env)
    _section(out, "Mounts")
    mounts = first.mounts if first else ()
    for m in mounts:
        ro = " (ro)" if m.read_only else ""
        out.append(
            f"  {m.type:<6} {one_line(m.source, 120)} -> {one_line(m.destination, 120)}{ro}\n"
        )
    if not mounts:
        out.append("  (none)\n", style="dim")
    return out


def summary(snapshot: StackSnapshot) -> tuple[int, int, int]:
    """(services, running, with problems) for the header."""
    problems = sum(
        s.state in (ServiceState.RESTARTING, ServiceState.STOPPED, ServiceState.PARTIAL)
        or s.health == "unhealthy"
        for s in snapshot.services
    )
    running = sum(s.state is ServiceState.RUNNING for s in snapshot.services)
    return len(snapshot.services), running, problems

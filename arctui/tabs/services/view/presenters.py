"""Snapshot -> cells: pure functions, no widgets, unit-tested.

Every cell is a `rich.text.Text` built from sanitized strings: a `str` cell in a
DataTable is parsed as markup, which outside text must never be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text

from arctui.config.masking import mask_value, redact
from arctui.models import ContainerInfo, ServiceState, ServiceView, StackSnapshot
from arctui.stack.model import port_labels
from arctui.text import clean, one_line
from arctui.ui.cells import DEFAULT_COLOURS, Colours, Row
from arctui.units import duration

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
# Which columns give way on a narrow terminal, first to last (the table hides the highest
# number first; 0 never hides): Ports, then Role, then Image (first cut down to its
# name:tag end), then Exit and Uptime. Names, states and numbers stay whole.
PRIORITY = {"ports": 5, "role": 4, "image": 3, "exit": 2, "uptime": 1}
CUTTABLE = {"image": 16}  # column -> the narrowest it is cut to (keeping its end)

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


PORTS_CELL_CHARS = 32  # the Ports cell: what fits before "+N more"


def _fit(labels: list[str], limit: int = PORTS_CELL_CHARS) -> str:
    shown: list[str] = []
    for i, label in enumerate(labels):
        rest = len(labels) - i - 1
        if shown and len(" ".join([*shown, label])) + (len(f" +{rest}") if rest else 0) > limit:
            return " ".join(shown) + f" +{len(labels) - i}"
        shown.append(label)
    return " ".join(shown)


def _live(service: ServiceView) -> ContainerInfo | None:
    """The first replica that holds its ports now (running, restarting or paused)."""
    return next(
        (c for c in service.containers if c.state in ("running", "restarting", "paused")), None
    )


def ports_text(service: ServiceView) -> str:
    """What is bound for a running replica; else the declared ports, marked `decl`.

    The engine's bindings are the truth: a host-network container publishes nothing
    (`host net`) whatever the compose file says. Ranges stay ranges; a long list ends
    in `+N` (the detail pane lists them all).
    """
    live = _live(service)
    host_mode = (live.network_mode if live else "") == "host" or (
        service.declared is not None and service.declared.network_mode == "host"
    )
    if live is not None:
        bound = [p for p in live.ports if p.host_port is not None]
        if bound or not host_mode:
            return _fit(port_labels(bound or live.ports))
    if host_mode:
        return "host net"  # ports are not published: the container binds the host's
    declared = service.declared.ports if service.declared else ()
    return "decl " + _fit(port_labels(declared), PORTS_CELL_CHARS - 5) if declared else ""


def role_repeats_name(service: ServiceView) -> bool:
    """The role is the service's own name (most of a platform's services)."""
    return service.role.casefold() == service.name.casefold()


def service_row(service: ServiceView, now: float, palette: Colours = DEFAULT_COLOURS) -> Row:
    """Cells for one service, in COLUMNS order."""
    state = service.state
    replicas = len(service.containers)
    running = sum(c.state == "running" for c in service.containers)
    state_label = state.value + (f" {running}/{replicas}" if replicas > 1 else "")
    health = service.health
    restarts = service.restart_count
    exit_value = exit_text(service)
    name = Text(one_line(service.name, 60))
    if service.undeclared:  # has the project's label, but no compose file declares it
        name.append(" ?", style=palette["degraded"])
    if service.foreign_config:  # started from another checkout's files
        name.append(" ⇄", style=palette["degraded"])
    return Row(
        key=service.name,
        cells=(
            name,
            # A role that only repeats the service's name says nothing: left blank.
            Text(
                "" if role_repeats_name(service) else one_line(service.role, 20),
                style=palette["accent"],
            ),
            Text(state_label, style=palette[state_kind(state)]),
            Text(health or "-", style=palette[health_kind(health)]),
            Text(duration(uptime(service, now))),
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
        line += f" {duration(now - c.started_at) if c.started_at else ''}"
    elif c.exit_code is not None:
        line += f" exit {c.exit_code}" + (" OOMKilled" if c.oom_killed else "")
    if c.restart_count:
        line += f"  restarts {c.restart_count}"
    out.append(line + "\n")


def _dependency_lines(out: Text, service: ServiceView) -> None:
    deps = service.declared.dependencies if service.declared else ()
    if not deps:
        out.append("  " + (one_line(", ".join(service.depends_on)) or "(nothing)") + "\n")
        return
    for d in deps:
        optional = "" if d.required else "  (optional)"
        out.append(f"  {one_line(d.service, 80)}  ")
        out.append(one_line(d.condition, 60), style="bold" if "healthy" in d.condition else "")
        out.append(optional + "\n")


def _healthcheck_lines(out: Text, service: ServiceView) -> None:
    hc = service.declared.healthcheck if service.declared else None
    if hc is None:
        if service.declared is not None and service.declared.has_healthcheck:
            out.append("  declared (its command was not read)\n", style="dim")
        elif not any(c.health for c in service.containers):
            out.append("  declared: (none)\n", style="dim")
        return
    out.append("  declared: " + one_line(redact(hc.command()), 300) + "\n")
    timing = [
        f"{name} {duration(value)}"
        for name, value in (
            ("every", hc.interval),
            ("timeout", hc.timeout),
            ("start period", hc.start_period),
        )
        if value is not None
    ]
    if hc.retries is not None:
        timing.append(f"retries {hc.retries}")
    if timing:
        out.append("  " + ", ".join(timing) + "\n", style="dim")


def _port_lines(out: Text, service: ServiceView) -> None:
    live = _live(service)
    if live is not None:
        bound = [p for p in live.ports if p.host_port is not None]
        if bound:
            out.append("  bound: " + one_line(" ".join(port_labels(bound)), 600) + "\n")
        elif live.network_mode == "host":
            out.append("  bound: none published (host network: binds the host's ports)\n")
        else:
            out.append("  bound: none\n", style="dim")
    declared = service.declared.ports if service.declared else ()
    if live is not None and set(declared) == {p for p in live.ports if p.host_port is not None}:
        return  # bound as declared: one line says it
    if declared:
        note = ""
        if service.declared is not None and service.declared.network_mode == "host":
            note = "  (ignored on the host network)"
        out.append("  declared: " + one_line(" ".join(port_labels(declared)), 600) + note + "\n")
    elif live is None:
        out.append("  (none)\n", style="dim")


def _network_lines(out: Text, service: ServiceView) -> None:
    decl = service.declared
    live = service.containers[0] if service.containers else None
    mode = (decl.network_mode if decl else "") or (live.network_mode if live else "")
    if decl is None or not decl.networks:
        out.append(f"  {one_line(mode, 80) or '(default)'}\n", style="" if mode else "dim")
        return
    for n in decl.networks:
        aliases = f"  aliases: {one_line(', '.join(n.aliases), 300)}" if n.aliases else ""
        external = " (external)" if n.external else ""
        out.append(f"  {one_line(n.name, 80)}{external}{aliases}\n")
        if n.missing:
            out.append(
                f"  ⚠ network {one_line(n.name, 80)} does not exist on the engine:"
                " `up` will fail on it (docker network create it first)\n",
                style="bold",
            )


def _mount_lines(out: Text, service: ServiceView) -> None:
    first = service.containers[0] if service.containers else None
    mounts = first.mounts if first else ()
    label = ""
    if not mounts and service.declared is not None:
        mounts, label = service.declared.mounts, "  (declared)"
    for m in mounts:
        ro = " (ro)" if m.read_only else ""
        out.append(
            f"  {m.type:<6} {one_line(redact(m.source), 400)} -> "
            f"{one_line(m.destination, 200)}{ro}{label}\n"
        )
    if not mounts:
        out.append("  (none)\n", style="dim")


def _origin_lines(out: Text, service: ServiceView) -> None:
    if service.undeclared:
        out.append(
            "  ⚠ no compose file declares this service: its container carries the project's"
            " label (started by hand, from another checkout, or the files changed since)\n",
            style="bold",
        )
    if service.foreign_config:
        out.append(
            "  ⚠ started from other compose files: "
            + one_line(redact(service.foreign_config), 400)
            + "\n",
            style="bold",
        )


def service_detail(service: ServiceView, now: float, snapshot: StackSnapshot | None = None) -> Text:
    """The detail pane: containers, depends_on, health, ports, networks, labels, env, mounts.

    A service that is not created shows what compose declares for it. Given the whole
    snapshot, a failing service whose dependency is down says so first (root cause).
    """
    out = Text()
    out.append(one_line(service.name, 80), style="bold")
    out.append(f"  ({one_line(service.role, 30)})  {service.state.value}\n")
    if snapshot is not None:
        from arctui.ops.health.rootcause import docker_verdict, snapshot_root_cause

        cause = snapshot_root_cause(snapshot, service.name)
        if cause is not None:
            verdict = docker_verdict(service, snapshot)[0]
            out.append(f"  {verdict} {one_line(cause.text, 200)}", style="bold red")
            out.append(f": {one_line(redact(cause.evidence), 300)}\n" if cause.evidence else "\n")
    if service.declared and service.declared.profiles:
        out.append(f"  profiles: {one_line(', '.join(service.declared.profiles))}\n")
    _origin_lines(out, service)
    _section(out, "Containers")
    if not service.containers:
        out.append("  none: declared in compose, not created\n", style="dim")
    for c in service.containers:
        container_lines(out, c, now)
    _section(out, "Depends on")
    _dependency_lines(out, service)
    first = service.containers[0] if service.containers else None
    _section(out, "Health check")
    _healthcheck_lines(out, service)
    if first and first.health_log:
        for h in first.health_log[-5:]:
            ago = duration(now - h.end) if h.end else "?"
            out.append(f"  {ago:>6} ago  exit {h.exit_code}  ")
            out.append(one_line(redact(clean(h.output)).strip(), 300) + "\n")
    elif first is not None:
        out.append("  (no health check results)\n", style="dim")
    _section(out, "Ports")
    _port_lines(out, service)
    _section(out, "Networks")
    _network_lines(out, service)
    labels = first.labels if first else (service.declared.labels if service.declared else {})
    _section(out, "Labels")
    _pairs(out, sorted(labels.items()))
    env = first.env if first else (service.declared.environment if service.declared else ())
    _section(out, "Environment (secrets masked)")
    _pairs(out, env)
    _section(out, "Mounts")
    _mount_lines(out, service)
    return out

"""ResourcesSnapshot -> cells and text for the Resources tab: pure functions, unit-tested.

Every cell is a `rich.text.Text` from sanitized strings (never a markup `str`). CPU is
shown as `docker stats` shows it (100 % = one core), next to its share of the CPU limit
and of the whole host, so the three can be compared at a glance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rich.text import Text

from arctui.tabs.resources.models import (
    ContainerStats,
    OomEvent,
    ResourcesSnapshot,
    VolumesSnapshot,
)
from arctui.tabs.resources.source import pressure_warnings
from arctui.text import one_line
from arctui.ui.cells import DEFAULT_COLOURS, Colours, Row
from arctui.ui.fleet_cells import EngineTag, engine_cell
from arctui.units import duration, size_compact

# key, header, fixed width (None: as wide as the widest cell)
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("name", "Container", None),
    ("cpu", "CPU%", 6),
    ("mem", "Mem", 6),
    ("mem_pct", "Mem%", 6),
    ("limit", "Limit", 6),
    ("cpu_lim", "CPU/lim", 7),
    ("host", "Host%", 6),
    ("rx", "Net rx/s", 8),
    ("tx", "Net tx/s", 8),
    ("read", "Blk r/s", 7),
    ("write", "Blk w/s", 7),
    ("pids", "PIDs", 5),
    ("restarts", "Rst", 4),
    ("oom", "OOM", 4),
    ("state", "State", 10),
)
SORT_KEYS = tuple(key for key, _, _ in COLUMNS)
# Which columns give way on a narrow terminal (the table hides the highest number first,
# the rightmost of equals first; 0 never hides): block I/O, PIDs, Host%, CPU/lim, network,
# Limit, then OOM and Mem%. Name, CPU%, Mem, Rst and State stay; no number is ever cut.
PRIORITY = {
    "write": 6,
    "read": 6,
    "pids": 5,
    "host": 5,
    "cpu_lim": 4,
    "rx": 3,
    "tx": 3,
    "limit": 2,
    "oom": 1,
    "mem_pct": 1,
}


def percent(value: float | None) -> str:
    """One decimal below 1000 %, none above; None -> '-'."""
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 999.95 else f"{value:.0f}"


def mem_kind(c: ContainerStats) -> str:
    """Colour of the memory figures: red from 95 % of the limit, amber from 80 %."""
    pct = c.mem_pct
    if pct is None:
        return ""
    return "down" if pct >= 95 else "degraded" if c.mem_warning else ""


def _rate_cell(c: ContainerStats, value: float | None, palette: Colours, net: bool) -> Text:
    if net and c.host_network and c.running:
        return Text("host", style=palette["muted"], justify="right")
    return Text(size_compact(value), justify="right")


def resource_row(c: ContainerStats, ncpu: int, palette: Colours = DEFAULT_COLOURS) -> Row:
    """Cells for one container, in COLUMNS order."""
    kind = mem_kind(c)
    mem_style = f"bold {palette[kind]}" if kind else ""
    limit = size_compact(c.mem_limit) if c.mem_limit else "-"
    if c.limits_drift:
        limit += "*"
    state_kind = "up" if c.running else "down" if c.state in ("exited", "dead") else "degraded"
    cpu_lim = c.cpu_limit_pct
    return Row(
        key=c.id,
        cells=(
            Text(one_line(c.name, 40), style=palette["degraded"] if kind else ""),
            Text(percent(c.cpu_pct), justify="right"),
            Text(size_compact(c.mem), style=mem_style, justify="right"),
            Text(percent(c.mem_pct), style=mem_style, justify="right"),
            Text(limit, style=palette["muted"] if not c.mem_limit else "", justify="right"),
            Text(
                percent(cpu_lim),
                style=f"bold {palette['degraded']}" if cpu_lim and cpu_lim >= 90 else "",
                justify="right",
            ),
            Text(percent(c.cpu_host_pct(ncpu)), justify="right"),
            _rate_cell(c, c.net_rx, palette, net=True),
            _rate_cell(c, c.net_tx, palette, net=True),
            _rate_cell(c, c.blk_read, palette, net=False),
            _rate_cell(c, c.blk_write, palette, net=False),
            Text("-" if c.pids is None else str(c.pids), justify="right"),
            Text(str(c.restarts), style=palette["down"] if c.restarts else "", justify="right"),
            Text("OOM" if c.oom_killed else "", style=f"bold {palette['down']}"),
            Text(one_line(c.state, 12), style=palette[state_kind]),
        ),
    )


def _numeric(value: float | None) -> float:
    return -1.0 if value is None else value


def sort_key(column: str, ncpu: int) -> Callable[[ContainerStats], tuple]:
    """Key for sorting rows by a column: biggest first (like top), unknowns last, then name."""
    keys: dict[str, Callable[[ContainerStats], float]] = {
        "cpu": lambda c: _numeric(c.cpu),
        "host": lambda c: _numeric(c.cpu),
        "cpu_lim": lambda c: _numeric(c.cpu_limit_pct),
        "mem": lambda c: _numeric(c.mem),
        "mem_pct": lambda c: _numeric(c.mem_pct),
        "limit": lambda c: _numeric(c.mem_limit),
        "rx": lambda c: _numeric(c.net_rx),
        "tx": lambda c: _numeric(c.net_tx),
        "read": lambda c: _numeric(c.blk_read),
        "write": lambda c: _numeric(c.blk_write),
        "pids": lambda c: _numeric(c.pids),
        "restarts": lambda c: c.restarts,
        "oom": lambda c: float(c.oom_killed),
        "state": lambda c: float(c.running),
    }
    if column == "name" or column not in keys:
        return lambda c: (0.0, c.name)
    first = keys[column]
    return lambda c: (-first(c), c.name)


def matches(c: ContainerStats, query: str) -> bool:
    """Case-insensitive substring match on name, service, state, id."""
    q = query.lower()
    return not q or any(q in h.lower() for h in (c.name, c.service, c.state, c.short_id))


def visible_containers(
    snapshot: ResourcesSnapshot, query: str, column: str, reverse: bool
) -> list[ContainerStats]:
    """Filtered and sorted rows as the table shows them."""
    shown = [c for c in snapshot.containers if matches(c, query)]
    return sorted(shown, key=sort_key(column, snapshot.host.ncpu), reverse=reverse)


def clock_time(t: float) -> str:
    """Local wall-clock time HH:MM:SS."""
    return time.strftime("%H:%M:%S", time.localtime(t))


def _sep(out: Text) -> None:
    out.append(" │ ", style="dim")


def host_strip(
    snap: ResourcesSnapshot | None,
    volumes: VolumesSnapshot | None,
    now: float,
    status: str,
    palette: Colours = DEFAULT_COLOURS,
    engine: EngineTag | None = None,
) -> Text:
    """Host CPU/memory/disk, volume sizes, warnings and OOM kills: up to four lines.

    `engine`: several engines; the strip is that one engine's host (`local host CPU ..`,
    `local volumes`), and the data root's path is left out so the label costs no width:
    the status (data age) still ends the line at 120 columns."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if engine is not None:
        out.append_text(engine_cell(engine, palette))
        out.append(" host ", style="bold")
    else:
        out.append("Host ", style="bold")
    if snap is None:
        out.append(f"waiting for the first reading  {status}")
        return out
    h = snap.host
    cpu = "-" if h.cpu is None else f"{h.cpu:.0f}%"
    out.append(f"CPU {cpu} of {h.ncpu}")
    _sep(out)
    if h.mem_total:
        used = size_compact(h.mem_used) if h.mem_used is not None else "?"
        out.append(f"Mem {used}/{size_compact(h.mem_total)}")
        if h.mem_pressure is not None:
            out.append(f" psi {h.mem_pressure:.1f}%")
    if h.disk_total and h.disk_free is not None:
        _sep(out)
        used_pct = (1 - h.disk_free / h.disk_total) * 100
        root = "" if engine is not None else f"{one_line(h.docker_root, 40)} "
        out.append(f"Disk {root}{size_compact(h.disk_free)} free ")
        out.append(f"({used_pct:.0f}% used)", style=palette["down"] if used_pct >= 90 else "")
    elif not h.local:
        _sep(out)
        remote = "remote: no disk figures" if engine else "remote engine: no host disk figures"
        out.append(remote, style=palette["muted"])
    _sep(out)
    out.append(status)
    out.append("\n")
    if engine is not None:
        out.append_text(engine_cell(engine, palette))
        out.append(" volumes ", style="bold")
    else:
        out.append("Volumes ", style="bold")
    if volumes is None:
        out.append("measuring…", style=palette["muted"])
    elif volumes.error:
        out.append(one_line(volumes.error, 200), style=palette["down"])
    elif not volumes.volumes:
        out.append("none in this project", style=palette["muted"])
    for i, v in enumerate(volumes.volumes if volumes else ()):
        if i:
            out.append(" · ", style="dim")
        out.append(one_line(v.name, 60))
        out.append(f" {size_compact(v.size)}", style="bold")
    if volumes and volumes.volumes:
        out.append(f"  ({duration(now - volumes.taken_at)} ago)", style=palette["muted"])
    warnings = pressure_warnings(snap)
    if snap.oom_events:
        last = snap.oom_events[-1]
        warnings.append(
            f"OOM kills: {len(snap.oom_events)}, last {one_line(last.name, 40)} at "
            f"{clock_time(last.time)} ({duration(now - last.time)} ago)"
        )
    if warnings:
        out.append("\n")
        out.append("⚠ ", style=f"bold {palette['degraded']}")
        out.append(" · ".join(one_line(w, 120) for w in warnings), style=palette["degraded"])
    legend = limit_legend(snap)
    if legend:
        out.append("\n")
        out.append(legend, style=palette["muted"])
    return out


def limit_legend(snap: ResourcesSnapshot) -> str:
    """What the `*` after a Limit means, when a row shows one ("" otherwise)."""
    drifting = [c.name for c in snap.containers if c.limits_drift]
    if not drifting:
        return ""
    names = ", ".join(one_line(n, 40) for n in drifting[:3])
    more = f" and {len(drifting) - 3} more" if len(drifting) > 3 else ""
    return (
        f"* Limit: the compose files declare other limits than {names}{more} run with"
        " (recreate to apply; a - is no limit)"
    )


def oom_list(events: Sequence[OomEvent], now: float, limit: int = 10) -> Text:
    """The OOM kills on record, newest first, with time and container."""
    out = Text()
    out.append(f"OOM kills ({len(events)})\n", style="bold")
    if not events:
        out.append("  none seen\n", style="dim")
    for e in list(reversed(events))[:limit]:
        out.append(f"  {clock_time(e.time)} ", style="bold")
        out.append(f"{duration(now - e.time):>6} ago  ")
        out.append(one_line(e.name, 40) + "\n")
    return out


def container_info(c: ContainerStats | None, ncpu: int, now: float) -> Text:
    """Facts of the selected container: limits declared vs applied, uptime, network."""
    out = Text()
    if c is None:
        out.append("No container selected.", style="dim")
        return out
    out.append(one_line(c.name, 60), style="bold")
    out.append(f"  {c.short_id}  {one_line(c.state, 12)}\n")
    if c.started_at and c.running:
        out.append(f"  up {duration(now - c.started_at)}")
    out.append(f"  restarts {c.restarts}\n")
    out.append(f"  CPU%: 100 = one core (as docker stats); Host%: of all {ncpu}\n", style="dim")
    cpu_lim = f"{c.cpu_limit:g} CPU" if c.cpu_limit else "none"
    mem_lim = size_compact(c.mem_limit) if c.mem_limit else "none"
    out.append(f"  limits: memory {mem_lim}, cpu {cpu_lim}\n")
    if c.limits_drift:
        declared = size_compact(c.declared_mem_limit) if c.declared_mem_limit else "none"
        cpus = f"{c.declared_cpu_limit:g}" if c.declared_cpu_limit else "none"
        out.append(f"  * compose declares memory {declared}, cpu {cpus}: recreate to apply\n")
    if c.host_network:
        out.append("  network_mode host: network I/O is the host's, not shown\n", style="dim")
    return out

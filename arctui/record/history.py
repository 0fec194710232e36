"""`arctui history`: figures and the timeline read back from the store.

A metric is a function of one frame giving {series name: value}; a window is sampled at
most `points` frames evenly spread over it (a 7-day window would otherwise decode 120,000
frames to draw 80 columns). Everything printed goes through `arctui.output`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from arctui.output import emit, emit_json
from arctui.record.frame import Event, Frame
from arctui.record.store import Store
from arctui.units import size

Series = dict[str, float]


def _per_container(frame: Frame, pick: Callable[[Any], float | None]) -> Series:
    if frame.resources is None:
        return {}
    out: Series = {}
    for c in frame.resources.containers:
        value = pick(c)
        if value is not None:
            out[c.service or c.name] = out.get(c.service or c.name, 0.0) + value
    return out


def _restarts(frame: Frame) -> Series:
    if frame.stack is None:
        return {}
    return {s.name: float(s.restart_count) for s in frame.stack.services if s.containers}


def _pg(frame: Frame, pick: Callable[[Any], float | None]) -> Series:
    if frame.postgres is None:
        return {}
    value = pick(frame.postgres)
    return {} if value is None else {"postgres": float(value)}


def _redis(frame: Frame, pick: Callable[[Any], float | None]) -> Series:
    if frame.redis is None:
        return {}
    value = pick(frame.redis.overview)
    return {} if value is None else {"redis": float(value)}


def _logs(frame: Frame, errors: bool) -> Series:
    if frame.logs is None:
        return {}
    return {k: float(v.errors if errors else v.lines) for k, v in frame.logs.services.items()}


def _red(frame: Frame, pick: Callable[[Any], float | None]) -> Series:
    if frame.metrics is None:
        return {}
    out = {s.name: pick(s) for s in frame.metrics.services}
    return {k: float(v) for k, v in out.items() if v is not None}


# name -> (what it is, unit, extractor)
METRICS: dict[str, tuple[str, str, Callable[[Frame], Series]]] = {
    "cpu": ("CPU per service (% of one core)", "%",
            lambda f: _per_container(f, lambda c: None if c.cpu is None else c.cpu * 100)),
    "mem": ("memory per service", "bytes", lambda f: _per_container(f, lambda c: c.mem)),
    "mem-pct": ("memory against the limit", "%", lambda f: _per_container(f, lambda c: c.mem_pct)),
    "net-rx": ("network received per service", "bytes/s",
               lambda f: _per_container(f, lambda c: c.net_rx)),
    "net-tx": ("network sent per service", "bytes/s",
               lambda f: _per_container(f, lambda c: c.net_tx)),
    "pids": ("processes per service", "", lambda f: _per_container(f, lambda c: c.pids)),
    "restarts": ("restarts per service (the engine's count)", "", _restarts),
    "pg-connections": ("Postgres client connections", "",
                       lambda f: _pg(f, lambda p: p.overview.client_connections)),
    "pg-tps": ("Postgres transactions per second", "/s",
               lambda f: _pg(f, lambda p: p.overview.tps)),
    "pg-blocked": ("Postgres backends waiting on a lock", "",
                   lambda f: _pg(f, lambda p: sum(1 for b in p.backends if b.blocked_by))),
    "redis-memory": ("Redis used memory", "bytes", lambda f: _redis(f, lambda o: o.used_memory)),
    "redis-ops": ("Redis operations per second", "/s",
                  lambda f: _redis(f, lambda o: o.ops_per_sec)),
    "redis-evicted": ("Redis evicted keys (since its start)", "",
                      lambda f: _redis(f, lambda o: o.evicted_keys)),
    "log-lines": ("log lines per interval", "", lambda f: _logs(f, errors=False)),
    "log-errors": ("error log lines per interval", "", lambda f: _logs(f, errors=True)),
    "red-rate": ("requests per second per service (Prometheus spanmetrics)", "/s",
                 lambda f: _red(f, lambda r: r.rate)),
    "red-errors": ("failed requests per second per service", "/s",
                   lambda f: _red(f, lambda r: r.errors)),
    "red-p95": ("P95 latency per service", "s", lambda f: _red(f, lambda r: r.p95)),
}  # fmt: skip


def sample_times(store: Store, since: float, until: float, points: int) -> list[float]:
    """At most `points` frame times, evenly spread over the window, the last one included."""
    times = store.frame_times(since, until)
    if len(times) <= points:
        return times
    step = len(times) / points
    picked = [times[int(i * step)] for i in range(points)]
    return [*picked[:-1], times[-1]]


def series(
    store: Store, metric: str, since: float, until: float, services: Iterable[str] = (),
    points: int = 300,
) -> dict[str, list[tuple[float, float]]]:  # fmt: skip
    """{series: [(ts, value), ...]} of one metric over the window."""
    wanted = set(services)
    extract = METRICS[metric][2]
    out: dict[str, list[tuple[float, float]]] = {}
    for ts in sample_times(store, since, until, points):
        frame = store.frame_at(ts)
        if frame is None:
            continue
        for name, value in extract(frame).items():
            if not wanted or name in wanted:
                out.setdefault(name, []).append((ts, value))
    return out


def stamp(ts: float, with_date: bool = True) -> str:
    """Local time of a unix time, as the timeline prints it."""
    fmt = "%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S"
    return datetime.fromtimestamp(ts).strftime(fmt)


def shown(value: float, unit: str) -> str:
    """A figure with its unit, in the project's one size format for bytes."""
    if unit == "bytes":
        return size(int(value))
    if unit == "bytes/s":
        return f"{size(int(value))}/s"
    text = f"{value:.1f}" if value != int(value) else f"{int(value)}"
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    return f"{text}{unit if unit in ('%', '/s') else ''}"


def event_line(e: Event) -> str:
    """One timeline line: time, kind, service, text, in columns ("-": the stack as a whole)."""
    who = e.service[:18] or "-"
    return f"{stamp(e.ts)}  {e.kind:<14} {who:<18} {e.text}"


def print_events(events: list[Event], as_json: bool) -> None:
    """The post-mortem timeline, in time order."""
    if as_json:
        emit_json([{"ts": e.ts, "time": stamp(e.ts), "kind": e.kind, "service": e.service,
                    "text": e.text, "data": e.data} for e in events])  # fmt: skip
        return
    if not events:
        emit("no events recorded in that window")
    for e in events:
        emit(event_line(e))


def print_series(
    metric: str, data: dict[str, list[tuple[float, float]]], as_json: bool, plot: bool
) -> None:
    """One metric's series as a table of figures, JSON, or a terminal chart."""
    title, unit, _ = METRICS[metric]
    if as_json:
        emit_json({"metric": metric, "unit": unit, "title": title,
                   "series": {k: [[t, v] for t, v in pts] for k, pts in data.items()}})  # fmt: skip
        return
    if not data:
        emit(f"no {metric} figures recorded in that window")
        return
    if plot:
        emit(plot_text(title, unit, data))
        return
    emit(f"{title}  ({len(next(iter(data.values())))} samples)")
    emit(f"{'series':<24} {'first':>12} {'min':>12} {'mean':>12} {'max':>12} {'last':>12}")
    for name, pts in sorted(data.items()):
        values = [v for _, v in pts]
        cells = (values[0], min(values), sum(values) / len(values), max(values), values[-1])
        emit(f"{name[:24]:<24} " + " ".join(f"{shown(v, unit):>12}" for v in cells))


def plot_text(title: str, unit: str, data: dict[str, list[tuple[float, float]]]) -> str:
    """A plotext line chart of the series (time on x), as text."""
    import plotext as plt

    plt.clear_figure()
    plt.theme("clear")
    plt.plotsize(100, 25)
    plt.date_form("H:M:S")
    scale = 1.0
    if unit == "bytes":  # raw byte counts make an unreadable axis
        scale, unit = 1024.0**2, "MiB"
    for name, pts in sorted(data.items()):
        xs = [datetime.fromtimestamp(t).strftime("%H:%M:%S") for t, _ in pts]
        plt.plot(xs, [v / scale for _, v in pts], label=name[:20])
    plt.title(f"{title} ({unit})" if unit else title)
    text: str = plt.build()
    return text


def summary(store: Store, since: float, until: float, services: Iterable[str]) -> dict[str, Any]:
    """What `arctui history` prints with no --metric: per service, the window at a glance."""
    wanted = set(services)
    cpu = series(store, "cpu", since, until, wanted, points=120)
    mem = series(store, "mem", since, until, wanted, points=120)
    restarts = series(store, "restarts", since, until, wanted, points=120)
    errors = series(store, "log-errors", since, until, wanted, points=10_000)
    names = sorted(set(cpu) | set(mem) | set(restarts))
    rows = []
    for name in names:
        c = [v for _, v in cpu.get(name, [])]
        r = [v for _, v in restarts.get(name, [])]
        rows.append({
            "service": name,
            "cpu_mean_pct": sum(c) / len(c) if c else None,
            "cpu_max_pct": max(c) if c else None,
            "mem_max": max((v for _, v in mem.get(name, [])), default=None),
            "restarts": (r[-1] - r[0]) if r else None,
            "log_errors": sum(v for _, v in errors.get(name, [])),
        })  # fmt: skip
    span = store.span()
    return {"since": since, "until": until, "frames": len(store.frame_times(since, until)),
            "store_span": list(span) if span else None, "services": rows}  # fmt: skip


def print_summary(data: dict[str, Any]) -> None:
    """The summary as a table."""
    emit(f"{stamp(data['since'])} .. {stamp(data['until'])}: {data['frames']} frames")
    if not data["services"]:
        emit("no service figures recorded in that window")
        return
    emit(f"{'service':<24} {'cpu mean':>9} {'cpu max':>9} {'mem max':>10} {'restarts':>9} "
         f"{'log errors':>10}")  # fmt: skip

    def cell(v: float | None, unit: str, width: int) -> str:
        return f"{'-' if v is None else shown(v, unit):>{width}}"

    for row in data["services"]:
        emit(f"{row['service'][:24]:<24} {cell(row['cpu_mean_pct'], '%', 9)} "
             f"{cell(row['cpu_max_pct'], '%', 9)} {cell(row['mem_max'], 'bytes', 10)} "
             f"{cell(row['restarts'], '', 9)} {cell(row['log_errors'], '', 10)}")  # fmt: skip


def now() -> float:
    """The wall clock (a function, so tests can move it)."""
    return time.time()

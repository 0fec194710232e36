"""The latest frame's figures in the OpenMetrics text format, and a loopback server.

`arctui record --metrics 127.0.0.1:9464` serves `/metrics` so that a fleet's history lives
in an existing engine (Prometheus or any scraper) instead of a home-made database. Label
values are outside text: cleaned, redacted, escaped as the format says. Only what the
frame holds is exported; a source that is down exports `arctui_source_up 0` and nothing
stale.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from arctui.record.frame import SOURCES, Frame
from arctui.text import one_line

CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
LABEL_MAX = 120


def _escape(value: str, redact: Callable[[str], str]) -> str:
    text = redact(one_line(value, LABEL_MAX))
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if isinstance(value, float) else str(value)


class _Family:
    def __init__(self, name: str, kind: str, help_text: str, unit: str = "") -> None:
        self.name, self.kind, self.help, self.unit = name, kind, help_text, unit
        self.samples: list[tuple[dict[str, str], float]] = []

    def add(self, value: float | int | bool | None, **labels: str) -> None:
        if value is None:
            return
        self.samples.append((labels, float(value)))

    def lines(self, redact: Callable[[str], str]) -> Iterable[str]:
        if not self.samples:
            return
        yield f"# TYPE {self.name} {self.kind}"
        if self.unit:
            yield f"# UNIT {self.name} {self.unit}"
        yield f"# HELP {self.name} {self.help}"
        suffix = "_total" if self.kind == "counter" else ""
        for labels, value in self.samples:
            inner = ",".join(f'{k}="{_escape(v, redact)}"' for k, v in sorted(labels.items()))
            label_text = f"{{{inner}}}" if inner else ""
            yield f"{self.name}{suffix}{label_text} {_number(value)}"


def render(frame: Frame | None, project: str, redact: Callable[[str], str] = str) -> str:
    """The exposition text of one frame (just `# EOF` before the first)."""
    fam: dict[str, _Family] = {}

    def f(name: str, kind: str, help_text: str, unit: str = "") -> _Family:
        full = f"arctui_{name}"
        if full not in fam:
            fam[full] = _Family(full, kind, help_text, unit)
        return fam[full]

    if frame is not None:
        p = {"project": project}
        for source in SOURCES:
            f("source_up", "gauge", "Whether the source was read at the last sample.").add(
                getattr(frame, source) is not None and source not in frame.down, source=source, **p
            )
        f("frame_timestamp_seconds", "gauge", "When the last sample was taken.", "seconds").add(
            frame.ts, **p
        )
        if frame.stack is not None:
            for s in frame.stack.services:
                for c in s.containers:
                    lab = {"service": s.name, "container": c.name, **p}
                    f("container_running", "gauge", "1 while the container runs.").add(
                        c.state == "running", **lab
                    )
                    if c.health is not None:
                        f("container_healthy", "gauge", "1 when the health check passes.").add(
                            c.health == "healthy", **lab
                        )
                    f("container_restarts", "gauge", "Restarts the engine counted.").add(
                        c.restart_count, **lab
                    )
                    f("container_oom_killed", "gauge", "1 when the last exit was OOM.").add(
                        c.oom_killed, **lab
                    )
        if frame.resources is not None:
            for r in frame.resources.containers:
                lab = {"service": r.service, "container": r.name, **p}
                f("container_cpu_cores", "gauge", "CPU in use, in cores.").add(r.cpu, **lab)
                f("container_memory_bytes", "gauge", "Memory in use.", "bytes").add(r.mem, **lab)
                f("container_memory_limit_bytes", "gauge", "Memory limit.", "bytes").add(
                    r.mem_limit, **lab
                )
                for name, value in (
                    ("network_receive", r.net_rx),
                    ("network_transmit", r.net_tx),
                    ("block_read", r.blk_read),
                    ("block_write", r.blk_write),
                ):
                    f(f"container_{name}_bytes_per_second", "gauge", f"{name} rate.").add(
                        value, **lab
                    )
                f("container_pids", "gauge", "Processes in the container.").add(r.pids, **lab)
        if frame.postgres is not None:
            ov = frame.postgres.overview
            f("postgres_connections", "gauge", "Client connections.").add(
                ov.client_connections, **p
            )
            f("postgres_max_connections", "gauge", "max_connections.").add(ov.max_connections, **p)
            f("postgres_tps", "gauge", "Commits and rollbacks per second.").add(ov.tps, **p)
            f("postgres_cache_hit_ratio", "gauge", "Buffer cache hit ratio.").add(
                ov.cache_hit_ratio, **p
            )
            blocked = sum(1 for b in frame.postgres.backends if b.blocked_by)
            f("postgres_blocked_backends", "gauge", "Backends waiting on a lock.").add(blocked, **p)
            durations = [b.query_s for b in frame.postgres.backends if b.state == "active"]
            f("postgres_longest_query_seconds", "gauge", "Longest active query.", "seconds").add(
                max([d for d in durations if d is not None], default=0.0), **p
            )
            for rep in ov.replicas:
                f("postgres_replay_lag_seconds", "gauge", "Replica replay lag.", "seconds").add(
                    rep.replay_lag_s, replica=rep.name, **p
                )
        if frame.redis is not None:
            o = frame.redis.overview
            f("redis_used_memory_bytes", "gauge", "used_memory.", "bytes").add(o.used_memory, **p)
            f("redis_maxmemory_bytes", "gauge", "maxmemory (0: none).", "bytes").add(
                o.maxmemory, **p
            )
            f("redis_ops_per_second", "gauge", "instantaneous_ops_per_sec.").add(o.ops_per_sec, **p)
            f("redis_hit_ratio", "gauge", "Keyspace hits over lookups.").add(o.hit_rate, **p)
            f("redis_connected_clients", "gauge", "Connected clients.").add(
                o.connected_clients, **p
            )
            f("redis_evicted_keys", "counter", "Keys evicted since start.").add(o.evicted_keys, **p)
            f("redis_expired_keys", "counter", "Keys expired since start.").add(o.expired_keys, **p)
        if frame.logs is not None:
            for svc, counts in frame.logs.services.items():
                f("log_lines", "gauge", "Log lines in the last interval.").add(
                    counts.lines, service=svc, **p
                )
                f("log_error_lines", "gauge", "Error lines in the last interval.").add(
                    counts.errors, service=svc, **p
                )
    lines = [line for family in fam.values() for line in family.lines(redact)]
    return "\n".join([*lines, "# EOF"]) + "\n"


class MetricsServer:
    """Serves `/metrics` from the latest frame on its own thread (loopback by default)."""

    def __init__(self, host: str, port: int, project: str, redact: Callable[[str], str]) -> None:
        self.project = project
        self.redact = redact
        self._frame: Frame | None = None
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] not in ("/metrics", "/"):
                    self.send_error(404)
                    return
                body = outer.text().encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # a scrape every 15 s is no news

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.address = self._server.server_address
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="arctui-metrics", daemon=True
        )
        self._thread.start()

    def update(self, frame: Frame) -> None:
        """The frame whose figures are served from now on."""
        with self._lock:
            self._frame = frame

    def text(self) -> str:
        """The exposition of the latest frame."""
        with self._lock:
            frame = self._frame
        return render(frame, self.project, self.redact)

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

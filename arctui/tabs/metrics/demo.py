"""The simulated Prometheus behind `--demo` (screenshots, snapshot tests). No Textual.

It builds the same snapshots the real reader does, from a deterministic simulation driven
by the session's clock; it never pretends to be a real Prometheus outside --demo, and its
PromQL prompt says that a real one is needed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from arctui.ops.telemetry import Flow, Hop, Loss, Queue
from arctui.tabs.metrics.models import (
    Alert,
    DownTarget,
    MetricsSnapshot,
    Points,
    PromHealth,
    QueryResult,
    RecordedRed,
    Red,
)
from arctui.tabs.metrics.reader import HISTORY, STEP

# name, requests/s, error ratio, p50 ms, operations
_SERVICES = (
    ("arc-raymond-services", 42.0, 0.031, 38.0, ("GET /orders", "POST /orders", "GET /health")),
    ("arc-heimdall-gateway", 118.0, 0.004, 6.0, ("route /api", "route /auth")),
    ("arc-deckard-identity", 12.5, 0.0, 21.0, ("POST /login", "GET /sessions/whoami")),
    ("arc-mystique-flags", 30.0, 0.0, 3.2, ("GET /api/client/features",)),
    ("arc-fury-vault", 4.0, 0.12, 140.0, ("GET /api/v3/secrets", "POST /api/v1/auth")),
    ("arc-daredevil-voice", 2.2, 0.0, 55.0, ("RoomService.CreateRoom",)),
)


def _wave(t: float, period: float, phase: float) -> float:
    return 1.0 + 0.25 * math.sin(2 * math.pi * t / period + phase)


def _red(name: str, rate: float, ratio: float, p50: float, t: float, i: int) -> Red:
    rate = rate * _wave(t, 900.0, i)
    p50_s = p50 / 1000 * _wave(t, 1300.0, 2 * i)
    return Red(name, rate, rate * ratio, p50_s, p50_s * 3.1, p50_s * 6.4)


class DemoMetrics:
    """The reader interface (read, run_query, focus, close) over a simulation."""

    def __init__(
        self,
        window: str = "5m",
        service: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.window = window
        self.service = service
        self.focus: str | None = None
        self.clock = clock
        self.origin = "demo platform"

    def read(self) -> MetricsSnapshot:
        """A simulated snapshot at the clock's time."""
        now = self.clock()
        rows = [
            _red(name, rate, ratio, p50, now, i)
            for i, (name, rate, ratio, p50, _) in enumerate(_SERVICES)
            if self.service in (None, name)
        ]
        rows.sort(key=lambda r: r.badness, reverse=True)
        ops: list[Red] = []
        for i, (name, rate, ratio, p50, names) in enumerate(_SERVICES):
            if name == self.focus:
                for j, op in enumerate(names):
                    share = 1.0 / (j + 1.5)
                    ops.append(_red(op, rate * share, ratio * (j == 0), p50 * (1 + j), now, i + j))
        ops.sort(key=lambda r: r.badness, reverse=True)
        return MetricsSnapshot(
            target="http://arc-house-metrics:9090 (simulated)",
            origin=self.origin,
            taken_at=now,
            window=self.window,
            unit="milliseconds",
            services=tuple(rows),
            focus=self.focus,
            operations=tuple(ops),
            history=self._history(now),
            flow=self._flow(now),
            prom=self._prom(now),
            queries=0,
            demo=True,
        )

    def read_red(self) -> RecordedRed:
        """The recorder's figures (rate, errors, P95 per service) at the clock's time."""
        now = self.clock()
        rows = [
            _red(name, rate, ratio, p50, now, i)
            for i, (name, rate, ratio, p50, _) in enumerate(_SERVICES)
            if self.service in (None, name)
        ]
        rows.sort(key=lambda r: r.badness, reverse=True)
        kept = tuple(Red(r.name, r.rate, r.errors, p95=r.p95) for r in rows)
        return RecordedRed(now, self.window, "http://arc-house-metrics:9090 (simulated)", kept)

    def _history(self, now: float) -> dict[str, dict[str, Points]]:
        end = math.floor(now / STEP) * STEP
        times = [end - HISTORY + k * STEP for k in range(int(HISTORY / STEP) + 1)]
        out: dict[str, dict[str, Points]] = {f: {} for f in ("rate", "errors", "p50", "p95", "p99")}
        for i, (name, rate, ratio, p50, _) in enumerate(_SERVICES):
            reds = [_red(name, rate, ratio, p50, t, i) for t in times]
            for figure in out:
                out[figure][name] = tuple(
                    (t, float(getattr(r, figure) or 0.0)) for t, r in zip(times, reds, strict=True)
                )
        return out

    def _flow(self, now: float) -> Flow:
        logs = 820.0 * _wave(now, 600.0, 0.3)
        spans = sum(r[1] for r in _SERVICES) * 4.2
        points = 2400.0
        hops = (
            Hop("receiver", "otlp", "log_records", logs * 0.6, logs * 0.4),
            Hop("receiver", "otlp", "metric_points", points, 0.0),
            Hop("receiver", "otlp", "spans", spans, 0.0),
            Hop("exporter", "loki", "log_records", logs * 0.6, 0.0, 0.0),
            Hop("exporter", "prometheus", "metric_points", points, 0.0, 0.0),
            Hop("exporter", "otlp/jaeger", "spans", spans * 0.97, 0.0, spans * 0.03),
        )
        queues = (Queue("loki", 120.0, 1000.0), Queue("otlp/jaeger", 860.0, 1000.0))
        since = math.floor((now - 3 * 3600 - 1260) / 60) * 60
        losses = (
            Loss(
                "the collector's otlp receiver",
                "log_records",
                0.4,
                logs * 0.4,
                since,
                "the collector refuses 40 % of log records (otlp receiver)",
                "receiver:otlp:log_records",
            ),
            Loss(
                "exporter otlp/jaeger",
                "spans",
                0.03,
                spans * 0.03,
                now - 540,
                "the collector's otlp/jaeger exporter loses 3 % of spans on the way to Jaeger",
                "exporter:otlp/jaeger:spans",
            ),
            Loss(
                "exporter otlp/jaeger queue",
                "",
                0.86,
                0.0,
                now - 600,
                "the otlp/jaeger exporter's queue is 86 % full (860 of 1000): it drops data"
                " when full",
                "queue:otlp/jaeger",
            ),
        )
        return Flow(
            hops,
            queues,
            logs * 0.58,
            logs * 0.58 * 310,
            (("rate_limited", logs * 0.02),),
            losses,
        )

    def _prom(self, now: float) -> PromHealth:
        return PromHealth(
            targets_up=7,
            down=(
                DownTarget(
                    "livekit",
                    "arc-daredevil-voice:7880",
                    "http://arc-daredevil-voice:7880/metrics",
                    "down",
                    'Get "http://arc-daredevil-voice:7880/metrics": dial tcp: connection refused',
                ),
            ),
            alerts=(
                Alert(
                    "PostgresHighCPU",
                    "firing",
                    {"severity": "warning", "service": "arc-oracle-sql"},
                    "Postgres CPU > 80 % for 5 minutes",
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 420)),
                    "0.87",
                ),
            ),
            rules=6,
        )

    def run_query(self, expr: str, chart: bool = True) -> QueryResult:
        """The demo has no Prometheus to ask: say so."""
        return QueryResult(
            expr,
            self.clock(),
            error="the demo simulates Prometheus' answers for the tab only:"
            " PromQL queries need a real Prometheus (run arctui without --demo)",
        )

    def close(self) -> None:
        """Nothing to release."""

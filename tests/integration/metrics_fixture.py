"""The Metrics tests' real Prometheus and the exporter it scrapes.

The exporter (prometheus_client, a thread of the test process on a free loopback port)
emits spanmetrics-, collector- and Loki-shaped series whose values are exact functions of
time: a counter reads `rate * seconds since start`, so Prometheus' rate() is the emitted
rate, and every histogram has a fixed share of requests per bucket (a known distribution).
Prometheus runs in a compose project of its own per run (`arctui-metrics-<pid>-<random>`:
tests/stack/metrics/ is the template, written into a directory of the run with free
ports), is removed by that name at the end, and scrapes the exporter and a target that is
down. Nothing is on a fixed port, so two runs at once (two engineers, the CI) coexist.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "tests" / "stack" / "metrics"

# Millisecond bucket bounds and each bucket's share of the requests (the last: > 10 s).
BOUNDS = (5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)


@dataclass(frozen=True)
class Service:
    name: str
    rate: float  # server spans per second
    error_ratio: float
    shares: tuple[float, ...]  # per bucket, len(BOUNDS) + 1, summing to 1


SERVICES = (
    Service("checkout", 20.0, 0.10, (0, 0.05, 0.15, 0.30, 0.25, 0.15, 0.06, 0.04, 0, 0, 0, 0)),
    Service("cart", 50.0, 0.0, (0.30, 0.40, 0.20, 0.10, 0, 0, 0, 0, 0, 0, 0, 0)),
    # 10 % of its requests take longer than the highest finite bound: P95 is in +Inf.
    Service("slowpoke", 2.0, 0.02, (0, 0, 0, 0, 0, 0, 0, 0.2, 0.3, 0.3, 0.1, 0.1)),
)
CLIENT_RATE = 100.0  # checkout's client spans: not requests it serves
LOG_ACCEPTED, LOG_REFUSED = 60.0, 40.0  # the collector refuses 40 % of log records
SPANS_SENT, SPANS_ENQUEUE_FAILED = 490.0, 10.0
LOKI_LINES, LOKI_BYTES, LOKI_DISCARDED = 60.0, 18000.0, 3.0
# A counter under its old name (no `_total`) beside the new one, with the same labels: what
# an exporter that changed its suffix (a collector upgrade) leaves for a rate window.
# Emitted as `arctui_legacy_<old name>` and renamed by Prometheus' metric_relabel_configs
# (prometheus.yml): OpenMetrics cannot carry both names in one exposition. A regex over
# both names makes rate() fail the whole expression ("vector cannot contain metrics with
# the same labelset"); the `_total` series must win, so the old one has another rate.
LEGACY = "arctui_legacy_"
LEGACY_FACTOR = 0.5


class FixtureCollector:
    """Series computed at scrape time from the seconds since `start`."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.spanmetrics = True  # off: as if the collector had no spanmetrics connector

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        t = time.time() - self.start
        if self.spanmetrics:
            yield from self._spans(t)
        yield from self._collector(t)
        yield from self._loki(t)

    def _spans(self, t: float) -> Iterator[Any]:
        keys = ["service_name", "span_name", "span_kind", "status_code"]
        calls = CounterMetricFamily("traces_span_metrics_calls", "spanmetrics calls", labels=keys)
        hist = HistogramMetricFamily(
            "traces_span_metrics_duration_milliseconds", "spanmetrics duration", labels=keys
        )
        for s in SERVICES:
            for status, share in (
                ("STATUS_CODE_UNSET", 1 - s.error_ratio),
                ("STATUS_CODE_ERROR", s.error_ratio),
            ):
                labels = [s.name, f"GET /{s.name}", "SPAN_KIND_SERVER", status]
                count = s.rate * share * t
                calls.add_metric(labels, count)
                cumulative, buckets = 0.0, []
                for bound, part in zip((*BOUNDS, float("inf")), s.shares, strict=True):
                    cumulative += part
                    le = "+Inf" if bound == float("inf") else f"{bound:g}"
                    buckets.append((le, count * min(cumulative, 1.0)))
                buckets[-1] = ("+Inf", count)
                hist.add_metric(labels, buckets, count * 50.0)
        calls.add_metric(
            ["checkout", "POST /payments", "SPAN_KIND_CLIENT", "STATUS_CODE_ERROR"], CLIENT_RATE * t
        )
        yield calls
        yield hist
        first = SERVICES[0]
        old = GaugeMetricFamily(f"{LEGACY}traces_span_metrics_calls", "old name", labels=keys)
        old.add_metric(
            [first.name, f"GET /{first.name}", "SPAN_KIND_SERVER", "STATUS_CODE_UNSET"],
            first.rate * (1 - first.error_ratio) * LEGACY_FACTOR * t,
        )
        yield old

    def _collector(self, t: float) -> Iterator[Any]:
        def counter(name: str, label: str, value: str, rate: float) -> Any:
            family = CounterMetricFamily(name, name, labels=[label])
            family.add_metric([value], rate * t)
            return family

        yield counter("otelcol_receiver_accepted_log_records", "receiver", "otlp", LOG_ACCEPTED)
        old = GaugeMetricFamily(
            f"{LEGACY}otelcol_receiver_accepted_log_records", "old name", labels=["receiver"]
        )
        old.add_metric(["otlp"], LOG_ACCEPTED * LEGACY_FACTOR * t)
        yield old
        yield counter("otelcol_receiver_refused_log_records", "receiver", "otlp", LOG_REFUSED)
        yield counter("otelcol_receiver_accepted_spans", "receiver", "otlp", 500.0)
        yield counter("otelcol_receiver_refused_spans", "receiver", "otlp", 0.0)
        yield counter("otelcol_exporter_sent_log_records", "exporter", "loki", LOG_ACCEPTED)
        yield counter("otelcol_exporter_sent_spans", "exporter", "otlp/jaeger", SPANS_SENT)
        yield counter(
            "otelcol_exporter_enqueue_failed_spans", "exporter", "otlp/jaeger", SPANS_ENQUEUE_FAILED
        )
        for name, value in (
            ("otelcol_exporter_queue_size", 100.0),
            ("otelcol_exporter_queue_capacity", 1000.0),
        ):
            gauge = GaugeMetricFamily(name, name, labels=["exporter"])
            gauge.add_metric(["otlp/jaeger"], value)
            yield gauge

    def _loki(self, t: float) -> Iterator[Any]:
        for name, rate in (
            ("loki_distributor_lines_received", LOKI_LINES),
            ("loki_distributor_bytes_received", LOKI_BYTES),
        ):
            family = CounterMetricFamily(name, name, labels=["tenant"])
            family.add_metric(["fake"], rate * t)
            yield family
        discarded = CounterMetricFamily(
            "loki_discarded_samples", "discarded", labels=["reason", "tenant"]
        )
        discarded.add_metric(["rate_limited", "fake"], LOKI_DISCARDED * t)
        yield discarded


class Exporter:
    """The fixture exporter's HTTP server (a thread of this process, on a free port)."""

    def __init__(self) -> None:
        self.start = time.time() - 600  # counters as if running for ten minutes
        self.collector = FixtureCollector(self.start)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self.collector)
        self.server, self.thread = start_http_server(0, addr="127.0.0.1", registry=registry)
        self.port = int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """A loopback port nothing listens on now (the kernel's choice, so two runs differ)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_project(prefix: str = "arctui-metrics") -> str:
    """A compose project name of this run alone."""
    return f"{prefix}-{os.getpid()}-{secrets.token_hex(3)}"


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def api(url: str, path: str, **params: str) -> Any:
    """Prometheus' own answer (the tests' independent reading)."""
    with _opener().open(f"{url}{path}?{urllib.parse.urlencode(params)}", timeout=5) as r:
        doc = json.loads(r.read())
    assert doc["status"] == "success", doc
    return doc["data"]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # not up yet
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout} s (last: {last!r})")


class MetricsStack:
    """The running exporter and Prometheus, on this run's ports and project."""

    def __init__(self, project: str | None = None) -> None:
        self.project = project or run_project()
        self.exporter = Exporter()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{self.project}-"))
        self.compose_file = self.dir / "docker-compose.yml"
        self.container = f"{self.project}-house-metrics"
        try:
            self._up()
            wait_until(self.ready_for_rates, 90, "Prometheus scraping the fixture")
        except BaseException:
            self.close()
            raise

    def _write(self) -> None:
        self.prom_port, down_port = free_port(), free_port()
        while down_port == self.prom_port:
            down_port = free_port()
        self.prom_url = f"http://127.0.0.1:{self.prom_port}"
        self.down_target = f"127.0.0.1:{down_port}"
        words = {
            "@PROJECT@": self.project,
            "@PROM_PORT@": str(self.prom_port),
            "@EXPORTER_PORT@": str(self.exporter.port),
            "@DOWN_PORT@": str(down_port),
        }
        for name in ("docker-compose.yml", "prometheus.yml", "rules.yml"):
            text = (TEMPLATE / name).read_text()
            for word, value in words.items():
                text = text.replace(word, value)
            (self.dir / name).write_text(text)

    def _up(self) -> None:
        # A free port can be taken between the look and Prometheus' bind: then once more.
        for attempt in (1, 2):
            self._write()
            try:
                self.compose("up", "-d", "--wait", "--wait-timeout", "60")
                return
            except RuntimeError:
                if attempt == 2:
                    raise
                self.compose("down", "-v", "--remove-orphans", "--timeout", "5")

    def compose(self, *args: str, timeout: float = 180) -> str:
        cmd = ["docker", "compose", "-p", self.project, "-f", str(self.compose_file), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()[-600:]}")
        return done.stdout

    def api(self, path: str, **params: str) -> Any:
        return api(self.prom_url, path, **params)

    def instant(self, expr: str, at: float) -> list[tuple[dict[str, str], float]]:
        data = self.api("/api/v1/query", query=expr, time=f"{at:.3f}")
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def healthy(self) -> bool:
        try:
            with _opener().open(f"{self.prom_url}/-/healthy", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def ready_for_rates(self) -> bool:
        """Enough scrapes for a 1m rate, the rule evaluated, the down target probed."""
        now = time.time()
        samples = self.instant(
            "count_over_time(otelcol_receiver_accepted_log_records_total[1m])", now
        )
        targets = self.api("/api/v1/targets")["activeTargets"]
        alerts = self.api("/api/v1/alerts")["alerts"]
        down = [t for t in targets if t["health"] == "down"]
        return bool(samples and samples[0][1] >= 10 and down and alerts)

    def stop_prometheus(self) -> None:
        self.compose("stop", "prometheus")

    def start_prometheus(self) -> None:
        self.compose("start", "prometheus")
        wait_until(self.healthy, 60, "Prometheus healthy again")

    def close(self) -> None:
        try:
            if self.compose_file.exists():
                self.compose("down", "-v", "--remove-orphans", "--timeout", "5")
        finally:
            self.exporter.close()
            shutil.rmtree(self.dir, ignore_errors=True)

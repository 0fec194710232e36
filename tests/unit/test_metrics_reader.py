"""The Metrics reader over a scripted Prometheus: units, quantiles, sorting, query count."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from arctui.sources.base import SourceError
from arctui.sources.prometheus import RangeSeries, Sample
from arctui.tabs.metrics.missing import COLLECTOR, DURATION, LOKI, SPANMETRICS
from arctui.tabs.metrics.reader import (
    CALLS_FIGURE,
    LATENCY_EVERY,
    PRESENCE,
    PROM_EVERY,
    MetricsReader,
    red_queries,
)

NOW = 1_800_000_000.0


class FakeClient:
    """Answers each query with `answer(expr)`; counts requests like PromClient."""

    label = "http://prom:9090"

    def __init__(self, answer: Callable[[str], list[Sample]]) -> None:
        self.answer = answer
        self.requests = 0
        self.asked: list[str] = []
        self.down = False

    def _count(self, what: str) -> None:
        if self.down:
            raise SourceError("cannot connect to Prometheus at http://prom:9090: refused")
        self.requests += 1
        self.asked.append(what)

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        self._count(expr)
        # The calls share one query with the flow, tagged and last: answer each part.
        tag = f', "figure", "{CALLS_FIGURE}", "", "")'
        if expr.endswith(tag):
            flow, _, calls = expr[: -len(tag)].rpartition(" or label_replace(")
            tagged = [
                Sample({**s.labels, "figure": CALLS_FIGURE}, s.value) for s in self.answer(calls)
            ]
            return self.answer(flow) + tagged
        return self.answer(expr)

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[RangeSeries]:
        self._count("range " + expr)
        return [
            RangeSeries(s.labels, ((end - 60, s.value), (end, s.value))) for s in self.answer(expr)
        ]

    def targets(self) -> list[dict[str, Any]]:
        self._count("targets")
        return [
            {"health": "up", "labels": {"job": "app"}},
            {
                "health": "down",
                "labels": {"job": "livekit", "instance": "voice:7880"},
                "scrapeUrl": "http://voice:7880/metrics",
                "lastError": "connection refused\x1b]0;pwned\x07",
            },
        ]

    def alerts(self) -> list[dict[str, Any]]:
        self._count("alerts")
        return [
            {"labels": {"alertname": "PgCPU", "sev": "page"}, "state": "firing"},
            {"labels": {"alertname": "Soon"}, "state": "pending"},
        ]

    def rules(self) -> list[dict[str, Any]]:
        self._count("rules")
        return [
            {
                "name": "g",
                "rules": [
                    {"name": "ok"},
                    {"name": "bad", "health": "err", "lastError": "many-to-many"},
                ],
            }
        ]

    def close(self) -> None: ...


def p95_target(i: int) -> float:
    """svc<i>'s P95 in the histogram's unit: svc0 in the +Inf bucket (the top bound)."""
    return 1000.0 if i == 0 else 10.0 * (i + 1) if i < 8 else 50.0


def buckets(i: int) -> list[tuple[str, float]]:
    """Cumulative bucket rates (100 requests/s) whose P95 is `p95_target(i)` (svc1: none)."""
    if i == 1:
        return [("10", 0.0), ("100", 0.0), ("1000", 0.0), ("+Inf", 0.0)]  # no traffic: NaN
    if i == 0:
        return [("10", 10.0), ("100", 20.0), ("1000", 30.0), ("+Inf", 100.0)]
    f = (p95_target(i) - 10) / 90  # rank 95 lands at this fraction of (10, 100]
    below = (95 - 99.5 * f) / (1 - f)
    return [("10", below), ("100", 99.5), ("1000", 100.0), ("+Inf", 100.0)]


def spanmetrics(services: int, unit: str = "milliseconds") -> Callable[[str], list[Sample]]:
    """A Prometheus holding `services` services' series in one histogram unit."""

    def answer(expr: str) -> list[Sample]:
        expr = expr.lstrip("(")  # a counter's rate is `(sum ... NAME_total ... or ... NAME)`
        if expr == PRESENCE:
            name = f"traces_span_metrics_duration_{unit}_bucket"
            bounds = ["10", "100", "1000", "+Inf"]
            return [Sample({"__name__": name, "le": b}, 1.0) for b in bounds] + [
                Sample({"__name__": "traces_span_metrics_calls_total"}, 1.0)
            ]
        if "otelcol" in expr or "loki_" in expr:
            return []
        by = "span_name" if expr.startswith("sum by (span_name") else "service_name"
        if expr.startswith(f"sum by ({by}, le)"):  # the bucket rates: P50/P95/P99 from them
            return [
                Sample({by: f"svc{i}", "le": le}, v)
                for i in range(services)
                for le, v in buckets(i)
            ]
        if expr.startswith(f"sum by ({by}, status_code)"):  # calls: requests and errors
            out = []
            for i in range(services):
                err = 0.5 if i == 2 else 0.0
                out.append(Sample({by: f"svc{i}", "status_code": "STATUS_CODE_UNSET"}, 10.0 - err))
                out.append(Sample({by: f"svc{i}", "status_code": "STATUS_CODE_ERROR"}, err))
            return out
        out = []
        for i in range(services):
            labels = {"service_name": f"svc{i}"}
            if expr.startswith("histogram_quantile(0.95"):
                value = 1000.0 if i == 0 else 10.0 * (i + 1)  # svc0: the top bound
            elif expr.startswith("histogram_quantile"):
                value = float("nan") if i == 1 else 5.0
            elif "STATUS_CODE_ERROR" in expr:
                value = 0.5 if i == 2 else 0.0
            else:
                value = 10.0
            out.append(Sample(labels, value))
        return out

    return answer


def test_a_fixed_number_of_queries_whatever_the_number_of_services() -> None:
    counts = []
    for n in (3, 50):
        client = FakeClient(spanmetrics(n))
        reader = MetricsReader(client, clock=lambda: NOW)  # type: ignore[arg-type]
        first = reader.read()
        assert len(first.services) == n
        counts.append(reader.read().queries)
    assert counts == [1, 1]  # calls and the flow in one (buckets every 2nd, Prometheus 5th)


def test_buckets_are_asked_every_second_refresh_and_their_quantiles_kept() -> None:
    client = FakeClient(spanmetrics(3))
    reader = MetricsReader(client, clock=lambda: NOW)  # type: ignore[arg-type]
    snaps = [reader.read() for _ in range(4 * LATENCY_EVERY)]
    asked = [q for q in client.asked if q.startswith("sum by (service_name, le)")]
    assert len(asked) == 4
    assert [s.service("svc2").p95 for s in snaps] == [pytest.approx(0.03)] * len(snaps)  # type: ignore[union-attr]


def test_prometheus_itself_is_read_every_fifth_refresh_and_kept_between() -> None:
    client = FakeClient(spanmetrics(2))
    reader = MetricsReader(client, clock=lambda: NOW)  # type: ignore[arg-type]
    snaps = [reader.read() for _ in range(PROM_EVERY * 2)]
    for what in ("targets", "alerts", "rules"):
        assert client.asked.count(what) == 2
    assert all([a.name for a in s.prom.firing] == ["PgCPU"] for s in snaps)  # kept between
    assert all(s.prom.down and s.prom.failing_rules for s in snaps)


def test_milliseconds_are_detected_and_converted_and_the_top_bound_is_capped() -> None:
    reader = MetricsReader(FakeClient(spanmetrics(3)), clock=lambda: NOW)  # type: ignore[arg-type]
    snap = reader.read()
    assert snap.unit == "milliseconds"
    svc0 = snap.service("svc0")
    assert svc0 is not None and svc0.p95 == 1.0 and svc0.p95_capped  # 1000 ms = top bound
    svc1 = snap.service("svc1")
    assert svc1 is not None and svc1.p95 is None and svc1.p50 is None  # NaN: no traffic
    svc2 = snap.service("svc2")
    assert svc2 is not None and math.isclose(svc2.p95 or 0, 0.03) and not svc2.p95_capped
    assert math.isclose(svc2.rate, 10.0) and math.isclose(svc2.errors, 0.5)


def test_seconds_histogram_is_used_as_is() -> None:
    client = FakeClient(spanmetrics(3, unit="seconds"))
    snap = MetricsReader(client, clock=lambda: NOW).read()  # type: ignore[arg-type]
    assert snap.unit == "seconds"
    assert any("duration_seconds_bucket" in q for q in client.asked)
    svc2 = snap.service("svc2")
    assert svc2 is not None and math.isclose(svc2.p95 or 0, 30.0)


def test_worst_first_errors_then_latency() -> None:
    snap = MetricsReader(FakeClient(spanmetrics(5)), clock=lambda: NOW).read()  # type: ignore[arg-type]
    names = [s.name for s in snap.services]
    assert names[0] == "svc2"  # the only one with errors
    assert names[1] == "svc0"  # then the slowest P95


def test_queries_group_by_service_and_count_server_spans_only() -> None:
    queries = red_queries("milliseconds", "5m")
    assert set(queries) == {"rate", "errors", "p50", "p95", "p99"}
    for q in queries.values():
        assert "by (service_name" in q and 'span_kind="SPAN_KIND_SERVER"' in q
    only = red_queries("seconds", "1m", service='we"ird\\')
    assert 'service_name="we\\"ird\\\\"' in only["rate"]


def test_no_spanmetrics_no_collector_no_loki_explained() -> None:
    snap = MetricsReader(FakeClient(lambda e: []), clock=lambda: NOW).read()  # type: ignore[arg-type]
    assert snap.services == ()
    assert snap.missing == (SPANMETRICS, COLLECTOR, LOKI)


def test_calls_without_a_histogram_name_the_histogram() -> None:
    def answer(expr: str) -> list[Sample]:
        expr = expr.lstrip("(")  # a counter's rate is `(sum ... NAME_total ... or ... NAME)`
        if expr == PRESENCE:
            return [Sample({"__name__": "traces_span_metrics_calls_total"}, 1.0)]
        return spanmetrics(2)(expr) if "quantile" not in expr else []

    snap = MetricsReader(FakeClient(answer), clock=lambda: NOW).read()  # type: ignore[arg-type]
    assert DURATION in snap.missing and SPANMETRICS not in snap.missing
    assert snap.unit == ""


def test_series_that_vanish_are_explained_at_once_not_after_the_cache() -> None:
    state = {"gone": False}
    full = spanmetrics(2)
    client = FakeClient(lambda e: [] if state["gone"] else full(e))
    reader = MetricsReader(client, clock=lambda: NOW)  # type: ignore[arg-type]
    assert reader.read().missing[:1] != (SPANMETRICS,)
    state["gone"] = True
    assert reader.read().missing[0] is SPANMETRICS


def test_prometheus_itself_and_a_broken_part_is_partial() -> None:
    snap = MetricsReader(FakeClient(spanmetrics(1)), clock=lambda: NOW).read()  # type: ignore[arg-type]
    assert [a.name for a in snap.prom.firing] == ["PgCPU"]
    assert dict(snap.prom.firing[0].labels) == {"sev": "page"}
    [down] = snap.prom.down
    assert down.job == "livekit" and "\x1b" not in down.error
    assert [r.name for r in snap.prom.failing_rules] == ["bad"] and snap.prom.rules == 2

    class Broken(FakeClient):
        def alerts(self) -> list[dict[str, Any]]:
            raise SourceError("Prometheus at x answered HTTP 500")

    snap = MetricsReader(Broken(spanmetrics(1)), clock=lambda: NOW).read()  # type: ignore[arg-type]
    assert dict(snap.partial) == {"alerts": "Prometheus at x answered HTTP 500"}
    assert snap.services  # the rest is shown


def test_an_unreachable_prometheus_fails_the_read() -> None:
    client = FakeClient(spanmetrics(1))
    client.down = True
    with pytest.raises(SourceError, match="cannot connect"):
        MetricsReader(client, clock=lambda: NOW).read()  # type: ignore[arg-type]


def test_history_is_asked_once_a_minute() -> None:
    t = {"now": NOW}
    client = FakeClient(spanmetrics(2))
    reader = MetricsReader(client, clock=lambda: t["now"])  # type: ignore[arg-type]
    reader.read()
    ranges = sum(q.startswith("range ") for q in client.asked)
    t["now"] += 2
    reader.read()
    assert sum(q.startswith("range ") for q in client.asked) == ranges == 5
    t["now"] += 60
    snap = reader.read()
    assert sum(q.startswith("range ") for q in client.asked) == 10
    assert set(snap.history) == {"rate", "errors", "p50", "p95", "p99"}
    assert snap.history["p95"]["svc1"][-1][1] == pytest.approx(0.02)  # in seconds too


def test_history_asks_only_the_new_minutes_and_keeps_the_hour() -> None:
    t = {"now": NOW}
    spans: list[tuple[float, float]] = []

    class Ranges(FakeClient):
        def query_range(self, expr: str, start: float, end: float, step: float) -> Any:
            spans.append((start, end))
            self._count("range " + expr)
            times = range(int(start), int(end) + 1, int(step))
            return [RangeSeries(s.labels, tuple((float(x), x / 1e9) for x in times))
                    for s in self.answer(expr)]  # fmt: skip

    reader = MetricsReader(Ranges(spanmetrics(2)), clock=lambda: t["now"])  # type: ignore[arg-type]
    first = reader.read()
    minute = math.floor(NOW / 60) * 60
    assert set(spans) == {(minute - 3600, minute)}  # the whole hour, once per figure
    assert len(first.history["rate"]["svc0"]) == 61
    spans.clear()
    t["now"] += 120
    snap = reader.read()
    assert set(spans) == {(minute + 60, minute + 120)}  # only the two new minutes
    points = snap.history["rate"]["svc0"]
    assert (
        len(points) == 61 and points[0][0] == minute - 3600 + 120 and points[-1][0] == minute + 120
    )
    assert [p[0] for p in points] == sorted({p[0] for p in points})  # no repeats, in order

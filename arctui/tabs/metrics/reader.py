"""Builds the Metrics tab's snapshots from Prometheus (no Textual).

One refresh costs Prometheus a fixed number of requests whatever the number of services:
one query for the calls' rate `by (service_name, status_code)` (requests and errors) and
the pipeline flow (ops/telemetry.py) together, each part tagged with a `figure` label
value of its own so no two parts of the `or` share a label set, one for the buckets' rate
`by (service_name, le)`, from which P50/P95/P99 are computed here as `histogram_quantile`
would (quantile.py), two for the operations of the service the operator opened. The
bucket answer is asked every `LATENCY_EVERY`th refresh and its quantiles kept in between.
Prometheus itself (targets, alerts, rules: three API calls) is read every `PROM_EVERY`th
refresh and kept in between: targets go down and rules fire over minutes, not seconds.
Which histogram unit exists is asked once a minute. The last hour's charts are five range
queries once a minute, over the new minute only: the points already fetched do not change,
so they are kept (asking the whole hour again each minute cost Prometheus 61 evaluations
per figure, more than every refresh of that minute together).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from arctui.ops.telemetry import (
    Flow,
    FlowReader,
    counter_rate,
    flow_query,
    tagged,
    target_for,
)
from arctui.sources.base import SourceError
from arctui.sources.prometheus import PromClient, PrometheusAbsent, Sample
from arctui.tabs.metrics.missing import explain
from arctui.tabs.metrics.models import (
    Alert,
    DownTarget,
    FailingRule,
    MetricsSnapshot,
    Points,
    PromHealth,
    QueryResult,
    RecordedRed,
    Red,
)
from arctui.tabs.metrics.quantile import bucket_quantiles, parse_le
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.session import Session

SERVER = 'span_kind="SPAN_KIND_SERVER"'  # Jaeger's Monitor tab counts server spans
ERROR = 'status_code="STATUS_CODE_ERROR"'
CALLS = "traces_span_metrics_calls"  # with or without _total (telemetry.counter_rate)
QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
FIGURES = ("rate", "errors", "p50", "p95", "p99")
HISTORY = 3600.0  # the charts' last hour
STEP = 60.0
PRESENCE_EVERY = 60.0
WINDOWS = ("1m", "5m", "15m", "30m", "1h")
PROM_EVERY = 5  # refreshes between two reads of Prometheus' targets, alerts and rules
# Refreshes between two bucket queries (P50/P95/P99), the one query that reads every bucket
# sample of the window (most of what a refresh costs Prometheus, and most of the series this
# side parses: services x buckets). A quantile over a window of minutes moves little in a
# few seconds; rates are asked every refresh.
LATENCY_EVERY = 3
CALLS_FIGURE = "calls"  # the calls' tag in the one query they share with the flow


def _matchers(*matchers: str) -> str:
    return ",".join(m for m in matchers if m)


def _m(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def red_queries(unit: str, window: str, service: str | None = None) -> dict[str, str]:
    """The PromQL of each figure, `by (service_name)` (one query for every service)."""
    only = f'service_name="{_m(service)}"' if service else ""
    out = {
        "rate": counter_rate(CALLS, window, "service_name", _matchers(SERVER, only)),
        "errors": counter_rate(CALLS, window, "service_name", _matchers(SERVER, ERROR, only)),
    }
    if unit:
        bucket = (
            f"traces_span_metrics_duration_{unit}_bucket{{{SERVER}{',' + only if only else ''}}}"
        )
        for name, q in QUANTILES.items():
            out[name] = (
                f"histogram_quantile({q}, sum by (service_name, le) (rate({bucket}[{window}])))"
            )
    return out


def instant_queries(unit: str, window: str, service: str | None, by: str) -> dict[str, str]:
    """The refresh's two queries for every `by` (service_name, span_name) at once."""
    only = f'service_name="{_m(service)}"' if service else ""
    out = {"calls": counter_rate(CALLS, window, f"{by}, status_code", _matchers(SERVER, only))}
    if unit:
        matchers = ",".join(m for m in (SERVER, only) if m)
        bucket = f"traces_span_metrics_duration_{unit}_bucket{{{matchers}}}"
        out["buckets"] = f"sum by ({by}, le) (rate({bucket}[{window}]))"
    return out


def figures_of(
    by: str, calls: list[Sample], buckets: list[Sample], quantiles: Iterable[str] = QUANTILES
) -> dict[str, list[Sample]]:
    """The RED figures per `by` value (as `combine` takes them) from the two answers."""
    rate: dict[str, float] = {}
    errors: dict[str, float] = {}
    for s in calls:
        name = s.labels.get(by, "")
        rate[name] = rate.get(name, 0.0) + s.value
        if s.labels.get("status_code") == "STATUS_CODE_ERROR":
            errors[name] = errors.get(name, 0.0) + s.value
    out = {
        "rate": [Sample({by: k}, v) for k, v in rate.items()],
        "errors": [Sample({by: k}, errors.get(k, 0.0)) for k in rate],
    }
    hist: dict[str, list[tuple[float, float]]] = {}
    for s in buckets:
        le = parse_le(s.labels.get("le", ""))
        if le is not None:
            hist.setdefault(s.labels.get(by, ""), []).append((le, s.value))
    wanted = tuple(quantiles)
    for figure in wanted:
        out[figure] = []
    qs = [QUANTILES[f] for f in wanted]
    for k, b in hist.items():
        label = {by: k}
        for figure, value in zip(wanted, bucket_quantiles(qs, b), strict=True):
            out[figure].append(Sample(label, value))
    return out


PRESENCE = (
    'count by (__name__, le) ({__name__=~"traces_span_metrics_duration_(milliseconds|seconds)'
    '_bucket"}) or count by (__name__) ({__name__=~"traces_span_metrics_calls(_total)?"})'
)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def combine(
    by: str, figures: Mapping[str, list[Sample]], scale: float, top: float | None
) -> list[Red]:
    """RED rows from the figures' vectors (`by` = service_name or span_name), worst first."""
    rows: dict[str, dict[str, float | None]] = {}
    for figure, samples in figures.items():
        for s in samples:
            rows.setdefault(s.labels.get(by, ""), {})[figure] = _finite(s.value)
    out = []
    for name, f in rows.items():
        p50, p95, p99 = f.get("p50"), f.get("p95"), f.get("p99")
        out.append(
            Red(
                name,
                f.get("rate") or 0.0,
                f.get("errors") or 0.0,
                None if p50 is None else p50 * scale,
                None if p95 is None else p95 * scale,
                None if p99 is None else p99 * scale,
                top is not None and p95 is not None and math.isclose(p95, top),
                top is not None and p99 is not None and math.isclose(p99, top),
            )
        )
    out.sort(key=lambda r: r.badness, reverse=True)
    return out


class MetricsReader:
    """Reads snapshots from one Prometheus; keeps the hour's charts between reads."""

    def __init__(
        self,
        client: PromClient,
        origin: str = "",
        window: str = "5m",
        service: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.origin = origin
        self.window = window
        self.service = service  # `arctui metrics --service S`: only that one
        self.focus: str | None = None  # the view's opened service (its operations)
        self.clock = clock
        self.flows = FlowReader(client, window, clock)
        self._presence: tuple[float, str, bool, float | None] | None = None
        # (minute, unit, charts, complete): an incomplete hour is asked in full next minute
        self._history: tuple[float, str, dict[str, dict[str, Points]], bool] | None = None
        self._prom: tuple[PromHealth, list[tuple[str, str]]] | None = None  # and its errors
        self._reads = 0
        # (unit, P50/P95/P99 per service from the last bucket answer)
        self._latencies: tuple[str, dict[str, list[Sample]]] | None = None

    def read(self) -> MetricsSnapshot:
        """A fresh snapshot. Raises SourceError when Prometheus cannot be read at all."""
        now = self.clock()
        before = self.client.requests
        partial: list[tuple[str, str]] = []
        cached = self._presence
        unit, has_calls, top = self._presence_at(now)  # the first call: raises if down
        from_cache = self._presence is cached
        scale = 0.001 if unit == "milliseconds" else 1.0
        top_scaled = top
        asked = instant_queries(unit, self.window, self.service, "service_name")
        calls, flow = self._calls_and_flow(asked["calls"], now, partial)
        figures = figures_of("service_name", calls, [], ())
        figures.update(self._latency(unit, asked, now, partial))
        if has_calls and not figures.get("rate") and from_cache:
            # The series went away since the cached look: look again now, so a removed
            # connector is explained at once rather than a minute later.
            self._presence = None
            unit, has_calls, top_scaled = self._presence_at(now)
        services = combine("service_name", figures, scale, top_scaled) if has_calls else []
        focus, operations = self.focus, []
        if focus:
            asked = instant_queries(unit, self.window, focus, "span_name")
            ops = figures_of(
                "span_name",
                self._query(asked["calls"], now, "operations", partial),
                self._query(asked["buckets"], now, "operations latency", partial) if unit else [],
                quantiles=("p95",),
            )
            operations = combine("span_name", ops, scale, top_scaled)
        history = self._history_at(now, unit, scale, partial) if has_calls else {}
        if self._prom is None or self._reads % PROM_EVERY == 0:
            errors: list[tuple[str, str]] = []
            self._prom = (self._prom_health(errors), errors)
        self._reads += 1
        prom, errors = self._prom
        partial += errors
        return MetricsSnapshot(
            target=self.client.label,
            origin=self.origin,
            taken_at=now,
            window=self.window,
            unit=unit,
            services=tuple(services),
            focus=focus,
            operations=tuple(operations),
            history=history,
            flow=flow or Flow(),
            prom=prom,
            missing=explain(has_calls, unit, flow),
            partial=tuple(partial),
            queries=self.client.requests - before,
        )

    def _calls_and_flow(
        self, calls_expr: str, now: float, partial: list[tuple[str, str]]
    ) -> tuple[list[Sample], Flow | None]:
        """Every service's calls and the pipeline flow from one request instead of three
        (each request costs both sides more than its few hundred series)."""
        # The calls last: each `or` of the chain hashes both of its sides, so the flow's
        # dozen series go first and the calls' hundreds are hashed once.
        expr = f"{flow_query(self.window)} or {tagged(calls_expr, figure=CALLS_FIGURE)}"
        try:
            samples = self.client.query(expr, now)
        except SourceError as exc:
            if exc.reason.startswith("cannot connect"):
                raise  # Prometheus went away mid-read: the whole read failed
            partial += [("rate", exc.reason), ("flow", exc.reason)]
            return [], None
        calls: list[Sample] = []
        rest: list[Sample] = []
        for sample in samples:
            (calls if sample.labels.get("figure") == CALLS_FIGURE else rest).append(sample)
        return calls, self.flows.from_samples(rest, now)

    def _latency(
        self, unit: str, asked: Mapping[str, str], now: float, partial: list[tuple[str, str]]
    ) -> dict[str, list[Sample]]:
        """P50/P95/P99 per service: from a bucket answer asked every LATENCY_EVERY-th
        refresh, the last ones in between."""
        if not unit:
            return {}
        cached = self._latencies
        if cached is not None and cached[0] == unit and self._reads % LATENCY_EVERY:
            return cached[1]
        failed = len(partial)
        found = self._query(asked["buckets"], now, "latency", partial)
        figures = figures_of("service_name", [], found)
        out = {k: v for k, v in figures.items() if k in QUANTILES}
        self._latencies = (unit, out) if len(partial) == failed else None
        return out

    def read_red(self) -> RecordedRed:
        """The recorder's figures: rate, errors and P95 per service (two queries, and the
        histogram's unit once a minute). Raises SourceError when Prometheus cannot be read."""
        now = self.clock()
        unit, has_calls, top = self._presence_at(now)
        if not has_calls:
            return RecordedRed(now, self.window, self.client.label)
        partial: list[tuple[str, str]] = []
        asked = instant_queries(unit, self.window, self.service, "service_name")
        figures = figures_of(
            "service_name",
            self._query(asked["calls"], now, "rate", partial),
            self._query(asked["buckets"], now, "latency", partial) if unit else [],
            quantiles=("p95",),
        )
        if partial:  # half a figure set would read as "no traffic": say why instead
            raise SourceError(f"{partial[0][0]}: {partial[0][1]}")
        scale = 0.001 if unit == "milliseconds" else 1.0
        services = combine("service_name", figures, scale, top)
        return RecordedRed(now, self.window, self.client.label, tuple(services))

    def _query(
        self, expr: str, at: float, what: str, partial: list[tuple[str, str]]
    ) -> list[Sample]:
        try:
            return self.client.query(expr, at)
        except SourceError as exc:
            if exc.reason.startswith("cannot connect"):
                raise  # Prometheus went away mid-read: the whole read failed
            partial.append((what, exc.reason))
            return []

    def _presence_at(self, now: float) -> tuple[str, bool, float | None]:
        """(histogram unit or '', whether the calls counter exists, highest finite bound)."""
        cached = self._presence
        if cached is not None and now - cached[0] < PRESENCE_EVERY and cached[2]:
            return cached[1], cached[2], cached[3]
        self._presence = None
        units: dict[str, list[float]] = {}
        has_calls = False
        for s in self.client.query(PRESENCE, now):
            name = s.labels.get("__name__", "")
            if name.startswith("traces_span_metrics_calls"):
                has_calls = True
                continue
            unit = "milliseconds" if "_milliseconds_" in name else "seconds"
            le = s.labels.get("le", "")
            bound = float(le) if le and le != "+Inf" else math.inf
            units.setdefault(unit, []).append(bound)
        # Both exist while the connector's default moves to seconds: take the one with
        # more series (the current config writes more buckets than a stale leftover).
        unit = max(units, key=lambda u: len(units[u])) if units else ""
        finite = [b for b in units.get(unit, []) if math.isfinite(b)]
        top = max(finite) if finite else None
        self._presence = (now, unit, has_calls, top)
        return unit, has_calls, top

    def _history_at(
        self, now: float, unit: str, scale: float, partial: list[tuple[str, str]]
    ) -> dict[str, dict[str, Points]]:
        minute = math.floor(now / STEP) * STEP
        cached = self._history
        if cached is not None and cached[0] == minute and cached[1] == unit:
            return cached[2]
        # Only the minutes since the last look (the whole hour the first time, after a
        # unit change, or after a gap longer than the hour).
        start = minute - HISTORY
        known: dict[str, dict[str, Points]] = {}
        if cached is not None and cached[1] == unit and cached[3] and cached[0] > start:
            known, start = cached[2], cached[0] + STEP
        complete = True
        out: dict[str, dict[str, Points]] = {}
        for name, expr in red_queries(unit, self.window, self.service).items():
            k = scale if name in QUANTILES else 1.0
            try:
                series = self.client.query_range(expr, start, minute, STEP)
            except SourceError as exc:
                if exc.reason.startswith("cannot connect"):
                    raise
                partial.append((f"chart {name}", exc.reason))
                complete = False
                continue
            fresh = {
                s.labels.get("service_name", ""): tuple((t, v * k) for t, v in s.points)
                for s in series
            }
            out[name] = merged(known.get(name, {}), fresh, minute - HISTORY)
        self._history = (minute, unit, out, complete)
        return out

    def _prom_health(self, partial: list[tuple[str, str]]) -> PromHealth:
        down: list[DownTarget] = []
        up = 0
        alerts: list[Alert] = []
        failing: list[FailingRule] = []
        rules = 0
        try:
            for t in self.client.targets():
                labels = t.get("labels") or {}
                if t.get("health") == "up":
                    up += 1
                    continue
                down.append(
                    DownTarget(
                        job=str(labels.get("job", t.get("scrapePool", ""))),
                        instance=str(labels.get("instance", "")),
                        url=str(t.get("scrapeUrl", "")),
                        health=str(t.get("health", "")),
                        error=one_line(str(t.get("lastError", "")), 300),
                        last_scrape=str(t.get("lastScrape", "")),
                    )
                )
        except SourceError as exc:
            partial.append(("targets", exc.reason))
        try:
            for a in self.client.alerts():
                labels = {str(k): str(v) for k, v in (a.get("labels") or {}).items()}
                notes = a.get("annotations") or {}
                alerts.append(
                    Alert(
                        name=labels.pop("alertname", "?"),
                        state=str(a.get("state", "")),
                        labels=labels,
                        summary=str(notes.get("summary") or notes.get("description") or ""),
                        active_at=str(a.get("activeAt", "")),
                        value=str(a.get("value", "")),
                    )
                )
        except SourceError as exc:
            partial.append(("alerts", exc.reason))
        try:
            for g in self.client.rules():
                for r in g.get("rules") or []:
                    rules += 1
                    if r.get("health") == "err":
                        failing.append(
                            FailingRule(
                                str(g.get("name", "")),
                                str(r.get("name", "")),
                                one_line(str(r.get("lastError", "")), 300),
                            )
                        )
        except SourceError as exc:
            partial.append(("rules", exc.reason))
        alerts.sort(key=lambda a: (a.state != "firing", a.name))
        return PromHealth(up, tuple(down), tuple(alerts), tuple(failing), rules)

    def run_query(self, expr: str, chart: bool = True) -> QueryResult:
        """The PromQL prompt: the value now and (for a vector) its last hour."""
        now = self.clock()
        try:
            samples = self.client.query(expr, now)
            series: list[Any] = []
            if chart and samples:
                series = self.client.query_range(expr, now - HISTORY, now, STEP)[:8]
        except SourceError as exc:
            return QueryResult(expr, now, error=exc.reason)
        return QueryResult(
            expr,
            now,
            tuple((dict(s.labels), s.value) for s in samples[:200]),
            tuple((dict(s.labels), s.points) for s in series),
        )

    def close(self) -> None:
        """Release the client."""
        self.client.close()


def merged(
    old: Mapping[str, Points], new: Mapping[str, Points], oldest: float
) -> dict[str, Points]:
    """A figure's chart: the points kept and the new ones, none older than `oldest`."""
    out: dict[str, Points] = {}
    for name in {*old, *new}:
        points = [p for p in old.get(name, ()) if p[0] >= oldest]
        last = points[-1][0] if points else -math.inf
        points += [p for p in new.get(name, ()) if p[0] > last]
        if points:
            out[name] = tuple(points)
    return out


def absent_snapshot(exc: PrometheusAbsent, now: float) -> MetricsSnapshot:
    """What the tab shows for a stack without Prometheus."""
    return MetricsSnapshot(taken_at=now, absent=(exc.reason, exc.fix))


def reader_for(session: Session, window: str = "5m", service: str | None = None) -> Any:
    """The session's reader: the demo's, or one over the discovered Prometheus.

    Raises SourceError (PrometheusAbsent when the stack has none).
    """
    if session.demo:
        from arctui.tabs.metrics.demo import DemoMetrics

        return DemoMetrics(window=window, service=service, clock=session.clock)
    target = target_for(session)
    return MetricsReader(PromClient(target), target.origin, window, service, session.clock)

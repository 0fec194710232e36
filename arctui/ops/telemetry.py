"""The telemetry pipeline as a flow, read from Prometheus: apps -> collector -> Loki /
Prometheus / Jaeger, each hop's rate and where data is lost. No Textual.

Shared by the Metrics tab (which draws it) and the logs-pipeline wizard (which cites it
as evidence: "the collector refuses 40 % of log records since 02:55"), so neither imports
the other. One refresh costs one query whatever the number of receivers and exporters:
every figure (the collector's and Loki's) is one `label_replace`-tagged part of a single
`or` expression (`flow_query`), each part tagged with a `figure` value of its own, so no
two parts can ever share a label set (`or` keeps the left one of two equal label sets and
drops the right one silently). The Metrics tab appends its own tagged calls to the same
request (`FlowReader.from_samples`). A loss adds one range query (cached a minute) to find
when it started.

A counter is asked by each of its two names, `NAME_total` or `NAME` (`counter_rate`),
never by one regex over both: while both exist with the same labels (an exporter that
changed its suffix, a collector upgrade, within the rate window), rate() over the regex
gives two series with one label set and Prometheus fails the whole expression ("vector
cannot contain metrics with the same labelset"), which in one combined query would take
every figure with it.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from arctui.sources.base import SourceError
from arctui.sources.prometheus import PromClient, PromTarget, Sample, discover

if TYPE_CHECKING:
    from arctui.session import Session

SIGNALS = ("spans", "metric_points", "log_records")
# Where each signal goes after the collector (the platform's layout).
DESTINATION = {"spans": "Jaeger", "metric_points": "Prometheus", "log_records": "Loki"}
LOSS_THRESHOLD = 0.01  # 1 % of a hop's data lost is worth a line
QUEUE_THRESHOLD = 0.8  # a sending queue this full is about to drop
ONSET_LOOKBACK = 6 * 3600.0
ONSET_STEP = 60.0
ENV_URL = "ARCTUI_PROMETHEUS_URL"


def tagged(expr: str, **labels: str) -> str:
    """`expr` with constant labels added (so one `or` query can carry many figures)."""
    for name, value in labels.items():
        expr = f'label_replace({expr}, "{name}", "{value}", "", "")'
    return expr


def counter_rate(name: str, window: str, by: str | None = None, matchers: str = "") -> str:
    """`sum by (by) (rate(...))` of a counter called `name_total` or `name` (the `_total`
    one wins for a label set both have; see the module's note). `by=None`: one sum."""
    agg = "sum" if by is None else f"sum by ({by})"
    sel = f"{{{matchers}}}" if matchers else ""
    return f"({agg} (rate({name}_total{sel}[{window}])) or {agg} (rate({name}{sel}[{window}])))"


def collector_query(window: str) -> str:
    """Every collector figure in one expression: rates per receiver/exporter and signal."""
    parts = []
    for signal in SIGNALS:
        for figure, prefix, by in (
            ("accepted", "otelcol_receiver_accepted_", "receiver"),
            ("refused", "otelcol_receiver_refused_", "receiver"),
            ("sent", "otelcol_exporter_sent_", "exporter"),
            ("send_failed", "otelcol_exporter_send_failed_", "exporter"),
            ("enqueue_failed", "otelcol_exporter_enqueue_failed_", "exporter"),
        ):
            rate = counter_rate(f"{prefix}{signal}", window, by)
            parts.append(tagged(rate, figure=figure, signal=signal))
    for figure in ("queue_size", "queue_capacity"):
        parts.append(tagged(f"sum by (exporter) (otelcol_exporter_{figure})", figure=figure))
    return " or ".join(parts)


def loki_query(window: str) -> str:
    """Loki's ingestion (lines and bytes per second) and its discards by reason."""
    return " or ".join(
        (
            tagged(f"sum(rate(loki_distributor_lines_received_total[{window}]))", figure="lines"),
            tagged(f"sum(rate(loki_distributor_bytes_received_total[{window}]))", figure="bytes"),
            tagged(
                f"sum by (reason) (rate(loki_discarded_samples_total[{window}]))",
                figure="discarded",
            ),
        )
    )


LOKI_FIGURES = ("lines", "bytes", "discarded")


@functools.lru_cache(maxsize=8)
def flow_query(window: str) -> str:
    """The collector's and Loki's figures in one expression (one request a refresh)."""
    return f"{collector_query(window)} or {loki_query(window)}"


@dataclass(frozen=True)
class Hop:
    """One receiver or exporter for one signal: what passed and what was lost, per second."""

    kind: str  # receiver | exporter
    name: str  # otlp, loki, otlp/jaeger ... (outside text)
    signal: str
    passed: float = 0.0  # accepted / sent
    refused: float = 0.0  # refused / send failed
    dropped: float = 0.0  # enqueue failed (queue full)

    @property
    def lost(self) -> float:
        """Per second lost at this hop."""
        return self.refused + self.dropped

    @property
    def loss_fraction(self) -> float:
        """Lost / (passed + lost); 0 with no traffic."""
        total = self.passed + self.lost
        return self.lost / total if total > 0 else 0.0

    @property
    def destination(self) -> str:
        """Loki, Prometheus or Jaeger (for an exporter), by the signal it carries."""
        return DESTINATION.get(self.signal, "?")


@dataclass(frozen=True)
class Queue:
    """An exporter's sending queue."""

    exporter: str
    size: float
    capacity: float

    @property
    def fill(self) -> float:
        """Size / capacity (0 without a capacity)."""
        return self.size / self.capacity if self.capacity > 0 else 0.0


@dataclass(frozen=True)
class Loss:
    """Where data is lost, how much, and since when (None: before the look-back)."""

    where: str  # "the collector's otlp receiver", "exporter loki", "Loki"
    signal: str
    fraction: float
    per_second: float
    since: float | None
    text: str  # the plain sentence ("the collector refuses 40 % of log records")
    key: str  # stable id (for caching the onset)


@dataclass(frozen=True)
class Flow:
    """The pipeline now. `collector_seen`/`loki_seen`: their metrics exist in Prometheus."""

    hops: tuple[Hop, ...] = ()
    queues: tuple[Queue, ...] = ()
    loki_lines: float | None = None
    loki_bytes: float | None = None
    loki_discarded: tuple[tuple[str, float], ...] = ()  # reason, lines per second
    losses: tuple[Loss, ...] = ()

    @property
    def collector_seen(self) -> bool:
        """Whether any collector metric came back."""
        return bool(self.hops or self.queues)

    @property
    def loki_seen(self) -> bool:
        """Whether Loki's distributor metrics came back."""
        return self.loki_lines is not None or self.loki_bytes is not None

    def receivers(self, signal: str) -> list[Hop]:
        """The receivers of one signal."""
        return [h for h in self.hops if h.kind == "receiver" and h.signal == signal]

    def exporters(self, signal: str) -> list[Hop]:
        """The exporters of one signal."""
        return [h for h in self.hops if h.kind == "exporter" and h.signal == signal]


def _hops(samples: Iterable[Sample]) -> tuple[tuple[Hop, ...], tuple[Queue, ...]]:
    figures: dict[tuple[str, str, str], dict[str, float]] = {}
    queues: dict[str, dict[str, float]] = {}
    for s in samples:
        figure = s.labels.get("figure", "")
        if figure.startswith("queue_"):
            queues.setdefault(s.labels.get("exporter", ""), {})[figure] = s.value
            continue
        kind = "receiver" if figure in ("accepted", "refused") else "exporter"
        name = s.labels.get(kind, "")
        key = (kind, name, s.labels.get("signal", ""))
        figures.setdefault(key, {})[figure] = s.value
    hops = []
    for (kind, name, signal), f in sorted(figures.items()):
        if kind == "receiver":
            hops.append(Hop(kind, name, signal, f.get("accepted", 0.0), f.get("refused", 0.0)))
        else:
            hops.append(
                Hop(
                    kind,
                    name,
                    signal,
                    f.get("sent", 0.0),
                    f.get("send_failed", 0.0),
                    f.get("enqueue_failed", 0.0),
                )
            )
    qs = tuple(
        Queue(name, f.get("queue_size", 0.0), f.get("queue_capacity", 0.0))
        for name, f in sorted(queues.items())
    )
    return tuple(hops), qs


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.0f} %" if fraction >= 0.01 else f"{fraction * 100:.1f} %"


def _signal_words(signal: str) -> str:
    return signal.replace("_", " ")


def _m(name: str) -> str:
    # A label value inside a PromQL string: quote and backslash escaped.
    return name.replace("\\", "\\\\").replace('"', '\\"')


class FlowReader:
    """Reads the flow; finds when each loss started (one range query, cached a minute)."""

    def __init__(
        self, client: PromClient, window: str = "5m", clock: Callable[[], float] = time.time
    ) -> None:
        self.client = client
        self.window = window
        self.clock = clock
        self._onsets: dict[str, tuple[float, float | None]] = {}  # key -> (asked at, since)

    def read(self, at: float | None = None) -> Flow:
        """The flow at `at` (now). Raises SourceError when Prometheus cannot be read."""
        at = self.clock() if at is None else at
        return self.from_samples(self.client.query(flow_query(self.window), at), at)

    def from_samples(self, samples: Iterable[Sample], at: float) -> Flow:
        """The flow from the answer to `flow_query` (parts of other figures tagged into the
        same answer, such as the Metrics tab's calls, must be taken out first)."""
        collector: list[Sample] = []
        loki: list[Sample] = []
        for s in samples:
            (loki if s.labels.get("figure") in LOKI_FIGURES else collector).append(s)
        hops, queues = _hops(collector)
        lines = byts = None
        discarded = []
        for s in loki:
            figure = s.labels.get("figure")
            if figure == "lines":
                lines = s.value
            elif figure == "bytes":
                byts = s.value
            elif figure == "discarded" and s.value > 0:
                discarded.append((s.labels.get("reason", "?"), s.value))
        discarded.sort(key=lambda d: -d[1])
        flow = Flow(hops, queues, lines, byts, tuple(discarded))
        losses = self._losses(flow, at)
        return Flow(hops, queues, lines, byts, tuple(discarded), tuple(losses))

    def _losses(self, flow: Flow, at: float) -> list[Loss]:
        w = self.window
        out = []
        for h in flow.hops:
            if h.loss_fraction < LOSS_THRESHOLD:
                continue
            what = _signal_words(h.signal)
            if h.kind == "receiver":
                sel = f'receiver="{_m(h.name)}"'
                ref = counter_rate(f"otelcol_receiver_refused_{h.signal}", w, None, sel)
                acc = counter_rate(f"otelcol_receiver_accepted_{h.signal}", w, None, sel)
                expr = f"{ref} / ({acc} + {ref})"
                where = f"the collector's {h.name} receiver"
                text = f"the collector refuses {_pct(h.loss_fraction)} of {what}"
                if h.name:
                    text += f" ({h.name} receiver)"
            else:
                sel = f'exporter="{_m(h.name)}"'

                def f(prefix: str, sel: str = sel, signal: str = h.signal) -> str:
                    return f"({counter_rate(f'{prefix}{signal}', w, None, sel)} or vector(0))"

                failed = (
                    f"({f('otelcol_exporter_send_failed_')}"
                    f" + {f('otelcol_exporter_enqueue_failed_')})"
                )
                expr = f"{failed} / ({f('otelcol_exporter_sent_')} + {failed})"
                where = f"exporter {h.name}"
                text = (
                    f"the collector's {h.name} exporter loses {_pct(h.loss_fraction)} of {what}"
                    f" on the way to {h.destination}"
                )
            key = f"{h.kind}:{h.name}:{h.signal}"
            since = self._onset(key, expr, at)
            out.append(Loss(where, h.signal, h.loss_fraction, h.lost, since, text, key))
        for q in flow.queues:
            if q.capacity > 0 and q.fill >= QUEUE_THRESHOLD:
                sel = f'exporter="{_m(q.exporter)}"'
                expr = (
                    f"sum(otelcol_exporter_queue_size{{{sel}}})"
                    f" / sum(otelcol_exporter_queue_capacity{{{sel}}})"
                )
                key = f"queue:{q.exporter}"
                since = self._onset(key, expr, at, QUEUE_THRESHOLD)
                text = (
                    f"the {q.exporter} exporter's queue is {_pct(q.fill)} full"
                    f" ({q.size:.0f} of {q.capacity:.0f}): it drops data when full"
                )
                out.append(Loss(f"exporter {q.exporter} queue", "", q.fill, 0.0, since, text, key))
        if flow.loki_lines:
            dropped = sum(v for _, v in flow.loki_discarded)
            fraction = dropped / (flow.loki_lines + dropped) if flow.loki_lines + dropped else 0
            if fraction >= LOSS_THRESHOLD:
                expr = (
                    f"sum(rate(loki_discarded_samples_total[{w}])) /"
                    f" (sum(rate(loki_distributor_lines_received_total[{w}]))"
                    f" + sum(rate(loki_discarded_samples_total[{w}])))"
                )
                reasons = ", ".join(r for r, _ in flow.loki_discarded[:3])
                text = f"Loki discards {_pct(fraction)} of log lines ({reasons})"
                since = self._onset("loki:discarded", expr, at)
                out.append(
                    Loss("Loki", "log_records", fraction, dropped, since, text, "loki:discarded")
                )
        return out

    def _onset(
        self, key: str, expr: str, at: float, threshold: float = LOSS_THRESHOLD
    ) -> float | None:
        cached = self._onsets.get(key)
        if cached is not None and at - cached[0] < 60:
            return cached[1]
        since = onset(self.client, expr, at, threshold)
        self._onsets[key] = (at, since)
        return since


def onset(client: PromClient, expr: str, at: float, threshold: float) -> float | None:
    """When `expr` last rose to `threshold` and stayed there (None: before the look-back)."""
    try:
        series = client.query_range(expr, at - ONSET_LOOKBACK, at, ONSET_STEP)
    except SourceError:
        return None
    points = series[0].points if series else ()
    since: float | None = None
    for t, value in reversed(points):
        if value < threshold:
            break
        since = t
    else:
        if points and points[0][0] <= at - ONSET_LOOKBACK + ONSET_STEP:
            return None  # lossy for the whole look-back
    return since


def clock_time(t: float | None, now: float) -> str:
    """02:55 (today), or 'Dec 06 02:55'; 'over 6 h' for None."""
    if t is None:
        return f"over {ONSET_LOOKBACK / 3600:.0f} h"
    fmt = "%H:%M" if now - t < 20 * 3600 else "%b %d %H:%M"
    return time.strftime(fmt, time.localtime(t))


def loss_sentence(loss: Loss, now: float) -> str:
    """ "the collector refuses 40 % of log records since 02:55"."""
    if loss.since is None:
        return f"{loss.text} for {clock_time(None, now)}"
    return f"{loss.text} since {clock_time(loss.since, now)}"


def target_for(session: Session) -> PromTarget:
    """The session's Prometheus: ARCTUI_PROMETHEUS_URL, the setting, else the stack's.

    Raises SourceError (`PrometheusAbsent` when the stack has none).
    """
    from arctui.config.settings import url_secrets

    environ = session.environ if session.environ is not None else os.environ
    url, origin = environ.get(ENV_URL, "").strip(), ENV_URL
    if not url:
        url, origin = (session.settings.prometheus_url or ""), "prometheus_url in the settings"
    if url:
        session.redactor.learn(url_secrets(url))
        return discover((), url, origin)
    return discover(session.reader.latest().services)


def read_flow(session: Session, window: str = "5m") -> Flow:
    """The session's pipeline flow now (for the doctor). Raises SourceError."""
    client = PromClient(target_for(session))
    try:
        return FlowReader(client, window, session.clock).read()
    finally:
        client.close()


def log_losses(flow: Flow) -> list[Loss]:
    """The losses that keep logs out of Loki (and so out of Grafana)."""
    return [
        loss
        for loss in flow.losses
        if loss.signal == "log_records" or loss.key.startswith("queue:loki")
    ]

"""The telemetry flow (ops/telemetry.py) and the Metrics tab's text: parsing, losses and
their onset, hostile label values, the CLI's window and JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest
from rich.text import Text

from arctui.ops.telemetry import (
    Flow,
    FlowReader,
    Hop,
    Loss,
    clock_time,
    collector_query,
    flow_query,
    loki_query,
    loss_sentence,
    onset,
)
from arctui.sources.prometheus import RangeSeries, Sample
from arctui.tabs.metrics import cli
from arctui.tabs.metrics.models import Alert, MetricsSnapshot, PromHealth, Red
from arctui.tabs.metrics.report import flow_lines, latency, prom_lines, red_cells
from arctui.tabs.metrics.view.presenters import details_text, service_rows

NOW = 1_800_000_000.0
HOSTILE = "\x1b]0;pwned\x07[@click=app.quit]x[/nope]\u202e"


def s(value: float, **labels: str) -> Sample:
    return Sample(labels, value)


class FlowClient:
    requests = 0
    label = "http://prom:9090"

    def __init__(self, onset_values: list[float]) -> None:
        self.onset_values = onset_values
        self.ranges: list[str] = []
        self.asked: list[str] = []

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        self.asked.append(expr)
        out = []
        if "loki_distributor_lines_received_total" in expr:
            out += [s(60, figure="lines"), s(18000, figure="bytes"),
                    s(3, figure="discarded", reason="rate_limited")]  # fmt: skip
        if "otelcol_receiver_accepted_" in expr:
            out += [
                s(60, figure="accepted", signal="log_records", receiver="otlp"),
                s(40, figure="refused", signal="log_records", receiver="otlp"),
                s(100, figure="sent", signal="log_records", exporter="loki"),
                s(900, figure="queue_size", exporter="loki"),
                s(1000, figure="queue_capacity", exporter="loki"),
            ]
        return out

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[RangeSeries]:
        self.ranges.append(expr)
        n = len(self.onset_values)
        return [
            RangeSeries(
                {}, tuple((end - (n - 1 - i) * 60, v) for i, v in enumerate(self.onset_values))
            )
        ]


def test_one_query_carries_every_figure() -> None:
    q = collector_query("5m")
    for part in ("otelcol_exporter_queue_capacity", '"figure", "sent"',
                 "rate(otelcol_receiver_refused_log_records_total[5m])) or sum by (receiver)"
                 " (rate(otelcol_receiver_refused_log_records[5m]))",
                 "rate(otelcol_exporter_enqueue_failed_spans_total[5m]))"):  # fmt: skip
        assert part in q
    assert "=~" not in q  # never one regex over both names (see counter_rate)
    assert "loki_discarded_samples_total" in loki_query("5m")
    assert flow_query("5m") == f"{collector_query('5m')} or {loki_query('5m')}"
    client = FlowClient([0.0])
    flow = FlowReader(client, "5m", clock=lambda: NOW).read()  # type: ignore[arg-type]
    assert client.asked == [flow_query("5m")]  # the collector and Loki: one request
    assert flow.loki_lines == 60 and flow.loki_discarded == (("rate_limited", 3),)
    assert [h.name for h in flow.receivers("log_records")] == ["otlp"]
    assert [q.exporter for q in flow.queues] == ["loki"]


def test_losses_and_since_when() -> None:
    # Fine until 3 minutes ago, refusing since: the onset is the first lossy minute.
    client = FlowClient([0.0, 0.0, 0.4, 0.4, 0.4])
    flow = FlowReader(client, "5m", clock=lambda: NOW).read()  # type: ignore[arg-type]
    [otlp] = flow.receivers("log_records")
    assert otlp.loss_fraction == pytest.approx(0.4)
    keys = {loss.key: loss for loss in flow.losses}
    assert set(keys) == {"receiver:otlp:log_records", "queue:loki", "loki:discarded"}
    refused = keys["receiver:otlp:log_records"]
    assert refused.since == NOW - 2 * 60
    assert loss_sentence(refused, NOW).startswith(
        "the collector refuses 40 % of log records (otlp receiver) since "
    )
    assert loss_sentence(refused, NOW).endswith(clock_time(NOW - 120, NOW))
    assert len(client.ranges) == 3
    FlowReader(client, "5m", clock=lambda: NOW).read()  # type: ignore[arg-type]
    reader = FlowReader(client, "5m", clock=lambda: NOW)  # type: ignore[arg-type]
    reader.read()
    reader.read()  # the onsets are cached for a minute
    assert len(client.ranges) == 9


def test_lossy_for_the_whole_look_back_says_so() -> None:
    client = FlowClient([0.5] * 361)
    assert onset(client, "x", NOW, 0.01) is None  # type: ignore[arg-type]
    loss = Loss(
        "w", "log_records", 0.5, 1.0, None, "the collector refuses 50 % of log records", "k"
    )
    assert loss_sentence(loss, NOW).endswith("for over 6 h")


def test_a_hop_without_traffic_loses_nothing() -> None:
    assert Hop("receiver", "otlp", "spans").loss_fraction == 0.0
    assert Flow().collector_seen is False and Flow().loki_seen is False


def test_hostile_label_values_are_plain_inert_text() -> None:
    snap = MetricsSnapshot(
        taken_at=NOW,
        services=(Red(HOSTILE, 10.0, 1.0, 0.01, 0.02, 0.03),),
        flow=Flow(hops=(Hop("receiver", HOSTILE, "log_records", 1.0, 1.0),)),
        prom=PromHealth(alerts=(Alert(HOSTILE, "firing", {HOSTILE: HOSTILE}, HOSTILE),)),
    )
    [(_, cells)] = service_rows(snap, {})
    texts: list[Any] = [*cells, details_text(snap, {})]
    for t in texts:
        assert isinstance(t, Text)
        assert all(not span.style or "click" not in str(span.style) for span in t.spans)
        assert "\x1b" not in t.plain and "\u202e" not in t.plain
    assert "[@click=app.quit]" in cells[0].plain  # shown, not run
    for line in [*prom_lines(snap.prom), *flow_lines(snap.flow, NOW), *red_cells(snap.services[0])]:
        assert "\x1b" not in line and "\x07" not in line


def test_latency_text_and_the_capped_edge() -> None:
    assert latency(0.0482) == "48.2 ms"
    assert latency(10.0, capped=True) == "≥10.00 s"
    assert latency(None) == "-" and latency(float("nan")) == "-"


def test_window_must_be_a_promql_duration() -> None:
    assert cli.window("5m") == "5m"
    for bad in ("5", "5x", "0m", "-1m", "5m]) or vector(1"):
        with pytest.raises(argparse.ArgumentTypeError):
            cli.window(bad)


def test_json_carries_the_sentences_and_no_history(capsys: pytest.CaptureFixture[str]) -> None:
    from arctui.tabs.metrics.demo import DemoMetrics

    snap = DemoMetrics(clock=lambda: NOW).read()
    data = cli.snapshot_json(snap)
    assert "history" not in data
    assert data["services"][0]["error_ratio"] == pytest.approx(snap.services[0].error_ratio)
    assert data["flow"]["losses"][0]["sentence"].startswith("the collector refuses 40 %")
    json.dumps(data)  # serialisable

"""The recorder's RED figures: read per sample when the stack has a Prometheus, stored in
the frame, shown by `history --metric red-*`; nothing (and no alarm) without one."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from arctui.cli import main
from arctui.record.recorder import Recorder
from arctui.record.store import Store
from arctui.sources.base import SourceError
from arctui.sources.prometheus import PrometheusAbsent
from arctui.tabs.metrics import recorded
from arctui.tabs.metrics.reader import MetricsReader
from tests.unit.test_metrics_reader import NOW, FakeClient, spanmetrics


def test_read_red_is_rate_errors_and_p95_in_two_queries_after_the_unit() -> None:
    client = FakeClient(spanmetrics(3))
    red = MetricsReader(client, clock=lambda: NOW).read_red()  # type: ignore[arg-type]
    assert client.requests == 1 + 2  # which histogram exists (cached a minute), calls, buckets
    svc2 = red.service("svc2")
    assert svc2 is not None and math.isclose(svc2.p95 or 0, 0.03)
    assert math.isclose(svc2.rate, 10.0) and math.isclose(svc2.errors, 0.5)
    assert svc2.p50 is None and svc2.p99 is None  # not recorded
    assert red.services[0].name == "svc2"  # worst first, as the tab sorts


def test_a_broken_query_is_a_down_source_not_an_empty_figure_set() -> None:
    def answer(expr: str):  # type: ignore[no-untyped-def]
        if expr.startswith("sum by (service_name, le)"):
            raise SourceError("Prometheus at x answered HTTP 503")
        return spanmetrics(2)(expr)

    with pytest.raises(SourceError, match="latency"):
        MetricsReader(FakeClient(answer), clock=lambda: NOW).read_red()  # type: ignore[arg-type]


def test_no_prometheus_records_nothing_and_looks_again_later(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from arctui.tabs.metrics import reader as reader_mod

    asked = []

    def absent(session, window="5m", service=None):  # type: ignore[no-untyped-def]
        asked.append(window)
        raise PrometheusAbsent("the stack has no prometheus service", "add one")

    monkeypatch.setattr(reader_mod, "reader_for", absent)
    t = {"now": 0.0}
    source = recorded.RecordedRedSource(object(), monotonic=lambda: t["now"])  # type: ignore[arg-type]
    assert source.read() is None and source.read() is None
    assert asked == [recorded.WINDOW]  # not once per sample
    t["now"] += recorded.REDISCOVER_S
    assert source.read() is None and len(asked) == 2


def test_the_demo_recording_carries_red_figures_and_history_shows_them(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from arctui.record.sampler import Sampler
    from arctui.session import demo_session

    path = tmp_path / "d.sqlite"
    session = demo_session()
    sampler = Sampler(session, doctor_every=0, volumes_every=0)
    frames = []
    with Store.open(path, redact=session.redactor.redact) as store:
        rec = Recorder(sampler, store, 1)
        for _ in range(3):
            frames.append(rec.step())
    sampler.close()
    session.close()
    frame = frames[-1]
    assert frame is not None and frame.metrics is not None and frame.metrics.services
    assert "metrics" not in frame.down
    with Store.open(path, readonly=True) as store:
        back = store.frame_at(frame.ts)
    assert back is not None and back.metrics == frame.metrics  # through the codec and back
    assert main(["--demo", "--store", str(path), "history", "--metric", "red-p95", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = {s.name for s in frame.metrics.services}
    assert set(data["series"]) == names and all(len(p) == 3 for p in data["series"].values())
    worst = frame.metrics.services[0]
    assert data["series"][worst.name][-1][1] == pytest.approx(worst.p95, rel=1e-3)
    assert main(["--demo", "--store", str(path), "history", "--metric", "red-rate"]) == 0
    assert worst.name in capsys.readouterr().out


def test_an_older_frame_without_metrics_decodes_with_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from arctui.record.frame import Frame

    path = tmp_path / "old.sqlite"
    with Store.open(path) as store:
        store.write_frame(Frame(ts=NOW))
    with Store.open(path, readonly=True) as store:
        got = store.frame_at(NOW)
    assert got is not None and got.metrics is None
    assert dataclasses.replace(got, metrics=None) == got

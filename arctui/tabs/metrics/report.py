"""Plain-text forms of a Metrics snapshot: shared by the tab's presenters and
`arctui metrics`. No Textual. Every label value passes `one_line` here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from arctui.ops.telemetry import Flow, loss_sentence
from arctui.tabs.metrics.models import Missing, Points, PromHealth, Red
from arctui.text import one_line
from arctui.units import micros, size

BLOCKS = " ▁▂▃▄▅▆▇█"
NAME_LIMIT = 60


def latency(seconds: float | None, capped: bool = False) -> str:
    """`48.2 ms`; `≥10.00 s` when the quantile fell into the +Inf bucket; `-` for none."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    text = micros(seconds * 1e6)
    return f"≥{text}" if capped else text


def per_second(value: float | None) -> str:
    """`42.0/s`, `1.2k/s`, `0.03/s`."""
    if value is None:
        return "-"
    if value >= 10_000:
        return f"{value / 1000:.0f}k/s"
    if value >= 1000:
        return f"{value / 1000:.1f}k/s"
    if value >= 10:
        return f"{value:.0f}/s"
    if value >= 0.1 or value == 0:
        return f"{value:.1f}/s"
    return f"{value:.2f}/s"


def percent(fraction: float) -> str:
    """`3.1 %`, `0 %`."""
    if fraction <= 0:
        return "0 %"
    return f"{fraction * 100:.1f} %" if fraction < 0.1 else f"{fraction * 100:.0f} %"


def spark(points: Points | Sequence[tuple[float, float]], width: int) -> str:
    """The points as `width` eighth-block bars (the last `width` values, scaled to max)."""
    values = [v for _, v in points][-width:] if width > 0 else []
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return BLOCKS[1] * len(values)
    return "".join(BLOCKS[max(1, min(8, round(v / top * 8)))] for v in values)


def name(text: str, limit: int = NAME_LIMIT) -> str:
    """A label value made safe to show (escapes stripped, one line, capped)."""
    return one_line(text, limit) or "(none)"


def red_cells(r: Red) -> tuple[str, str, str, str, str, str]:
    """Service, req/s, errors, P50, P95, P99."""
    return (
        name(r.name),
        per_second(r.rate),
        percent(r.error_ratio),
        latency(r.p50),
        latency(r.p95, r.p95_capped),
        latency(r.p99, r.p99_capped),
    )


def flow_lines(flow: Flow, now: float) -> list[str]:
    """apps -> collector -> Loki / Prometheus / Jaeger, with rates and losses."""
    out: list[str] = []
    if flow.collector_seen:
        for signal, dest in (
            ("log_records", "Loki"),
            ("metric_points", "Prometheus"),
            ("spans", "Jaeger"),
        ):
            words = signal.replace("_", " ")
            for h in flow.receivers(signal):
                lost = f", refused {per_second(h.refused)} ({percent(h.loss_fraction)})"
                out.append(
                    f"apps -> collector [{name(h.name, 30)}] {words}: accepted"
                    f" {per_second(h.passed)}{lost if h.refused else ''}"
                )
            for h in flow.exporters(signal):
                lost = ""
                if h.lost:
                    lost = (
                        f", failed {per_second(h.refused)}, queue full {per_second(h.dropped)}"
                        f" ({percent(h.loss_fraction)})"
                    )
                out.append(
                    f"   collector -> [{name(h.name, 30)}] -> {dest}: sent"
                    f" {per_second(h.passed)}{lost}"
                )
        for q in flow.queues:
            if q.capacity:
                out.append(
                    f"   queue [{name(q.exporter, 30)}]: {q.size:.0f} of {q.capacity:.0f}"
                    f" ({percent(q.fill)})"
                )
    if flow.loki_seen:
        lines = per_second(flow.loki_lines)
        rate = f"{size(flow.loki_bytes)}/s" if flow.loki_bytes is not None else "-"
        text = f"Loki ingests {lines} lines, {rate}"
        if flow.loki_discarded:
            parts = ", ".join(f"{name(r, 30)} {per_second(v)}" for r, v in flow.loki_discarded[:4])
            text += f"; discards {parts}"
        out.append(text)
    for loss in flow.losses:
        out.append(f"! {loss_sentence(loss, now)}")
    return out


def prom_lines(prom: PromHealth, limit: int = 10) -> list[str]:
    """Targets down (with the last error), alerts firing (with labels), rules failing."""
    out = [
        f"targets: {prom.targets_up} up, {len(prom.down)} down;"
        f" alerts: {len(prom.firing)} firing;"
        f" rules: {prom.rules}, {len(prom.failing_rules)} failing"
    ]
    for t in prom.down[:limit]:
        out.append(
            f"! target {name(t.job, 40)} {name(t.instance, 60)} is {name(t.health, 10)}:"
            f" {name(t.error, 200)}"
        )
    for a in prom.alerts[:limit]:
        labels = " ".join(f"{name(k, 30)}={name(v, 40)}" for k, v in sorted(a.labels.items()))
        summary = f": {name(a.summary, 120)}" if a.summary else ""
        out.append(
            f"{'!' if a.state == 'firing' else '~'} alert {name(a.name, 60)} {a.state}"
            f" {{{labels}}}{summary}"
        )
    for r in prom.failing_rules[:limit]:
        out.append(f"! rule {name(r.group, 40)}/{name(r.name, 60)} fails: {name(r.error, 200)}")
    return out


def missing_lines(missing: Sequence[Missing]) -> list[str]:
    """Each missing series: who writes it, and the configuration that turns it on."""
    out: list[str] = []
    for m in missing:
        out.append(f"? no {m.series}: written by {m.producer}")
        out.extend(f"    {line}" for line in m.snippet)
    return out

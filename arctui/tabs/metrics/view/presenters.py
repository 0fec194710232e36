"""Pure presentation of Metrics snapshots for the tab: table rows and styled text.

No widgets here; every label value goes through `report.name` (arctui.text) and is put
in a `Text` as plain text, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text

from arctui.tabs.metrics.models import MetricsSnapshot, Points, QueryResult, Red
from arctui.tabs.metrics.report import (
    flow_lines,
    latency,
    missing_lines,
    name,
    per_second,
    prom_lines,
    red_cells,
    spark,
)
from arctui.units import duration

SERVICE_COLUMNS = (
    ("service", "Service"),
    ("rate", "Req/s"),
    ("errors", "Errors"),
    ("p50", "P50"),
    ("p95", "P95"),
    ("p99", "P99"),
    ("hour", "Last hour (req/s)"),
)
OPERATION_COLUMNS = (
    ("op", "Operation"),
    ("rate", "Req/s"),
    ("errors", "Errors"),
    ("p95", "P95"),
)
CHART_LABELS = {
    "rate": "requests/s",
    "errors": "errors/s",
    "p50": "P50",
    "p95": "P95",
    "p99": "P99",
}
SPARK_WIDTH = 20


def spark_cell(points: Points, colours: Mapping[str, str]) -> Text:
    """A service's last hour of requests per second as bars."""
    return Text(spark(points, SPARK_WIDTH), style=colours.get("accent", ""))


def service_figures(r: Red) -> tuple[tuple[str, ...], str]:
    """What a service's row shows of its figures: the cells' text and the errors' colour
    kind. Two refreshes whose figures differ only past the digits shown compare equal."""
    kind = "down" if r.error_ratio >= 0.05 else "degraded" if r.error_ratio >= 0.01 else ""
    return red_cells(r), kind


def service_row(
    figures: tuple[tuple[str, ...], str],
    points: Points,
    colours: Mapping[str, str],
    bars: Text | None = None,
) -> tuple[Text, ...]:
    """A service's cells from its `service_figures` and the last hour (`bars`: drawn)."""
    cells, kind = figures
    return (
        Text(cells[0]),
        Text(cells[1], justify="right"),
        Text(cells[2], style=colours.get(kind, "") if kind else "", justify="right"),
        Text(cells[3], justify="right"),
        Text(cells[4], justify="right"),
        Text(cells[5], justify="right"),
        spark_cell(points, colours) if bars is None else bars,
    )


def service_rows(
    s: MetricsSnapshot, colours: Mapping[str, str]
) -> list[tuple[str, tuple[Text, ...]]]:
    """One row per service, worst first: the figures and the last hour's request rate."""
    rates = s.history.get("rate", {})
    return [
        (r.name, service_row(service_figures(r), rates.get(r.name, ()), colours))
        for r in s.services
    ]


def operation_rows(ops: tuple[Red, ...]) -> list[tuple[str, tuple[Text, ...]]]:
    """One row per operation of the opened service."""
    return [
        (
            o.name,
            (
                Text(name(o.name, 80)),
                Text(per_second(o.rate), justify="right"),
                Text(red_cells(o)[2], justify="right"),
                Text(latency(o.p95, o.p95_capped), justify="right"),
            ),
        )
        for o in ops
    ]


def styled(lines: Sequence[str], colours: Mapping[str, str]) -> Text:
    """Lines with the colour of their mark: `! ` down, `? `/`~ ` degraded, indented muted."""
    text = Text()
    for i, line in enumerate(lines):
        if i:
            text.append("\n")
        style = ""
        if line.lstrip().startswith("! "):
            style = colours.get("down", "")
        elif line.lstrip().startswith(("? ", "~ ")):
            style = colours.get("degraded", "")
        elif line.startswith("    "):
            style = colours.get("muted", "")
        text.append(line, style=style)
    return text


def status_text(
    s: MetricsSnapshot | None, failure: str, now: float, colours: Mapping[str, str]
) -> Text:
    """The first line: where Prometheus is, the window, the age; or why it cannot be read."""
    text = Text()
    if failure:
        text.append("Prometheus not reachable: " + name(failure, 600), style=colours.get("down"))
        if s is not None and s.absent is None:
            text.append(
                f"  (figures below are {duration(now - s.taken_at)} old)",
                style=colours.get("muted"),
            )
        return text
    if s is None:
        return Text("looking for Prometheus …", style=colours.get("muted", ""))
    if s.absent is not None:
        reason, fix = s.absent
        text.append(name(reason, 300), style=colours.get("degraded", ""))
        if fix:
            text.append("\nfix: " + name(fix, 300))
        text.append("\nThe other tabs do not need it.", style=colours.get("muted", ""))
        return text
    unit = f" · durations in {s.unit}" if s.unit else ""
    text.append(f"Prometheus {name(s.target, 120)}", style="bold")
    text.append(f" · {name(s.origin, 120)} · window {s.window}{unit}", style=colours.get("muted"))
    if s.demo:
        text.append(" · simulated (--demo)", style=colours.get("degraded", ""))
    return text


def details_text(s: MetricsSnapshot, colours: Mapping[str, str]) -> Text:
    """The pipeline flow, Prometheus itself, what is missing, and what could not be read."""
    return styled(details_lines(s), colours)


def details_lines(s: MetricsSnapshot) -> list[str]:
    """The plain lines of `details_text` (the view compares them with the last ones)."""
    lines = ["Telemetry pipeline"]
    lines += ["  " + line for line in flow_lines(s.flow, s.taken_at)] or []
    if not s.flow.collector_seen and not s.flow.loki_seen:
        lines.append("  (no collector or Loki metrics in Prometheus)")
    lines += ["", "Prometheus", *("  " + line for line in prom_lines(s.prom))]
    if s.missing:
        lines += ["", "Missing series", *("  " + line for line in missing_lines(s.missing))]
    for part, why in s.partial:
        lines.append(f"~ {part} not read: {name(why, 300)}")
    return lines


def chart_points(s: MetricsSnapshot, service: str) -> tuple[Points, ...]:
    """The last hour of each charted figure of one service."""
    return tuple(s.history.get(figure, {}).get(service, ()) for figure in CHART_LABELS)


def charts_text(s: MetricsSnapshot, service: str, width: int, colours: Mapping[str, str]) -> Text:
    """The last hour of each figure of one service (one bar per minute)."""
    red = s.service(service)
    text = Text()
    charted = chart_points(s, service)
    for i, (figure, label) in enumerate(CHART_LABELS.items()):
        points = charted[i]
        values = [v for _, v in points]
        now_value = getattr(red, figure, None) if red is not None else None
        if figure in ("rate", "errors"):
            current, top = per_second(now_value), per_second(max(values) if values else None)
        else:
            current, top = latency(now_value), latency(max(values) if values else None)
        if i:
            text.append("\n")
        text.append(f"{label:<11}", style=colours.get("muted", ""))
        bars = spark(points, width)
        text.append(f"{bars:<{width}}", style=colours.get("accent", ""))
        text.append(f" {current} (max {top})")
    return text


def query_text(result: QueryResult, width: int, colours: Mapping[str, str]) -> Text:
    """A PromQL answer: each series' labels and value, and its last hour as bars."""
    text = Text()
    text.append(f"> {name(result.expr, 400)}\n", style="bold")
    if result.error:
        text.append(name(result.error, 600), style=colours.get("down", ""))
        return text
    if not result.samples:
        text.append("empty result (no series match)", style=colours.get("muted", ""))
        return text
    charts = {tuple(sorted(labels.items())): pts for labels, pts in result.series}
    for i, (labels, value) in enumerate(result.samples[:12]):
        if i:
            text.append("\n")
        shown = ", ".join(f"{name(k, 30)}={name(v, 60)}" for k, v in sorted(labels.items()))
        text.append(f"{value:.6g}", style="bold")
        text.append(f"  {{{shown}}}")
        pts = charts.get(tuple(sorted(labels.items())))
        if pts:
            text.append("\n  ")
            text.append(spark(pts, width), style=colours.get("accent", ""))
    if len(result.samples) > 12:
        text.append(f"\n… {len(result.samples) - 12} more series", style=colours.get("muted"))
    return text

"""What to say when a series is missing: which exporter or connector writes it, and the
few lines of configuration that turn it on. Pure values, no Textual.
"""

from __future__ import annotations

from arctui.ops.telemetry import Flow
from arctui.tabs.metrics.models import Missing

SPANMETRICS = Missing(
    "traces_span_metrics_calls_total",
    "the OpenTelemetry Collector's spanmetrics connector (Jaeger's Monitor tab reads the same)",
    (
        "# otel-collector-config.yml",
        "connectors:",
        "  spanmetrics:",
        "    namespace: traces.span.metrics",
        "exporters:",
        "  prometheus: {endpoint: 0.0.0.0:8889}",
        "service:",
        "  pipelines:",
        "    traces: {receivers: [otlp], exporters: [spanmetrics, otlp/jaeger]}",
        "    metrics/spanmetrics: {receivers: [spanmetrics], exporters: [prometheus]}",
        "# prometheus.yml: scrape_configs: [{job_name: spanmetrics,",
        "#   static_configs: [{targets: ['arc-widow-otel:8889']}]}]",
    ),
)

DURATION = Missing(
    "traces_span_metrics_duration_milliseconds_bucket (or _seconds_bucket)",
    "the spanmetrics connector's duration histogram (an exponential histogram is not"
    " exported as _bucket series)",
    (
        "connectors:",
        "  spanmetrics:",
        "    histogram:",
        "      explicit: {buckets: [2ms, 10ms, 50ms, 100ms, 250ms, 1s, 5s]}",
    ),
)

COLLECTOR = Missing(
    "otelcol_receiver_accepted_* / otelcol_exporter_sent_*",
    "the collector's own telemetry on port 8888 (/metrics), not scraped by Prometheus",
    (
        "# prometheus.yml",
        "scrape_configs:",
        "  - job_name: otel-collector",
        "    static_configs: [{targets: ['arc-widow-otel:8888']}]",
        "# the collector: service: {telemetry: {metrics: {level: normal}}}",
    ),
)

LOKI = Missing(
    "loki_distributor_lines_received_total",
    "Loki's own metrics on port 3100 (/metrics), not scraped by Prometheus",
    (
        "# prometheus.yml",
        "scrape_configs:",
        "  - job_name: loki",
        "    static_configs: [{targets: ['arc-watson-logs:3100']}]",
    ),
)


def explain(has_calls: bool, unit: str, flow: Flow | None) -> tuple[Missing, ...]:
    """The missing series, in the order of the tab's panels."""
    out = []
    if not has_calls:
        out.append(SPANMETRICS)
    elif not unit:
        out.append(DURATION)
    if flow is not None and not flow.collector_seen:
        out.append(COLLECTOR)
    if flow is not None and not flow.loki_seen:
        out.append(LOKI)
    return tuple(out)

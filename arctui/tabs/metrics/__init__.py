"""The Metrics tab: RED per service, the telemetry flow, Prometheus itself, PromQL."""

"""The simulated maintenance figures behind `--demo` (no Textual, no engine)."""

from __future__ import annotations

from arctui.ops.maintenance.disk import DataRoot, DfRow, DiskReport, VolumeRow, growth_note
from arctui.ops.maintenance.runbook import Runbook, Target

GiB = 1 << 30
MiB = 1 << 20

DEMO_TARGETS = (
    Target("up", "Start the platform", ("docker compose -p arc-platform up -d",), 1),
    Target("down", "Stop the platform", ("docker compose -p arc-platform down",), 2),
    Target("ps", "List the services", ("docker compose -p arc-platform ps",), 3),
    Target("health-all", "Check every service's health", ("./scripts/health.sh",), 4),
    Target("logs-service", "Follow one service (SERVICE=name)", ("docker compose logs -f",), 5),
    Target("backup-db", "pg_dump into ./backups", ("docker exec arc-oracle-sql pg_dump",), 6),
    Target("clean", "Remove containers AND volumes", ("docker compose down -v",), 7),
)


def demo_disk(now: float) -> DiskReport:
    """Plausible figures for the demo platform."""
    return DiskReport(
        taken_at=now,
        rows=(
            DfRow("Images", 16, 14, 7 * GiB + 310 * MiB, 1 * GiB + 120 * MiB),
            DfRow("Containers", 17, 15, 420 * MiB, 36 * MiB),
            DfRow("Local Volumes", 9, 7, 12 * GiB + 800 * MiB, 640 * MiB),
            DfRow("Build Cache", 41, 0, 2 * GiB + 210 * MiB, 2 * GiB + 210 * MiB),
        ),
        volumes=(
            VolumeRow("arc_grafana_data", 48 * MiB, 1, True),
            VolumeRow("arc_loki_data", 3 * GiB + 100 * MiB, 1, True),
            VolumeRow("arc_postgres_data", 5 * GiB + 420 * MiB, 1, True),
            VolumeRow("arc_prometheus_data", 2 * GiB + 700 * MiB, 1, True),
            VolumeRow("arc_pulsar_data", 900 * MiB, 1, True),
            VolumeRow("arc_redis_data", 310 * MiB, 1, True),
            VolumeRow("arc_tempo_data", 330 * MiB, 1, True),
        ),
        root=DataRoot("/var/lib/docker", 41 * GiB, 250 * GiB, True),
        growth=growth_note(),
    )


def demo_runbook() -> Runbook:
    """The platform Makefile's usual targets (nothing runs: the demo simulates)."""
    return Runbook(None, DEMO_TARGETS, (), "demo platform: the platform Makefile's usual targets")

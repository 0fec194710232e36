"""The simulated maintenance figures behind `--demo` (no Textual, no engine)."""

from __future__ import annotations

from arctui.ops.maintenance.disk import DataRoot, DfRow, DiskReport, VolumeRow, with_growth
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


# Bytes a day each demo volume grows by (the simulated recording's week of readings).
DEMO_GROWTH = {
    "arc_loki_data": 180 * MiB,
    "arc_postgres_data": 95 * MiB,
    "arc_prometheus_data": 140 * MiB,
    "arc_tempo_data": 60 * MiB,
}


class DemoVolumeHistory:
    """A week of readings every 6 hours, growing at `DEMO_GROWTH` (a `VolumeHistory`)."""

    def __init__(self, report: DiskReport) -> None:
        self.report = report

    def volume_sizes(self, since: float) -> list[tuple[float, dict[str, int]]]:
        """The simulated readings since `since`, oldest first, ending at the report."""
        end, step = self.report.taken_at, 6 * 3600.0
        out = []
        for i in range(28, -1, -1):
            ts = end - i * step
            if ts >= since:
                back = i * step / 86400
                sizes = {
                    v.name: int((v.size or 0) - DEMO_GROWTH.get(v.name, 0) * back)
                    for v in self.report.volumes
                }
                out.append((ts, sizes))
        return out


# Free GiB of each demo engine's data root (the demo fleet's engines do not read alike).
DEMO_FREE = (41, 63, 22)


def demo_disk(now: float, variant: int = 0) -> DiskReport:
    """Plausible figures for the demo platform, with a week's simulated growth
    (`variant`: the demo engine's place in the fleet, its free space)."""
    report = DiskReport(
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
        root=DataRoot(
            "/var/lib/docker", DEMO_FREE[variant % len(DEMO_FREE)] * GiB, 250 * GiB, True
        ),
    )
    return with_growth(report, DemoVolumeHistory(report), now)


def demo_runbook() -> Runbook:
    """The platform Makefile's usual targets (nothing runs: the demo simulates)."""
    return Runbook(None, DEMO_TARGETS, (), "demo platform: the platform Makefile's usual targets")

"""Rule evaluation's CPU at 50 containers, beside the recorder's own budget per sample.

    .venv/bin/python benchmarks/alerts_bench.py [--frames 2000]

Frames are real-shaped (50 containers with health logs, stats against limits, a Postgres
and Redis overview): every rule runs on each, incidents tracked, no delivery. The issue's
goal: rule evaluation adds at most 10 % to the recorder's CPU; the recorder's goal is 1 %
of one core at 5 s, i.e. 50 ms of CPU per sample, so 10 % of it is 5 ms.
"""

from __future__ import annotations

import argparse
import time

from arctui.alerts.engine import AlertEngine
from arctui.config.masking import Redactor
from arctui.models import ContainerInfo, HealthCheckResult, ServiceView, StackSnapshot
from arctui.record.frame import Frame
from arctui.tabs.resources.models import ContainerStats, HostStats, ResourcesSnapshot

N = 50


def frame(ts: float) -> Frame:
    views, stats = [], []
    for i in range(N):
        name = f"svc{i}"
        log = tuple(HealthCheckResult(ts - 10 + j, ts - 9 + j, 0, "ok") for j in range(5))
        c = ContainerInfo(
            f"{i:064x}",
            f"{name}-1",
            "p",
            name,
            "img",
            "running",
            health="unhealthy" if i == 7 else "healthy",
            restart_count=i % 3,
            started_at=ts - 3600,
            health_log=log,
        )
        views.append(ServiceView(name, "custom", (c,)))
        stats.append(
            ContainerStats(
                c.id,
                c.name,
                name,
                "running",
                cpu=0.1,
                mem=(i + 40) << 20,
                mem_limit=100 << 20,
                sampled_at=ts,
            )
        )
    host = HostStats(2, disk_total=100 << 30, disk_free=50 << 30)
    return Frame(
        ts,
        stack=StackSnapshot("p", tuple(views), ts, "unix://"),
        resources=ResourcesSnapshot("p", tuple(stats), host, ts, "bench"),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=2000)
    n = parser.parse_args().frames
    frames = [frame(1_800_000_000.0 + 5 * i) for i in range(n)]
    engine = AlertEngine({}, Redactor(["hunter2-secret"]), None)
    start = time.process_time()
    for f in frames:
        engine(f, [])
    per = (time.process_time() - start) / n * 1000
    print(f"{N} containers, {n} frames: {per:.3f} ms CPU per evaluate()")
    print(f"= {per / 5000 * 100:.4f} % of one core at a 5 s interval; budget 10 % of 50 ms = 5 ms")


if __name__ == "__main__":
    main()

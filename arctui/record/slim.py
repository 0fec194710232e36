"""What of a frame is stored: the figures as the tabs show them, the health log's last run
(to the second), no engine status text, the top statements by total time.

The digits and runs cut here differed in every frame for every container while saying
nothing a tab shows; they made most of a quiet stack's frame-to-frame change (and store
growth). The live frame (the alert rules' evidence) keeps them all.
"""

from __future__ import annotations

import dataclasses

from arctui.models import HealthCheckResult
from arctui.record.frame import Frame

SAMPLED_AT_DIGITS = 1
# A container read within this many seconds of its snapshot's `taken_at` (one pass of
# the reader: all of them, on the host) is stored as AT_TAKEN and read back as taken_at.
# Each container's own time differed in every frame: a third of the 50-container
# stack's frame-to-frame change (benchmarks/bench_stack.py, 50 containers).
SAMPLED_AT_SLACK = 1.0
AT_TAKEN = 0.0  # never a real reading's time; old stores never hold it
HEALTH_OUTPUT_MAX = 200  # the recorded health check output, per container (last run only)
# pg_stat_statements rows stored, by total time (the tab lists 50). Each row's counters
# grow between the reader's refreshes, so every row differed from the keyframe: 40 rows
# were a quarter of a 50-container frame's cost (benchmarks/recorder_full_bench.py).
STATEMENTS_KEPT = 10


def slim(frame: Frame) -> Frame:
    """The frame as stored: each container's health log cut to its last run, the output
    capped. Docker keeps five runs with their times and outputs; as containers are
    inspected again those shift, and they made most of a quiet stack's frame-to-frame
    change. The live frame (the alert rules' evidence) keeps them all."""
    frame = _slim_statements(_slim_resources(frame))
    stack = frame.stack
    if stack is None:
        return frame
    services = []
    changed = False
    for service in stack.services:
        containers = []
        for c in service.containers:
            last = tuple(_health_run(h) for h in c.health_log[-1:])
            # `status` ("Up 3 minutes (healthy)") is shown by no tab (they use state,
            # health and started_at) and changed every minute for every container.
            if last != c.health_log or c.status:
                c = dataclasses.replace(c, health_log=last, status="")
                changed = True
            containers.append(c)
        services.append(dataclasses.replace(service, containers=tuple(containers)))
    if not changed:
        return frame
    return dataclasses.replace(frame, stack=dataclasses.replace(stack, services=tuple(services)))


def _health_run(h: HealthCheckResult) -> HealthCheckResult:
    """The run's output capped, its times to the second (the tab shows "3s ago")."""
    start, end = h.start and float(round(h.start)), h.end and float(round(h.end))
    output = h.output[:HEALTH_OUTPUT_MAX]
    if (start, end, output) == (h.start, h.end, h.output):
        return h
    return dataclasses.replace(h, start=start, end=end, output=output)


def _slim_statements(frame: Frame) -> Frame:
    pg = frame.postgres
    if pg is None or len(pg.statements.rows) <= STATEMENTS_KEPT:
        return frame
    rows = sorted(pg.statements.rows, key=lambda r: -r.total_ms)[:STATEMENTS_KEPT]
    statements = dataclasses.replace(pg.statements, rows=tuple(rows))
    return dataclasses.replace(frame, postgres=dataclasses.replace(pg, statements=statements))


def _sig(n: int, digits: int = 3) -> int:
    return int(float(f"{n:.{digits}g}")) if n else n


def _slim_resources(frame: Frame) -> Frame:
    """Per-container figures as the Resources tab shows them: CPU to 0.1 % of a core,
    memory to 3 significant digits, the reading's time to 0.1 s, or AT_TAKEN when it is
    the snapshot's own. The digits below were noise that differed in every frame, for
    every container."""
    res = frame.resources
    if res is None:
        return frame
    out = []
    for c in res.containers:
        out.append(
            dataclasses.replace(
                c,
                cpu=None if c.cpu is None else round(c.cpu, 3),
                mem=None if c.mem is None else _sig(c.mem),
                sampled_at=_sampled_at(c.sampled_at, res.taken_at),
            )
        )
    return dataclasses.replace(frame, resources=dataclasses.replace(res, containers=tuple(out)))


def _sampled_at(at: float | None, taken_at: float) -> float | None:
    if at is None:
        return None
    if abs(at - taken_at) <= SAMPLED_AT_SLACK:
        return AT_TAKEN
    return round(at, SAMPLED_AT_DIGITS)


def unslim(frame: Frame) -> Frame:
    """The stored frame as read back: AT_TAKEN becomes the snapshot's `taken_at`."""
    res = frame.resources
    if res is None or not any(c.sampled_at == AT_TAKEN for c in res.containers):
        return frame
    out = tuple(
        dataclasses.replace(c, sampled_at=res.taken_at) if c.sampled_at == AT_TAKEN else c
        for c in res.containers
    )
    return dataclasses.replace(frame, resources=dataclasses.replace(res, containers=out))

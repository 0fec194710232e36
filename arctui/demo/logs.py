"""Simulated logs of the demo platform: the same interface as DockerLogSource (no Textual).

Each service writes the way its real counterpart does (Traefik and Loki logfmt, Kratos
logrus JSON, Infisical pino JSON with numeric levels, Postgres and Redis plain text,
NATS `[INF]`, the OTel collector zap console, Pulsar log4j with Java stack traces, the
custom app Python logging with a traceback). One request line carries markup and a
terminal-title escape, one a database URL with a password: the tab must show both inert.
Everything derives from the seed and the clock, so a frozen clock gives fixed lines.
"""

# ruff: noqa: E501  (sample log lines read better whole than split)
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from arctui.sources.base import SourceError
from arctui.sources.docker_logs import STDERR, STDOUT, LogRecord, LogTarget, LogWindow

HISTORY_SECONDS = 600
_T = LogTarget


def _targets() -> tuple[LogTarget, ...]:
    names = (
        ("traefik", "arc-heimdall-gateway", 1), ("otel-collector", "arc-widow-otel", 1),
        ("postgres", "arc-oracle-sql", 1), ("redis", "arc-sonic-cache", 1),
        ("nats", "arc-flash-pulse", 1), ("pulsar", "arc-strange-stream", 1),
        ("loki", "arc-watson-logs", 1), ("prometheus", "arc-house-metrics", 1),
        ("jaeger", "arc-columbo-traces", 1), ("grafana", "arc-friday-viz", 1),
        ("kratos", "arc-deckard-identity", 1), ("unleash", "arc-mystique-flags", 1),
        ("infisical", "arc-fury-vault", 1), ("raymond", "arc-platform-raymond-1", 1),
        ("raymond", "arc-platform-raymond-2", 2),
    )  # fmt: skip
    return tuple(
        _T(f"demo{i:02d}", name, service, replica, running=service != "jaeger")
        for i, (service, name, replica) in enumerate(names)
    )


TARGETS = _targets()


def _stamp(ts: float, fmt: str) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime(fmt)


def _lines(service: str, ts: float, rng: random.Random) -> list[tuple[str, str]]:
    """One event of `service` at `ts`: [(stream, text), ...] (several for a trace)."""
    iso = _stamp(ts, "%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"
    roll = rng.random()
    if service == "traefik":
        code, path = rng.choice(((200, "/api/health"), (200, "/v1/items"), (502, "/v1/orders")))
        if roll < 0.04:
            ua = "\x1b]0;pwned\x07[@click=app.quit]free[/] [bold red]x[/nope]"
            return [(STDOUT, f'time="{iso}" level=warn msg="odd request" path=/search ua="{ua}"')]
        level = "error" if code >= 500 else "info"
        ms = rng.randint(2, 900)
        return [(STDOUT, f'time="{iso}" level={level} msg="{code} GET {path}" duration={ms}ms')]
    if service == "otel-collector":
        if roll < 0.15:
            return [
                (
                    STDERR,
                    f"{iso}\twarn\tbatchprocessor@v0.109.0/batch_processor.go:263\t"
                    'Sender failed\t{"kind": "exporter", "name": "loki"}',
                )
            ]
        return [
            (
                STDERR,
                f'{iso}\tinfo\tMetricsExporter\t{{"resource metrics": 1, '
                f'"metrics": {rng.randint(20, 90)}}}',
            )
        ]
    if service == "postgres":
        pg = (
            _stamp(ts, "%Y-%m-%d %H:%M:%S.")
            + f"{int(ts * 1000) % 1000:03d} UTC [{rng.randint(40, 900)}]"
        )
        if roll < 0.1:
            return [
                (
                    STDERR,
                    f'{pg} ERROR:  duplicate key value violates unique constraint "users_email_key"',
                ),
                (STDERR, f"{pg} DETAIL:  Key (email)=(ops@example.com) already exists."),
            ]
        if roll < 0.15:
            return [(STDERR, f'{pg} FATAL:  password authentication failed for user "unleash"')]
        return [(STDERR, f"{pg} LOG:  checkpoint complete: wrote {rng.randint(3, 400)} buffers")]
    if service == "redis":
        rd = _stamp(ts, "%d %b %Y %H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}"
        if roll < 0.1:
            return [(STDOUT, f"1:M {rd} # WARNING Memory overcommit must be enabled!")]
        return [(STDOUT, f"1:M {rd} * {rng.randint(1, 100)} changes in 60 seconds. Saving...")]
    if service == "nats":
        nt = _stamp(ts, "%Y/%m/%d %H:%M:%S.") + f"{int(ts * 1e6) % 1000000:06d}"
        if roll < 0.1:
            return [
                (
                    STDERR,
                    f"[1] {nt} [WRN] 127.0.0.1:51234 - cid:{rng.randint(5, 99)} - Readloop processing time: 2.1s",
                )
            ]
        return [
            (
                STDERR,
                f"[1] {nt} [INF] 127.0.0.1:4222 - cid:{rng.randint(5, 99)} - Client connection created",
            )
        ]
    if service == "pulsar":
        pt = _stamp(ts, "%Y-%m-%dT%H:%M:%S,") + f"{int(ts * 1000) % 1000:03d}+0000"
        if roll < 0.08:
            return [
                (
                    STDOUT,
                    f"{pt} [pulsar-io-4-1] ERROR org.apache.pulsar.broker.service.ServerCnx - Failed to create producer",
                ),
                (
                    STDOUT,
                    "org.apache.pulsar.broker.service.BrokerServiceException$TopicFencedException: Topic is fenced",
                ),
                (
                    STDOUT,
                    "\tat org.apache.pulsar.broker.service.AbstractTopic.addProducer(AbstractTopic.java:512)",
                ),
                (STDOUT, "\tat java.base/java.lang.Thread.run(Thread.java:840)"),
            ]
        return [
            (
                STDOUT,
                f"{pt} [pulsar-web-41-3] INFO  org.eclipse.jetty.server.RequestLog - GET /admin/v2/brokers/health 200",
            )
        ]
    if service in ("loki", "prometheus", "grafana"):
        level = "warn" if roll < 0.1 else ("debug" if roll > 0.9 else "info")
        if service == "grafana":
            return [
                (
                    STDOUT,
                    f"logger=context userId=1 orgId=1 t={iso} level={level} "
                    f'msg="Request Completed" method=GET path=/api/health status=200',
                )
            ]
        msg = "flushing stream" if service == "loki" else "Head GC completed"
        return [
            (
                STDERR,
                f'level={level} ts={iso} caller=manager.go:{rng.randint(100, 900)} msg="{msg}"',
            )
        ]
    if service == "jaeger":
        return [
            (
                STDERR,
                f'{{"level":"fatal","ts":{ts:.3f},"msg":"Failed to init storage factory",'
                '"error":"dial tcp 127.0.0.1:9200: connect: connection refused"}',
            )
        ]
    if service == "kratos":
        level = "error" if roll < 0.08 else "info"
        msg = (
            "An error occurred while handling a request"
            if level == "error"
            else "completed handling request"
        )
        return [
            (
                STDERR,
                f'{{"level":"{level}","msg":"{msg}","http_request":{{"method":"POST",'
                f'"path":"/self-service/login"}},"time":"{iso}"}}',
            )
        ]
    if service == "unleash":
        lvl = "WARN" if roll < 0.1 else "INFO"
        return [
            (
                STDOUT,
                f"[{iso}] [{lvl}] /unleash/dist/lib/services/client-metrics - "
                f"{rng.randint(1, 40)} metrics buckets stored",
            )
        ]
    if service == "infisical":
        num = 50 if roll < 0.05 else 30
        return [
            (
                STDOUT,
                f'{{"level":{num},"time":{int(ts * 1000)},"pid":1,"reqId":"req-{rng.randint(1, 9999)}",'
                f'"msg":"{"secret fetch failed" if num == 50 else "request completed"}"}}',
            )
        ]
    # raymond: Python logging.
    py = _stamp(ts, "%Y-%m-%d %H:%M:%S,") + f"{int(ts * 1000) % 1000:03d}"
    if roll < 0.05:
        return [
            (
                STDERR,
                f"{py} - raymond.api - ERROR - Timeout talking to postgresql://arc:s3cr3t-pw@arc-oracle-sql:5432/arc_db",
            ),
            (STDERR, "Traceback (most recent call last):"),
            (STDERR, '  File "/app/raymond/db.py", line 88, in fetch'),
            (STDERR, "psycopg.errors.QueryCanceled: canceling statement due to statement timeout"),
        ]
    if roll < 0.2:
        return [(STDOUT, f"{py} - raymond.worker - DEBUG - polled 0 jobs")]
    return [(STDOUT, f"{py} - raymond.api - INFO - GET /v1/items 200 {rng.randint(2, 80)}ms")]


class DemoLogSource:
    """The demo platform's logs: a fixed history, then new lines as the clock moves."""

    def __init__(self, seed: int = 7, clock: Callable[[], float] = time.time, rate: float = 3.0):
        self.seed = seed
        self.clock = clock
        self.rate = rate  # events per second across the stack

    def targets(self, services: Sequence[str] = ()) -> list[LogTarget]:
        """The demo containers (of some services)."""
        return [t for t in TARGETS if not services or t.service in services]

    def _second(self, sec: int, targets: Sequence[LogTarget]) -> list[LogRecord]:
        rng = random.Random(self.seed * 1_000_003 + sec)
        out: list[LogRecord] = []
        events = int(self.rate) + (1 if rng.random() < self.rate % 1 else 0)
        for _ in range(events):
            target = rng.choice(TARGETS[:8] + TARGETS[9:])  # jaeger is down
            if rng.random() < 0.02:
                target = TARGETS[8]
            offset = rng.randrange(1_000_000_000)
            for i, (stream, text) in enumerate(_lines(target.service, sec + offset / 1e9, rng)):
                if target in targets:
                    ts = sec * 1_000_000_000 + offset + i * 1000
                    out.append(LogRecord(target, stream, ts, text.encode()))
        return out

    def _between(self, start: int, end: int, services: Sequence[str]) -> list[LogRecord]:
        targets = self.targets(services)
        out: list[LogRecord] = []
        for sec in range(start, end):
            out.extend(self._second(sec, targets))
        out.sort(key=lambda r: r.ts_ns)
        return out

    def history(
        self, services: Sequence[str] = (), window: LogWindow | None = None
    ) -> list[LogRecord]:
        """The last HISTORY_SECONDS of lines within the window, merged."""
        window = window or LogWindow()
        now = int(self.clock())
        out = self._between(now - HISTORY_SECONDS, now, services)
        if window.since_ns:
            out = [r for r in out if r.ts_ns >= window.since_ns]
        if window.tail is not None:
            kept: list[LogRecord] = []
            per: dict[str, int] = {}
            for r in reversed(out):
                if per.get(r.target.id, 0) < window.tail:
                    per[r.target.id] = per.get(r.target.id, 0) + 1
                    kept.append(r)
            out = kept[::-1]
        return out

    def follow(
        self,
        services: Sequence[str],
        window: LogWindow,
        sink: Callable[[list[LogRecord]], None],
        stop: threading.Event,
        on_error: Callable[[SourceError | None], None] | None = None,
    ) -> None:
        """The history, then each second's lines once the clock has passed it."""
        sink(self.history(services, window))  # once, even empty: the history is complete
        done = int(self.clock())
        while not stop.wait(0.25):
            now = int(self.clock())
            if now > done:
                batch = self._between(done, now, services)
                done = now
                if batch:
                    sink(batch)

    def close(self) -> None:
        """Nothing to release."""

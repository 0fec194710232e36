"""What the wizards read, each thing read once per run and only when a wizard asks.

Sources are the existing ones: the stack snapshot (`session.reader`), the health report
(`ops.health`), container logs (`sources.docker_logs`, or the demo's), resource usage
(`session.resources`: OOM events, memory against limits), Postgres (`sources.postgres`)
and `docker exec` (`ops.health.probes.ExecRunner`). Failures become `None` plus a note,
so one unreachable source skips its checks instead of sinking the run. No Textual.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui.models import StackSnapshot
from arctui.ops.doctor.models import Step, StepLog
from arctui.ops.health.models import HealthReport
from arctui.ops.log_source import log_source
from arctui.sources.base import SourceError
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.ops.health.probes import ExecRunner
    from arctui.session import Session
    from arctui.sources.usage import ResourcesSnapshot

LOG_TAIL = 40


class DoctorContext:
    """Lazily read, cached inputs of one doctor run."""

    def __init__(
        self,
        session: Session,
        snapshot: StackSnapshot | None = None,
        on_step: Callable[[str, Step], None] | None = None,
        report: HealthReport | None = None,
    ) -> None:
        self.session = session
        self.on_step = on_step  # called with (wizard id, step) as each check finishes
        self._snapshot = snapshot
        self._report = report  # a health report already built (diagnostics): not again
        self._resources: ResourcesSnapshot | bool | None = False
        self._logs: dict[str, list[str]] = {}
        self._runner: ExecRunner | None = None
        self.notes: list[str] = []

    def step_log(self, wizard: str) -> StepLog:
        """The list a wizard appends its steps to (reported as they come)."""
        on_step = self.on_step
        if on_step is None:
            return StepLog()
        return StepLog(lambda step: on_step(wizard, step))

    @property
    def snapshot(self) -> StackSnapshot:
        """The stack now (raises SourceError when the engine cannot be read)."""
        if self._snapshot is None:
            self._snapshot = self.session.reader.read()
        return self._snapshot

    @property
    def health(self) -> HealthReport:
        """The health report, probes included."""
        if self._report is None:
            from arctui.ops.health.report import build_report

            self._report = build_report(self.session, self.snapshot)
        return self._report

    def resources(self) -> ResourcesSnapshot | None:
        """Usage per container with limits and OOM events (None when unreadable)."""
        if self._resources is False:
            source = self.session.resources
            try:
                self._resources = source.read() if source is not None else None
            except SourceError as exc:
                self.notes.append(f"resource usage not read: {exc.reason}")
                self._resources = None
        return self._resources if not isinstance(self._resources, bool) else None

    def logs(self, service: str, tail: int = LOG_TAIL) -> list[str]:
        """The last `tail` lines of the service's containers, cleaned (oldest first)."""
        if service not in self._logs:
            self._logs[service] = self._read_logs(service, tail)
        return self._logs[service]

    def _read_logs(self, service: str, tail: int) -> list[str]:
        from arctui.sources.docker_logs import LogWindow

        source = log_source(self.session)
        try:
            records = source.history([service], LogWindow(tail=tail))
        except SourceError as exc:
            self.notes.append(f"logs of {service} not read: {exc.reason}")
            return []
        finally:
            with contextlib.suppress(Exception):
                source.close()
        return [one_line(r.data, 400) for r in records[-tail:]]

    @property
    def runner(self) -> ExecRunner:
        """`docker exec` for checks from inside containers."""
        if self._runner is None:
            from arctui.ops.health.probes import ExecRunner

            self._runner = ExecRunner(self.session.engine, timeout=6.0)
        return self._runner

    def exec(self, container_id: str, command: Sequence[str]) -> tuple[int | None, str]:
        """Run a command in a container: (exit code, output); (None, reason) on failure."""
        if self.session.demo:
            return None, "demo platform: nothing runs inside containers"
        try:
            return self.runner.run(container_id, command)
        except SourceError as exc:
            return None, exc.reason

    def postgres_query(self, sql: str) -> list[tuple[Any, ...]] | str:
        """Rows of a monitoring query on the platform's Postgres, or why not."""
        if self.session.demo:
            return [("arc_db",), ("kratos",), ("unleash",), ("postgres",)]
        from arctui.sources.postgres import PgConnection, discover

        environ = dict(os.environ if self.session.environ is None else self.session.environ)
        dsn = self.session.settings.postgres_dsn
        target = discover(self.snapshot, self.session.env_layers, environ, dsn)
        conn = PgConnection(target)
        try:
            return conn.query(sql)
        except SourceError as exc:
            return exc.reason
        finally:
            conn.close()

    @property
    def project_dir(self) -> Path | None:
        """The compose project's directory (None in the demo)."""
        spec = self.session.spec
        return spec.project_dir if spec is not None else None

    def env_value(self, key: str) -> str | None:
        """A value of the layered env files (None when not set there)."""
        layers = self.session.env_layers
        if layers is None:
            return None
        found = layers.values.get(key)
        return found.value if found is not None else None

    def close(self) -> None:
        """Release connections."""
        if self._runner is not None:
            self._runner.close()

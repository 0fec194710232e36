"""The Resources source of an `ssh://` engine: the host's own `arctui agent`, else the API.

cgroups can only be read where the containers run. Over SSH this starts `arctui agent` on
the host through the host's one SSH connection (`SshHost.popen`, a channel of the
master: no new connection) and keeps its latest line; each read returns the newest
snapshot, waiting at most one interval for a line newer than the last one returned, so
the data is never older than about one interval plus the link's latency.

When the agent cannot run there (arctui not installed: exit 127, another wire version),
the Engine API's one-shot stats (the `ResourcesReader` over the forwarded socket) are
used instead, and the snapshot's `mode` says which: "agent: cgroup v2" or
"engine API (no arctui agent on the host: ...)". An agent that ends after it worked (the
link dropped, the host rebooted) is started again with backoff; meanwhile the API reads.
Snapshot times are moved to this machine's clock (receive time), so a skewed remote
clock does not make the data look old or new. No Textual.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from arctui.lazylog import get_logger
from arctui.sources.base import SourceError
from arctui.tabs.resources.models import ResourcesSnapshot, VolumesSnapshot
from arctui.tabs.resources.wire import WireError, decode

if TYPE_CHECKING:
    from arctui.sources.ssh import SshHost
    from arctui.tabs.resources.reader import ResourcesReader

log = get_logger(__name__)

DeclaredLimits = Callable[[], Mapping[str, tuple[int | None, float | None]]]
NOT_INSTALLED = 127  # the shell's "command not found"
RESTART_MIN, RESTART_MAX = 2.0, 60.0


class AgentResources:
    """ResourcesSource over a remote host's `arctui agent`, the API as the fallback."""

    def __init__(
        self,
        project: str,
        host: SshHost,
        fallback: ResourcesReader,
        declared: DeclaredLimits | None = None,
        interval: float = 1.0,
        command: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.project = project
        self.host = host
        self.fallback = fallback
        self.interval = interval
        self._command = command or os.environ.get("ARCTUI_AGENT_COMMAND") or "arctui"
        self._declared_fn = declared
        self._declared: Mapping[str, tuple[int | None, float | None]] = {}
        self._declared_at = -1e9
        self._clock = clock
        self._cond = threading.Condition()
        self._latest: ResourcesSnapshot | None = None
        self._serial = 0  # lines received (the first read waits for one)
        self._proc: subprocess.Popen[bytes] | None = None
        self._unusable: str | None = None  # why the agent cannot run there (for good)
        self._last_error: str | None = None  # the agent's last error line or end
        self._restart_at = 0.0
        self._backoff = 0.0
        self._closed = False
        self.starts = 0
        self.mode = "agent (starting)"
        self.reason = ""  # the last agent failure in full (the mode has it short)

    def argv(self) -> list[str]:
        """What runs on the host."""
        cmd = shlex.split(self._command)
        return [*cmd, "agent", "-p", self.project, "--interval", f"{self.interval:g}"]

    # The agent process ---------------------------------------------------------------
    def _start(self) -> None:
        proc = self.host.popen(self.argv())  # SourceError when the host is unreachable
        self.starts += 1
        with self._cond:
            self._proc = proc
        threading.Thread(target=self._pump, args=(proc,), name="arctui-agent", daemon=True).start()

    def _pump(self, proc: subprocess.Popen[bytes]) -> None:
        """Read the agent's lines until it ends; then say why, for the next read."""
        assert proc.stdout is not None
        got = 0
        for line in proc.stdout:
            try:
                snap = decode(line)
            except WireError as exc:
                if b'"error"' in line[:40]:
                    self._last_error = line.decode("utf-8", "replace")[:300]
                    continue
                self._end(proc, "agent output not understood", f"{exc}", final=True)
                return
            got += 1
            received = self._clock()
            with self._cond:
                self._latest = _rebased(snap, received)
                self._serial += 1
                self._backoff = 0.0
                self._cond.notify_all()
        code = proc.wait()
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        last = err.strip().splitlines()[-1][:200] if err.strip() else f"exit {code}"
        if not got and (code == NOT_INSTALLED or "not found" in err):
            self._end(proc, "no arctui agent on the host", last, final=True)
        else:
            self._end(proc, "the agent ended", last, final=False)

    def _end(self, proc: subprocess.Popen[bytes], why: str, detail: str, final: bool) -> None:
        """The agent is gone: `why` goes into the mode (short, on screen), `detail` into
        `reason` and the diagnostics log."""
        log.info("resources over ssh %s: %s: %s", self.host.url, why, detail)
        self.reason = f"{why}: {detail}"
        with self._cond:
            if final:
                self._unusable = why
            self._last_error = why
            if self._proc is proc:
                self._proc = None
            self._backoff = min(RESTART_MAX, max(RESTART_MIN, self._backoff * 2))
            self._restart_at = time.monotonic() + self._backoff
            self._cond.notify_all()
        _stop(proc)

    def _ensure_agent(self) -> None:
        with self._cond:
            if self._closed or self._unusable or self._proc is not None:
                return
            if time.monotonic() < self._restart_at:
                return
        self._start()

    # ResourcesSource -----------------------------------------------------------------
    def read(self) -> ResourcesSnapshot:
        """The newest figures: the agent's, else the API's. Raises SourceError."""
        try:
            self._ensure_agent()
        except SourceError:
            raise  # the host is unreachable: the API could not read either
        deadline = time.monotonic() + self.host.timeout + 5
        with self._cond:  # only the agent's first line is waited for: later reads take
            while (  # the newest line at once (never older than one interval)
                self._serial == 0
                and self._proc is not None
                and (remaining := deadline - time.monotonic()) > 0
            ):
                self._cond.wait(remaining)
            latest, running = self._latest, self._proc is not None
            why = self._unusable or self._last_error
        fresh = latest is not None and self._clock() - latest.taken_at < 3 * self.interval + 5
        if running and fresh and latest is not None:
            self.fallback.events.drain()  # the fallback is idle: its queue must not grow
            self.mode = f"agent: {latest.mode}"
            return self._declare(dataclasses.replace(latest, mode=self.mode))
        snap = self.fallback.read()
        self.mode = f"engine API ({why or 'the agent is starting'})"
        return dataclasses.replace(snap, mode=self.mode)

    def _declare(self, snap: ResourcesSnapshot) -> ResourcesSnapshot:
        """The compose files' limits (read here, from the compose model) on each row."""
        if self._declared_fn is not None and time.monotonic() - self._declared_at > 30:
            self._declared_at = time.monotonic()
            try:
                self._declared = dict(self._declared_fn())
            except Exception:  # compose config failing is the Services tab's news
                self._declared = {}
        if not self._declared:
            return snap
        rows = []
        for row in snap.containers:
            mem, cpu = self._declared.get(row.service, (None, None))
            rows.append(dataclasses.replace(row, declared_mem_limit=mem, declared_cpu_limit=cpu))
        return dataclasses.replace(snap, containers=tuple(rows))

    def volumes(self) -> VolumesSnapshot:
        """Volume sizes from the engine (`/system/df`, over the same connection)."""
        return self.fallback.volumes()

    def follow_events(self, on_change: Callable[[str], None], stop: threading.Event) -> None:
        """The engine's events (OOM kills, starts) through the fallback's subscription."""
        self.fallback.follow_events(on_change, stop)

    def backfill(self, seconds: float) -> list[ResourcesSnapshot]:
        """A real host has no past to offer."""
        return []

    def close(self) -> None:
        """Stop the agent (its ssh client: the remote end gets a closed pipe) and the API."""
        with self._cond:
            self._closed = True
            proc, self._proc = self._proc, None
            self._cond.notify_all()
        if proc is not None:
            _stop(proc)
        self.fallback.close()


def _rebased(snap: ResourcesSnapshot, received: float) -> ResourcesSnapshot:
    """The snapshot on this machine's clock: taken when it arrived."""
    shift = received - snap.taken_at
    rows = tuple(
        dataclasses.replace(c, sampled_at=c.sampled_at + shift) if c.sampled_at is not None else c
        for c in snap.containers
    )
    return dataclasses.replace(snap, containers=rows, taken_at=received)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    from arctui.sources.procs import stop_group

    if proc.poll() is None:
        stop_group(proc, grace=2.0, first=signal.SIGTERM)

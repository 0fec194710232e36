"""Running an action's command: output streamed line by line, cancellable as a group.

The command runs in its own session (`start_new_session=True`), so it and every child
(`docker` starts the `docker-compose` plugin as a child process) share one process
group. Cancelling signals that group: SIGINT first, like Ctrl+C in a shell, so compose
can stop cleanly; SIGKILL for whatever is left after a grace period. No Textual here.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from arctui.sources import procs
from arctui.text import clean

OUTPUT_TAIL = 40  # lines kept in the result (the UI shows the full stream live)
LINE_LIMIT = 4000
CANCEL_GRACE = 5.0  # seconds between SIGINT and SIGKILL


class Outcome(StrEnum):
    """How an attempt ended."""

    OK = "ok"
    FAILED = "failed"
    CANCELLED = "cancelled"  # stopped by the operator while running
    REFUSED = "refused"  # arctui would not run it (read-only, drift, wrong typed name ...)
    DECLINED = "declined"  # the operator said no at the confirmation
    SIMULATED = "simulated"  # demo platform: nothing ran on an engine


@dataclass(frozen=True)
class ActionResult:
    """What happened: outcome, exit code, how long, the last lines of output."""

    outcome: Outcome
    exit_code: int | None
    duration: float
    output: tuple[str, ...] = ()
    message: str = ""

    @property
    def ok(self) -> bool:
        """True when the command ran and succeeded (or the demo simulated it)."""
        return self.outcome in (Outcome.OK, Outcome.SIMULATED)


def stop_group(proc: subprocess.Popen[bytes], grace: float = CANCEL_GRACE) -> None:
    """SIGINT the process group, then SIGKILL what remains after `grace` seconds."""
    procs.stop_group(proc, grace)


def run_action(
    command: Sequence[str],
    on_output: Callable[[str], None],
    cancel: threading.Event,
    cwd: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ActionResult:
    """Run `command`, calling `on_output` with each sanitized line, until done or cancelled."""
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=OUTPUT_TAIL)
    try:
        proc = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(environ) if environ is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        message = f"cannot run {command[0]}: {exc.strerror or exc}"
        on_output(message)
        return ActionResult(Outcome.FAILED, None, time.monotonic() - started, (message,), message)

    def pump() -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            line = clean(raw.rstrip(b"\r\n"), LINE_LIMIT)
            tail.append(line)
            with contextlib.suppress(Exception):  # a closed UI must not kill the reader
                on_output(line)

    reader = threading.Thread(target=pump, name="arctui-action-output", daemon=True)
    reader.start()
    cancelled = False
    while proc.poll() is None:
        if cancel.wait(0.1):
            cancelled = True
            stop_group(proc)
            break
    proc.wait()
    reader.join(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()
    duration = time.monotonic() - started
    code = proc.returncode
    if cancelled:
        message = "cancelled: the command's process group was stopped"
        return ActionResult(Outcome.CANCELLED, code, duration, tuple(tail), message)
    if code == 0:
        return ActionResult(Outcome.OK, 0, duration, tuple(tail), "exit code 0")
    lines = [t for t in tail if t.strip()]
    message = f"exit code {code}" + (f": {lines[-1]}" if lines else "")
    return ActionResult(Outcome.FAILED, code, duration, tuple(tail), message)


def run_interactive(command: Sequence[str], environ: Mapping[str, str] | None) -> ActionResult:
    """Run a command on the terminal (a shell): no capture, the operator drives it."""
    started = time.monotonic()
    try:
        code = subprocess.run(
            list(command), env=dict(environ) if environ is not None else None, check=False
        ).returncode
    except OSError as exc:
        message = f"cannot run {command[0]}: {exc.strerror or exc}"
        return ActionResult(Outcome.FAILED, None, time.monotonic() - started, (), message)
    # 126/127: the shell could not be started in the container (no `sh` in the image).
    outcome = Outcome.FAILED if code in (126, 127) else Outcome.OK
    return ActionResult(outcome, code, time.monotonic() - started, (), f"exit code {code}")

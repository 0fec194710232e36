"""Captured subprocesses with a timeout that stops the whole process group.

`subprocess.run(timeout=...)` kills only the child it started. `docker compose` is
`docker` starting the `docker-compose` plugin as its own child: killing `docker` left the
plugin running with parent PID 1 (140 % CPU and 2 GB after a YAML alias bomb). Here the
child starts in its own session, so it and everything it forks share one process group,
and a timeout, Ctrl+C or any other exit while it runs kills that group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_group(
    proc: subprocess.Popen[str] | subprocess.Popen[bytes],
    grace: float = 5.0,
    first: signal.Signals | None = signal.SIGINT,
) -> None:
    """Send `first` to the process group `proc` leads, then SIGKILL what remains after
    `grace` seconds (`first=None`: SIGKILL at once); the one shape of every group kill."""
    pgid = proc.pid  # the leader of a new session: its pid is the group id
    if first is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, first)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()  # reap the leader, or it would keep the group alive as a zombie
            if proc.returncode is not None and not _group_alive(pgid):
                return
            time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def kill_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group `proc` leads (a capture has nothing to shut down cleanly)."""
    stop_group(proc, first=None)


def run_captured(
    argv: Sequence[str],
    timeout: float,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(capture_output=True)` whose timeout kills the group.

    Raises OSError when it cannot start, subprocess.TimeoutExpired after killing the group.
    """
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",  # outside output: undecodable bytes must not raise
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:  # the timeout, KeyboardInterrupt, a thread being torn down
        kill_group(proc)
        with contextlib.suppress(Exception):
            proc.communicate(timeout=5)  # close the pipes
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

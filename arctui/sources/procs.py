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
from collections.abc import Mapping, Sequence
from pathlib import Path


def kill_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group `proc` leads (a capture has nothing to shut down cleanly)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # the leader of a new session: pid == pgid
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


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

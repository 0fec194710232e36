"""Running outside commands for backups: timeouts, cancellation, sanitized errors."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from arctui.ops.runner import stop_group
from arctui.text import clean

Progress = Callable[[str], None]


def no_progress(_line: str) -> None:
    """A progress callback that ignores everything."""


class BackupError(Exception):
    """A backup step failed: `reason` is one line, `fix` a hint for the operator."""

    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


class Cancelled(BackupError):
    """The operator cancelled the run."""


@dataclass(frozen=True)
class Completed:
    """What a command left behind."""

    command: tuple[str, ...]
    code: int
    stdout: bytes
    stderr: str
    duration: float

    @property
    def ok(self) -> bool:
        """True on exit code 0."""
        return self.code == 0

    def why(self) -> str:
        """One line: the exit code and the last non-empty stderr line."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        marked = [x for x in lines if x.startswith(("ERROR", "FATAL", "error", "pg_"))]
        tail = f": {(marked or lines)[-1]}" if lines else ""
        return f"{self.command[0]} exited {self.code}{tail}"


def shown(command: Sequence[str]) -> str:
    """The command as an operator would type it."""
    return shlex.join(command)


def run(
    command: Sequence[str],
    *,
    timeout: float,
    environ: Mapping[str, str] | None = None,
    stdin: Path | IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
    cancel: threading.Event | None = None,
    on_tick: Callable[[], None] | None = None,
) -> Completed:
    """Run `command`; stdout to `stdout` (else captured), stderr captured (capped).

    Raises BackupError when it cannot start or outlives `timeout`, Cancelled when
    `cancel` is set; the whole process group is stopped in both cases.
    """
    started = time.monotonic()
    env = dict(environ) if environ is not None else None
    opened: IO[bytes] | None = None
    try:
        source: IO[bytes] | int = subprocess.DEVNULL
        if isinstance(stdin, Path):
            opened = stdin.open("rb")
            source = opened
        elif stdin is not None:
            source = stdin
        proc = subprocess.Popen(
            list(command),
            env=env,
            stdin=source,
            stdout=stdout if stdout is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        if opened:
            opened.close()
        raise BackupError(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []

    def pump(stream: IO[bytes] | None, into: list[bytes], cap: int) -> None:
        if stream is None:
            return
        size = 0
        for block in iter(lambda: stream.read(65536), b""):
            if size < cap:
                into.append(block)
                size += len(block)

    threads = [threading.Thread(target=pump, args=(proc.stderr, err_chunks, 256 * 1024))]
    if stdout is None:
        threads.append(threading.Thread(target=pump, args=(proc.stdout, out_chunks, 64 << 20)))
    for t in threads:
        t.daemon = True
        t.start()
    deadline = started + timeout
    next_tick = started + 1.0
    try:
        while proc.poll() is None:
            if on_tick is not None and time.monotonic() >= next_tick:
                next_tick += 1.0
                with contextlib.suppress(Exception):
                    on_tick()
            if cancel is not None and cancel.wait(0.05):
                stop_group(proc, grace=2.0)
                raise Cancelled(f"cancelled: {command[0]} was stopped")
            if cancel is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.05)
            if time.monotonic() > deadline and proc.poll() is None:
                stop_group(proc, grace=2.0)
                raise BackupError(
                    f"{command[0]} did not finish within {timeout:.0f} s and was stopped"
                )
    finally:
        for t in threads:
            t.join(timeout=5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        if opened:
            opened.close()
    return Completed(
        tuple(command),
        proc.returncode,
        b"".join(out_chunks),
        clean(b"".join(err_chunks), 8000),
        time.monotonic() - started,
    )


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()

"""Postgres: taking a dump (`pg_dump -Fc`, or plain SQL gzipped here while it streams)."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from arctui import units
from arctui.ops.backups import postgres as pg
from arctui.ops.backups.common import BackupError, Completed, Progress, run
from arctui.ops.backups.postgres import conn_args
from arctui.ops.backups.targets import Target

DUMP_TIMEOUT = 6 * 3600.0


def dump_command(target: Target) -> list[str]:
    """The exact pg_dump command (custom format, compressed)."""
    return [*target.exec_args(), "pg_dump", "-Fc", *conn_args(target)]


def sql_dump_command(target: Target) -> list[str]:
    """The exact pg_dump command for format "sql": plain SQL, with its DROP ... IF EXISTS."""
    return [*target.exec_args(), "pg_dump", "-Fp", "--clean", "--if-exists", *conn_args(target)]


def dump(
    target: Target,
    dest: Path,
    environ: Mapping[str, str] | None,
    progress: Progress,
    cancel: threading.Event | None,
    fmt: str = "custom",
) -> float:
    """Run pg_dump into `dest` (created 0600, must not exist), fsynced. Returns seconds."""
    command = sql_dump_command(target) if fmt == "sql" else dump_command(target)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        packer = _GzipSink(out) if fmt == "sql" else None

        def tick() -> None:
            sql = "" if packer is None else f"{units.size(packer.sql_bytes)} of SQL, "
            what = "written" if packer is None else "gzipped"
            progress(f"pg_dump: {sql}{units.size(out.tell())} {what}")

        try:
            done = run(
                command,
                timeout=DUMP_TIMEOUT,
                environ=target.environ(environ),
                stdout=packer.pipe if packer else out,
                cancel=cancel,
                on_tick=tick,
            )
        finally:
            if packer is not None:
                packer.finish()
        out.flush()
        os.fsync(out.fileno())
    if packer is not None and packer.failure:
        raise BackupError(packer.failure)
    if not done.ok:
        raise BackupError(f"pg_dump failed: {done.why()}")
    if packer is not None and (errors := dump_errors(done)):
        raise BackupError(f"pg_dump exited 0 but reported an error: {errors[-1]}")
    if (packer.sql_bytes if packer else dest.stat().st_size) == 0:
        raise BackupError("pg_dump exited 0 but wrote nothing")
    return done.duration


class _GzipSink:
    """A pipe (pg_dump's stdout) whose other end is gzipped into `out` on a thread."""

    def __init__(self, out: IO[bytes]) -> None:
        import gzip

        read_end, write_end = os.pipe()
        self.pipe = os.fdopen(write_end, "wb", buffering=0)
        self.sql_bytes = 0
        self.failure = ""
        self._packed = gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6)
        self._thread = threading.Thread(
            target=self._pump, args=(os.fdopen(read_end, "rb"),), name="arctui-gzip", daemon=True
        )
        self._thread.start()

    def _pump(self, source: IO[bytes]) -> None:
        try:
            with source:  # closed on a failure: pg_dump then stops on a broken pipe
                for block in iter(lambda: source.read(pg.BLOCK), b""):
                    self._packed.write(block)
                    self.sql_bytes += len(block)
        except OSError as exc:  # disk full
            self.failure = f"writing the gzip file failed: {exc.strerror or exc}"

    def finish(self) -> None:
        """After pg_dump exited: close our end, wait for the rest, write the gzip trailer."""
        self.pipe.close()
        self._thread.join()
        if not self.failure:
            try:
                self._packed.close()
            except OSError as exc:
                self.failure = f"writing the gzip file failed: {exc.strerror or exc}"


def dump_errors(done: Completed) -> list[str]:
    """Error lines pg_dump printed (it may print them and still exit 0 through a pipe)."""
    marks = ("pg_dump: error", "pg_dump: fatal", "ERROR:", "FATAL:")
    return [x.strip() for x in done.stderr.splitlines() if x.strip().startswith(marks)]

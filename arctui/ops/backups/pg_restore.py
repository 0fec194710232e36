"""Postgres: restoring a backup in one transaction (pg_restore, or psql for plain SQL)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from arctui.ops.backups import postgres as pg
from arctui.ops.backups.common import BackupError, Progress, run
from arctui.ops.backups.postgres import conn_args, psql, quote_literal
from arctui.ops.backups.targets import Target

RESTORE_TIMEOUT = 6 * 3600.0
LOCK_WAIT = 60.0  # seconds a restore may wait on a lock another session holds
RESTORE_APP = "arctui-restore"
# A plain dump restored with --single-transaction is COMMITTED when psql reaches the end
# of its input, and a killed `docker exec` or a damaged file ends it early. So the SQL is
# fed between these: a deferred foreign key that only the last line satisfies, so the
# COMMIT of a partial stream fails and everything is rolled back.
_GUARD_BEGIN = (
    b"CREATE TEMP TABLE arctui_restore_done (id int PRIMARY KEY) ON COMMIT DROP;\n"
    b"CREATE TEMP TABLE arctui_restore_guard (id int REFERENCES arctui_restore_done"
    b" DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP;\n"
    b"INSERT INTO arctui_restore_guard VALUES (1);\n"
)
_GUARD_END = b"\nINSERT INTO pg_temp.arctui_restore_done VALUES (1);\n"


def restore_command(target: Target, database: str | None = None, clean: bool = True) -> list[str]:
    """pg_restore into a database: all or nothing (one transaction, stop at the first error)."""
    exec_args = target.exec_args(stdin=True)
    # Named, so the lock watchdog can find it (the archive itself sets lock_timeout = 0,
    # so PGOPTIONS cannot bound lock waits).
    exec_args[-1:-1] = ["-e", f"PGAPPNAME={RESTORE_APP}"]
    args = [*exec_args, "pg_restore", *conn_args(target, database)]
    if clean:
        args += ["--clean", "--if-exists"]
    return [*args, "--exit-on-error", "--single-transaction"]


def restore_sql_command(target: Target, database: str | None = None) -> list[str]:
    """psql for a plain dump: all or nothing (one transaction, stop at the first error)."""
    exec_args = target.exec_args(stdin=True)
    exec_args[-1:-1] = ["-e", f"PGAPPNAME={RESTORE_APP}"]
    return [
        *exec_args,
        "psql",
        *conn_args(target, database),
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "--single-transaction",
    ]


class _SqlFeed:
    """The decompressed SQL, between the guard lines, into a pipe (psql's stdin)."""

    def __init__(self, path: Path) -> None:
        read_end, write_end = os.pipe()
        self.reader = os.fdopen(read_end, "rb")
        self.error = ""
        self._thread = threading.Thread(
            target=self._pump, args=(path, os.fdopen(write_end, "wb")), daemon=True
        )
        self._thread.start()

    def _pump(self, path: Path, writer: IO[bytes]) -> None:
        import gzip
        import zlib

        try:
            with writer as out, gzip.open(path, "rb") as sql:
                out.write(_GUARD_BEGIN)
                for block in iter(lambda: sql.read1(pg.BLOCK), b""):  # as it comes
                    out.write(block)
                out.write(_GUARD_END)
        except BrokenPipeError:
            pass  # psql stopped reading: its own exit status says why
        except (OSError, EOFError, zlib.error) as exc:
            self.error = f"the backup could not be decompressed ({exc})"

    def close(self) -> None:
        """Close psql's end (a writer blocked on a full pipe then fails) and wait."""
        self.reader.close()
        self._thread.join(timeout=30)


def restore(
    target: Target,
    path: Path,
    environ: Mapping[str, str] | None,
    cancel: threading.Event | None,
    progress: Progress,
    database: str | None = None,
    clean: bool = True,
    fmt: str = "custom",
) -> float:
    """Restore a backup; one transaction, so a failure leaves the database as it was.

    A "sql" backup carries its own `DROP ... IF EXISTS` lines, whatever `clean` says.
    """
    tool = "psql" if fmt == "sql" else "pg_restore"
    progress(f"{tool} into {database or target.database} (one transaction)")
    watchdog = LockWatchdog(target, environ, database)
    feed = _SqlFeed(path) if fmt == "sql" else None
    try:
        done = run(
            restore_sql_command(target, database)
            if feed
            else restore_command(target, database, clean),
            timeout=RESTORE_TIMEOUT,
            environ=target.environ(environ),
            stdin=feed.reader if feed else path,
            cancel=cancel,
            on_tick=watchdog.tick,
        )
    finally:
        if feed:
            feed.close()
    why = (feed.error if feed else "") or watchdog.blocked or ("" if done.ok else done.why())
    if why:
        raise BackupError(
            f"{tool} failed, the transaction was rolled back: {why}",
            "the database is as it was before the restore",
        )
    return done.duration


class LockWatchdog:
    """Cancels a restore that waited LOCK_WAIT seconds on another session's lock."""

    def __init__(
        self, target: Target, environ: Mapping[str, str] | None, database: str | None
    ) -> None:
        self.target, self.environ, self.database = target, environ, database
        self.blocked = ""
        self._last = 0.0

    def tick(self) -> None:
        """Called every second while pg_restore runs; checks every 5 s."""
        now = time.monotonic()
        if self.blocked or now - self._last < 5:
            return
        self._last = now
        sql = (
            "SELECT a.pid, extract(epoch FROM now() - a.state_change)::int,"
            " (SELECT string_agg(b.pid || ' (' || coalesce(nullif(b.application_name, ''),"
            " b.usename) || ': ' || left(b.query, 60) || ')', ', ')"
            " FROM pg_stat_activity b WHERE b.pid = ANY(pg_blocking_pids(a.pid)))"
            f" FROM pg_stat_activity a WHERE a.application_name = {quote_literal(RESTORE_APP)}"
            " AND a.wait_event_type = 'Lock'"
        )
        try:
            out = psql(self.target, sql, self.environ, self.database)
        except BackupError:
            return
        for line in out.splitlines():
            pid, _, rest = line.partition("|")
            waited, _, blockers = rest.partition("|")
            if waited.isdigit() and int(waited) >= LOCK_WAIT:
                self.blocked = (
                    f"it waited {waited} s for a lock held by {blockers or 'another session'};"
                    " the restore was cancelled"
                )
                psql(
                    self.target,
                    f"SELECT pg_cancel_backend({int(pid)})",
                    self.environ,
                    self.database,
                )
                return

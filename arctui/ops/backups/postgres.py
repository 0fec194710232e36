"""Postgres: `pg_dump -Fc` inside the container, verified with the container's own pg_restore.

Running the tools inside the Postgres container means their version always matches
the server (an older host pg_restore cannot read a newer archive), and nothing has to
be installed where arctui runs. The connection is the one the server itself announces
in `postmaster.pid` (socket directory and port), so the official image and a custom
entrypoint both work. The password, when there is one, reaches pg_dump as PGPASSWORD
through `docker exec -e`, never on a command line.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from arctui.ops.backups.common import BackupError, Progress, run, sha256_file
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import Target

DUMP_TIMEOUT = 6 * 3600.0
VERIFY_TIMEOUT = 6 * 3600.0
SQL_TIMEOUT = 120.0
LOCK_WAIT = 60.0  # seconds a restore may wait on a lock another session holds
RESTORE_APP = "arctui-restore"
_VERSION = re.compile(r"^;\s+Dumped from database version:\s*(\S+)", re.M)
_TABLE_DATA = re.compile(r"^\d+;\s*\d+\s+\d+\s+TABLE DATA\s+(\S+)\s+(\S+)\s", re.M)


def conn_args(target: Target, database: str | None = None) -> list[str]:
    """`-h <socket dir> -p <port> -U <user> -d <db> -w` as the server announces itself."""
    args = []
    if target.host:
        args += ["-h", target.host]
    if target.port:
        args += ["-p", str(target.port)]
    return [*args, "-U", target.db_user, "-d", database or target.database, "-w"]


def dump_command(target: Target) -> list[str]:
    """The exact pg_dump command (custom format, compressed)."""
    return [*target.exec_args(), "pg_dump", "-Fc", *conn_args(target)]


def dump(
    target: Target,
    dest: Path,
    environ: Mapping[str, str] | None,
    progress: Progress,
    cancel: threading.Event | None,
) -> float:
    """Run pg_dump into `dest` (created 0600, must not exist), fsynced. Returns seconds."""
    command = dump_command(target)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:

        def tick() -> None:
            progress(f"pg_dump: {out.tell() / 1e6:.1f} MB written")

        done = run(
            command,
            timeout=DUMP_TIMEOUT,
            environ=target.environ(environ),
            stdout=out,
            cancel=cancel,
            on_tick=tick,
        )
        out.flush()
        os.fsync(out.fileno())
    if not done.ok:
        raise BackupError(f"pg_dump failed: {done.why()}")
    if dest.stat().st_size == 0:
        raise BackupError("pg_dump exited 0 but wrote nothing")
    return done.duration


def verify_archive(
    target: Target,
    path: Path,
    environ: Mapping[str, str] | None,
    progress: Progress,
    cancel: threading.Event | None = None,
) -> tuple[str, tuple[str, ...], str]:
    """`pg_restore --list` then a full `pg_restore -f /dev/null` read, in the container.

    Returns (server version, tables with data, detail). Raises BackupError: a truncated
    archive passes --list but fails the full read.
    """
    env = target.environ(environ)
    progress("verifying: pg_restore --list")
    listed = run(
        [*target.exec_args(stdin=True), "pg_restore", "--list"],
        timeout=VERIFY_TIMEOUT,
        environ=env,
        stdin=path,
        cancel=cancel,
    )
    if not listed.ok:
        raise BackupError(f"verification failed: pg_restore --list: {listed.why()}")
    text = listed.stdout.decode(errors="replace")
    if "Archive created at" not in text:
        raise BackupError("verification failed: pg_restore --list printed no archive header")
    version = m.group(1) if (m := _VERSION.search(text)) else ""
    tables = tuple(f"{s}.{t}" for s, t in _TABLE_DATA.findall(text))
    progress("verifying: full read (pg_restore -f /dev/null)")
    full = run(
        [*target.exec_args(stdin=True), "pg_restore", "-f", "/dev/null"],
        timeout=VERIFY_TIMEOUT,
        environ=env,
        stdin=path,
        cancel=cancel,
    )
    if not full.ok:
        raise BackupError(f"verification failed: full read: {full.why()}")
    detail = f"pg_restore --list and a full read OK; {len(tables)} tables with data"
    return version, tables, detail


def reverify(
    target: Target,
    path: Path,
    manifest: Manifest,
    environ: Mapping[str, str] | None,
    progress: Progress,
) -> Manifest:
    """Checksum, then the archive checks again; the manifest with the new verdict."""
    progress("checking sha256")
    digest = sha256_file(path)
    now = time.time()
    if digest != manifest.sha256:
        detail = f"sha256 mismatch: file {digest[:12]}…, manifest {manifest.sha256[:12]}…"
        return replace(manifest, verified=False, verify_detail=detail, verified_at=now)
    try:
        _, _, detail = verify_archive(target, path, environ, progress)
    except BackupError as exc:
        return replace(manifest, verified=False, verify_detail=exc.reason, verified_at=now)
    return replace(manifest, verified=True, verify_detail=f"sha256 OK; {detail}", verified_at=now)


def psql(
    target: Target, sql: str, environ: Mapping[str, str] | None, database: str | None = None
) -> str:
    """Run one SQL text with psql -v ON_ERROR_STOP=1 -At; its output. Raises BackupError."""
    done = run(
        [
            *target.exec_args(),
            "psql",
            *conn_args(target, database),
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-c",
            sql,
        ],
        timeout=SQL_TIMEOUT,
        environ=target.environ(environ),
    )
    if not done.ok:
        raise BackupError(f"psql failed: {done.why()}")
    return done.stdout.decode(errors="replace")


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


def restore(
    target: Target,
    path: Path,
    environ: Mapping[str, str] | None,
    cancel: threading.Event | None,
    progress: Progress,
    database: str | None = None,
    clean: bool = True,
) -> float:
    """Restore an archive; one transaction, so a failure leaves the database as it was."""
    progress(f"pg_restore into {database or target.database} (one transaction)")
    watchdog = LockWatchdog(target, environ, database)
    done = run(
        restore_command(target, database, clean),
        timeout=VERIFY_TIMEOUT,
        environ=target.environ(environ),
        stdin=path,
        cancel=cancel,
        on_tick=watchdog.tick,
    )
    if not done.ok:
        why = watchdog.blocked or done.why()
        raise BackupError(
            f"pg_restore failed, the transaction was rolled back: {why}",
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


def quote_ident(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def row_counts(target: Target, environ: Mapping[str, str] | None, database: str) -> dict[str, int]:
    """Exact count(*) of every user table of `database`, by quoted `schema.table`."""
    listing = psql(
        target,
        "SELECT quote_ident(schemaname) || '.' || quote_ident(relname)"
        " FROM pg_stat_user_tables ORDER BY 1",
        environ,
        database,
    )
    tables = [line for line in listing.splitlines() if line.strip()]
    if not tables:
        return {}
    parts = [f"SELECT {quote_literal(t)}, count(*) FROM {t}" for t in tables]
    out = psql(target, " UNION ALL ".join(parts), environ, database)
    counts = {}
    for line in out.splitlines():
        name, _, count = line.rpartition("|")
        if name and count.isdigit():
            counts[name] = int(count)
    return counts


def quote_literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"

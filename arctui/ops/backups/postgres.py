"""Postgres: `pg_dump -Fc` inside the container, verified with the container's own pg_restore.

Format "sql" (the guide's `pg_dump | gzip`): plain pg_dump output (with `--clean
--if-exists`, so it restores over the live database as `pg_restore --clean` does),
gzipped here in Python while it streams; verified here too (the whole gzip stream with
its CRC, the pg_dump header and its "dump complete" trailer) and restored with `psql
-v ON_ERROR_STOP=1 --single-transaction`, fed the decompressed SQL through a pipe.

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
from typing import IO

from arctui import units
from arctui.ops.backups.common import (
    BackupError,
    Cancelled,
    Completed,
    Progress,
    no_progress,
    run,
    sha256_file,
)
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import Target

DUMP_TIMEOUT = 6 * 3600.0
VERIFY_TIMEOUT = 6 * 3600.0
SQL_TIMEOUT = 120.0
LOCK_WAIT = 60.0  # seconds a restore may wait on a lock another session holds
RESTORE_APP = "arctui-restore"
_VERSION = re.compile(r"^;\s+Dumped from database version:\s*(\S+)", re.M)
_TABLE_DATA = re.compile(r"^\d+;\s*\d+\s+\d+\s+TABLE DATA\s+(\S+)\s+(\S+)\s", re.M)
SQL_HEADER = b"--\n-- PostgreSQL database dump\n"
SQL_TRAILER = "-- PostgreSQL database dump complete"
_SQL_VERSION = re.compile(rb"^-- Dumped from database version (\S+)", re.M)
_SQL_DATA = re.compile(rb"^-- Data for Name: ([^;\n]*); Type: TABLE DATA; Schema: ([^;\n]*);", re.M)
_BLOCK = 1 << 20
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
                for block in iter(lambda: source.read(_BLOCK), b""):
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


def verify_sql(
    path: Path, progress: Progress = no_progress, cancel: threading.Event | None = None
) -> tuple[str, tuple[str, ...], str]:
    """Read the whole .sql.gz here: gzip stream and CRC, pg_dump header, "dump complete".

    Returns (server version, tables with data, detail); raises BackupError with the reason.
    """
    import gzip
    import zlib

    progress("verifying: full gzip read (CRC), pg_dump header and trailer")
    head, tail, carry, size = b"", b"", b"", 0
    tables: list[str] = []
    try:
        with gzip.open(path, "rb") as f:
            for block in iter(lambda: f.read(_BLOCK), b""):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("cancelled: verification stopped")
                size += len(block)
                if len(head) < 4096:
                    head += block[: 4096 - len(head)]
                text = carry + block
                cut = text.rfind(b"\n") + 1
                carry = text[cut:][-65536:]
                for hit in _SQL_DATA.finditer(text, 0, cut):
                    schema, table = hit.group(2, 1)
                    tables.append(
                        f"{schema.decode(errors='replace')}.{table.decode(errors='replace')}"
                    )
                tail = (tail + block)[-4096:]
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"verification failed: the gzip stream is damaged: {exc}") from None
    if not head.startswith(SQL_HEADER):
        raise BackupError(
            "verification failed: no pg_dump header ('-- PostgreSQL database dump') at the start"
        )
    if not _complete(tail):
        raise BackupError(
            "verification failed: the dump is incomplete (no '-- PostgreSQL database dump"
            " complete' at the end)"
        )
    version = m.group(1).decode(errors="replace") if (m := _SQL_VERSION.search(head)) else ""
    detail = (
        f"full gzip read with CRC OK, {units.size(size)} of SQL from the pg_dump header to"
        f" 'dump complete'; {len(tables)} tables with data"
    )
    return version, tuple(tables), detail


def _complete(tail: bytes) -> bool:
    """The last meaningful line is pg_dump's "dump complete" (`\\unrestrict` may follow)."""
    lines = [x.strip() for x in tail.decode(errors="replace").splitlines()]
    meaningful = [x for x in lines if x not in ("", "--") and not x.startswith("\\unrestrict")]
    return bool(meaningful) and meaningful[-1] == SQL_TRAILER


def verify(
    target: Target,
    path: Path,
    environ: Mapping[str, str] | None,
    progress: Progress,
    cancel: threading.Event | None = None,
    fmt: str = "custom",
) -> tuple[str, tuple[str, ...], str]:
    """The checks of `fmt`: verify_sql for "sql", else verify_archive (in the container)."""
    if fmt == "sql":
        return verify_sql(path, progress, cancel)
    return verify_archive(target, path, environ, progress, cancel)


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
        _, _, detail = verify(target, path, environ, progress, fmt=manifest.format)
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
                for block in iter(lambda: sql.read1(_BLOCK), b""):  # as it comes
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
            timeout=VERIFY_TIMEOUT,
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

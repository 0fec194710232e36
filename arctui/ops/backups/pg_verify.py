"""Postgres: checking a backup (the archive in the container, or the .sql.gz here)."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path

from arctui import units
from arctui.ops.backups import postgres as pg
from arctui.ops.backups.common import (
    BackupError,
    Cancelled,
    Completed,
    Progress,
    no_progress,
    run,
)
from arctui.ops.backups.publish import recheck
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import Target

VERIFY_TIMEOUT = 6 * 3600.0
_VERSION = re.compile(r"^;\s+Dumped from database version:\s*(\S+)", re.M)
_TABLE_DATA = re.compile(r"^\d+;\s*\d+\s+\d+\s+TABLE DATA\s+(\S+)\s+(\S+)\s", re.M)
SQL_HEADER = b"--\n-- PostgreSQL database dump\n"
SQL_TRAILER = "-- PostgreSQL database dump complete"
_SQL_VERSION = re.compile(rb"^-- Dumped from database version (\S+)", re.M)
_SQL_DATA = re.compile(rb"^-- Data for Name: ([^;\n]*); Type: TABLE DATA; Schema: ([^;\n]*);", re.M)


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
            for block in iter(lambda: f.read(pg.BLOCK), b""):
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

    def pg_restore(*args: str) -> Completed:  # the archive on stdin, in the container
        command = [*target.exec_args(stdin=True), "pg_restore", *args]
        return run(command, timeout=VERIFY_TIMEOUT, environ=env, stdin=path, cancel=cancel)

    progress("verifying: pg_restore --list")
    listed = pg_restore("--list")
    if not listed.ok:
        raise BackupError(f"verification failed: pg_restore --list: {listed.why()}")
    text = listed.stdout.decode(errors="replace")
    if "Archive created at" not in text:
        raise BackupError("verification failed: pg_restore --list printed no archive header")
    version = m.group(1) if (m := _VERSION.search(text)) else ""
    tables = tuple(f"{s}.{t}" for s, t in _TABLE_DATA.findall(text))
    progress("verifying: full read (pg_restore -f /dev/null)")
    full = pg_restore("-f", "/dev/null")
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
    """Checksum, then the format's checks again; the manifest with the new verdict."""
    return recheck(
        path,
        manifest,
        progress,
        lambda: verify(target, path, environ, progress, fmt=manifest.format)[2],
    )

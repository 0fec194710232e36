"""Postgres backups: `pg_dump -Fc` in the container, verified with its own pg_restore.

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

Modules by job: this one (connection arguments, psql, quoting, row counts), `pg_dump`
(taking), `pg_verify` (checking an archive or a .sql.gz), `pg_restore` (restoring in one
transaction, with the lock watchdog).
"""

from __future__ import annotations

from collections.abc import Mapping

from arctui.ops.backups.common import BackupError, run
from arctui.ops.backups.targets import Target

SQL_TIMEOUT = 120.0
BLOCK = 1 << 20  # bytes read or written at a time when streaming SQL


def conn_args(target: Target, database: str | None = None) -> list[str]:
    """`-h <socket dir> -p <port> -U <user> -d <db> -w` as the server announces itself."""
    args = []
    if target.host:
        args += ["-h", target.host]
    if target.port:
        args += ["-p", str(target.port)]
    return [*args, "-U", target.db_user, "-d", database or target.database, "-w"]


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

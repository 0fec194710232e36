"""Postgres as a backup datastore: pg_dump in the container, restored in one transaction."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui.config.backups import POSTGRES_FORMATS
from arctui.ops.backups import pg_dump, pg_restore, pg_verify
from arctui.ops.backups import postgres as pg
from arctui.ops.backups.common import BackupError
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import Target, find_target

if TYPE_CHECKING:
    from arctui.config.backups import BackupSettings
    from arctui.ops.backups.attempt import Context


class PostgresDatastore:
    """The stack's Postgres (formats: custom `pg_dump -Fc`, or sql: plain SQL gzipped)."""

    kind = "postgres"
    title = "Postgres"
    replaced = "its database"
    formats: tuple[str, ...] = POSTGRES_FORMATS

    def choose_format(self, requested: str | None, settings: BackupSettings) -> str:
        """The one asked for, else the settings' backups.postgres_format."""
        return requested or settings.postgres_format

    def command_options(self, fmt: str) -> str:
        """`--format sql` for plain SQL; custom is the default."""
        return " --format sql" if fmt == "sql" else ""

    def take(self, ctx: Context, target: Target, partial: Path, fmt: str) -> dict[str, Any]:
        """pg_dump into `partial`, then the format's checks."""
        env = ctx.session.environ
        how = "plain SQL, gzip" if fmt == "sql" else "-Fc"
        ctx.progress(f"pg_dump {how} {target.database} in {target.container}")
        pg_dump.dump(target, partial, env, ctx.progress, ctx.cancel, fmt)
        version, tables, detail = pg_verify.verify(
            target, partial, env, ctx.progress, ctx.cancel, fmt
        )
        return {
            "verify_detail": detail,
            "server_version": version,
            "database": target.database,
            "db_user": target.db_user,
            "tables": tables,
        }

    def reverify(self, ctx: Context, path: Path, manifest: Manifest) -> Manifest:
        """sha256, then the archive checks in the container (or the .sql.gz read here)."""
        target = find_target(ctx.session, "postgres")
        return pg_verify.reverify(target, path, manifest, ctx.session.environ, ctx.progress)

    def restore(self, ctx: Context, target: Target, manifest: Manifest, path: Path) -> str:
        """pg_restore (psql for plain SQL) over the live database, in one transaction."""
        pg_restore.restore(
            target, path, ctx.session.environ, ctx.cancel, ctx.progress, fmt=manifest.format
        )
        tool = "psql" if manifest.format == "sql" else "pg_restore"
        return f"{tool} completed in one transaction"

    def drill(self, ctx: Context, target: Target, manifest: Manifest, path: Path) -> str:
        """Restore into a scratch database, count its rows, drop it."""
        env = ctx.session.environ
        scratch = "arctui_drill_" + time.strftime("%Y%m%d%H%M%S", time.gmtime())
        ctx.progress(f"creating scratch database {scratch}")
        pg.psql(target, f"CREATE DATABASE {pg.quote_ident(scratch)}", env)
        try:
            pg_restore.restore(
                target,
                path,
                env,
                ctx.cancel,
                ctx.progress,
                database=scratch,
                clean=False,
                fmt=manifest.format,
            )
            counts = pg.row_counts(target, env, scratch)
            if len(counts) < len(manifest.tables):
                raise BackupError(
                    f"the drill restore has {len(counts)} tables, the archive has data for"
                    f" {len(manifest.tables)}"
                )
            total = sum(counts.values())
            return (
                f"postgres {manifest.id}: {len(counts)} tables, {total} rows restored into"
                f" scratch database {scratch}"
            )
        finally:
            ctx.progress(f"dropping {scratch}")
            with contextlib.suppress(BackupError):
                drop = f"DROP DATABASE IF EXISTS {pg.quote_ident(scratch)} WITH (FORCE)"
                pg.psql(target, drop, env)

    def contents(self, manifest: Manifest) -> str:
        """How many tables had data in the archive."""
        return f"{len(manifest.tables)} tables" if manifest.tables else ""

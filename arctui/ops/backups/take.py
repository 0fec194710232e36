"""Taking, verifying, deleting and pruning backups (each through `attempt.gated`)."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from arctui import __version__
from arctui.config.backups import POSTGRES_FORMATS
from arctui.ops.backups import postgres as pg
from arctui.ops.backups import redis as rd
from arctui.ops.backups.common import BackupError, sha256_file
from arctui.ops.backups.retention import PrunePlan, plan_prune
from arctui.ops.backups.store import Manifest, make_id
from arctui.ops.backups.targets import Target, find_target
from arctui.ops.runner import Outcome

if TYPE_CHECKING:
    pass


from arctui.ops.backups.attempt import Context, RunResult, gated


def _remove_stale_partials(ctx: Context) -> None:
    for path in ctx.store.stale_partials():
        ctx.progress(f"removing a partial file left by an interrupted run: {path.name}")
        with contextlib.suppress(OSError):
            path.unlink()


def _new_id(ctx: Context, target: Target, started: float, fmt: str = "") -> str:
    backup_id = make_id(ctx.session.env, target.service, started)
    n = 2
    base = backup_id
    while (
        ctx.store.manifest_path(backup_id).exists()
        or ctx.store.data_path(backup_id, target.kind, fmt).exists()
    ):
        backup_id, n = f"{base}-{n}", n + 1
    return backup_id


def _backup_postgres(
    ctx: Context, target: Target, backup_id: str, started: float, fmt: str
) -> Manifest:
    env = ctx.session.environ
    partial = ctx.store.partial_path(backup_id, "postgres", fmt)
    try:
        how = "plain SQL, gzip" if fmt == "sql" else "-Fc"
        ctx.progress(f"pg_dump {how} {target.database} in {target.container}")
        pg.dump(target, partial, env, ctx.progress, ctx.cancel, fmt)
        version, tables, detail = pg.verify(target, partial, env, ctx.progress, ctx.cancel, fmt)
        ctx.progress("sha256")
        digest = sha256_file(partial)
        final = ctx.store.data_path(backup_id, "postgres", fmt)
        manifest = _manifest(ctx, target, backup_id, final.name, started, partial, digest)
        manifest = replace(
            manifest,
            verify_detail=detail,
            format=fmt,
            server_version=version,
            database=target.database,
            db_user=target.db_user,
            tables=tables,
        )
        _publish(ctx, partial, final, manifest)
        return manifest
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _backup_redis(ctx: Context, target: Target, backup_id: str, started: float) -> Manifest:
    env = ctx.session.environ
    partial = ctx.store.partial_path(backup_id, "redis")
    try:
        data_dir = rd.config_get(target, "dir", "/data", env)
        dbfilename = rd.config_get(target, "dbfilename", "dump.rdb", env)
        info = rd.bgsave(target, env, ctx.progress, ctx.cancel)
        keys_info, expires_info = rd.keyspace_keys(info)
        ctx.progress(f"docker cp {target.container}:{data_dir}/{dbfilename}")
        rd.copy_out(target, f"{data_dir.rstrip('/')}/{dbfilename}", partial, env, ctx.cancel)
        ctx.progress("verifying the RDB")
        check = rd.check_rdb(partial)
        if not check.ok:
            raise BackupError(f"verification failed: {check.detail}")
        digest = sha256_file(partial)
        final = ctx.store.data_path(backup_id, "redis")
        manifest = _manifest(ctx, target, backup_id, final.name, started, partial, digest)
        manifest = replace(
            manifest,
            verify_detail=check.detail,
            format="rdb",
            server_version=info.get("redis_version", ""),
            keys=check.keys if check.exact else keys_info,
            expires=check.expires if check.exact else expires_info,
            keys_exact=check.exact,
            extra={
                "dir": data_dir,
                "dbfilename": dbfilename,
                "appendonly": info.get("aof_enabled") == "1",
            },
        )
        _publish(ctx, partial, final, manifest)
        return manifest
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _manifest(
    ctx: Context,
    target: Target,
    backup_id: str,
    name: str,
    started: float,
    partial: Any,
    digest: str,
) -> Manifest:
    now = time.time()
    return Manifest(
        id=backup_id,
        kind=target.kind,
        file=name,
        env=ctx.session.env,
        project=ctx.session.project,
        service=target.service,
        container=target.container,
        created_at=started,
        duration_s=round(now - started, 3),
        size=partial.stat().st_size,
        sha256=digest,
        verified=True,
        verified_at=now,
        arctui_version=__version__,
    )


def _publish(ctx: Context, partial: Any, final: Any, manifest: Manifest) -> None:
    """Rename the verified data to its final name, then write its manifest."""
    import os

    from arctui.ops.backups.common import fsync_dir

    os.chmod(partial, 0o600)
    os.replace(partial, final)
    fsync_dir(final.parent)
    ctx.store.save(manifest)


def _offsite(ctx: Context) -> dict[str, Any] | None:
    command = ctx.settings.offsite_command
    if not command:
        return None
    from arctui.ops.backups.common import run as run_cmd

    argv = [part.replace("{dir}", str(ctx.store.directory)) for part in command]
    ctx.progress(f"off-site sync: {argv[0]}")
    try:
        done = run_cmd(argv, timeout=3600, environ=ctx.session.environ, cancel=ctx.cancel)
    except BackupError as exc:
        return {"ok": False, "detail": exc.reason, "at": time.time()}
    return {"ok": done.ok, "detail": "exit 0" if done.ok else done.why(), "at": time.time()}


def backup(ctx: Context, kind: str, fmt: str | None = None) -> RunResult:
    """Take, verify and record one backup of the stack's `kind` datastore.

    `fmt` (Postgres only): "custom" or "sql"; None takes the settings' postgres_format.
    """
    fmt = fmt or ctx.settings.postgres_format
    if kind == "postgres" and fmt not in POSTGRES_FORMATS:
        return RunResult(
            "backup",
            kind,
            Outcome.REFUSED,
            f"unknown Postgres backup format '{fmt}' (valid: {', '.join(POSTGRES_FORMATS)})",
        )
    command = f"arctui backup {kind}" + (
        " --format sql" if kind == "postgres" and fmt == "sql" else ""
    )

    def work() -> RunResult:
        _remove_stale_partials(ctx)
        started = time.time()
        datastore = kind
        try:
            target = find_target(ctx.session, kind)
            datastore = f"{kind}/{target.service}"
            backup_id = _new_id(ctx, target, started, fmt if kind == "postgres" else "")
            if kind == "postgres":
                manifest = _backup_postgres(ctx, target, backup_id, started, fmt)
            else:
                manifest = _backup_redis(ctx, target, backup_id, started)
        except BackupError as exc:
            ctx.store.record_run(
                {
                    "action": "backup",
                    "datastore": datastore,
                    "outcome": "failed",
                    "at": started,
                    "detail": exc.reason,
                }
            )
            raise
        offsite = _offsite(ctx)
        if offsite is not None:
            manifest = replace(manifest, offsite=offsite)
            ctx.store.save(manifest)
        ctx.store.record_run(
            {
                "action": "backup",
                "datastore": manifest.datastore,
                "outcome": "ok",
                "at": started,
                "id": manifest.id,
            }
        )
        message = f"{manifest.id}: {manifest.size} bytes, verified ({manifest.verify_detail})"
        if offsite is not None and not offsite["ok"]:
            return RunResult(
                "backup",
                kind,
                Outcome.FAILED,
                f"{message}; off-site sync FAILED: {offsite['detail']}",
                manifest=manifest,
            )
        return RunResult("backup", kind, Outcome.OK, message, manifest=manifest)

    return gated(ctx, "backup", kind, kind, command, work)


def verify(ctx: Context, backup_id: str) -> RunResult:
    """Check a backup again (checksum, then the archive); the verdict goes to its manifest."""

    def work() -> RunResult:
        manifest = ctx.store.get(backup_id)
        path = ctx.store.directory / manifest.file
        if not path.exists():
            raise BackupError(f"{manifest.file} is missing from {ctx.store.directory}")
        if not manifest.sha256:
            raise BackupError(f"{manifest.id} has no manifest: it cannot be verified")
        if manifest.kind == "postgres":
            target = find_target(ctx.session, "postgres")
            updated = pg.reverify(target, path, manifest, ctx.session.environ, ctx.progress)
        else:
            digest = sha256_file(path)
            check = rd.check_rdb(path)
            ok = digest == manifest.sha256 and check.ok
            why = check.detail if digest == manifest.sha256 else "sha256 mismatch"
            updated = replace(
                manifest,
                verified=ok,
                verify_detail=(f"sha256 OK; {why}" if ok else why),
                verified_at=time.time(),
            )
        ctx.store.save(updated)
        outcome = Outcome.OK if updated.verified else Outcome.FAILED
        return RunResult(
            "backup-verify",
            backup_id,
            outcome,
            f"{updated.id}: {updated.verify_detail}",
            manifest=updated,
        )

    return gated(
        ctx,
        "backup-verify",
        "backups",
        backup_id,
        f"arctui backup verify {backup_id}",
        work,
        mutates=False,
    )


def delete(ctx: Context, backup_id: str) -> RunResult:
    """Delete one backup (confirmed by the caller)."""

    def work() -> RunResult:
        manifest = ctx.store.get(backup_id)
        ctx.store.delete(manifest)
        return RunResult("backup-delete", backup_id, Outcome.OK, f"deleted {manifest.id}")

    return gated(
        ctx, "backup-delete", "backups", backup_id, f"arctui backup delete {backup_id}", work
    )


def plan(ctx: Context) -> PrunePlan:
    """What prune would do now (reads only)."""
    return plan_prune(ctx.store.backups(), ctx.store.runs(), time.time(), ctx.settings.keep_days)


def prune(ctx: Context, dry_run: bool = False) -> RunResult:
    """Apply retention; `dry_run` only reports."""
    if dry_run:
        p = plan(ctx)
        lines = tuple(f"would delete {m.id}: {why}" for m, why in p.delete)
        if p.refused:
            return RunResult("backup-prune", "backups", Outcome.REFUSED, p.refused, details=lines)
        return RunResult(
            "backup-prune",
            "backups",
            Outcome.OK,
            f"{len(p.delete)} would be deleted, {len(p.keep)} kept",
            details=lines,
        )

    def work() -> RunResult:
        p = plan(ctx)
        if p.refused:
            return RunResult("backup-prune", "backups", Outcome.REFUSED, p.refused)
        done = []
        for m, why in p.delete:
            ctx.store.delete(m)
            done.append(f"deleted {m.id}: {why}")
        return RunResult(
            "backup-prune",
            "backups",
            Outcome.OK,
            f"{len(done)} deleted, {len(p.keep)} kept",
            details=tuple(done),
        )

    return gated(ctx, "backup-prune", "backups", "backups", "arctui backup prune", work)

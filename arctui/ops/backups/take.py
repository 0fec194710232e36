"""Taking, verifying, deleting and pruning backups (each through `attempt.gated`)."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import Any

from arctui.ops.backups.attempt import Context, RunResult, gated
from arctui.ops.backups.common import BackupError
from arctui.ops.backups.datastore import datastore
from arctui.ops.backups.publish import partial_file, publish
from arctui.ops.backups.retention import PrunePlan, plan_prune
from arctui.ops.backups.store import make_id
from arctui.ops.backups.targets import Target, find_target
from arctui.ops.runner import Outcome


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

    `fmt`: the Postgres format, "custom" or "sql" (None: the settings' postgres_format);
    a datastore with one format ignores it (`backup all --format sql`).
    """
    try:
        store = datastore(kind)
    except BackupError as exc:  # refused inside the gate, so the attempt is recorded
        store, unknown = None, exc.reason
    chosen = ""
    if store is not None:
        chosen = store.choose_format(fmt, ctx.settings)
        if chosen not in store.formats:
            valid = ", ".join(store.formats)
            return RunResult(
                "backup",
                kind,
                Outcome.REFUSED,
                f"unknown {store.title} backup format '{chosen}' (valid: {valid})",
            )
    options = store.command_options(chosen) if store is not None else ""
    command = f"arctui backup {kind}{options}"

    def work() -> RunResult:
        _remove_stale_partials(ctx)
        started = time.time()
        datastore_name = kind
        try:
            if store is None:
                raise BackupError(unknown)
            target = find_target(ctx.session, kind)
            datastore_name = f"{kind}/{target.service}"
            backup_id = _new_id(ctx, target, started, chosen)
            with partial_file(ctx, backup_id, kind, chosen) as partial:
                fields = store.take(ctx, target, partial, chosen)
                manifest = publish(ctx, target, backup_id, started, partial, chosen, fields)
        except BackupError as exc:
            ctx.store.record_run(
                {
                    "action": "backup",
                    "datastore": datastore_name,
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
        updated = datastore(manifest.kind).reverify(ctx, path, manifest)
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

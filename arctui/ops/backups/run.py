"""The audited entry points: backup, verify, delete, prune, restore, drill.

Shared by the TUI and `arctui backup`. Each one:
- passes the one gate (`ops/gate.py`): refused in read-only mode (verify still runs: it
  only reads the backup and the archive, and records the verdict in the manifest); a
  "started" record is written (fsynced) BEFORE anything runs, and if it cannot be
  written nothing runs; the outcome is a second line;
- holds the backup directory's lock, so two runs never interleave;
- returns a `RunResult` and never raises for an expected failure.
Confirmation (typed project name, env name in production) is the caller's job, as for
the lifecycle actions; `confirmations()` says what to ask.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from arctui import __version__
from arctui.ops.audit import AuditLog
from arctui.ops.backups import postgres as pg
from arctui.ops.backups import redis as rd
from arctui.ops.backups.common import BackupError, Cancelled, Progress, no_progress, sha256_file
from arctui.ops.backups.retention import PrunePlan, plan_prune
from arctui.ops.backups.settings import POSTGRES_FORMATS, BackupSettings, backup_settings
from arctui.ops.backups.store import BackupStore, Manifest, make_id
from arctui.ops.backups.targets import KINDS, Target, find_target
from arctui.ops.gate import Gate
from arctui.ops.lifecycle import Action
from arctui.ops.runner import ActionResult, Outcome

if TYPE_CHECKING:
    from arctui.session import Session


@dataclass(frozen=True)
class RunResult:
    """How one backup operation ended."""

    action: str
    target: str
    outcome: Outcome
    message: str
    duration: float = 0.0
    manifest: Manifest | None = None
    details: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when it did what was asked (or the demo simulated it)."""
        return self.outcome in (Outcome.OK, Outcome.SIMULATED)


@dataclass
class Context:
    """What every operation needs: session, settings, store, audit, progress, cancel."""

    session: Session
    settings: BackupSettings
    store: BackupStore
    audit: AuditLog
    progress: Progress = no_progress
    cancel: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def of(
        cls,
        session: Session,
        audit: AuditLog | None = None,
        progress: Progress = no_progress,
        cancel: threading.Event | None = None,
        settings: BackupSettings | None = None,
    ) -> Context:
        """A context with the session's settings and the default audit log."""
        settings = settings or backup_settings(session)
        return cls(
            session,
            settings,
            BackupStore(settings.directory),
            audit or AuditLog(),
            progress,
            cancel or threading.Event(),
        )


def confirmations(session: Session, action: str) -> tuple[tuple[str, str], ...]:
    """What the operator must type: the project for restore/delete, the env in production."""
    out: list[tuple[str, str]] = []
    if action in ("restore", "backup-delete"):
        out.append(("project name", session.project))
    if session.production:
        out.append(("environment name", session.env))
    return tuple(out)


def mutation(session: Session, action: str, scope: str, target: str, command: str) -> Action:
    """A backup operation as the `Action` the gate checks and records."""
    return Action(
        verb=action,
        scope=scope,
        target=target,
        project=session.project,
        env=session.env,
        command=(command,),
        summary=command,
        production=session.production,
        confirmations=confirmations(session, action),
        simulated=session.demo,
        display=command,
    )


def _as_run_result(action: str, target: str, result: ActionResult) -> RunResult:
    return RunResult(action, target, result.outcome, result.message, result.duration)


def refuse(
    ctx: Context,
    action: str,
    target: str,
    command: str,
    reason: str,
    outcome: Outcome = Outcome.REFUSED,
) -> RunResult:
    """Record a refusal or a decline at the confirmation (nothing ran) and return it."""
    gate = Gate(ctx.session, mutation(ctx.session, action, "backups", target, command), ctx.audit)
    return _as_run_result(action, target, gate.refuse(reason, outcome))


def _attempt(
    ctx: Context,
    action: str,
    scope: str,
    target: str,
    command: str,
    work: Callable[[], RunResult],
    *,
    mutates: bool = True,
) -> RunResult:
    """Through the gate: rules, the record first (no record, no run), lock, `work`, outcome."""
    gate = Gate(
        ctx.session, mutation(ctx.session, action, scope, target, command), ctx.audit,
        mutates=mutates,
    )  # fmt: skip
    box: list[RunResult] = []

    def run() -> ActionResult:
        try:
            if ctx.session.demo:
                result = RunResult(
                    action,
                    target,
                    Outcome.SIMULATED,
                    "demo platform: simulated, nothing ran on a Docker engine",
                )
            else:
                with ctx.store.locked():
                    result = work()
        except Cancelled as exc:
            result = RunResult(action, target, Outcome.CANCELLED, exc.reason)
        except BackupError as exc:
            message = exc.reason + (f" (fix: {exc.fix})" if exc.fix else "")
            result = RunResult(action, target, Outcome.FAILED, message)
        box.append(result)
        code = 0 if result.ok else 1
        return ActionResult(result.outcome, code, result.duration, result.details, result.message)

    ended = gate.run(run)
    if not box:  # refused by the gate: nothing ran
        return _as_run_result(action, target, ended)
    return replace(box[0], message=ended.message, duration=box[0].duration or ended.duration)


# ---------------------------------------------------------------- backup


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

    return _attempt(ctx, "backup", kind, kind, command, work)


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

    return _attempt(
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

    return _attempt(
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

    return _attempt(ctx, "backup-prune", "backups", "backups", "arctui backup prune", work)


# ---------------------------------------------------------------- restore and drill


def _checked(ctx: Context, backup_id: str) -> tuple[Manifest, Any]:
    """The manifest and path of a backup that may be restored (BackupError if not)."""
    manifest = ctx.store.get(backup_id)
    path = ctx.store.directory / manifest.file
    if not manifest.verified or not manifest.sha256:
        raise BackupError(
            f"{manifest.id} is not a verified backup ({manifest.verify_detail or 'unverified'}):"
            " refused",
            "arctui backup verify ID, or pick a verified backup",
        )
    if not path.exists():
        raise BackupError(f"{manifest.file} is missing from {ctx.store.directory}")
    ctx.progress("checking sha256 against the manifest")
    digest = sha256_file(path)
    if digest != manifest.sha256:
        ctx.store.save(
            replace(
                manifest,
                verified=False,
                verified_at=time.time(),
                verify_detail="sha256 mismatch: the file changed since it was taken",
            )
        )
        raise BackupError(f"{manifest.id}: sha256 mismatch, the file is damaged: refused")
    return manifest, path


def _compose(ctx: Context, *args: str) -> None:
    from arctui.ops.backups.common import run as run_cmd

    spec = ctx.session.spec
    base = ["docker", "compose", *(spec.compose_args() if spec else ["-p", ctx.session.project])]
    done = run_cmd([*base, *args], timeout=300, environ=ctx.session.environ)
    if not done.ok:
        raise BackupError(f"docker compose {' '.join(args[:1])} failed: {done.why()}")


def _service_states(ctx: Context, names: tuple[str, ...]) -> dict[str, tuple[str, str | None]]:
    snapshot = ctx.session.reader.read()
    out = {}
    for name in names:
        view = snapshot.service(name)
        if view is not None:
            out[name] = (view.state.value, view.health)
    return out


def _wait_healthy(
    ctx: Context, before: dict[str, tuple[str, str | None]], timeout: float = 120.0
) -> list[str]:
    """Services that were running/healthy before and are not again within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        now = _service_states(ctx, tuple(before))
        bad = []
        for name, (state, health) in before.items():
            cur_state, cur_health = now.get(name, ("missing", None))
            if state == "running" and cur_state != "running":
                bad.append(f"{name} is {cur_state}")
            elif health == "healthy" and cur_health != "healthy":
                bad.append(f"{name} is {cur_health or 'without health'}")
        if not bad or time.monotonic() > deadline:
            return bad
        time.sleep(1.0)


def restore(ctx: Context, backup_id: str) -> RunResult:
    """Restore a verified backup into the stack's datastore (confirmed by the caller)."""

    def work() -> RunResult:
        t0 = time.monotonic()
        manifest, path = _checked(ctx, backup_id)
        session = ctx.session
        if (manifest.project, manifest.env) != (session.project, session.env):
            raise BackupError(
                f"{manifest.id} was taken from project {manifest.project} env {manifest.env};"
                f" this is project {session.project} env {session.env}: refused",
                "restore it with arctui pointed at the project and env it came from"
                " (pg_restore it by hand to copy data between environments)",
            )
        target = find_target(session, manifest.kind)
        before = _service_states(ctx, target.dependents)
        running = tuple(n for n, (state, _) in before.items() if state == "running")
        details: list[str] = []
        if running:
            ctx.progress(
                f"stopping the services that depend on {target.service}: {', '.join(running)}"
            )
            _compose(ctx, "stop", *running)
        failure: BackupError | None = None
        check = ""
        try:
            if manifest.kind == "postgres":
                pg.restore(
                    target, path, ctx.session.environ, ctx.cancel, ctx.progress, fmt=manifest.format
                )
                tool = "psql" if manifest.format == "sql" else "pg_restore"
                check = f"{tool} completed in one transaction"
            else:
                check = _restore_redis(ctx, target, manifest, path)
        except BackupError as exc:
            failure = exc
        finally:
            if running:
                ctx.progress(f"starting {', '.join(running)} again")
                try:
                    _compose(ctx, "start", *running)
                except BackupError as exc:
                    details.append(exc.reason)
        unhealthy = _wait_healthy(ctx, {n: before[n] for n in running}) if running else []
        elapsed = time.monotonic() - t0
        rto = ctx.settings.rto_s
        timing = f"{elapsed:.1f} s (RTO {rto / 60:g} min{', EXCEEDED' if elapsed > rto else ''})"
        if failure is not None:
            return RunResult(
                "restore",
                backup_id,
                Outcome.FAILED,
                f"restore FAILED after {timing}: {failure.reason}",
                details=tuple(details),
                data={"elapsed_s": elapsed},
            )
        if unhealthy:
            details.append("not healthy again: " + ", ".join(unhealthy))
            return RunResult(
                "restore",
                backup_id,
                Outcome.FAILED,
                f"restored {manifest.id} ({check}) in {timing}, but " + "; ".join(unhealthy),
                details=tuple(details),
                data={"elapsed_s": elapsed},
            )
        return RunResult(
            "restore",
            backup_id,
            Outcome.OK,
            f"restored {manifest.id} ({check}) in {timing}",
            details=tuple(details),
            data={"elapsed_s": elapsed},
        )

    return _attempt(ctx, "restore", "backups", backup_id, f"arctui restore {backup_id}", work)


def _restore_redis(ctx: Context, target: Target, manifest: Manifest, path: Any) -> str:
    env = ctx.session.environ
    data_dir = rd.config_get(target, "dir", str(manifest.extra.get("dir", "/data")), env)
    dbfilename = rd.config_get(target, "dbfilename", "dump.rdb", env)
    appendonly = rd.config_get(target, "appendonly", "no", env) == "yes"
    aof_dir = rd.config_get(target, "appenddirname", "", env)
    aof_name = rd.config_get(target, "appendfilename", "appendonly.aof", env)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    from arctui.ops.backups.common import run as run_cmd

    ctx.progress(f"stopping {target.container}")
    done = run_cmd(["docker", "stop", "-t", "30", target.container], timeout=120, environ=env)
    if not done.ok:
        raise BackupError(f"docker stop {target.container} failed: {done.why()}")
    try:
        ctx.progress(
            "writing the backup as dump.rdb" + (" and as the AOF base" if appendonly else "")
        )
        rd.helper(
            target,
            rd.restore_script(data_dir, dbfilename, appendonly, aof_dir, aof_name, stamp),
            env,
            stdin=path,
        )
    finally:
        ctx.progress(f"starting {target.container}")
        started = run_cmd(["docker", "start", target.container], timeout=120, environ=env)
    if not started.ok:
        raise BackupError(f"docker start {target.container} failed: {started.why()}")
    info = rd.wait_ready(target, env)
    keys, _ = rd.keyspace_keys(info)
    want = manifest.keys
    if want is None:
        raise BackupError("the manifest has no key count to check the restore against")
    low = want - (manifest.expires or 0)
    if not low <= keys <= want:
        raise BackupError(
            f"key count after restart is {keys}, the backup has {want}"
            + (f" ({manifest.expires} with a TTL)" if manifest.expires else "")
            + f"; the previous data is kept as *.pre-restore-{stamp} in {data_dir}"
        )
    rd.helper(target, rd.cleanup_script(data_dir, stamp), env)
    exact = "" if manifest.keys_exact else " (count from INFO at save time)"
    return f"{keys} keys after restart, backup has {want}{exact}; AOF rebuilt from the RDB"


def drill(ctx: Context) -> RunResult:
    """The quarterly DR drill: newest verified backups restored into scratch, checked, removed."""

    def work() -> RunResult:
        t0 = time.monotonic()
        newest: dict[str, Manifest] = {}
        for each in ctx.store.backups():
            if each.verified and each.kind in KINDS:
                newest[each.kind] = each
        if not newest:
            raise BackupError("no verified backup to drill with", "take one: arctui backup all")
        lines: list[str] = []
        failed: list[str] = []
        for kind in KINDS:
            chosen = newest.get(kind)
            if chosen is None:
                failed.append(f"{kind}: no verified backup")
                continue
            try:
                manifest, path = _checked(ctx, chosen.id)
                target = find_target(ctx.session, kind)
                if kind == "postgres":
                    lines.append(_drill_postgres(ctx, target, manifest, path))
                else:
                    lines.append(_drill_redis(ctx, target, manifest, path))
            except BackupError as exc:
                failed.append(f"{kind}: {exc.reason}")
        elapsed = time.monotonic() - t0
        rto = ctx.settings.rto_s
        timing = f"{elapsed:.1f} s (RTO {rto / 60:g} min{', EXCEEDED' if elapsed > rto else ''})"
        ok = not failed and elapsed <= rto
        ctx.store.record_run(
            {
                "action": "drill",
                "outcome": "ok" if ok else "failed",
                "at": time.time(),
                "elapsed_s": round(elapsed, 3),
                "detail": "; ".join(failed + lines)[:2000],
            }
        )
        if failed:
            return RunResult(
                "drill",
                "backups",
                Outcome.FAILED,
                f"drill FAILED in {timing}: " + "; ".join(failed),
                details=tuple(lines),
                data={"elapsed_s": elapsed},
            )
        return RunResult(
            "drill",
            "backups",
            Outcome.OK if ok else Outcome.FAILED,
            f"drill {'passed' if ok else 'over the RTO'} in {timing}",
            details=tuple(lines),
            data={"elapsed_s": elapsed},
        )

    return _attempt(ctx, "drill", "backups", "backups", "arctui drill", work)


def _drill_postgres(ctx: Context, target: Target, manifest: Manifest, path: Any) -> str:
    env = ctx.session.environ
    scratch = "arctui_drill_" + time.strftime("%Y%m%d%H%M%S", time.gmtime())
    ctx.progress(f"creating scratch database {scratch}")
    pg.psql(target, f"CREATE DATABASE {pg.quote_ident(scratch)}", env)
    try:
        pg.restore(
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
            pg.psql(target, f"DROP DATABASE IF EXISTS {pg.quote_ident(scratch)} WITH (FORCE)", env)


def _drill_redis(ctx: Context, target: Target, manifest: Manifest, path: Any) -> str:
    from arctui.ops.backups.common import run as run_cmd

    env = ctx.session.environ
    port = rd.free_port()
    name = f"arctui-drill-redis-{port}"
    create = [
        "docker",
        "create",
        "--name",
        name,
        "--network",
        "host",
        "--user",
        "0",
        "--volumes-from",
        f"{target.container}:ro",
        "--entrypoint",
        "redis-server",
        target.image,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        "/tmp",
        "--dbfilename",
        "drill.rdb",
        "--appendonly",
        "no",
        "--save",
        "",
    ]
    done = run_cmd(create, timeout=60, environ=env)
    if not done.ok:
        raise BackupError(f"cannot create the throwaway Redis: {done.why()}")
    try:
        steps = (["docker", "cp", str(path), f"{name}:/tmp/drill.rdb"], ["docker", "start", name])
        for step in steps:
            done = run_cmd(step, timeout=300, environ=env)
            if not done.ok:
                raise BackupError(f"{' '.join(step[:2])} failed: {done.why()}")
        scratch = replace(target, port=port, secret_env={})
        info = rd.wait_ready(scratch, env, container=name, timeout=120)
        keys, _ = rd.keyspace_keys(info)
        want = manifest.keys or 0
        if not want - (manifest.expires or 0) <= keys <= want:
            raise BackupError(f"throwaway Redis has {keys} keys, the backup has {want}")
        return f"redis {manifest.id}: {keys} keys loaded in a throwaway Redis on 127.0.0.1:{port}"
    finally:
        run_cmd(["docker", "rm", "-f", "-v", name], timeout=60, environ=env)

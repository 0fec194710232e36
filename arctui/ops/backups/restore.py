"""Restoring a verified backup into the live stack (through `attempt.gated`)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from arctui.ops.backups.attempt import Context, RunResult, gated
from arctui.ops.backups.common import BackupError, sha256_file
from arctui.ops.backups.datastore import datastore
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import find_target
from arctui.ops.runner import Outcome


def checked(ctx: Context, backup_id: str) -> tuple[Manifest, Any]:
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
        manifest, path = checked(ctx, backup_id)
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
            check = datastore(manifest.kind).restore(ctx, target, manifest, path)
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

    return gated(ctx, "restore", "backups", backup_id, f"arctui restore {backup_id}", work)

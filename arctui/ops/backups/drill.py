"""The DR drill: the newest verified backups restored into scratch and checked."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from arctui.ops.backups import postgres as pg
from arctui.ops.backups import redis as rd
from arctui.ops.backups.common import BackupError
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import KINDS, Target, find_target
from arctui.ops.runner import Outcome

if TYPE_CHECKING:
    pass


from arctui.ops.backups.attempt import Context, RunResult, gated
from arctui.ops.backups.restore import checked


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
                manifest, path = checked(ctx, chosen.id)
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

    return gated(ctx, "drill", "backups", "backups", "arctui drill", work)


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

"""Redis as a backup datastore: BGSAVE and `docker cp` out, an AOF-aware restore."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui.ops.backups import redis as rd
from arctui.ops.backups.common import BackupError
from arctui.ops.backups.common import run as run_cmd
from arctui.ops.backups.publish import recheck
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import Target

if TYPE_CHECKING:
    from arctui.config.backups import BackupSettings
    from arctui.ops.backups.attempt import Context


class RedisDatastore:
    """The stack's Redis (one format: the RDB file)."""

    kind = "redis"
    title = "Redis"
    replaced = "its data set"
    formats: tuple[str, ...] = ("rdb",)

    def choose_format(self, requested: str | None, settings: BackupSettings) -> str:
        """Always the RDB (a Postgres format asked for with `backup all` does not apply)."""
        return "rdb"

    def command_options(self, fmt: str) -> str:
        """Nothing to choose."""
        return ""

    def take(self, ctx: Context, target: Target, partial: Path, fmt: str) -> dict[str, Any]:
        """BGSAVE, `docker cp` the RDB out into `partial`, then its checks."""
        env = ctx.session.environ
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
        return {
            "verify_detail": check.detail,
            "server_version": info.get("redis_version", ""),
            "keys": check.keys if check.exact else keys_info,
            "expires": check.expires if check.exact else expires_info,
            "keys_exact": check.exact,
            "extra": {
                "dir": data_dir,
                "dbfilename": dbfilename,
                "appendonly": info.get("aof_enabled") == "1",
            },
        }

    def reverify(self, ctx: Context, path: Path, manifest: Manifest) -> Manifest:
        """sha256, then the RDB checks again (redis-check-rdb when the host has it)."""

        def checks() -> str:
            check = rd.check_rdb(path)
            if not check.ok:
                raise BackupError(check.detail)
            return check.detail

        return recheck(path, manifest, ctx.progress, checks)

    def restore(self, ctx: Context, target: Target, manifest: Manifest, path: Path) -> str:
        """The RDB as dump.rdb (and the AOF's base), Redis restarted, its keys counted."""
        env = ctx.session.environ
        data_dir = rd.config_get(target, "dir", str(manifest.extra.get("dir", "/data")), env)
        dbfilename = rd.config_get(target, "dbfilename", "dump.rdb", env)
        appendonly = rd.config_get(target, "appendonly", "no", env) == "yes"
        aof_dir = rd.config_get(target, "appenddirname", "", env)
        aof_name = rd.config_get(target, "appendfilename", "appendonly.aof", env)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
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

    def drill(self, ctx: Context, target: Target, manifest: Manifest, path: Path) -> str:
        """The RDB loaded by a throwaway Redis on a free loopback port; its keys counted."""
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
            steps = (
                ["docker", "cp", str(path), f"{name}:/tmp/drill.rdb"],
                ["docker", "start", name],
            )
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
            return (
                f"redis {manifest.id}: {keys} keys loaded in a throwaway Redis on 127.0.0.1:{port}"
            )
        finally:
            run_cmd(["docker", "rm", "-f", "-v", name], timeout=60, environ=env)

    def contents(self, manifest: Manifest) -> str:
        """How many keys the RDB holds."""
        return f"{manifest.keys} keys" if manifest.keys is not None else ""

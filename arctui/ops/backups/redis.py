"""Redis: BGSAVE, wait on INFO for a newer good save, `docker cp` the RDB out, verify.

Restore with `appendonly yes`: Redis loads the AOF at start, not dump.rdb, and with the
AOF directory removed it starts EMPTY and writes a fresh empty AOF (checked on 7.0).
So the restore hands Redis the backup as the AOF's base: a new AOF directory whose
manifest names the RDB as its only (base) file, plus dump.rdb. The previous data is
moved aside (`*.pre-restore-<time>`) and only removed once the key count checked out.
The files are written by a short-lived helper container made from the Redis image with
`--volumes-from` the (stopped) Redis container and no network.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tarfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from arctui.ops.backups.common import BackupError, Cancelled, Progress, run
from arctui.ops.backups.targets import Target

SAVE_TIMEOUT = 3600.0
CMD_TIMEOUT = 30.0
COPY_TIMEOUT = 3600.0
START_TIMEOUT = 300.0
RDB_MAGIC = b"REDIS"


def cli(target: Target, *args: str, environ: Mapping[str, str] | None, container: str = "") -> str:
    """`redis-cli -p PORT ARGS...` in the container (REDISCLI_AUTH by env); its output."""
    name = container or target.container
    exec_args = [*target.exec_args()[:-1], name]
    done = run(
        [*exec_args, "redis-cli", "-p", str(target.port), *args],
        timeout=CMD_TIMEOUT,
        environ=target.environ(environ),
    )
    text = done.stdout.decode(errors="replace")
    if not done.ok:
        raise BackupError(f"redis-cli {args[0] if args else ''} failed: {done.why()}")
    if text.startswith(("ERR", "NOAUTH", "WRONGPASS", "LOADING", "NOPERM")):
        raise BackupError(f"redis-cli {' '.join(args[:2])}: {text.strip()[:200]}")
    return text


def parse_info(text: str) -> dict[str, str]:
    """INFO output as a dict (sections flattened)."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and not key.startswith("#"):
            out[key] = value
    return out


def keyspace_keys(info: dict[str, str]) -> tuple[int, int]:
    """(keys, keys with a TTL) summed over every db of INFO keyspace."""
    keys = expires = 0
    for name, value in info.items():
        if name.startswith("db") and name[2:].isdigit():
            fields = dict(p.split("=", 1) for p in value.split(",") if "=" in p)
            keys += int(fields.get("keys", 0))
            expires += int(fields.get("expires", 0))
    return keys, expires


def config_get(target: Target, name: str, default: str, environ: Mapping[str, str] | None) -> str:
    """CONFIG GET one value (the default when CONFIG is renamed or refused)."""
    try:
        lines = cli(target, "CONFIG", "GET", name, environ=environ).splitlines()
    except BackupError:
        return default
    return lines[1] if len(lines) >= 2 and lines[0] == name else default


def bgsave(
    target: Target,
    environ: Mapping[str, str] | None,
    progress: Progress,
    cancel: threading.Event | None,
) -> dict[str, str]:
    """Start a BGSAVE and wait until INFO shows a newer save that succeeded.

    LASTSAVE alone is not enough (one-second resolution, reset at start); a BGSAVE
    while one runs is an error, so an running one is waited out first. Returns INFO.
    """
    deadline = time.monotonic() + SAVE_TIMEOUT
    info = parse_info(cli(target, "INFO", environ=environ))
    while info.get("rdb_bgsave_in_progress") == "1":
        progress("a BGSAVE is already running: waiting for it to finish")
        _sleep(0.2, cancel, deadline)
        info = parse_info(cli(target, "INFO", environ=environ))
    before_time = int(info.get("rdb_last_save_time", "0") or 0)
    before_saves = info.get("rdb_saves")
    server_now = int(info.get("server_time_usec", "0") or 0) // 1_000_000
    if server_now and server_now <= before_time:
        _sleep(1.05, cancel, deadline)  # a save within the same second would look old
    reply = cli(target, "BGSAVE", "SCHEDULE", environ=environ).strip()
    if "started" not in reply and "scheduled" not in reply:
        raise BackupError(f"BGSAVE refused: {reply[:200]}")
    progress(f"BGSAVE: {reply}")
    while True:
        _sleep(0.1, cancel, deadline)
        info = parse_info(cli(target, "INFO", environ=environ))
        if info.get("rdb_bgsave_in_progress") == "1":
            continue
        newer = int(info.get("rdb_last_save_time", "0") or 0) > before_time
        if before_saves is not None and info.get("rdb_saves") is not None:
            newer = newer or int(info["rdb_saves"]) > int(before_saves)
        if not newer:
            if info.get("rdb_last_bgsave_status") == "err":
                raise BackupError("BGSAVE failed: INFO shows rdb_last_bgsave_status:err")
            continue
        if info.get("rdb_last_bgsave_status") != "ok":
            raise BackupError(
                f"BGSAVE failed: rdb_last_bgsave_status:{info.get('rdb_last_bgsave_status')}",
                "see the Redis log (disk full? vm.overcommit_memory?)",
            )
        return info


def _sleep(seconds: float, cancel: threading.Event | None, deadline: float) -> None:
    if time.monotonic() > deadline:
        raise BackupError(f"BGSAVE did not complete within {SAVE_TIMEOUT:.0f} s")
    if cancel is not None and cancel.wait(seconds):
        raise Cancelled("cancelled while waiting for BGSAVE")
    if cancel is None:
        time.sleep(seconds)


def copy_out(
    target: Target,
    source: str,
    dest: Path,
    environ: Mapping[str, str] | None,
    cancel: threading.Event | None,
) -> None:
    """`docker cp CONTAINER:source -` (a tar stream), its one file written to `dest` (0600)."""
    command = ["docker", "cp", f"{target.container}:{source}", "-"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ and dict(environ),
        start_new_session=True,
    )
    timer = threading.Timer(COPY_TIMEOUT, proc.kill)
    timer.start()
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    written = False
    try:
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar, os.fdopen(fd, "wb") as out:
            for member in tar:
                if member.isfile():
                    stream = tar.extractfile(member)
                    assert stream is not None
                    while block := stream.read(1 << 20):
                        if cancel is not None and cancel.is_set():
                            proc.kill()
                            raise Cancelled("cancelled while copying dump.rdb")
                        out.write(block)
                    out.flush()
                    os.fsync(out.fileno())
                    written = True
                    break
    except tarfile.TarError as exc:
        proc.kill()
        raise BackupError(f"docker cp returned no usable tar stream: {exc}") from None
    finally:
        timer.cancel()
        proc.wait()
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
    if proc.returncode != 0 or not written:
        raise BackupError(f"docker cp {source} failed: {err[:300] or 'no file in the stream'}")


@dataclass(frozen=True)
class RdbCheck:
    """What verifying an RDB file found."""

    ok: bool
    detail: str
    keys: int | None = None
    expires: int | None = None
    exact: bool = False


def check_rdb(path: Path) -> RdbCheck:
    """`redis-check-rdb` when the host has it, else the header and size."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(9)
    if size < 18 or not head.startswith(RDB_MAGIC) or not head[5:9].isdigit():
        return RdbCheck(False, f"not an RDB file (size {size}, header {head[:9]!r})")
    tool = shutil.which("redis-check-rdb")
    if tool is None:
        return RdbCheck(True, f"header REDIS{head[5:9].decode()} and size OK (no redis-check-rdb)")
    done = run([tool, str(path)], timeout=COPY_TIMEOUT)
    text = done.stdout.decode(errors="replace")
    if not done.ok or "RDB looks OK" not in text:
        last = [line for line in text.splitlines() if line.strip()][-1:] or [done.why()]
        return RdbCheck(False, f"redis-check-rdb: {last[0][:300]}")
    keys = expires = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "[info]" and parts[1].isdigit():
            if parts[2] == "keys":
                keys = int(parts[1])
            elif parts[2] == "expires":
                expires = int(parts[1])
    return RdbCheck(True, "redis-check-rdb: RDB looks OK", keys, expires, keys is not None)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (free when asked; the caller binds it right away)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def restore_script(
    data_dir: str, dbfilename: str, appendonly: bool, aof_dir: str, aof_name: str, stamp: str
) -> str:
    """Shell run in the helper container: the RDB arrives on stdin."""
    q = shlex.quote

    def aside(name: str) -> str:
        return f"if [ -e {q(name)} ]; then mv {q(name)} {q(name + '.pre-restore-' + stamp)}; fi"

    lines = [
        "set -eu",
        f"cd {q(data_dir)}",
        "owner=$(stat -c %u:%g .)",
        "cat > .arctui-restore.rdb.partial",
        aside(dbfilename),
    ]
    if appendonly and aof_dir:
        base = f"{aof_name}.1.base.rdb"
        lines += [
            aside(aof_dir),
            f"mkdir {q(aof_dir)}",
            f"cp .arctui-restore.rdb.partial {q(aof_dir + '/' + base)}",
            f"printf 'file %s seq 1 type b\\n' {q(base)}"
            f" > {q(aof_dir + '/' + aof_name + '.manifest')}",
            f'chown -R "$owner" {q(aof_dir)}',
        ]
    elif appendonly:  # Redis < 7: one AOF file; an RDB-preamble AOF may be a bare RDB
        lines += [
            aside(aof_name),
            f"cp .arctui-restore.rdb.partial {q(aof_name)}",
            f'chown "$owner" {q(aof_name)}',
        ]
    lines += [
        f"mv .arctui-restore.rdb.partial {q(dbfilename)}",
        f'chown "$owner" {q(dbfilename)}',
        "sync",
    ]
    return "\n".join(lines)


def cleanup_script(data_dir: str, stamp: str) -> str:
    """Shell that removes the moved-aside data of one restore."""
    return f"set -eu\ncd {shlex.quote(data_dir)}\nrm -rf -- *.pre-restore-{stamp}\nsync"


def helper(
    target: Target, script: str, environ: Mapping[str, str] | None, stdin: Path | None = None
) -> None:
    """Run `script` with /bin/sh in a throwaway container sharing the Redis volumes."""
    command = [
        "docker",
        "run",
        "--rm",
        "-i",
        "--network",
        "none",
        "--user",
        "0",
        "--volumes-from",
        target.container,
        "--entrypoint",
        "/bin/sh",
        target.image,
        "-c",
        script,
    ]
    done = run(command, timeout=COPY_TIMEOUT, environ=environ, stdin=stdin)
    if not done.ok:
        raise BackupError(f"helper container failed: {done.why()}")


def wait_ready(
    target: Target,
    environ: Mapping[str, str] | None,
    container: str = "",
    timeout: float = START_TIMEOUT,
) -> dict[str, str]:
    """Wait until Redis answers INFO with loading:0; the INFO."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            info = parse_info(cli(target, "INFO", environ=environ, container=container))
            if info.get("loading") == "0":
                return info
            last = "still loading"
        except BackupError as exc:
            last = exc.reason
        time.sleep(0.3)
    raise BackupError(f"Redis did not come back within {timeout:.0f} s: {last}")

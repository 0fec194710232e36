"""A throwaway redis-server on a free loopback port, stopped by its pid (tests, benchmark).

No tests here: shared by the Redis integration tests and benchmarks/redis_bench.py.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REDIS_SERVER = "/usr/bin/redis-server"


@dataclass(frozen=True)
class ThrowawayRedis:
    """Where the throwaway server listens."""

    port: int
    pid: int
    dir: Path
    host: str = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            reply = s.recv(64)
    except OSError:
        return False
    # PONG, or NOAUTH when a password is required: either way it is up.
    return reply.startswith(b"+PONG") or b"NOAUTH" in reply


@contextlib.contextmanager
def throwaway_redis(*args: str, startup: float = 10.0) -> Iterator[ThrowawayRedis]:
    """Run `redis-server --port N --bind 127.0.0.1 <args>`; stop it (by pid) afterwards."""
    if not Path(REDIS_SERVER).exists():
        raise RuntimeError(f"{REDIS_SERVER} missing (apt-get install -y redis-server)")
    work = Path(tempfile.mkdtemp(prefix="arctui-redis-"))
    port = free_port()
    cmd = [
        REDIS_SERVER,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(work),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        *args,
    ]  # fmt: skip
    log = (work / "redis.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + startup
        while not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"redis-server did not start: {(work / 'redis.log').read_text()[-2000:]}"
                )
            time.sleep(0.05)
        yield ThrowawayRedis(port=port, pid=proc.pid, dir=work)
    finally:
        proc.terminate()  # this process only, by its pid
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        shutil.rmtree(work, ignore_errors=True)

"""A subprocess timeout stops the whole group; concurrent compose renders start one process."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from arctui.sources.base import SourceError
from arctui.sources.compose import ComposeCli
from arctui.sources.procs import run_captured


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][:1] != "Z"


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _forking_script(tmp_path: Path) -> tuple[Path, Path]:
    """A `sh` that starts a grandchild (like docker starting docker-compose) and waits."""
    pidfile = tmp_path / "grandchild.pid"
    script = tmp_path / "fork.sh"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\nwait\n")
    script.chmod(0o755)
    return script, pidfile


def test_timeout_kills_the_grandchild(tmp_path: Path) -> None:
    script, pidfile = _forking_script(tmp_path)
    with pytest.raises(subprocess.TimeoutExpired):
        run_captured([str(script)], timeout=1.0)
    grandchild = int(pidfile.read_text())
    assert _wait_gone(grandchild), "the grandchild outlived the timeout"


def test_compose_timeout_kills_the_plugin(tmp_path: Path) -> None:
    """A fake `docker` that forks its plugin: the timeout leaves no process of the group."""
    script, pidfile = _forking_script(tmp_path)
    (tmp_path / "docker").symlink_to(script)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    cli = ComposeCli(["-f", "compose.yaml"], cwd=tmp_path, timeout=1.0, env=env)
    with pytest.raises(SourceError, match="was stopped"):
        cli.model()
    assert _wait_gone(int(pidfile.read_text()))


def test_concurrent_renders_start_one_process(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    docker = tmp_path / "docker"
    docker.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        "sleep 1\n"
        'echo \'{"name": "p", "services": {"web": {"image": "nginx"}}}\'\n'
    )
    docker.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    cli = ComposeCli(["-f", "compose.yaml"], cwd=tmp_path, timeout=30, env=env)
    models = []
    threads = [threading.Thread(target=lambda: models.append(cli.model())) for _ in range(4)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert [m.services[0].name for m in models] == ["web"] * 4
    renders = [line for line in log.read_text().splitlines() if "config" in line]
    assert len(renders) == 1 and cli.renders == 1
    cli.model()  # a request after the render finished renders again
    assert len([x for x in log.read_text().splitlines() if "config" in x]) == 2

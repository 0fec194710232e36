"""Password, ACL and renamed CONFIG against real redis-server processes (no Docker needed).

Each test starts its own throwaway redis-server on a free loopback port and stops it by
pid. The connection is found the way arctui finds it: from the project's env file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from arctui.config.envfiles import env_layers
from arctui.sources.base import SourceError
from arctui.sources.redisdb import RedisSource, discover_target
from arctui.tabs.redis.reader import RedisReader
from tests.integration.test_redis_support import throwaway_redis

PASSWORD = "t0p-secret-redis-pw"
REPO = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, port: int, password: str | None) -> Path:
    (tmp_path / "docker-compose.yml").write_text("services:\n  redis:\n    image: redis:7\n")
    lines = ["REDIS_HOST=127.0.0.1", f"REDIS_PORT={port}"]
    if password is not None:
        lines.append(f"REDIS_PASSWORD={password}")
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    return tmp_path


def _source(project: Path) -> RedisSource:
    return RedisSource(discover_target(env_layers(project, None), {}), timeout=2.0)


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "arctui", "--project-dir", str(project), "redis", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_password_from_the_env_file_works(tmp_path: Path) -> None:
    with throwaway_redis("--requirepass", PASSWORD) as server:
        project = _project(tmp_path, server.port, PASSWORD)
        snap = RedisReader(_source(project)).read()
        assert snap.overview.version and snap.partial == ()
        done = _cli(project, "--json")
        assert done.returncode == 0, done.stderr
        assert f'"target": "127.0.0.1:{server.port}/0"' in done.stdout
        assert PASSWORD not in done.stdout + done.stderr


def test_wrong_password_fails_clearly_without_showing_it(tmp_path: Path) -> None:
    with throwaway_redis("--requirepass", PASSWORD) as server:
        project = _project(tmp_path, server.port, "not-the-password")
        with pytest.raises(SourceError) as err:
            _source(project).info()
        assert "refused the password from" in err.value.reason
        assert str(project / ".env") in err.value.reason
        assert "not-the-password" not in err.value.reason
        done = _cli(project)
        assert done.returncode == 1
        assert "refused the password" in done.stderr and "not-the-password" not in done.stderr


def test_missing_password_says_one_is_required(tmp_path: Path) -> None:
    with throwaway_redis("--requirepass", PASSWORD) as server:
        project = _project(tmp_path, server.port, None)
        done = _cli(project)
        assert done.returncode == 1 and "requires a password" in done.stderr


def test_acl_denials_leave_the_rest_readable(tmp_path: Path) -> None:
    with throwaway_redis() as server:
        admin = RedisSource(discover_target(None, {}, url=f"redis://127.0.0.1:{server.port}/0"))
        admin.execute("ACL", "SETUSER", "viewer", "on", ">viewer-pw", "~*", "+@all", "-config",
                      "-slowlog")  # fmt: skip
        url = f"redis://viewer:viewer-pw@127.0.0.1:{server.port}/0"
        viewer = RedisSource(discover_target(None, {}, url=url))
        snap = RedisReader(viewer).read()
        reasons = dict(snap.partial)
        assert "ACL denies CONFIG" in reasons["config"]
        assert "ACL denies SLOWLOG" in reasons["slowlog"]
        assert snap.overview.role == "master"
        assert "viewer-pw" not in str(snap)


def test_config_renamed_away_is_named(tmp_path: Path) -> None:
    with throwaway_redis("--rename-command", "CONFIG", "") as server:
        project = _project(tmp_path, server.port, None)
        snap = RedisReader(_source(project)).read()
        assert "disabled or renamed" in dict(snap.partial)["config"]
        assert snap.persistence.save_schedule is None
        assert snap.slowlog_threshold_us is None

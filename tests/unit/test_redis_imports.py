"""The Redis tab's data modules and CLI never import Textual; redis-py only when used."""

from __future__ import annotations

import subprocess
import sys


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(','.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.strip().split(","))


def test_data_modules_and_cli_import_neither_textual_nor_redis() -> None:
    loaded = _loaded_after(
        "import arctui.tabs.redis.models, arctui.tabs.redis.reader, arctui.tabs.redis.scan, "
        "arctui.tabs.redis.demo, arctui.tabs.redis.cli, arctui.tabs.redis.view.presenters, "
        "arctui.sources.redisdb, arctui.sources.redis_client, arctui.tabs.redis.actions, "
        "arctui.tabs.redis.perform"
    )
    assert "textual" not in loaded
    assert "redis" not in loaded  # imported inside RedisSource, on first use


def test_headless_demo_overview_runs_without_textual() -> None:
    loaded = _loaded_after(
        "import io, contextlib\n"
        "from arctui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['--demo', 'redis', '--json']) == 0"
    )
    assert "textual" not in loaded

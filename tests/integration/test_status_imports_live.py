"""A cached `arctui status` (text and --json) and `health --no-probe` against the real
test stack import none of what issue 19 made lazy: the installed entry point, run the
way an operator runs it, with `-X importtime` listing every module it loads.

(tests/unit/test_status_imports.py checks the same with no engine; there a failed
connection is logged, so `logging` is imported on purpose.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.stack import RunningStack, compose_env
from tests.unit.test_status_imports import HEAVY

ENTRY_POINT = Path(sys.executable).parent / "arctui"  # what `pip install` writes


def _imported(argv: list[str], env: dict[str, str]) -> tuple[int, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(ENTRY_POINT), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "cumulative" not in line
    }
    return proc.returncode, names


@pytest.mark.parametrize(
    "command", [["status"], ["status", "--json"], ["health", "--no-probe"]], ids=" ".join
)
def test_the_status_path_imports_nothing_made_lazy(
    test_stack: RunningStack, tmp_path: Path, command: list[str]
) -> None:
    env = {
        **compose_env(),
        **{v: str(tmp_path / v) for v in ("XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME")},
    }
    argv = ["-p", test_stack.project, "-f", str(test_stack.compose_file), *command]
    _imported(argv, env)  # fills the render cache
    code, names = _imported(argv, env)
    assert code in (0, 1)  # 1: a service needs attention (the stack has a crash loop)
    assert "arctui.models" in names  # control: the listing is of this run's imports
    assert sorted(n for n in names if n.split(".")[0] in HEAVY or n in HEAVY) == []

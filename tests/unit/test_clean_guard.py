"""The production clean's backup check is registered by the backups layer (the lifecycle
imports nothing above it) and fails closed when it is not loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_a_production_clean_is_refused_until_the_backups_register_their_check() -> None:
    out = _run(
        "import sys\n"
        "from arctui.ops import lifecycle\n"
        "print(lifecycle._clean_rule(None) == lifecycle.CLEAN_UNCHECKED,"
        " 'arctui.ops.backups.unlock' in sys.modules)\n"
        "import arctui.ops.backups.unlock\n"
        "print(len(lifecycle._CLEAN_GUARD) == 1)"
    )
    assert out.splitlines() == ["True False", "True"]


def test_every_entry_that_plans_a_clean_registers_the_check() -> None:
    for module in ("arctui.ui.actions", "arctui.ui.screens.confirm"):
        code = f"import {module}\nfrom arctui.ops import lifecycle\n"
        assert _run(code + "print(bool(lifecycle._CLEAN_GUARD))") == "True", module
    # The headless lifecycle command imports it where it plans (status stays light).
    source = (Path(__file__).parents[2] / "arctui" / "cli_actions.py").read_text()
    block = source.partition("from arctui.ops.lifecycle import ActionError, plan_action")[0]
    assert "    import arctui.ops.backups.unlock" in block.rsplit("def ", 1)[1]

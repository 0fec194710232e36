"""The config package must never pull in Textual or the UI (headless CLI uses it)."""

from __future__ import annotations

import subprocess
import sys


def test_config_does_not_import_textual_or_ui() -> None:
    code = (
        "import sys, arctui.config, arctui.config.envfiles, arctui.config.masking, "
        "arctui.config.project, arctui.config.settings, arctui.config.errors\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')"
        " or m.startswith('arctui.ui'))\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""

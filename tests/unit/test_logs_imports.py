"""The Logs data modules and `arctui logs` never import Textual, Rich or the docker SDK."""

from __future__ import annotations

import subprocess
import sys


def test_logs_data_modules_import_no_ui_and_no_docker_sdk() -> None:
    code = (
        "import sys, arctui.tabs.logs.cli, arctui.tabs.logs.reader, arctui.demo.logs, "
        "arctui.sources.log_levels, "
        "arctui.tabs.logs.export, arctui.tabs.logs.buffer, arctui.sources.docker_logs\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'rich', 'docker') or m.startswith('arctui.ui'))\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""

"""The committed screenshots are what scripts/screenshots.py makes today.

Fails when a UI change left them stale: run `.venv/bin/python scripts/screenshots.py`
and commit screenshots/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_screenshots_are_current() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TEXTUAL"))}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (
        f"{result.stderr.strip()}\nregenerate: .venv/bin/python scripts/screenshots.py"
    )


def test_the_readme_shows_screenshots_that_exist() -> None:
    import re

    readme = (ROOT / "README.md").read_text("utf-8")
    shown = re.findall(r"\(screenshots/([\w.-]+\.svg)\)", readme)
    assert len(shown) >= 8
    missing = [name for name in shown if not (ROOT / "screenshots" / name).is_file()]
    assert missing == []

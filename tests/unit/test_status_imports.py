"""A headless `status` imports only what it needs: none of the heavy modules below.

Checked in a subprocess against a project with a compose file, an env file and a cached
render (a fake `docker` that is never needed after the first call).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("yaml", "dotenv", "http.client", "ssl", "email", "hashlib", "urllib.request")
# Made lazy for issue 19's 1.0x `docker compose ps`: logging (arctui/lazylog.py), html
# (masking's escaped form), subprocess (fleet), shutil (argparse's terminal width: the
# narrow parser), the serve command; and never the TUI, its renderer or the docker SDK.
LAZY = ("logging", "html", "subprocess", "shutil", "arctui.web", "textual", "rich", "docker")
# Then: the engine's timestamps parsed without datetime, its frame headers without struct,
# and the settings' commands and alerts schemas only for a file that has those sections.
LAZY += ("datetime", "struct", "shlex", "arctui.config.custom_commands", "arctui.config.alerts")
LAZY += ("arctui.record", "bisect")  # status and health read no recording (not even its volumes)
HEAVY += LAZY


def test_a_cached_status_imports_no_yaml_dotenv_http_client_or_hashlib(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:${TAG:-1}\n")
    (tmp_path / ".env").write_text("TAG=2\nAPI_TOKEN=s3cret\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": os.getcwd()}
    env["DOCKER_HOST"] = f"unix://{tmp_path}/no-engine.sock"  # the read fails fast: fine
    code = (
        "import sys, json\n"
        "from arctui.cli import main\n"
        "sys.argv = ['arctui', '--project-dir', sys.argv[1], 'status']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        for _ in range(2)  # the first fills the caches
    ]
    imported = json.loads(runs[1].stdout.strip().splitlines()[-1])
    # No engine answers here: the failed connection is logged (the live test has none).
    assert [m for m in imported if m != "logging"] == [], runs[1].stderr

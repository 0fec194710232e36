"""arctui uses no private API of the docker SDK, redis-py or Textual.

Private helpers change without notice between releases (the SDK's `api._get`, redis-py's
`conn._sock`, Textual's `_files`): an upgrade would break arctui silently.
"""

from __future__ import annotations

import re
from pathlib import Path

import arctui

ROOT = Path(arctui.__file__).parent
# `._get(`, `._sock`, `._files`, and the other SDK helpers arctui once called; a name
# of arctui's own (`self._files_key`) is not a match: the dot must come after a name
# that is not `self`/`cls`.
PRIVATE = re.compile(
    r"(?<!self)(?<!cls)\.(_get|_sock|_files|_url|_raise_for_status|_disable_socket_timeout"
    r"|_get_raw_response_socket|_fp)\b"
)
IMPORTS = re.compile(r"^\s*(from|import)\s+(docker|redis|textual)(\.\w+)*\._", re.M)


def _hits() -> list[str]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text("utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if PRIVATE.search(line) or IMPORTS.search(line):
                out.append(f"{path.relative_to(ROOT.parent)}:{n}: {line.strip()}")
    return out


def test_no_private_api_of_the_sdk_redis_py_or_textual() -> None:
    assert _hits() == []


def test_the_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    samples = [
        "res = api._get(url)",
        "sock = conn._sock",
        "from textual._files import generate_datetime_filename",
        "sock = res.raw._fp.fp.raw._sock",
    ]
    assert all(PRIVATE.search(s) or IMPORTS.search(s) for s in samples)
    assert not PRIVATE.search("key = self._files_key()")

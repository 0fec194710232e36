"""arctui uses no private API of the docker SDK, redis-py or Textual.

Private helpers change without notice between releases (the SDK's `api._get`, redis-py's
`conn._sock`, Textual's `_files`): an upgrade would break arctui silently.
"""

from __future__ import annotations

import ast
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
FOREIGN = ("docker", "redis", "textual")


def _hits() -> list[str]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text("utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if PRIVATE.search(line) or IMPORTS.search(line):
                out.append(f"{path.relative_to(ROOT.parent)}:{n}: {line.strip()}")
        out += [f"{path.relative_to(ROOT.parent)}:{hit}" for hit in private_names(text)]
    return out


def private_names(source: str) -> list[str]:
    """`from textual.keys import _character_to_key`: a private name out of a public module
    (found in the syntax tree, so an import over several lines is seen too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FOREIGN:
            found += [f"{node.lineno}: {a.name}" for a in node.names if a.name.startswith("_")]
    return found


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
    over_lines = (
        "def f():\n"
        "    from textual.keys import (\n        Keys,\n        _character_to_key,\n    )\n"
    )
    assert private_names(over_lines)
    assert not private_names("from textual.keys import KEY_NAME_REPLACEMENTS, Keys")
    assert not PRIVATE.search("key = self._files_key()")

"""Parsed files kept on disk, reused only while the file's exact text is the same.

`arctui status` parses the same few files at every call: the compose files (for their
`name:` and `env_file:` entries), the env files, the shipped role catalog. Importing
PyYAML and python-dotenv and parsing cost more than the rest of the command's Python, so
the parse of each is kept under `$XDG_CACHE_HOME/arctui/parsed/` as JSON holding the
file's text with the result: an entry is used only when the text read now equals the
text it was made from (compared in full, no hash to collide), so any edit parses again.

Only results that JSON gives back unchanged are kept (a YAML date, an integer key or a
NaN is parsed every time). Entries are 0600 in a 0700 directory (env files hold
secrets, like the rendered configs beside them); an entry that cannot be read or
written only costs a parse.
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

VERSION = 1  # bump when an entry's format or a parser's result changes


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/arctui/parsed`, else `~/.cache/arctui/parsed`."""
    value = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(value) if value and os.path.isabs(value) else Path.home() / ".cache"
    return base / "arctui" / "parsed"


def _entry_path(kind: str, path: Path) -> Path:
    # One slot per file and parser: a name collision only means the slot is rewritten.
    slot = zlib.crc32(f"{kind}\0{path}".encode("utf-8", "surrogateescape"))
    return cache_dir() / f"{kind}-{slot:08x}.json"


def parsed(kind: str, path: Path, text: str, parse: Callable[[str], Any]) -> Any:
    """`parse(text)`, or the result kept for exactly this text of `path`.

    `kind` names the parser (and its version, when its result changes shape). What
    `parse` raises is raised as is, and nothing is kept.
    """
    entry_path = _entry_path(kind, path)
    try:
        entry = json.loads(entry_path.read_text(encoding="utf-8"))
        if (
            isinstance(entry, dict)
            and entry.get("v") == VERSION
            and entry.get("path") == str(path)
            and entry.get("text") == text
            and "data" in entry
        ):
            return entry["data"]
    except (OSError, ValueError):
        pass  # absent or corrupt: parsed and rewritten
    data = parse(text)
    _store(entry_path, {"v": VERSION, "path": str(path), "text": text, "data": data})
    return data


def _store(entry_path: Path, entry: dict[str, Any]) -> None:
    """Write the entry if JSON gives its data back unchanged (best effort)."""
    with contextlib.suppress(OSError, TypeError, ValueError, RecursionError):
        blob = json.dumps(entry, ensure_ascii=False, allow_nan=False)
        if json.loads(blob)["data"] != entry["data"]:
            return  # tuples, integer keys ...: not what a reader would get back
        entry_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = entry_path.with_name(f".{entry_path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(blob)
            os.replace(tmp, entry_path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise


def load_yaml(text: str) -> Any:
    """`yamlio.load_yaml`, imported when a parse is needed: a cached read never imports
    PyYAML (~12 ms)."""
    from arctui.yamlio import load_yaml as load

    return load(text)


def _yaml_or_none(text: str) -> Any:
    import yaml

    try:
        return load_yaml(text)
    except yaml.YAMLError:
        return None


def yaml_file(path: Path) -> Any:
    """The YAML document in `path` (as `yamlio.load_yaml` reads it), cached by its text.

    None when the file cannot be read, is not UTF-8 or is not YAML: for the callers (the
    compose files' `name:` and `env_file:`) that is the same as a document without them.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return parsed("yaml", path, text, _yaml_or_none)

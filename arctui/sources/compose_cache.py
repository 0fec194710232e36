"""Rendered compose configs cached on disk, keyed by everything the render read.

`docker compose config` costs ~0.1 s at every `arctui status`, more than the rest of the
command. Its result depends only on its inputs, so it is kept under
`$XDG_CACHE_HOME/arctui/compose/` keyed by:
- the argv and working directory, and compose itself (the `docker` and plugin binaries'
  path, size and mtime: an upgrade renders again);
- the content of the compose files and env files the project uses;
- the variables that can change the render: every `COMPOSE_*` and every name the compose
  files interpolate (`$VAR`, `${VAR...}`), with their values.
An entry also lists the `env_file:` files the render named, with their content: a change
to one of those renders again too. Entries are 0600 (a render holds interpolated
secrets, like the env files it came from); a corrupt entry is ignored and rewritten.

The key holds the files' content itself, compared in full when an entry is read (its
file name is only a checksum of the key): no hash to collide, and no hashlib, whose
OpenSSL load was ~5 ms of every `arctui status`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

VERSION = 2  # bump when the entry format or the key changes
MAX_ENTRIES = 64
_INTERPOLATED = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_PLUGIN_DIRS = (
    "~/.docker/cli-plugins",
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)


def cache_dir(environ: Mapping[str, str]) -> Path:
    """`$XDG_CACHE_HOME/arctui/compose`, else `~/.cache/arctui/compose`."""
    value = environ.get("XDG_CACHE_HOME", "")
    base = Path(value) if value and os.path.isabs(value) else Path.home() / ".cache"
    return base / "arctui" / "compose"


def _text(data: bytes) -> str:
    """File content as JSON can hold it, byte for byte (undecodable bytes escaped)."""
    return data.decode("utf-8", "surrogateescape")


def _digest(path: Path) -> str | None:
    """The file's content (not a hash of it): compared in full."""
    try:
        return _text(path.read_bytes())
    except OSError:
        return None  # missing or unreadable: its appearance changes the key


def _which(name: str, path: str | None) -> str | None:
    """`shutil.which(name, path=path)` for a plain name (shutil imports bz2 and lzma)."""
    path = os.environ.get("PATH", os.defpath) if path is None else path
    seen: set[str] = set()
    for directory in path.split(os.pathsep) if path else ():
        if directory in seen:
            continue
        seen.add(directory)
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def _binary_id(path: str | None) -> str:
    if not path:
        return "-"
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _compose_identity(environ: Mapping[str, str]) -> list[str]:
    docker = _which("docker", environ.get("PATH"))
    plugins = [os.path.join(os.path.expanduser(d), "docker-compose") for d in _PLUGIN_DIRS]
    config = environ.get("DOCKER_CONFIG")
    if config:
        plugins.insert(0, os.path.join(config, "cli-plugins", "docker-compose"))
    return [_binary_id(docker), *(_binary_id(p) for p in plugins if os.path.exists(p))]


class RenderCache:
    """Rendered configs of one project, on disk."""

    def __init__(
        self,
        directory: Path,
        inputs: Sequence[Path],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self._inputs = tuple(inputs)
        self._environ = dict(os.environ if environ is None else environ)
        self.hits = 0  # counted for the tests and benchmarks

    def key(self, argv: Sequence[str], cwd: Path | None) -> str:
        """Everything this render reads, as one string (file contents included)."""
        texts = {}
        for path in self._inputs:
            try:
                texts[str(path)] = path.read_bytes()
            except OSError:
                texts[str(path)] = b""
        names: set[str] = set()
        for text in texts.values():
            names.update(_INTERPOLATED.findall(text.decode("utf-8", "replace")))
        variables = {
            k: v for k, v in self._environ.items() if k.startswith("COMPOSE_") or k in names
        }
        material = {
            "v": VERSION,
            "argv": list(argv),
            "cwd": str(cwd or ""),
            "compose": _compose_identity(self._environ),
            "files": {p: _text(t) for p, t in texts.items()},
            "missing": sorted(n for n in names if n not in self._environ),
            "env": sorted(variables.items()),
        }
        return json.dumps(material, sort_keys=True)

    def _path(self, key: str) -> Path:
        # A slot, not an identity: the entry holds its whole key and is checked against it.
        blob = key.encode("utf-8", "surrogateescape")
        return self.directory / f"{zlib.crc32(blob):08x}{zlib.adler32(blob):08x}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry for this key, if present, well-formed and its env_file files unchanged."""
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent, or corrupt: rendered again and rewritten
        if not isinstance(entry, dict) or entry.get("v") != VERSION or entry.get("key") != key:
            return None
        extra = entry.get("extra")
        if not isinstance(extra, dict) or "result" not in entry:
            return None
        if any(_digest(Path(p)) != d for p, d in extra.items()):
            return None
        self.hits += 1
        result: dict[str, Any] = entry["result"]
        return result

    def put(self, key: str, result: Mapping[str, Any], extra_files: Sequence[Path]) -> None:
        """Store a render (best effort: a cache that cannot be written is only slower)."""
        entry = {
            "v": VERSION,
            "key": key,
            "extra": {str(p): _digest(p) for p in extra_files},
            "result": result,
        }
        with contextlib.suppress(OSError, TypeError, ValueError):
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.directory / f".{self._path(key).stem}.{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(entry, out)
            os.replace(tmp, self._path(key))
            self._prune()

    def _prune(self) -> None:
        entries = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-MAX_ENTRIES]:
            with contextlib.suppress(OSError):
                old.unlink()

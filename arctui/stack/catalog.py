"""The role catalog: which kind of service a container is (postgres, redis, ...).

Rules live in `catalog.yaml` beside this module so a new role needs no code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from arctui.filecache import load_yaml, parsed

TECH_LABEL = "arc.service.tech"
_TOKEN_SPLIT = re.compile(r"[-_.]+")
NAMES_MAX = 4096


@dataclass(frozen=True)
class Role:
    """One entry of the catalog."""

    name: str
    title: str
    tech: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    names: tuple[tuple[str, ...], ...] = ()  # token sequences
    ports: tuple[int, ...] = ()
    probe: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    """All roles, in file order, plus the name used when nothing matches."""

    roles: tuple[Role, ...]
    fallback: str = "other"
    # name -> role by name, remembered: every snapshot resolves every container again
    # (some 60 pattern scans each). Bounded: cleared when it reaches NAMES_MAX.
    _names: dict[str, str | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def role(self, name: str) -> Role | None:
        """The role called `name`, if the catalog has it."""
        return next((r for r in self.roles if r.name == name), None)

    def resolve(
        self,
        labels: Mapping[str, str] | None = None,
        image: str = "",
        service: str = "",
        container_name: str = "",
    ) -> str:
        """Role name by tech label, else image name, else service or container name."""
        tech = (labels or {}).get(TECH_LABEL, "").strip().lower()
        if tech:
            for role in self.roles:
                if tech in role.tech:
                    return role.name
        base = image_base(image)
        if base:
            for role in self.roles:
                if base in role.images:
                    return role.name
        for candidate in (service, container_name):
            found = self._by_name(candidate)
            if found:
                return found
        return self.fallback

    def _by_name(self, name: str) -> str | None:
        if name in self._names:
            return self._names[name]
        if len(self._names) >= NAMES_MAX:
            self._names.clear()
        found = self._names[name] = self._scan(name)
        return found

    def _scan(self, name: str) -> str | None:
        tokens = tuple(t for t in _TOKEN_SPLIT.split(name.lower().lstrip("/")) if t)
        if not tokens:
            return None
        # Longest pattern first, so `oracle-sql` is preferred to a one-token match elsewhere.
        best: tuple[int, str] | None = None
        for role in self.roles:
            for pattern in role.names:
                if _contains(tokens, pattern) and (best is None or len(pattern) > best[0]):
                    best = (len(pattern), role.name)
        return best[1] if best else None


def _contains(tokens: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    n = len(pattern)
    return any(tokens[i : i + n] == pattern for i in range(len(tokens) - n + 1))


def image_base(image: str) -> str:
    """`registry:5000/org/postgres:16@sha256:..` -> `postgres`."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def _items(entry: Mapping[str, Any], key: str) -> list[Any]:
    """A list field; a single scalar (`tech: mongodb`) counts as a one-item list."""
    value = entry.get(key) or []
    if isinstance(value, str | int):
        return [value]
    if not isinstance(value, list):
        raise ValueError(f"catalog field {key!r} must be a list")
    return value


def parse_catalog(data: Mapping[str, Any]) -> Catalog:
    """Build a Catalog from the YAML structure; raises ValueError on a malformed entry."""
    roles = []
    for name, entry in (data.get("roles") or {}).items():
        if not isinstance(entry, Mapping):
            raise ValueError(f"catalog role {name!r} must be a mapping")
        roles.append(
            Role(
                name=str(name),
                title=str(entry.get("title", name)),
                tech=tuple(str(t).lower() for t in _items(entry, "tech")),
                images=tuple(str(i).lower() for i in _items(entry, "images")),
                names=tuple(
                    tuple(t for t in _TOKEN_SPLIT.split(str(n).lower()) if t)
                    for n in _items(entry, "names")
                ),
                ports=tuple(int(p) for p in _items(entry, "ports")),
                probe=dict(entry.get("probe") or {}),
            )
        )
    return Catalog(roles=tuple(roles), fallback=str(data.get("fallback", "other")))


@cache
def default_catalog() -> Catalog:
    """The catalog shipped with the package."""
    # Beside this module (package data), not importlib.resources: that imports tempfile,
    # ~10 ms of every `arctui status`.
    # Its parse is cached like the compose files' (no PyYAML import at a cached read).
    path = Path(__file__).with_name("catalog.yaml")
    return parse_catalog(parsed("catalog", path, path.read_text("utf-8"), load_yaml))

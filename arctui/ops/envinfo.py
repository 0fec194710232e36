"""Where each environment value comes from: for `arctui env` and the TUI's env view.

Scopes: `project` is what `docker compose --env-file` reads (interpolation). A
per-service scope is named after the compose services whose `env_file:` reads it; a
per-service file no compose file names (the platform's deprecated per-service `.env`
copies) is listed under its directory and marked unused: compose never reads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from arctui.config.envfiles import EnvLayers
from arctui.config.masking import mask_value
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.models import EnvValue

# The platform's .env.example templates use CHANGE_ME_...: a deployment still holding one
# is a finding.
PLACEHOLDER_PREFIX = "CHANGE_ME"
SHOWN_IN_WARNING = 3  # keys named in a one-line warning


@dataclass(frozen=True)
class EnvRow:
    """One variable as shown: masked value, the file it came from, what it replaced."""

    scope: str  # "project" or a service name
    key: str
    value: str  # masked
    source: str
    overridden: str
    shell_overrides: bool = False
    placeholder: bool = False
    used: bool = True  # False: no compose file reads this file


def _rel(path: str, base: Path | None) -> str:
    if base is None:
        return path
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return path


def scope_label(layers: EnvLayers, scope: str, base: Path | None = None) -> str:
    """A per-service scope as shown: its services, else its directory (relative)."""
    users = layers.scope_users(scope)
    if users:
        return ", ".join(users)
    files = layers.scope_files.get(scope, ())
    if files and layers.compose_env_files is not None:
        return _rel(str(files[0].parent), base)
    return scope


def env_rows(layers: EnvLayers, base: Path | None = None) -> list[EnvRow]:
    """Project-level values first, then each service's, keys sorted; secrets masked.

    Scopes compose reads come before the unused ones.
    """
    rows = []
    unused = set(layers.unused_scopes())
    for scope, label, values in _scopes(layers, base, unused):
        for key in sorted(values):
            v = values[key]
            rows.append(
                EnvRow(
                    scope=one_line(label, 60),
                    key=one_line(key, 120),
                    value=one_line(mask_value(v.key, v.value), 200),
                    source=one_line(_rel(v.source, base), 200),
                    overridden=one_line(", ".join(_rel(s, base) for s in v.overridden), 200),
                    shell_overrides=scope == "project" and key in layers.process_overrides,
                    placeholder=v.value.startswith(PLACEHOLDER_PREFIX),
                    used=scope not in unused,
                )
            )
    return rows


def _placeholder_keys(layers: EnvLayers, base: Path | None) -> list[str]:
    """`[r.key for r in env_rows(...) if r.placeholder and r.used]`, without building and
    masking every row: every command but `env` runs this (~7 ms of a `status`)."""
    scopes = [layers.values, *layers.per_service.values()]
    if not any(v.value.startswith(PLACEHOLDER_PREFIX) for s in scopes for v in s.values()):
        return []  # the usual case: no row order to work out
    unused = set(layers.unused_scopes())
    return [
        one_line(key, 120)
        for scope, _label, values in _scopes(layers, base, unused)
        if scope not in unused
        for key in sorted(values)
        if values[key].value.startswith(PLACEHOLDER_PREFIX)
    ]


def _scopes(
    layers: EnvLayers, base: Path | None, unused: set[str]
) -> list[tuple[str, str, Mapping[str, EnvValue]]]:
    """(scope, label, values) in the order `env_rows` shows them."""
    per_service = sorted(
        layers.per_service.items(),
        key=lambda item: (item[0] in unused, scope_label(layers, item[0], base)),
    )
    scopes = [("project", "project", layers.values)]
    scopes += [(name, scope_label(layers, name, base), values) for name, values in per_service]
    return scopes


def compose_reads(layers: EnvLayers, base: Path | None = None) -> list[str]:
    """The env files compose really reads: `--env-file` ones, then each `env_file:`."""
    out = [f"--env-file {_rel(str(p), base)}" for p in layers.files]
    for service, paths in sorted((layers.compose_env_files or {}).items()):
        for path in paths:
            out.append(f"env_file {_rel(str(path), base)} ({service})")
    return out


def unused_files(layers: EnvLayers, base: Path | None = None) -> list[str]:
    """Per-service env files that no compose file reads."""
    return [
        _rel(str(path), base)
        for scope in layers.unused_scopes()
        for path in layers.scope_files.get(scope, ())
    ]


def env_warnings(layers: EnvLayers, base: Path | None = None) -> list[str]:
    """Problems worth a banner: asked-for files that are missing, placeholders left in."""
    out = []
    for path in layers.missing:
        rel = _rel(str(path), base)
        template = path.with_name(path.name + ".example")
        hint = "" if not template.is_file() else f" (copy {_rel(str(template), base)})"
        out.append(f"expected env file not found: {rel}{hint}")
    holders = _placeholder_keys(layers, base)
    if holders:
        # A banner line, not the list: the env view and `arctui env` show every one.
        shown = ", ".join(holders[:SHOWN_IN_WARNING])
        more = len(holders) - SHOWN_IN_WARNING
        shown += f" and {more} more" if more > 0 else ""
        out.append(
            f"{len(holders)} placeholder values still set ({PLACEHOLDER_PREFIX}...): {shown}"
        )
    unused = unused_files(layers, base)
    if unused:
        out.append(
            f"{len(unused)} per-service env file{'s' * (len(unused) != 1)} that no compose file"
            f" reads (no env_file: names {'them' if len(unused) != 1 else 'it'}): {unused[0]}"
            + (f" and {len(unused) - 1} more" if len(unused) > 1 else "")
        )
    return out

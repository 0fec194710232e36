"""Where each environment value comes from: for `arctui env` and the TUI's env view."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from arctui.config.envfiles import EnvLayers
from arctui.config.masking import mask_value
from arctui.text import one_line

# The platform's .env.example templates use CHANGE_ME_...: a deployment still holding one
# is a finding.
PLACEHOLDER_PREFIX = "CHANGE_ME"


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


def _rel(path: str, base: Path | None) -> str:
    if base is None:
        return path
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return path


def env_rows(layers: EnvLayers, base: Path | None = None) -> list[EnvRow]:
    """Project-level values first, then each service's, keys sorted; secrets masked."""
    rows = []
    scopes = [("project", layers.values), *sorted(layers.per_service.items())]
    for scope, values in scopes:
        for key in sorted(values):
            v = values[key]
            rows.append(
                EnvRow(
                    scope=one_line(scope, 60),
                    key=one_line(key, 120),
                    value=one_line(mask_value(v.key, v.value), 200),
                    source=one_line(_rel(v.source, base), 200),
                    overridden=one_line(", ".join(_rel(s, base) for s in v.overridden), 200),
                    shell_overrides=scope == "project" and key in layers.process_overrides,
                    placeholder=v.value.startswith(PLACEHOLDER_PREFIX),
                )
            )
    return rows


def env_warnings(layers: EnvLayers, base: Path | None = None) -> list[str]:
    """Problems worth a banner: asked-for files that are missing, placeholders left in."""
    out = [f"expected env file not found: {_rel(str(p), base)}" for p in layers.missing]
    holders = [r.key for r in env_rows(layers, base) if r.placeholder]
    if holders:
        out.append(f"placeholder values still set ({PLACEHOLDER_PREFIX}...): {', '.join(holders)}")
    return out

"""Theme and keymap files: YAML shipped in the package or placed in the config dir."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from textual.theme import Theme

from arctui.config.settings import config_dir

THEME_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
# App variables every theme may set; these defaults apply to themes that do not
# (Textual's built-in ones, picked from the palette). Values, not $references:
# variable defaults are not resolved against the theme.
APP_VARIABLES = {
    "status-up": "ansi_green",
    "status-down": "ansi_bright_red",
    "status-degraded": "ansi_yellow",
    "status-muted": "ansi_bright_black",
    "role": "ansi_cyan",
    "prod-banner": "ansi_red",
    "prod-banner-text": "ansi_bright_white",
}


class ThemeFileError(ValueError):
    """A theme or keymap file is unusable; the message names the file and the problem."""


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ThemeFileError(f"{path}: {exc}".splitlines()[0]) from exc
    if not isinstance(data, dict):
        raise ThemeFileError(f"{path}: expected a mapping at the top level")
    return data


def theme_from_yaml(path: Path) -> Theme:
    """A textual Theme from a theme file."""
    data = _read_yaml(path)
    if not data.get("name") or not data.get("primary"):
        raise ThemeFileError(f"{path}: 'name' and 'primary' are required")
    unknown = set(data) - {"name", "dark", "variables", *THEME_FIELDS}
    if unknown:
        raise ThemeFileError(f"{path}: unknown keys {sorted(unknown)}")
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{path}: 'variables' must be a mapping")
    colours: dict[str, Any] = {k: str(data[k]) for k in THEME_FIELDS if data.get(k) is not None}
    return Theme(
        name=str(data["name"]),
        dark=bool(data.get("dark", True)),
        variables={str(k): str(v) for k, v in variables.items()},
        **colours,
    )


def _files(kind: str) -> list[Path]:
    # Shipped files live in the repository's top-level themes/ and keymaps/, installed as
    # the packages arctui.themes and arctui.keymaps (see pyproject.toml).
    shipped = resources.files(f"arctui.{kind}")
    paths = sorted(Path(str(p)) for p in shipped.iterdir() if p.name.endswith(".yaml"))
    user = config_dir() / kind
    if user.is_dir():
        paths += sorted(user.glob("*.yaml"))
    return paths


def load_themes() -> tuple[list[Theme], list[str]]:
    """All shipped and user themes, and one error line per file that could not be used."""
    themes, errors = [], []
    for path in _files("themes"):
        try:
            themes.append(theme_from_yaml(path))
        except ThemeFileError as exc:
            errors.append(str(exc))
    return themes, errors


def load_keymap(name: str) -> dict[str, str]:
    """Binding id -> keys from the keymap called `name` (user dir first, then shipped)."""
    for path in reversed(_files("keymaps")):
        if path.stem == name:
            data = _read_yaml(path)
            bindings = data.get("bindings") or {}
            if not isinstance(bindings, dict):
                raise ThemeFileError(f"{path}: 'bindings' must be a mapping of id: key")
            return {str(k): str(v) for k, v in bindings.items()}
    raise ThemeFileError(f"no keymap called {name!r} (looked in the package and {config_dir()})")

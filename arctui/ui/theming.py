"""Theme and keymap files: YAML shipped in the package or placed in the config dir."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from textual.color import Color, ColorParseError
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


_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


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
    theme = Theme(
        name=str(data["name"]),
        dark=bool(data.get("dark", True)),
        variables={str(k): str(v) for k, v in variables.items()},
        **colours,
    )
    validate_theme(theme, path)
    return theme


def validate_theme(theme: Theme, origin: Path | str = "theme") -> None:
    """Raise ThemeFileError unless every colour parses and every variable is CSS-safe.

    Registering a theme Textual cannot use ends the app later (a bad colour raises
    while the app restyles; a `}` in a variable breaks the whole stylesheet), so a
    theme is checked before it is offered at all.
    """
    from textual.css.tokenize import tokenize_values
    from textual.css.tokenizer import TokenError

    for name in THEME_FIELDS:
        value = getattr(theme, name, None)
        if value is None:
            continue
        try:
            Color.parse(value)
        except ColorParseError:
            raise ThemeFileError(f"{origin}: {name} {value!r} is not a colour") from None
    for name, value in theme.variables.items():
        if not _VARIABLE_NAME.match(name):
            raise ThemeFileError(f"{origin}: variable name {name!r} is not a CSS name")
        try:
            tokenize_values({name: value})
        except TokenError:
            raise ThemeFileError(f"{origin}: variable {name} {value!r} is not CSS") from None
        if name in APP_VARIABLES:  # the app uses these as colours
            try:
                Color.parse(value)
            except ColorParseError:
                raise ThemeFileError(
                    f"{origin}: variable {name} {value!r} is not a colour"
                ) from None
    try:
        theme.to_color_system().generate()
    except (ColorParseError, ValueError) as exc:
        raise ThemeFileError(f"{origin}: {exc}".splitlines()[0]) from None


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


QUIT_ID = "app.quit"
_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})


def is_key_name(key: str) -> bool:
    """Whether Textual knows this key name (`q`, `ctrl+r`, `f5`, `right_square_bracket`)."""
    from textual.keys import Keys, key_to_character

    *modifiers, name = key.strip().split("+")
    if not name or not set(modifiers) <= _MODIFIERS:
        return False
    return name in {k.value for k in Keys} or key_to_character(name) is not None


def _keys(value: str) -> list[str]:
    return [k.strip() for k in value.split(",") if k.strip()]


def check_keymap(
    keymap: dict[str, str], known_ids: set[str] | None, quit_keys: str = "q"
) -> tuple[dict[str, str], list[str]]:
    """The usable part of a keymap and one line per problem left out.

    Unknown binding ids and key names Textual does not know are reported, not silently
    ignored; a binding may not take the key that quits, and quit always keeps a key.
    """
    usable: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, value in keymap.items():
        if known_ids is not None and binding_id not in known_ids:
            problems.append(f"unknown binding id {binding_id!r}")
            continue
        bad = [k for k in _keys(value) if not is_key_name(k)]
        if bad or not _keys(value):
            problems.append(f"{binding_id}: {', '.join(bad) or 'nothing'} is not a key name")
            continue
        usable[binding_id] = ",".join(_keys(value))
    quitting = set(_keys(usable.get(QUIT_ID, quit_keys)))
    for binding_id, value in list(usable.items()):
        if binding_id != QUIT_ID and quitting & set(_keys(value)):
            taken = ", ".join(sorted(quitting & set(_keys(value))))
            problems.append(f"{binding_id}: {taken} is the quit key; quit keeps it")
            del usable[binding_id]
    return usable, problems

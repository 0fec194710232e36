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
from arctui.quoting import quoted
from arctui.yamlio import ConfigTooLarge, load_config_yaml, read_config_text, yaml_problem

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


MAX_MESSAGE = 400  # a backstop: values are quoted short, but a path can be long too


class ThemeFileError(ValueError):
    """A theme or keymap file is unusable; the message names the file and the problem."""

    def __init__(self, message: str) -> None:
        message = " ".join(message.split())  # one notification line
        super().__init__(message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…")


def _read_yaml(path: Path, what: str) -> dict[str, Any]:
    # Size first: a 10 MB theme took 8 s of CPU and 540 MB to parse, then filled the
    # screen with its own value. Duplicate keys are errors (the second silently won).
    try:
        data = load_config_yaml(read_config_text(path, what))
    except yaml.YAMLError as exc:
        problem, line = yaml_problem(exc)
        where = path if line is None else f"{path}:{line}"
        raise ThemeFileError(f"{where}: {problem}") from None
    except ConfigTooLarge as exc:
        raise ThemeFileError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"{path}: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise ThemeFileError(f"{path}: expected a mapping at the top level")
    return data


def theme_from_yaml(path: Path) -> Theme:
    """A textual Theme from a theme file."""
    data = _read_yaml(path, "theme")
    if not data.get("name") or not data.get("primary"):
        raise ThemeFileError(f"{path}: 'name' and 'primary' are required")
    unknown = set(data) - {"name", "dark", "variables", *THEME_FIELDS}
    if unknown:
        raise ThemeFileError(f"{path}: unknown keys {quoted(sorted(map(str, unknown)))}")
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
            raise ThemeFileError(f"{origin}: {name} {quoted(value)} is not a colour") from None
    for name, value in theme.variables.items():
        if not _VARIABLE_NAME.match(name):
            raise ThemeFileError(f"{origin}: variable name {quoted(name)} is not a CSS name")
        try:
            tokenize_values({name: value})
        except TokenError:
            raise ThemeFileError(f"{origin}: variable {name} {quoted(value)} is not CSS") from None
        if name in APP_VARIABLES:  # the app uses these as colours
            try:
                Color.parse(value)
            except ColorParseError:
                raise ThemeFileError(
                    f"{origin}: variable {name} {quoted(value)} is not a colour"
                ) from None
    banner = theme.variables.get("prod-banner")
    if banner is not None and not is_red(Color.parse(banner)):
        # Production must look like production whatever the theme: a shade of red.
        raise ThemeFileError(f"{origin}: prod-banner {quoted(banner)} must be a red")
    try:
        theme.to_color_system().generate()
    except (ColorParseError, ValueError) as exc:
        raise ThemeFileError(f"{origin}: {exc}".splitlines()[0]) from None


def is_red(colour: Color) -> bool:
    """Hue within 20 degrees of red, and saturated (the production accent)."""
    hue, saturation, _ = colour.hsl
    return (hue < 20 / 360 or hue > 340 / 360) and saturation > 0.5


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
            data = _read_yaml(path, "keymap")
            bindings = data.get("bindings") or {}
            if not isinstance(bindings, dict):
                raise ThemeFileError(f"{path}: 'bindings' must be a mapping of id: key")
            return {str(k): str(v) for k, v in bindings.items()}
    raise ThemeFileError(
        f"no keymap called {quoted(name)} (looked in the package and {config_dir()})"
    )


QUIT_ID = "app.quit"
_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})


def is_key_name(key: str) -> bool:
    """Whether Textual knows this key name (`q`, `ctrl+r`, `f5`, `slash`, `question_mark`)."""
    from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

    *modifiers, name = key.strip().split("+")
    if not name or not set(modifiers) <= _MODIFIERS:
        return False
    if name in {k.value for k in Keys} or key_to_character(name) is not None:
        return True
    # Textual's short names for printable characters (`/` is `slash`, not `solidus`),
    # which unicodedata cannot look up: its public table, not its private converter.
    return name in KEY_NAME_REPLACEMENTS.values()


def _keys(value: str) -> list[str]:
    return [k.strip() for k in value.split(",") if k.strip()]


def _shown_id(binding_id: str) -> str:
    # An id as written (`services.filter`), quoted short when it is not one.
    return binding_id if len(binding_id) <= 60 and binding_id.isprintable() else quoted(binding_id)


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
            problems.append(f"unknown binding id {quoted(binding_id)}")
            continue
        bad = [k for k in _keys(value) if not is_key_name(k)]
        if bad or not _keys(value):
            named = ", ".join(_shown_id(k) for k in bad[:3]) + (", ..." if len(bad) > 3 else "")
            problems.append(f"{_shown_id(binding_id)}: {named or 'nothing'} is not a key name")
            continue
        usable[binding_id] = ",".join(_keys(value))
    quitting = set(_keys(usable.get(QUIT_ID, quit_keys)))
    for binding_id, value in list(usable.items()):
        if binding_id != QUIT_ID and quitting & set(_keys(value)):
            taken = ", ".join(sorted(quitting & set(_keys(value))))
            problems.append(f"{_shown_id(binding_id)}: {taken} is the quit key; quit keeps it")
            del usable[binding_id]
    return usable, problems


# --- Every binding of the app, and keymap clashes -----------------------------------------

BindingGroup = tuple[str, tuple[Any, ...]]  # (where, bindings)


def binding_classes() -> list[type]:
    """Every arctui class that declares BINDINGS: the shell, its screens, every tab's view.

    Imports every tab's view package (the app loads them lazily; call this off the
    first frame).
    """
    import importlib
    import inspect
    import pkgutil

    from textual.dom import DOMNode

    from arctui.tabs import TABS
    from arctui.ui.app import ArcApp

    packages = ["arctui.ui"]
    packages += [spec.view.partition(":")[0].rpartition(".")[0] for spec in TABS]
    modules = []
    for name in packages:
        package = importlib.import_module(name)
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            modules.append(importlib.import_module(info.name))
    classes: dict[str, type] = {"arctui.ui.app.ArcApp": ArcApp}
    for module in modules:
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                obj.__module__.startswith("arctui.")
                and issubclass(obj, DOMNode)
                and "BINDINGS" in vars(obj)
            ):
                classes[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [classes[k] for k in sorted(classes)]


def merged_bindings(cls: type) -> dict[str, list[Any]]:
    """Key -> bindings of a class along its MRO, as Textual merges them (a subclass's
    bindings for a key replace its bases')."""
    from textual.binding import Binding

    by_key: dict[str, list[Any]] = {}
    for klass in reversed(cls.__mro__):
        mine: dict[str, list[Any]] = {}
        for binding in Binding.make_bindings(vars(klass).get("BINDINGS", ())):
            for key in _keys(binding.key):
                mine.setdefault(key, []).append(binding)
        by_key.update(mine)
    return by_key


def _all(by_key: dict[str, list[Any]]) -> list[Any]:
    seen: dict[int, Any] = {}
    for bindings in by_key.values():
        for binding in bindings:
            seen.setdefault(id(binding), binding)
    return list(seen.values())


def binding_groups(classes: list[type]) -> list[BindingGroup]:
    """Sets of bindings that are active together: each class alone, and each widget with
    the app's own bindings (a widget's key shadows the app's while it has the focus)."""
    from textual.app import App
    from textual.screen import Screen

    apps = [c for c in classes if issubclass(c, App)]
    app = max(apps, key=lambda c: len(c.__mro__), default=None)  # ArcApp, not its base
    app_bindings = tuple(_all(merged_bindings(app))) if app else ()
    groups: list[BindingGroup] = []
    for cls in classes:
        own = tuple(_all(merged_bindings(cls)))
        groups.append((cls.__name__, own))
        if not issubclass(cls, App | Screen):
            groups.append((f"{cls.__name__} + app", own + app_bindings))
    return groups


def _name(binding: Any) -> str:
    return str(binding.id or binding.action)


def _clash_lines(keymap: dict[str, str], groups: list[BindingGroup]) -> dict[str, str]:
    """'key is both a and b' -> where (the first group it shows in)."""
    lines: dict[str, str] = {}
    for where, bindings in groups:
        by_key: dict[str, set[str]] = {}
        for binding in bindings:
            keys = keymap.get(binding.id) if binding.id else None
            for key in _keys(keys or binding.key):
                by_key.setdefault(key, set()).add(_name(binding))
        for key, names in by_key.items():
            if len(names) > 1:
                lines.setdefault(f"{key} is both {' and '.join(sorted(names))}", where)
    return lines


def keymap_clashes(keymap: dict[str, str], groups: list[BindingGroup]) -> list[str]:
    """Clashes the keymap introduces: one key bound to two actions active together.

    Clashes the shipped defaults already have (a tab's `D` over the app's stack down)
    are the design, not the keymap's doing, and are left out.
    """
    before = _clash_lines({}, groups)
    after = _clash_lines(keymap, groups)
    return [f"{line} ({where})" for line, where in sorted(after.items()) if line not in before]


def keymap_report(keymap: dict[str, str]) -> list[str]:
    """Everything wrong with a keymap against every binding of the app (ids, clashes)."""
    classes = binding_classes()
    known = {b.id for cls in classes for b in _all(merged_bindings(cls)) if b.id}
    usable, problems = check_keymap(keymap, known)
    return problems + [f"clash: {c}" for c in keymap_clashes(usable, binding_groups(classes))]


MAX_PROBLEMS_SHOWN = 6


def problem_summary(problems: list[str]) -> str:
    """The first problems, and how many more: a keymap of 1,000 bad ids is one short note."""
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def keymap_names() -> list[str]:
    """Shipped and user keymaps by name."""
    return sorted({p.stem for p in _files("keymaps")})

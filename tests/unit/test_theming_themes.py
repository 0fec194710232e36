"""Themes: the shipped set, no colour literals in any stylesheet, the production accent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.color import Color

from arctui.ui.theming import binding_classes, is_red, load_themes

ROOT = Path(__file__).resolve().parents[2]
# A hex colour, an rgb()/hsl() call, or a named colour as a property value.
LITERAL = re.compile(
    r"#[0-9a-fA-F]{3,8}\b|\b(?:rgb|rgba|hsl|hsla)\(|"
    r":\s*(?:[a-z-]+\s+)?(?:ansi_[a-z_]+|red|green|blue|yellow|white|black|cyan|magenta|"
    r"gr[ae]y|orange|purple|pink)\b"
)


def _stylesheets() -> list[tuple[str, str]]:
    sheets = [
        (str(p.relative_to(ROOT)), p.read_text("utf-8")) for p in ROOT.glob("arctui/**/*.tcss")
    ]
    for cls in {*binding_classes(), *_styled_classes()}:
        css = vars(cls).get("DEFAULT_CSS")
        if css:
            sheets.append((f"{cls.__module__}.{cls.__qualname__}.DEFAULT_CSS", css))
    return sheets


def _styled_classes() -> list[type]:
    import importlib
    import inspect
    import pkgutil

    import arctui.ui

    found = []
    for info in pkgutil.walk_packages(arctui.ui.__path__, "arctui.ui."):
        module = importlib.import_module(info.name)
        found += [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if c.__module__.startswith("arctui.") and "DEFAULT_CSS" in vars(c)
        ]
    return found


def test_no_colour_literals_in_any_stylesheet() -> None:
    """Colours come from theme variables, so every theme (and NO_COLOR) applies."""
    offenders = []
    for where, css in _stylesheets():
        text = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        offenders += [f"{where}: {m.group(0)}" for m in LITERAL.finditer(text)]
    assert len(_stylesheets()) > 5
    assert offenders == []


def test_the_literal_check_would_catch_one() -> None:
    for css in ("X { color: #ff0000; }", "X { background: red; }", "X { color: rgb(1,2,3); }",
                "X { border: tall ansi_red; }"):  # fmt: skip
        assert LITERAL.search(css), css


def test_shipped_themes() -> None:
    themes, errors = load_themes()
    assert errors == []
    names = {t.name for t in themes}
    assert {"arc-dark", "arc-light", "arc-mono", "arc-contrast", "arc-16"} <= names
    sixteen = next(t for t in themes if t.name == "arc-16")
    colours = [sixteen.primary, sixteen.background, sixteen.foreground, *sixteen.variables.values()]
    assert all(str(c).startswith("ansi_") for c in colours)  # the terminal's own colours


@pytest.mark.parametrize("theme", [t for t in load_themes()[0]], ids=lambda t: t.name)
def test_production_accent_is_red_in_every_theme(theme) -> None:
    """The production header must never look like a dev one, whatever the theme."""
    colour = Color.parse(theme.variables["prod-banner"])
    assert is_red(colour), theme.name
    text = Color.parse(theme.variables["prod-banner-text"])
    assert abs(text.brightness - colour.brightness) > 0.4


@pytest.mark.parametrize(
    ("banner", "ok"),
    [("#B91C1C", True), ("ansi_red", True), ("#00AA00", False), ("#808080", False)],
)
def test_a_theme_cannot_make_production_look_like_dev(tmp_path, banner: str, ok: bool) -> None:
    from arctui.ui.theming import ThemeFileError, theme_from_yaml

    path = tmp_path / "mine.yaml"
    path.write_text(f"name: mine\nprimary: '#4EA1FF'\nvariables:\n  prod-banner: '{banner}'\n")
    if ok:
        assert theme_from_yaml(path).variables["prod-banner"] == banner
    else:
        with pytest.raises(ThemeFileError, match=r"prod-banner .* must be a red"):
            theme_from_yaml(path)

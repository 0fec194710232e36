"""Contracts: the headless layers never load Textual; shipped keymaps and themes are valid."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

HEADLESS_MODULES = (
    "arctui.cli",
    "arctui.session",
    "arctui.sources.docker_engine",
    "arctui.sources.compose",
    "arctui.stack.model",
    "arctui.stack.reader",
    "arctui.stack.report",
    "arctui.models",
    "arctui.demo.platform",
    "arctui.config",
)


def test_headless_cli_never_imports_textual_or_ui() -> None:
    code = (
        "import contextlib, io, json, sys\n"
        f"import {', '.join(HEADLESS_MODULES)}\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    rc = arctui.cli.main(['--demo', 'status', '--json'])\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')"
        " or m == 'arctui.ui' or m.startswith('arctui.ui.'))\n"
        "print(json.dumps({'rc': rc, 'bad': bad, 'out': buf.getvalue()}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["bad"] == []
    assert report["rc"] in (0, 1)  # 1 = the demo platform has problems to report
    status = json.loads(report["out"])
    assert status["project"]
    assert len(status["services"]) > 0
    assert {"service", "role", "state", "health"} <= set(status["services"][0])


def test_the_registry_knows_every_tab_command_without_importing_it() -> None:
    from arctui.tabs import TABS

    for spec in TABS:
        module = spec.load_cli()
        assert tuple(getattr(module, "COMMANDS", ())) == spec.commands, spec.id


def test_a_command_line_imports_only_the_tab_cli_it_names() -> None:
    code = (
        "import sys\n"
        "from arctui.cli import build_parser\n"
        "args = build_parser(sys.argv[1:]).parse_args(sys.argv[1:])\n"
        "print(args.command, sorted(m for m in sys.modules if m.endswith('.cli')"
        " and m.startswith('arctui.tabs.')))\n"
    )

    def run(*argv: str) -> str:
        cmd = [sys.executable, "-c", code, *argv]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()

    assert run("--demo") == "None []"
    assert run("--env", "prod", "status") == "status []"
    assert run("redis", "bigkeys") == "redis ['arctui.tabs.redis.cli']"
    assert run("backup", "list", "--json") == "backup ['arctui.tabs.backups.cli']"


# --- keymaps ------------------------------------------------------------------------------


def _ui_binding_classes() -> set[type]:
    from arctui.ui.app import ArcApp

    modules = []
    for name in ("arctui.ui", "arctui.tabs"):  # the shell and every tab's view
        package = importlib.import_module(name)
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            modules.append(importlib.import_module(info.name))
    classes: set[type] = {ArcApp}
    for module in modules:
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__.startswith("arctui.") and "BINDINGS" in vars(obj):
                classes.add(obj)
    return classes


def test_every_binding_has_an_id() -> None:
    """Keymaps and user overrides address bindings by id: one without is not remappable."""
    missing = [
        f"{cls.__name__}: {binding.key}"
        for cls in _ui_binding_classes()
        for binding in vars(cls).get("BINDINGS", ())
        if not getattr(binding, "id", None)
    ]
    assert missing == []


def _ui_binding_ids() -> set[str]:
    classes = _ui_binding_classes()
    ids = set()
    for cls in classes:
        for binding in vars(cls).get("BINDINGS", ()):
            binding_id = getattr(binding, "id", None)
            if binding_id:
                ids.add(binding_id)
    return ids


def _shipped(kind: str) -> list[Path]:
    folder = resources.files(f"arctui.{kind}")
    paths = sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))
    assert paths, f"no shipped {kind}"
    return paths


def test_binding_ids_cover_the_known_scopes() -> None:
    ids = _ui_binding_ids()
    for expected in ("app.quit", "app.refresh", "table.down", "services.filter"):
        assert expected in ids


@pytest.mark.parametrize("path", _shipped("keymaps"), ids=lambda p: p.name)
def test_every_keymap_id_exists(path: Path) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    bindings = data.get("bindings") or {}
    assert isinstance(bindings, dict)
    unknown = sorted(set(bindings) - _ui_binding_ids())
    assert unknown == [], f"{path.name} names bindings that do not exist: {unknown}"
    assert all(isinstance(v, str) and v for v in bindings.values())


def test_vim_keymap_maps_movement() -> None:
    from arctui.ui.theming import load_keymap

    vim = load_keymap("vim")
    assert vim["table.down"].split(",") == ["down", "j"]  # the arrows keep working
    assert vim["table.up"].split(",") == ["up", "k"]
    assert load_keymap("default") == {}


# --- themes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _shipped("themes"), ids=lambda p: p.name)
def test_shipped_theme_loads_with_every_app_variable(path: Path) -> None:
    from arctui.ui.theming import APP_VARIABLES, theme_from_yaml

    theme = theme_from_yaml(path)
    assert theme.name == path.stem
    assert theme.primary
    missing = sorted(set(APP_VARIABLES) - set(theme.variables))
    assert missing == [], f"{path.name} lacks {missing}"


def test_shipped_themes_have_distinct_names() -> None:
    from arctui.ui.theming import load_themes

    themes, errors = load_themes()
    assert errors == []
    names = [t.name for t in themes]
    assert len(names) == len(set(names))
    assert {"arc-dark", "arc-light", "arc-mono"} <= set(names)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("name: x\nprimary: [unclosed\n", ""),
        ("- just\n- a list\n", "expected a mapping"),
        ("dark: true\n", "'name' and 'primary' are required"),
        ("name: x\nprimary: '#fff'\ncolour: red\n", "unknown keys ['colour']"),
        ("name: x\nprimary: '#fff'\nvariables: [a, b]\n", "'variables' must be a mapping"),
    ],
)
def test_broken_theme_file_names_the_file(tmp_path: Path, content: str, problem: str) -> None:
    from arctui.ui.theming import ThemeFileError, theme_from_yaml

    path = tmp_path / "broken-theme.yaml"
    path.write_text(content)
    with pytest.raises(ThemeFileError) as info:
        theme_from_yaml(path)
    message = str(info.value)
    assert str(path) in message
    assert problem in message
    assert "\n" not in message


def test_broken_user_theme_is_reported_not_raised(tmp_path: Path) -> None:
    from arctui.ui.theming import load_themes

    # conftest points XDG_CONFIG_HOME at tmp_path / "config".
    user_dir = tmp_path / "config" / "arctui" / "themes"
    user_dir.mkdir(parents=True)
    (user_dir / "mine.yaml").write_text("name: mine\nprimary: [\n")
    themes, errors = load_themes()
    assert {"arc-dark", "arc-light", "arc-mono"} <= {t.name for t in themes}
    assert len(errors) == 1
    assert "mine.yaml" in errors[0]

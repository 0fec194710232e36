"""The package layout holds: every package folder ships, data modules never import Textual."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tracked(*paths: str) -> list[str]:
    """Files git tracks under `paths` (what a clean checkout holds)."""
    return subprocess.run(
        ["git", "ls-files", *paths], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()


def _tracked_package_dirs() -> set[str]:
    """Folders under arctui/ (and themes/, keymaps/) that hold tracked files."""
    names = set()
    for path in _tracked("arctui", "themes", "keymaps"):
        folder = Path(path).parent
        if folder.parts[0] in ("themes", "keymaps"):
            names.add(f"arctui.{folder.parts[0]}")
        elif (ROOT / folder / "__init__.py").exists():
            names.add(".".join(folder.parts))
    return names


def _declared_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return set(data["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_in_the_package_list() -> None:
    missing = sorted(_tracked_package_dirs() - _declared_packages())
    assert missing == [], f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_the_wheel_ships_themes_keymaps_styles_and_every_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("arctui-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for theme in (ROOT / "themes").glob("*.yaml"):
        assert f"arctui/themes/{theme.name}" in names
    for keymap in (ROOT / "keymaps").glob("*.yaml"):
        assert f"arctui/keymaps/{keymap.name}" in names
    for tcss in _tracked("arctui/**.tcss"):
        assert tcss in names
    for package in _declared_packages():
        assert f"{package.replace('.', '/')}/__init__.py" in names, package


def test_data_modules_never_import_textual() -> None:
    """Only arctui/ui and the tabs' view/ packages may import Textual (or pull it in)."""
    code = """
import importlib, json, pkgutil, sys
import arctui
bad = []
for info in pkgutil.walk_packages(arctui.__path__, "arctui."):
    name = info.name
    parts = name.split(".")
    if parts[1] == "ui" or "view" in parts or name in ("arctui.__main__",):
        continue
    importlib.import_module(name)
    if "textual" in sys.modules:
        bad.append(name)
        break
print(json.dumps(bad))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []

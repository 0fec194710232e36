"""Views reach the app through `arctui.ui.shell.Shell`, never `getattr(app, "name", default)`.

A getattr with a default hides a renamed member behind a silent fallback (a read-only app
whose `actions_disabled` went missing would have offered nothing, or everything). The
typed interface makes mypy catch it instead (`_SHELL: type[Shell] = ArcApp`).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "arctui"
VIEW_FILES = sorted([*ROOT.glob("ui/**/*.py"), *ROOT.glob("tabs/*/view/**/*.py")])


def _is_app(node: ast.expr) -> bool:
    """`app`, `self.app`, `self.host.app`, ...: an expression naming the app."""
    if isinstance(node, ast.Name):
        return node.id == "app"
    return isinstance(node, ast.Attribute) and node.attr == "app"


def _getattr_on_app(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr"}
            and node.args
            and _is_app(node.args[0])
        ):
            found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_view_asks_the_app_with_getattr() -> None:
    found = [hit for path in VIEW_FILES for hit in _getattr_on_app(path)]
    assert not found, "use arctui.ui.shell.shell(app) instead:\n" + "\n".join(found)


def test_the_check_sees_a_getattr_on_the_app(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('x = getattr(self.app, "audit", None)\ny = hasattr(app, "z")\n')
    assert len(_getattr_on_app(sample)) == 2

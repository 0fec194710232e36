"""Imports point down: every import in arctui/ (inside functions too) against one layer order.

The order, lowest first, is `LAYERS`; a module may import its own layer or a lower one.
Two more rules: a tab never imports another tab, and the shell (`arctui.ui`) reaches the
tabs only through the registry (`arctui.tabs`). Today's exceptions are `ALLOWED`: the list
may only shrink; an entry that no longer happens fails the test, so fixing an inversion
means deleting its line. Module size has the same kind of list (`LONG_MODULES`).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "arctui"

# Lowest first. A name matches itself and everything under it; the longest match wins.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("arctui", "arctui.yamlio", "arctui.units", "arctui.models"),
    # arctui.tabs alone is the registry (names, no imports); arctui.commands likewise
    ("arctui.config", "arctui.tabs", "arctui.commands"),
    ("arctui.text", "arctui.output"),  # the sanitizer uses the redactor's known values
    ("arctui.sources", "arctui.demo"),
    ("arctui.stack",),
    ("arctui.session", "arctui.fleet"),  # fleet: one session per engine (issue 24)
    ("arctui.ops.runner", "arctui.ops.audit", "arctui.ops.guards", "arctui.ops.gate"),
    ("arctui.ops",),  # lifecycle, perform, readback, health, blue-green ...
    ("arctui.ops.backups",),
    ("arctui.ops.doctor",),
    ("arctui.ops.diagnostics",),
    ("arctui.ops.maintenance",),  # disk, prune, runbook, calendar, images (above doctor)
    ("arctui.tabs.*",),  # a tab's models, reader, demo, cli, actions (no Textual)
    # recorded data: what a frame is, what of it is stored, how, and the one writer
    (
        "arctui.record.frame",
        "arctui.record.store",
        "arctui.record.codec",
        "arctui.record.event_codec",
        "arctui.record.slim",
        "arctui.record.lock",
    ),
    ("arctui.alerts",),  # rules over a frame, delivery (never acts)
    ("arctui.record",),  # the recorder loop, history, replay sources, OpenMetrics
    ("arctui.ui",),
    ("arctui.tabs.*.view",),
    (
        "arctui.cli",
        "arctui.cli_actions",
        "arctui.cli_parse",
        "arctui.cli_health",
        "arctui.cli_status",
        "arctui.web",
        "arctui.__main__",
    ),
)

# (importer, imported) pairs that break the order today. Only delete lines.
ALLOWED: frozenset[tuple[str, str]] = frozenset()

# Modules over MAX_LINES today. Only delete lines (or lower a figure after a split).
MAX_LINES = 500
LONG_MODULES: dict[str, int] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every arctui module `path` imports, at any depth of its code."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # `from arctui.ops import audit` imports the module arctui.ops.audit
            found.update(
                f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}")
            )
    return {m for m in found if m == "arctui" or m.startswith("arctui.")}


def _is_module(name: str) -> bool:
    path = ROOT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _pattern_matches(pattern: str, name: str) -> int:
    """Length of the match of `pattern` (with * for one part) on `name`, or -1."""
    want, got = pattern.split("."), name.split(".")
    if len(got) < len(want):
        return -1
    for w, g in zip(want, got, strict=False):
        if w != "*" and w != g:
            return -1
    return len(want)


def rank(name: str) -> int:
    best, best_len = -1, -1
    for level, patterns in enumerate(LAYERS):
        for pattern in patterns:
            length = _pattern_matches(pattern, name)
            if length > best_len:
                best, best_len = level, length
    assert best >= 0, f"{name} is in no layer: add it to LAYERS"
    return best


def _tab_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "tabs" else None


def violations() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(ROOT.rglob("*.py")):
        importer = _module_name(path)
        for imported in _imports(path):
            if imported == importer or importer.startswith(imported + "."):
                continue  # a package's own __init__ (imported on the way down)
            down = rank(imported) <= rank(importer)
            tab_a, tab_b = _tab_of(importer), _tab_of(imported)
            other_tab = tab_a is not None and tab_b is not None and tab_a != tab_b
            shell_to_tab = importer.startswith("arctui.ui") and tab_b is not None
            if not down or other_tab or shell_to_tab:
                found.add((importer, imported))
    return found


def test_imports_point_down() -> None:
    new = violations() - ALLOWED
    assert not new, "imports that point up (fix them; do not add them to ALLOWED):\n" + "\n".join(
        f"  {a} -> {b}" for a, b in sorted(new)
    )


def test_the_allow_list_only_shrinks() -> None:
    stale = ALLOWED - violations()
    assert not stale, "fixed: delete these lines from ALLOWED:\n" + "\n".join(
        f"  {a} -> {b}" for a, b in sorted(stale)
    )


def test_the_layer_order_sees_inversions() -> None:
    # The checker itself: known shapes are judged as the order says.
    assert rank("arctui.sources.compose") < rank("arctui.ops.perform")
    assert rank("arctui.ops.gate") < rank("arctui.ops.lifecycle") < rank("arctui.ops.backups.run")
    assert (
        rank("arctui.tabs.redis.reader")
        < rank("arctui.ui.app")
        < rank("arctui.tabs.redis.view.tab")
    )
    assert rank("arctui.tabs") < rank("arctui.session")
    assert rank("arctui.cli") > rank("arctui.tabs.logs.view.tab")


def test_modules_stay_short() -> None:
    sizes = {
        _module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in ROOT.rglob("*.py")
    }
    over = {m: n for m, n in sizes.items() if n > MAX_LINES and n > LONG_MODULES.get(m, 0)}
    assert not over, f"modules over {MAX_LINES} lines (split them by job): {over}"
    shrunk = {m: (n, sizes.get(m, 0)) for m, n in LONG_MODULES.items() if sizes.get(m, 0) < n}
    assert not shrunk, f"LONG_MODULES figures to lower or delete (listed, now): {shrunk}"


if __name__ == "__main__":  # print today's lists, to fill ALLOWED / LONG_MODULES once
    for a, b in sorted(violations()):
        print(f'    ("{a}", "{b}"),')

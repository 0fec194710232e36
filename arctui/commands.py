"""Headless commands that belong to no tab: their names and the module of each.

Like a tab's `cli` (see `arctui.tabs.TabSpec`), each module has COMMANDS (the names it
adds), add_parsers(subparsers) and run(session, args) -> int, and may set
SAFE_OUTPUT = True when it prints through `arctui.output` itself. A module is imported
only when one of its commands is on the command line, so `arctui status` stays fast.
Adding a command group means adding one line here, not editing `arctui/cli.py`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# command name -> module path. Names, no imports: this sits with the tab registry.
EXTRA: dict[str, str] = {
    "record": "arctui.record.cli",
    "history": "arctui.record.cli",
    "alerts": "arctui.alerts.cli",
    "images": "arctui.ops.maintenance.images_cli",
    "update": "arctui.ops.maintenance.images_cli",
    "disk": "arctui.tabs.maintenance.cli",
    "prune": "arctui.tabs.maintenance.cli",
    "run": "arctui.tabs.maintenance.cli",
    "maintenance": "arctui.tabs.maintenance.cli",
    "agent": "arctui.tabs.resources.agent",
}


def modules_for(names: set[str] | None) -> dict[str, ModuleType]:
    """The command modules to load for these argv words (None: every module, for --help)."""
    wanted = {m for c, m in EXTRA.items() if names is None or c in names}
    return {m: importlib.import_module(m) for m in sorted(wanted)}


def module_of(command: str | None) -> str | None:
    """The module path of a command, or None if no extra module provides it."""
    return EXTRA.get(command) if command else None

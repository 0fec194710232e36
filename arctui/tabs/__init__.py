"""The tab registry: every tab of the app, its key, title, view and headless command.

The app builds its tabs from `TABS`, never by name. Each tab lives in its own package
(`arctui/tabs/<id>/`) with the same file names:

- `models.py`  frozen snapshots of what the tab shows            (no Textual)
- `reader.py`  builds a snapshot from `arctui.sources`            (no Textual)
- `demo.py`    the simulated source behind `--demo`               (no Textual)
- `cli.py`     its headless subcommand(s), if any                 (no Textual)
- `view/`      the Textual widget (`tab.py`), pure presenters, widgets, `<id>.tcss`

`view` and `cli` are dotted paths imported only when needed, so `arctui status` never
imports Textual and the first frame never imports psycopg or redis-py.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TabSpec:
    """One tab: `view` is "module:Class" (a Textual widget taking the Session)."""

    id: str
    title: str
    view: str
    # Module with COMMANDS (tuple of subcommand names), add_parsers(subparsers) and
    # run(session, args) -> int. None: the tab has no headless command.
    cli: str | None = None
    # The names in that module's COMMANDS, known here so that starting the TUI (or any
    # other command) does not import every tab's CLI to build the parser.
    commands: tuple[str, ...] = ()
    # What the tab will show, for a tab whose view is not built yet.
    plan: str = ""
    # "module:function" building the tab's data source from the Session, for a tab whose
    # source the session carries (the session names no tab module: imports point down),
    # or that ops/ reads (diagnostics asks for Redis's: (source, origin), a new connection).
    source: str | None = None
    # "module:function" giving the command palette's entries named after the tab's state
    # (called with the app: a list of (title, callback, help)), listed even while the
    # tab is not built; the shell asks the registry, never imports a tab.
    palette: str | None = None
    # "module:Class": the view in a replay (`--at`), for a tab whose live view cannot show
    # a recording (Logs follows the engine; replay has its counts). None: `view` itself.
    replay_view: str | None = None

    def load_view(self, replay: bool = False) -> Any:
        """The view class (imports Textual: TUI only); `replay`: the replay's view."""
        path = self.replay_view if replay and self.replay_view else self.view
        module, _, name = path.partition(":")
        return getattr(importlib.import_module(module), name)

    def css_path(self) -> Path | None:
        """`<id>.tcss` beside the view module, if the tab has one."""
        from importlib.resources import files as package_files  # the UI only: ~7 ms

        package = self.view.partition(":")[0].rpartition(".")[0]
        path = Path(str(package_files(package).joinpath(f"{self.id}.tcss")))
        return path if path.is_file() else None

    def load_source(self) -> Any | None:
        """The source factory (called with the Session), or None."""
        if self.source is None:
            return None
        module, _, name = self.source.partition(":")
        return getattr(importlib.import_module(module), name)

    def load_palette(self) -> Any | None:
        """The palette entries function (called with the app), or None."""
        if self.palette is None:
            return None
        module, _, name = self.palette.partition(":")
        return getattr(importlib.import_module(module), name)

    def load_cli(self) -> Any | None:
        """The headless command module, or None."""
        return importlib.import_module(self.cli) if self.cli else None


NOT_BUILT = "arctui.ui.not_built:NotBuiltTab"

TABS: tuple[TabSpec, ...] = (
    TabSpec("services", "Services", "arctui.tabs.services.view.tab:ServicesTab"),
    TabSpec(
        "resources",
        "Resources",
        "arctui.tabs.resources.view.tab:ResourcesTab",
        source="arctui.tabs.resources.source:session_source",
    ),
    TabSpec(
        "postgres",
        "Postgres",
        "arctui.tabs.postgres.view.tab:PostgresTab",
        cli="arctui.tabs.postgres.cli",
        commands=("postgres",),
        plan="Connections, activity with cancel/terminate, blocking tree, slow queries "
        "from pg_stat_statements, table sizes, vacuum state.",
    ),
    TabSpec(
        "redis",
        "Redis",
        "arctui.tabs.redis.view.tab:RedisTab",
        cli="arctui.tabs.redis.cli",
        commands=("redis",),
        source="arctui.tabs.redis.reader:source_for",
        plan="Memory, clients, keyspace, persistence (RDB/AOF) state, slow log, big keys.",
    ),
    TabSpec(
        "logs",
        "Logs",
        "arctui.tabs.logs.view.tab:LogsTab",
        cli="arctui.tabs.logs.cli",
        commands=("logs",),
        replay_view="arctui.tabs.logs.view.replay:ReplayLogsTab",
        plan="Merged, filterable logs across services, follow mode, search with context.",
    ),
    TabSpec(
        "backups",
        "Backups",
        "arctui.tabs.backups.view.tab:BackupsTab",
        cli="arctui.tabs.backups.cli",
        commands=("backup", "restore", "drill"),
        palette="arctui.tabs.backups.view.palette:palette_commands",
    ),
    TabSpec(
        "metrics",
        "Metrics",
        "arctui.tabs.metrics.view.tab:MetricsTab",
        cli="arctui.tabs.metrics.cli",
        commands=("metrics",),
        replay_view="arctui.tabs.metrics.view.replay:ReplayMetricsTab",
    ),
    # Its headless commands (disk, prune, run, maintenance) are in arctui/commands.py.
    TabSpec(
        "maintenance",
        "Maintenance",
        "arctui.tabs.maintenance.view.tab:MaintenanceTab",
        plan="The guide's maintenance calendar, disk use and prune, the Makefile runbook,"
        " image updates.",
    ),
)


def tab(tab_id: str) -> TabSpec:
    """The spec of one tab by id (KeyError if unknown)."""
    for spec in TABS:
        if spec.id == tab_id:
            return spec
    raise KeyError(tab_id)


def headless_commands() -> dict[str, TabSpec]:
    """Subcommand name -> the tab that provides it."""
    return {name: spec for spec in TABS for name in spec.commands}

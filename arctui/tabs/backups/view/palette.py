"""The Backups tab's palette entries named after the state: "Back up Postgres now" only
when the stack has a Postgres service, "Restore backup <id>" for each verified backup the
tab has read. Listed through the registry (`TabSpec.palette`); each runs the same code
path as the tab's keys (confirmation, audit, read-only refusal).
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import Any

from arctui.text import one_line
from arctui.ui.palette_base import Command
from arctui.ui.palette_commands import run_on_tab, tab_widgets
from arctui.ui.shell import shell

_BACKUP_KINDS = {"postgres": "Postgres", "redis": "Redis"}


def palette_commands(app: Any) -> list[Command]:
    """Commands like "Back up Postgres now" for the datastores the stack has, and a
    "Restore backup ID" for each verified backup the Backups tab has read."""
    if shell(app).actions_disabled:
        return []
    snapshot = app.current_snapshot()
    if snapshot is None:
        return []
    roles = {service.role for service in snapshot.services}
    out: list[Command] = []
    for kind, title in _BACKUP_KINDS.items():
        if kind in roles:
            out.append(
                (
                    f"Back up {title} now",
                    partial(open_backup, app, kind),
                    f"verified backup, as `arctui backup {kind}`",
                )
            )
    backups = _backups_tab(app)
    snap = getattr(backups, "snapshot", None)
    for manifest in getattr(snap, "backups", ())[:50]:
        if getattr(manifest, "verified", False):
            name = one_line(str(manifest.id), 80)
            out.append(
                (
                    f"Restore backup {name}",
                    partial(_restore, app, str(manifest.id)),
                    f"{manifest.kind}: typed confirmation, as `arctui restore {name}`",
                )
            )
    return out


def _backups_tab(app: Any) -> Any:
    found = tab_widgets(app, "backups")
    return found.first() if found else None


def open_backup(app: Any, kind: str) -> None:
    """The backup modal for one datastore (same modal, audit and checks as the tab's key)."""
    from arctui.ops.backups import run as ops
    from arctui.tabs.backups.view.modal import BackupAction, confirm_backup

    title = _BACKUP_KINDS[kind]
    ctx = ops.Context.of(app.session, audit=shell(app).audit)
    request = BackupAction(
        "backup",
        kind,
        f"Back up {title} now",
        f"arctui backup {kind}",
        lambda c: ops.backup(c, kind),
    )
    confirm_backup(app, ctx, request)


def _restore(app: Any, backup_id: str) -> None:
    """Select the backup on the Backups tab and run its restore key's action."""
    tab = _backups_tab(app)
    if tab is not None:
        tab.selected = backup_id
        table = tab.query("#backups-table")
        if table:
            # The row may have gone meanwhile: the modal names what it restores.
            with contextlib.suppress(Exception):
                table.first().move_cursor(row=table.first().get_row_index(backup_id))
    run_on_tab(app, "backups", "restore")

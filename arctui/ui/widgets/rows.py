"""One way to show new rows in a DataTable: touch only what changed.

A refresh that rebuilt the table would move the cursor to the top and repaint every row
each time a reader answers; the tabs that fill a DataTable from a poller (Backups,
Postgres, the Redis slowlog, the health screen) call `sync_rows` instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

Row = tuple[str, Sequence[Any]]  # (row key, one cell per column, in column order)


def _same(before: Any, after: Any) -> bool:
    """Equal cells; Text's own == ignores the style, so a theme change looked like no change."""
    if isinstance(before, Text) and isinstance(after, Text):
        return (before.plain, str(before.style), before.spans) == (
            after.plain,
            str(after.style),
            after.spans,
        )
    return bool(before == after)


def cursor_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor (None: an empty table)."""
    if not table.row_count:
        return None
    try:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except CellDoesNotExist:
        return None
    return None if key is None else str(key)


def sync_rows(
    table: DataTable[Any],
    rows: Iterable[Row],
    *,
    follow: str | None = None,
    update_width: bool = True,
    rebuild: bool = False,
) -> bool:
    """Show `rows` in `table`; True when the rows had to be rebuilt.

    The same keys in the same order: only the cells that differ are updated, so the cursor
    and the scroll position stay and unchanged rows are not repainted. Otherwise the rows
    are rebuilt and the cursor goes back to the row `follow` names (by default the one it
    was on) when that row is still there. `rebuild`: rebuild even when the keys are the
    same (a change of column widths).
    """
    wanted = list(rows)
    keys = [key for key, _ in wanted]
    if not rebuild and keys == [str(k.value) for k in table.rows]:
        columns = list(table.columns)
        for key, cells in wanted:
            for column, before, after in zip(columns, table.get_row(key), cells, strict=True):
                if not _same(before, after):
                    table.update_cell(key, column, after, update_width=update_width)
        return False
    if follow is None:
        follow = cursor_key(table)
    table.clear()
    for key, cells in wanted:
        table.add_row(*cells, key=key)
    if follow is not None and follow in keys:
        table.move_cursor(row=keys.index(follow), animate=False)
    return True

"""`sync_rows`: the one row-diff for DataTables (adds, removes, updates only what changed)."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from arctui.ui.widgets.rows import cursor_key, sync_rows


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[Any] = DataTable()
        table.add_columns("name", "state")
        yield table


def _shown(table: DataTable[Any]) -> list[tuple[str, list[Any]]]:
    return [(str(k.value), table.get_row(k)) for k in table.rows]


async def test_same_keys_update_only_the_changed_cells() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        assert sync_rows(table, [("a", ("a", "up")), ("b", ("b", "up")), ("c", ("c", "up"))])
        table.move_cursor(row=2, animate=False)
        await pilot.pause()
        updated: list[tuple[object, object, object]] = []
        real = table.update_cell

        def record(row: Any, column: Any, value: Any, **kw: Any) -> None:
            updated.append((row, column, value))
            real(row, column, value, **kw)

        table.update_cell = record  # type: ignore[method-assign]
        rebuilt = sync_rows(table, [("a", ("a", "up")), ("b", ("b", "down")), ("c", ("c", "up"))])
        assert not rebuilt
        assert [(r, v) for r, _, v in updated] == [("b", "down")]  # one cell, nothing else
        assert _shown(table) == [("a", ["a", "up"]), ("b", ["b", "down"]), ("c", ["c", "up"])]
        assert cursor_key(table) == "c"
        # Nothing changed: nothing is touched.
        updated.clear()
        sync_rows(table, [("a", ("a", "up")), ("b", ("b", "down")), ("c", ("c", "up"))])
        assert updated == []


async def test_added_and_removed_rows_keep_the_cursor_on_its_key() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        sync_rows(table, [("a", ("a", "1")), ("b", ("b", "2")), ("c", ("c", "3"))])
        table.move_cursor(row=1, animate=False)
        await pilot.pause()
        assert cursor_key(table) == "b"
        # "a" goes, "d" arrives before "b": the cursor follows "b" to its new row.
        rows = [("d", ("d", "4")), ("e", ("e", "5")), ("b", ("b", "2")), ("c", ("c", "3"))]
        assert sync_rows(table, rows)
        assert _shown(table) == [(k, list(c)) for k, c in rows]
        assert cursor_key(table) == "b"
        assert table.cursor_coordinate.row == 2
        # A named row wins over the cursor; a key that is gone leaves the cursor at the top.
        sync_rows(table, rows[:3], follow="e")
        assert cursor_key(table) == "e"
        sync_rows(table, [("x", ("x", "0")), ("y", ("y", "0"))], follow="e")
        assert cursor_key(table) == "x"
        assert sync_rows(table, []) and cursor_key(table) is None


async def test_rebuild_renews_every_row_even_with_the_same_keys() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        rows = [("a", ("a", "1")), ("b", ("b", "2"))]
        sync_rows(table, rows)
        table.move_cursor(row=1, animate=False)
        await pilot.pause()
        assert not sync_rows(table, rows)
        assert sync_rows(table, rows, rebuild=True)
        assert _shown(table) == [("a", ["a", "1"]), ("b", ["b", "2"])]
        assert cursor_key(table) == "b"

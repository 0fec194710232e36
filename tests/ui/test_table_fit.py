"""What a person sees at common terminal sizes (issue 18 items 9 and 12): no number or
name is cut, lower-priority columns give way, no horizontal scrollbar (its thumb was
the stray `▎` over the table), and the problem banner leaves a short terminal room."""

from __future__ import annotations

import pytest

from arctui.ui.widgets.banner import ProblemBanner
from arctui.ui.widgets.stats_table import StatsTable
from tests.ui.conftest import loaded, make_demo_app, wait_for

SIZES = [(80, 24), (100, 30), (120, 36), (160, 48)]


def _line(table: StatsTable, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


def _check_cells(table: StatsTable) -> list[str]:
    """Every shown cell whole on screen, or (a cuttable column) marked cut, at its floor
    or wider; returns the shown column keys."""
    shown = table.shown_columns
    assert shown, "no column shown"
    columns = {c.key: (i, c) for i, c in enumerate(table.columns)}
    visible = min(table.row_count, table.size.height - 1)
    for y in range(1, visible + 1):
        line = _line(table, y)
        cells = table.row_at(int(table.scroll_y) + y - 1)
        for key in shown:
            i, col = columns[key]
            text = cells[i].plain
            if col.min_width is None or text in line:
                assert text in line, f"{key} {text!r} cut in {line!r}"
            else:
                tails = range(col.min_width - 1, len(text))
                assert any("…" + text[-k:] in line for k in tails), f"{key} {text!r} in {line!r}"
    return shown


async def _fits(pilot, table: StatsTable) -> None:
    await wait_for(pilot, lambda: table.row_count > 0)
    await pilot.pause()
    assert table.virtual_size.width <= table.scrollable_content_region.width
    assert not table.show_horizontal_scrollbar


@pytest.mark.parametrize("size", SIZES)
async def test_services_columns_give_way_by_priority(size: tuple[int, int]) -> None:
    app = make_demo_app()
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        table = app.query_one("#services-table", StatsTable)
        await _fits(pilot, table)
        shown = _check_cells(table)
        for key in ("name", "state", "health", "restarts"):
            assert key in shown
        assert "image" in shown  # cut to its name:tag end before anything else hides
        if size[0] >= 100:
            assert "role" in shown


@pytest.mark.parametrize("size", SIZES)
async def test_resources_numbers_are_never_cut(size: tuple[int, int]) -> None:
    app = make_demo_app()
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        table = app.query_one("#res-table", StatsTable)
        await _fits(pilot, table)
        shown = _check_cells(table)
        for key in ("name", "cpu", "mem", "restarts", "state"):
            assert key in shown
        if size[0] >= 160:
            assert len(shown) == len(table.columns)


async def test_a_wide_resources_cell_widens_its_column() -> None:
    """A fixed width is a minimum: a 5-digit restart count keeps its digits."""
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        table = app.query_one("#res-table", StatsTable)
        await _fits(pilot, table)
        from rich.text import Text

        from arctui.ui.cells import Row

        rows = [Row(key=k, cells=table.row(k)) for k in table.row_keys]
        i = [c.key for c in table.columns].index("restarts")
        first = rows[0]
        cells = list(first.cells)
        cells[i] = Text("12345", justify="right")
        rows[0] = Row(key=first.key, cells=tuple(cells))
        table.set_rows(rows)
        await pilot.pause()
        assert "12345" in _line(table, 1 + rows.index(rows[0]) - int(table.scroll_y))


@pytest.mark.parametrize(("size", "rows"), [((80, 24), 3), ((100, 30), 5), ((160, 48), 7)])
async def test_the_banner_leaves_a_short_terminal_room(size: tuple[int, int], rows: int) -> None:
    app = make_demo_app()
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        banner = app.query_one(ProblemBanner)
        banner.show_note("\n".join(f"line {i} " + "of a compose error " * 8 for i in range(4)))
        await pilot.pause()
        await wait_for(pilot, lambda: banner.outer_size.height > 0)
        assert banner.outer_size.height <= rows
        table = app.query_one("#services-table", StatsTable)
        assert table.size.height >= 8  # the services stay in view

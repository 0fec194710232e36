"""The health view (H) over three demo engines at 80x24 (issue 24): the title is a line
per engine, the project and keys in the frame's border, so the table keeps its rows."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tests.ui.test_fleet_health_pilot import open_health
from tests.ui.test_fleet_pilot import all_loaded, fleet_app


async def test_the_title_is_a_line_per_engine_at_80x24():
    app = fleet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await all_loaded(pilot)
        screen = await open_health(pilot)
        await pilot.pause()
        title = screen.query_one("#health-title", Static)
        lines = str(title.render()).splitlines()
        assert [line.split(":")[0] for line in lines] == ["local", "staging", "prod"]
        assert title.size.height == 3  # not wrapped (was 4 lines, the table had 4 rows)
        frame = screen.query_one(Vertical)
        assert frame.border_title is not None and "Health" in frame.border_title
        assert frame.border_subtitle is not None and "Esc closes" in frame.border_subtitle
        table = screen.query_one(DataTable)
        assert table.size.height - 1 >= 5  # rows shown under the header
        detail = str(screen.query_one("#health-detail", Static).render())
        assert not detail.endswith("\n")  # no blank line under the table

"""The header of several engines at 80 columns (issue 24): the last engine is not cut."""

from __future__ import annotations

from tests.ui.test_fleet_pilot import all_loaded, fleet_app


async def test_every_engines_figures_fit_at_80_columns():
    app = fleet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await all_loaded(pilot)
        await pilot.pause()
        header = app._header
        shown = header._shown
        assert shown is not None and "prod! 12/15" in shown.plain
        assert shown.plain.index("prod! 12/15") + len("prod! 12/15") <= 80

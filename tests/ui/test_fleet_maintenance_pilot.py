"""Pilot tests of the Maintenance tab's Disk panel over three demo engines (issue 24)."""

from __future__ import annotations

from arctui.tabs.maintenance.view.modal import MaintenanceModal
from arctui.tabs.maintenance.view.tab import MaintenanceTab
from arctui.ui.fleet_cells import row_key, split_key
from arctui.ui.widgets.table import ArcTable
from tests.ui.conftest import wait_for
from tests.ui.test_fleet_pilot import all_loaded, fleet_app


async def disk_panel(pilot) -> MaintenanceTab:
    await all_loaded(pilot)
    await pilot.press("8", "k")
    tab = pilot.app.query_one(MaintenanceTab)
    await wait_for(pilot, lambda: tab.snapshot is not None and tab.snapshot.multi)
    await pilot.pause()
    return tab


def engines_of(table: ArcTable) -> list[str | None]:
    keys = [str(k.value) for k in table.rows]
    return list(dict.fromkeys(split_key(k)[0] for k in keys))


async def test_every_engines_disk_with_an_engine_column_grouped_by_engine():
    app = fleet_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await disk_panel(pilot)
        df = tab.query_one("#disk-table", ArcTable)
        volumes = tab.query_one("#volumes-table", ArcTable)
        assert str(next(iter(df.columns.values())).label) == "Engine"
        assert str(next(iter(volumes.columns.values())).label) == "Engine"
        assert df.row_count == 12 and engines_of(df) == ["local", "staging", "prod"]
        assert engines_of(volumes) == ["local", "staging", "prod"]
        assert str(df.get_cell(row_key("prod", "Images"), "engine")) == "prod!"
        # One summary line per engine, each its own engine's free space.
        lines = str(tab.query_one("#disk-summary").render()).splitlines()
        assert [line.split(":")[0] for line in lines[:3]] == ["local", "staging", "prod!"]
        assert "41.0 GiB free" in lines[0] and "22.0 GiB free" in lines[2]


async def test_prune_goes_to_the_highlighted_rows_engine_under_its_rules():
    app = fleet_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await disk_panel(pilot)
        df = tab.query_one("#disk-table", ArcTable)
        keys = [str(k.value) for k in df.rows]
        df.move_cursor(row=keys.index(row_key("prod", "Build Cache")))
        await pilot.pause()
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceModal))
        modal = app.screen
        assert modal.session is app.session.fleet.by_name("prod")
        assert modal.action.production and [w for w, _ in modal.action.confirmations]
        assert "engine prod" in str(modal.query_one("#confirm-context").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MaintenanceModal))
        df.move_cursor(row=keys.index(row_key("staging", "Images")))
        await pilot.pause()
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceModal))
        assert app.screen.session is app.session.fleet.by_name("staging")
        assert not app.screen.action.production


async def test_a_hung_engines_disk_is_still_being_read_the_others_show(monkeypatch):
    import threading

    from arctui.tabs.maintenance import reader

    gate = threading.Event()
    real = reader.disk_report

    def disk_report(session):
        if session.engine_name == "staging":
            gate.wait(20)  # its docker system df hangs
        return real(session)

    monkeypatch.setattr(reader, "disk_report", disk_report)
    monkeypatch.setattr(reader, "WAIT_FOR_DISKS", 0.2)
    app = fleet_app()
    async with app.run_test(size=(160, 48)) as pilot:
        try:
            tab = await disk_panel(pilot)
            df = tab.query_one("#disk-table", ArcTable)
            await wait_for(pilot, lambda: engines_of(df) == ["local", "prod"])
            summary = str(tab.query_one("#disk-summary").render()).splitlines()
            assert summary[1].startswith("staging: disk use still being read")
            assert "free" in summary[0] and "free" in summary[2]
            assert tab.snapshot is not None and tab.snapshot.calendar  # the calendar goes on
            gate.set()  # staging answers: its rows come at the next read
            await wait_for(pilot, lambda: tab.reader is not None and not tab.reader._fleet._busy)
            tab.poller.request()
            await wait_for(pilot, lambda: engines_of(df) == ["local", "staging", "prod"])
        finally:
            gate.set()

"""Pilot tests of the Maintenance tab's Images panel over three demo engines (issue 24):
every engine's rows, and the update goes to the highlighted row's engine under its rules."""

from __future__ import annotations

import pytest

from arctui.ops.guards import typed_confirmations
from arctui.ops.maintenance.images import ImageRow, ImagesChecker, ImagesReport
from arctui.ops.maintenance.update import UpdateAction
from arctui.tabs.maintenance.view import images_panel
from arctui.tabs.maintenance.view.images_panel import ImagesPanel
from arctui.tabs.maintenance.view.modal import MaintenanceModal
from arctui.ui.fleet_cells import row_key
from arctui.ui.widgets.table import ArcTable
from tests.ui.conftest import wait_for
from tests.ui.test_fleet_maintenance_pilot import engines_of
from tests.ui.test_fleet_pilot import all_loaded, fleet_app

DIGEST = "sha256:" + "e" * 64
OLD = "sha256:" + "2" * 64


async def images_shown(pilot) -> ImagesPanel:
    await all_loaded(pilot)
    await pilot.press("8", "i")
    panel = pilot.app.query_one(ImagesPanel)
    await wait_for(pilot, lambda: len(panel.reports) == 3)
    await pilot.pause()
    return panel


@pytest.fixture
def raymond_update(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every engine's report has an update for `raymond` (the registry is outside); the
    plans made are recorded by engine name."""
    planned: list[str] = []

    def read(self, snapshot=None, force=False) -> ImagesReport:
        row = ImageRow(
            "raymond", "app", "reg.example/raymond:0.4", "0.4", "reg.example",
            running_id=OLD, remote_digest=DIGEST, status="update available",
        )  # fmt: skip
        return ImagesReport(self.session.project, (row,), 0.0)

    def plan(session, service, checker, audit, *, snapshot=None, force=False):
        assert checker.session is session  # that engine's own checker
        planned.append(session.engine_name)
        pull = ("docker", "compose", "pull", service)
        return UpdateAction(
            verb="update", scope="service", target=service, project=session.project,
            env=session.env, command=pull, summary=f"Update the image of {service}",
            confirmations=typed_confirmations(session), ref="reg.example/raymond:0.4",
            old_image=OLD, remote_digest=DIGEST, pull=pull, simulated=session.demo,
            production=session.production,
        )  # fmt: skip

    monkeypatch.setattr(ImagesChecker, "read", read)
    monkeypatch.setattr(images_panel, "plan_update", plan)
    return planned


async def test_every_engines_images_with_an_engine_column_and_a_line_each():
    app = fleet_app()
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await images_shown(pilot)
        table = panel.query_one("#images-table", ArcTable)
        assert str(next(iter(table.columns.values())).label) == "Engine"
        assert table.row_count == 45 and engines_of(table) == ["local", "staging", "prod"]
        assert str(table.get_cell(row_key("prod", "raymond"), "engine")) == "prod!"
        lines = str(panel.query_one("#images-summary").render()).splitlines()
        assert [line.split(":")[0] for line in lines[:3]] == ["local", "staging", "prod!"]
        assert all("15 services" in line for line in lines[:3])
        assert lines[3:] == ["note: the demo platform has no registry: nothing was checked"]
        table.move_cursor(row=[str(k.value) for k in table.rows].index(row_key("prod", "loki")))
        await pilot.pause()
        assert str(panel.query_one("#images-detail").render()).startswith("prod!/loki: ")


async def test_update_goes_to_the_highlighted_rows_engine_under_its_rules(raymond_update):
    app = fleet_app()
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await images_shown(pilot)
        titles = [t for t, _, _ in panel.palette_commands()]
        assert {"Update image of raymond on staging", "Update image of raymond on prod"} <= set(
            titles
        )
        table = panel.query_one("#images-table", ArcTable)
        keys = [str(k.value) for k in table.rows]
        table.move_cursor(row=keys.index(row_key("prod", "raymond")))
        await pilot.pause()
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceModal))
        modal = app.screen
        assert modal.session is app.session.fleet.by_name("prod")
        assert modal.action.production and modal.action.confirmations
        assert "engine prod" in str(modal.query_one("#confirm-context").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MaintenanceModal))
        table.move_cursor(row=keys.index(row_key("staging", "raymond")))
        await pilot.pause()
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceModal))
        assert app.screen.session is app.session.fleet.by_name("staging")
        assert not app.screen.action.production
        assert raymond_update == ["prod", "staging"]


async def test_a_hung_engines_images_are_still_being_read_the_others_show(monkeypatch):
    import threading

    from arctui.ops.maintenance import images_fleet

    gate = threading.Event()
    real = ImagesChecker.read

    def read(self, snapshot=None, force=False):
        if self.session.engine_name == "staging":
            gate.wait(20)  # its engine hangs
        return real(self, snapshot, force)

    monkeypatch.setattr(ImagesChecker, "read", read)
    monkeypatch.setattr(images_fleet, "WAIT", 0.2)
    app = fleet_app()
    async with app.run_test(size=(160, 48)) as pilot:
        try:
            panel = await images_shown(pilot)
            table = panel.query_one("#images-table", ArcTable)
            assert engines_of(table) == ["local", "prod"]
            lines = str(panel.query_one("#images-summary").render()).splitlines()
            assert lines[1] == "staging: images still being read …"
            assert "15 services" in lines[0] and "15 services" in lines[2]
            gate.set()  # staging answers: its rows come by themselves, no new check
            await wait_for(pilot, lambda: engines_of(table) == ["local", "staging", "prod"])
        finally:
            gate.set()

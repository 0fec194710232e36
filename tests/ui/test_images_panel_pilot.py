"""Pilot tests of the Maintenance tab's Images panel over the demo platform: rows, the
update key through confirm_mutation, the modal and the gate, and read-only."""

from __future__ import annotations

import pytest

from arctui.ops.audit import AuditLog
from arctui.ops.guards import typed_confirmations
from arctui.ops.maintenance.images import ImageRow, ImagesChecker, ImagesReport
from arctui.ops.maintenance.update import UpdateAction
from arctui.tabs.maintenance.view import images_panel
from arctui.tabs.maintenance.view.images_panel import ImagesPanel
from arctui.tabs.maintenance.view.modal import MaintenanceModal
from arctui.ui.widgets.table import ArcTable
from tests.ui.conftest import make_demo_app, wait_for

DIGEST = "sha256:" + "d" * 64
OLD = "sha256:" + "1" * 64


async def shown(pilot) -> ImagesPanel:
    await pilot.press("8")
    await pilot.pause()
    await pilot.press("i")
    panel = pilot.app.query_one(ImagesPanel)
    await wait_for(pilot, lambda: panel.report is not None)
    await pilot.pause()
    return panel


def outcomes() -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in AuditLog().read(raw=True)]


async def test_the_panel_lists_every_service_and_says_the_demo_checks_nothing() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await shown(pilot)
        table = panel.query_one("#images-table", ArcTable)
        snap = app.session.reader.read()
        assert table.row_count == len(snap.services)
        assert "nothing was checked" in str(panel.query_one("#images-summary").render())
        await pilot.press("U")  # the demo cannot update: said, nothing audited
        await pilot.pause()
        assert not isinstance(app.screen, MaintenanceModal)
        assert outcomes() == []


@pytest.fixture
def update_available(monkeypatch: pytest.MonkeyPatch) -> None:
    """A report with an update for `raymond`, and its plan (the registry is outside)."""

    def read(self, snapshot=None, force=False) -> ImagesReport:
        row = ImageRow(
            "raymond", "app", "reg.example/raymond:0.4", "0.4", "reg.example",
            running_id=OLD, remote_digest=DIGEST, status="update available",
        )  # fmt: skip
        return ImagesReport(self.session.project, (row,), 0.0)

    def plan(session, service, checker, audit, *, snapshot=None, force=False):
        pull = ("docker", "compose", "pull", service)
        return UpdateAction(
            verb="update", scope="service", target=service, project=session.project,
            env=session.env, command=pull, summary=f"Update the image of {service}",
            confirmations=typed_confirmations(session), ref="reg.example/raymond:0.4",
            old_image=OLD, remote_digest=DIGEST, pull=pull, simulated=session.demo,
        )  # fmt: skip

    monkeypatch.setattr(ImagesChecker, "read", read)
    monkeypatch.setattr(images_panel, "plan_update", plan)


async def test_update_opens_the_confirmation_and_runs_through_the_gate(update_available) -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await shown(pilot)
        assert "1 update(s) available" in str(panel.query_one("#images-summary").render())
        titles = [t for t, _, _ in panel.palette_commands()]
        assert "Update image of raymond" in titles
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceModal))
        modal = app.screen
        assert "docker compose pull raymond" in str(modal.query_one("#confirm-command").render())
        await pilot.click("#confirm-run")
        await wait_for(pilot, lambda: modal.phase == "done")
        assert modal.result is not None and "demo platform" in modal.result.message
        assert outcomes() == [("update", "refused")]


async def test_read_only_hides_and_refuses_the_update(update_available) -> None:
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await shown(pilot)
        assert panel.check_action("update", ()) is False
        assert [t for t, _, _ in panel.palette_commands()] == [
            "Check images against the registries"
        ]
        await pilot.press("U")
        await pilot.pause()
        assert not isinstance(app.screen, MaintenanceModal)


async def test_production_asks_for_the_environment_name(update_available) -> None:
    app = make_demo_app(env="prod")
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot)
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceModal))
        modal = app.screen
        assert modal.action.confirmations == (("environment name", "prod"),)
        assert modal.action.untested_ok  # typed in this modal: the gate lets it start

"""Pilot tests of the Backups tab over the demo platform: RPO, table, actions and guards."""

from __future__ import annotations

from textual.widgets import Button, Input

from arctui.ops.audit import AuditLog
from arctui.tabs.backups.view.modal import BackupActionModal
from arctui.tabs.backups.view.tab import BackupsTab
from tests.ui.conftest import make_demo_app, wait_for


async def shown(pilot) -> BackupsTab:
    await pilot.press("6")
    tab = pilot.app.query_one(BackupsTab)
    await wait_for(pilot, lambda: tab.snapshot is not None and tab.table.row_count > 0)
    await pilot.pause()
    return tab


def outcomes() -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in AuditLog().read(raw=True)]


async def test_rpo_and_backups_are_shown() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await shown(pilot)
        assert tab.table.row_count == 6
        summary = str(tab.query_one("#backups-summary").render())
        assert "GREEN" in summary and "AMBER" in summary and "DR drill" in summary
        await pilot.press("enter")
        body = str(tab.query_one("#backups-detail-body").render())
        assert "sha256" in body and "verified" in body


async def test_backup_now_runs_through_the_modal_and_is_audited() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot)
        await pilot.press("b")
        modal = app.screen
        assert isinstance(modal, BackupActionModal)
        assert app.focused is modal.query_one("#confirm-cancel", Button)  # the safe default
        await pilot.click("#confirm-run")
        await wait_for(pilot, lambda: modal.phase == "done")
        assert "simulated" in str(modal.query_one("#confirm-status").render())
        assert outcomes() == [("backup", "started"), ("backup", "simulated")] * 2


async def test_restore_needs_the_typed_project_name() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await shown(pilot)
        assert tab.selected is not None
        await pilot.press("R")
        modal = app.screen
        assert isinstance(modal, BackupActionModal) and modal.action.confirmations
        assert app.focused is modal.query_one("#confirm-word-0", Input)
        await pilot.press(*"wrong", "enter")
        assert modal.phase == "done" and modal.result is not None
        assert modal.result.outcome == "refused"
        await pilot.press("escape")
        await pilot.press("R")
        modal = app.screen
        await pilot.press(*"arc-platform", "enter")
        await wait_for(pilot, lambda: modal.phase == "done")
        assert outcomes() == [
            ("restore", "refused"),
            ("restore", "started"),
            ("restore", "simulated"),
        ]


async def test_an_unverified_backup_cannot_be_restored() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await shown(pilot)
        bad = [m.id for m in tab.snapshot.backups if not m.verified]
        tab.table.move_cursor(row=[m.id for m in tab.snapshot.backups].index(bad[0]))
        await pilot.pause()
        await pilot.press("R")
        assert not isinstance(app.screen, BackupActionModal)
        assert outcomes() == []


async def test_read_only_hides_and_disables_mutations() -> None:
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot)
        for key in ("b", "R", "D", "t", "P"):
            await pilot.press(key)
            assert not isinstance(app.screen, BackupActionModal), key
        await pilot.press("v")  # verifying only reads
        assert isinstance(app.screen, BackupActionModal)


async def test_production_asks_for_the_env_name_too() -> None:
    app = make_demo_app(env="prod")
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot)
        await pilot.press("D")
        modal = app.screen
        assert isinstance(modal, BackupActionModal)
        assert [w for _, w in modal.action.confirmations] == ["arc-platform", "prod"]
        await pilot.press("escape")
        assert outcomes() == [("backup-delete", "declined")]


async def test_the_shared_modal_streams_clean_progress_and_stop_cancels_the_run() -> None:
    # The Backups modal is the app's ConfirmActionModal: a backup operation's progress
    # lines (outside text: escapes stripped) stream into its output, and Stop reaches
    # the operation's cancel event; the outcome comes back as every mutation's result.
    from arctui.ops.backups import run as ops
    from arctui.ops.runner import ActionResult, Outcome
    from arctui.tabs.backups.view.modal import BackupAction, confirm_backup
    from arctui.ui.screens.confirm import ConfirmActionModal

    def slow(ctx: ops.Context) -> ops.RunResult:
        ctx.progress("pg_dump: 1 MiB written \x1b]0;pwned\x07\x1b[31mred")
        if not ctx.cancel.wait(10):
            return ops.RunResult("backup", "all", Outcome.OK, "never cancelled")
        return ops.RunResult("backup", "all", Outcome.CANCELLED, "cancelled: pg_dump stopped")

    app = make_demo_app()
    closed: list[ActionResult | None] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot)
        ctx = ops.Context.of(app.session, audit=app.audit)
        request = BackupAction("backup", "all", "Back up now", "arctui backup all", slow)
        confirm_backup(app, ctx, request, closed.append)
        await wait_for(pilot, lambda: isinstance(app.screen, BackupActionModal))
        modal = app.screen
        assert isinstance(modal, ConfirmActionModal) and modal.ctx.cancel is modal.cancel_event
        await pilot.click("#confirm-run")
        log = modal.query_one("#confirm-output")
        await wait_for(pilot, lambda: log.line_count > 0)
        assert log.lines[0] == "pg_dump: 1 MiB written red"
        await pilot.click("#confirm-cancel")  # Stop
        await wait_for(pilot, lambda: modal.phase == "done")
        assert modal.result is not None and modal.result.outcome is Outcome.CANCELLED
        assert "cancelled: pg_dump stopped" in str(modal.query_one("#confirm-status").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: bool(closed))
    assert closed[0] is not None and closed[0].outcome is Outcome.CANCELLED

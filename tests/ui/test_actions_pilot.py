"""Pilot tests of the action flow over the demo platform (which reflects actions)."""

from __future__ import annotations

from textual.widgets import Input, Log, Static

from arctui.ops.audit import AuditLog
from arctui.tabs.services.view.tab import ServicesTab
from arctui.ui.actions import ReadOnlyBadge
from arctui.ui.commands import ActionCommands
from arctui.ui.screens.audit import AuditScreen
from arctui.ui.screens.confirm import ConfirmActionModal
from tests.ui.conftest import loaded, make_demo_app, wait_for


def audit() -> list[dict]:
    return AuditLog().read()


def state(app, service: str) -> str:
    return app.session.reader.read().service(service).state.value


async def select(pilot, service: str) -> None:
    tab = pilot.app.query_one(ServicesTab)
    tab.table.move_cursor(tab.table.row_keys.index(service))
    await pilot.pause()
    assert tab.selected == service


def modals(app) -> list[ConfirmActionModal]:
    return [s for s in app.screen_stack if isinstance(s, ConfirmActionModal)]


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_modal_names_the_target_and_command_and_cancel_changes_nothing():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "postgres")
        await pilot.press("x")
        await pilot.pause()
        [modal] = modals(app)
        assert "Stop service postgres" in text_of(app, "#confirm-title")
        assert text_of(app, "#confirm-command") == (
            "docker compose -p arc-platform stop -t 10 postgres"
        )
        assert app.focused is modal.query_one(
            "#confirm-cancel"
        )  # the safe choice (no typing asked)
        await pilot.press("escape")
        await pilot.pause()
        assert modals(app) == [] and state(app, "postgres") == "running"
        # Enter on the default focus declines too.
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert modals(app) == [] and state(app, "postgres") == "running"
        assert [e["outcome"] for e in audit()] == ["declined", "declined"]


async def test_run_streams_output_and_changes_the_service():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "postgres")
        await pilot.press("x")
        await pilot.pause()
        modal = modals(app)[0]
        await pilot.click("#confirm-run")
        await wait_for(pilot, lambda: modal.phase == "done")
        assert "Container postgres  Stopped" in "\n".join(modal.query_one(Log).lines)
        assert "simulated" in text_of(app, "#confirm-status")
        assert state(app, "postgres") == "stopped"
        await pilot.press("enter")  # Close has the focus now
        await pilot.pause()
        assert modals(app) == []
        await wait_for(
            pilot,
            lambda: app.query_one(ServicesTab).table.row("postgres")[2].plain == "stopped",
        )
        [entry] = audit()
        assert entry["outcome"] == "simulated" and entry["action"] == "stop"


async def test_wrong_typed_project_name_refuses_and_changes_nothing():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "redis")
        await pilot.press("K")
        await pilot.pause()
        modal = modals(app)[0]
        box = modal.query_one("#confirm-word-0", Input)
        box.focus()
        await pilot.press(*"arc-platfrom", "enter")
        await pilot.pause()
        assert modal.phase == "done" and "not run" in text_of(app, "#confirm-status")
        assert state(app, "redis") == "running"
        await pilot.press("escape")
        await pilot.pause()
        # Right name: it runs.
        await pilot.press("K")
        await pilot.pause()
        modal = modals(app)[0]
        modal.query_one("#confirm-word-0", Input).focus()
        await pilot.press(*"arc-platform", "enter")
        await wait_for(pilot, lambda: modal.phase == "done")
        assert state(app, "redis") == "stopped"
        assert [e["outcome"] for e in audit()] == ["refused", "simulated"]
        assert "arc-platfrom" in audit()[0]["detail"]


async def test_double_press_opens_one_modal_and_runs_once():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "redis")
        tab = app.query_one(ServicesTab)
        # Key repeat: both requests arrive before the first modal is on screen.
        tab.action_service("restart")
        tab.action_service("restart")
        await pilot.pause()
        await pilot.press("R", "U")  # and more keys while it is open
        await pilot.pause()
        [modal] = modals(app)
        assert modal.action.verb == "restart"
        modal.query_one("#confirm-run").focus()
        await pilot.press("enter")
        # The second Enter must not land on a button (Stop would cancel the run).
        assert app.focused is modal.query_one(Log) or modal.phase == "done"
        await pilot.press("enter")
        await wait_for(pilot, lambda: modal.phase == "done")
        await pilot.pause(0.2)
        assert len(audit()) == 1 and audit()[0]["outcome"] == "simulated"


async def test_production_clean_is_refused_without_a_modal():
    app = make_demo_app(env="prod")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert modals(app) == []
        [entry] = audit()
        assert entry["action"] == "clean" and entry["outcome"] == "refused"
        assert "backup" in entry["detail"]
        # Anything else in production asks for the environment name.
        await select(pilot, "redis")
        await pilot.press("x")
        await pilot.pause()
        [modal] = modals(app)
        assert modal.action.confirmations == (("environment name", "prod"),)
        assert "PRODUCTION" in text_of(app, "#confirm-title")


async def test_read_only_blocks_keys_and_palette():
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "redis")
        for key in ("x", "R", "K", "u", "p", "plus", "exclamation_mark", "U", "D", "ctrl+x"):
            await pilot.press(key)
            await pilot.pause()
            assert modals(app) == [], key
        assert state(app, "redis") == "running"
        assert app.query_one(ReadOnlyBadge).display
        shown = {b.binding.action for b in app.active_bindings.values()}
        assert not any(a.startswith(("service(", "stack_action(")) for a in shown)
        provider = ActionCommands(app.screen)
        hits = [str(h.text) async for h in provider.search("stop")]
        assert hits == []
        discovered = [str(h.text) async for h in provider.discover()]
        assert discovered == ["Audit log: every action arctui ran or refused"]


async def test_palette_offers_actions_that_open_the_same_modal():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        provider = ActionCommands(app.screen)
        hits = [h async for h in provider.search("stack clean")]
        assert hits and str(hits[0].text) == "Stack clean"
        hits[0].command()
        await pilot.pause()
        [modal] = modals(app)
        assert modal.action.verb == "clean" and modal.action.destructive


async def test_scale_edits_the_replica_count_in_the_command():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "raymond")
        await pilot.press("plus")
        await pilot.pause()
        modal = modals(app)[0]
        box = modal.query_one("#confirm-replicas", Input)
        assert box.value == "2"
        box.value = "3"
        await pilot.pause()
        assert text_of(app, "#confirm-command").endswith("--scale raymond=3 raymond")
        await pilot.click("#confirm-run")
        await wait_for(pilot, lambda: modal.phase == "done")
        assert len(app.session.reader.read().service("raymond").containers) == 3


async def test_audit_view_lists_entries():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "nats")
        await pilot.press("x", "escape")
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
        table = app.screen.query_one("#audit-table")
        assert table.row_count == 1
        assert "stop nats" not in str(table.get_row_at(0))  # columns, not a sentence
        assert table.get_row_at(0)[4].plain == "nats"
        assert "docker compose -p arc-platform stop" in text_of(app, "#audit-detail")


async def test_quit_is_refused_while_a_command_runs():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "redis")
        await pilot.press("x")
        await pilot.pause()
        modal = modals(app)[0]
        modal.phase = "running"  # as if the command were still running
        await pilot.press("ctrl+q")  # the one quit key that works over a modal
        await pilot.pause()
        assert not app._exit and modals(app) == [modal]
        modal.phase = "done"
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app._exit


async def test_shell_in_production_asks_for_the_env_name_and_the_demo_has_no_shell():
    app = make_demo_app(env="prod")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "redis")
        await pilot.press("exclamation_mark")
        await pilot.pause()
        [modal] = modals(app)
        assert text_of(app, "#confirm-command") == "docker exec -it arc-sonic-cache sh"
        modal.query_one("#confirm-word-0", Input).focus()
        await pilot.press(*"prod", "enter")
        await wait_for(pilot, lambda: not app._action_busy)
        [entry] = audit()
        assert (entry["action"], entry["outcome"]) == ("shell", "refused")
        assert "demo platform has no containers" in entry["detail"]


async def test_production_restart_as_typed_at_80x24():
    """The keystrokes an operator types: the env-name field has focus and is visible."""
    app = make_demo_app(env="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await select(pilot, "grafana")
        await pilot.press("R")
        await pilot.pause()
        modal = modals(app)[0]
        box = modal.query_one("#confirm-word-0", Input)
        assert app.focused is box
        assert box.content_region.height >= 1 and box.content_region.width > 0  # text shows
        await pilot.press(*"prod", "enter")
        await wait_for(pilot, lambda: modal.phase == "done")
        assert [e["outcome"] for e in audit()] == ["simulated"]

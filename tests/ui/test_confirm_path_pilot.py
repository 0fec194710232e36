"""The one confirmation path (`ActionsApp.confirm_mutation`): refusals and where checks run."""

from __future__ import annotations

import threading

import pytest

from arctui.ops.audit import AuditLog
from arctui.ops.backups import run as backups
from arctui.ops.guards import typed_confirmations
from arctui.ops.lifecycle import Action
from arctui.tabs.postgres.actions import plan_pg_action
from arctui.tabs.redis.actions import plan_redis_action
from arctui.tabs.redis.demo import DemoRedis
from arctui.ui.screens.confirm import ConfirmActionModal
from arctui.ui.screens.wizard import offer_command
from tests.ui.conftest import loaded, make_demo_app, wait_for


async def settle(pilot) -> None:
    """Let the confirmation checks (a thread worker) end and their result arrive."""
    app = pilot.app
    await app.workers.wait_for_complete([w for w in app.workers if w.group == "confirm"])
    await pilot.pause()


class Fix:
    """What the doctor offers for a migration (the fields offer_command reads)."""

    kind, verb, target, label = "command", "migrate", "raymond", "run the migration"
    command = ("docker", "compose", "run", "--rm", "raymond", "migrate")


def _plans(session) -> dict[str, Action]:
    redis = DemoRedis()
    return {
        "redis": plan_redis_action(session, redis, "slowlog-reset").action,
        "postgres": plan_pg_action(session, None, "vacuum", label="postgres").action,
        "backup-restore": backups.mutation(
            session, "restore", "backups", "b1", "arctui restore b1"
        ),
    }


async def test_read_only_refuses_every_entry_on_the_one_path():
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        opened: list[str] = []
        app.request_action("restart", "redis")  # keys and palette end here
        await settle(pilot)
        offer_command(app, app.session, Fix())  # the doctor / startup wizard
        await settle(pilot)
        for name, action in _plans(app.session).items():  # Redis, Postgres, Backups
            assert app.confirm_mutation(action, lambda n=name: opened.append(n))
            await settle(pilot)
        assert opened == [] and not any(isinstance(s, ConfirmActionModal) for s in app.screen_stack)
        entries = AuditLog().read()
        assert [e["action"] for e in entries] == [
            "restart", "migrate", "redis-slowlog-reset", "pg-vacuum-analyze", "restore",
        ]  # fmt: skip
        assert {e["outcome"] for e in entries} == {"refused"}
        assert all(e["detail"].startswith("read-only mode: ") for e in entries)
        assert not app._action_busy  # a refusal leaves the path open for the next one


async def test_a_second_confirmation_waits_for_the_first():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.request_action("restart", "redis")
        action = _plans(app.session)["redis"]
        assert not app.confirm_mutation(action, lambda: pytest.fail("second modal"))
        await settle(pilot)
        [modal] = [s for s in app.screen_stack if isinstance(s, ConfirmActionModal)]
        assert modal.action.verb == "restart"
        modal.decline("test")
        await pilot.pause()
        assert not app._action_busy


async def test_production_clean_check_runs_off_the_event_loop(monkeypatch):
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def clean_refusal(session, snapshot=None):
        seen.append(threading.get_ident())  # reads the whole stack in a real run
        return "no fresh verified backup (test)"

    monkeypatch.setattr("arctui.ops.backups.unlock.clean_refusal", clean_refusal)
    app = make_demo_app(env="prod")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: bool(AuditLog().read()))
        await settle(pilot)
        assert seen and loop_thread not in seen
        [entry] = AuditLog().read()
        assert entry["action"] == "clean" and entry["outcome"] == "refused"
        assert "no fresh verified backup" in entry["detail"]
        assert not any(isinstance(s, ConfirmActionModal) for s in app.screen_stack)


async def test_production_confirmation_asks_the_env_name_through_the_path():
    app = make_demo_app(env="prod")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        offer_command(app, app.session, Fix())
        await settle(pilot)
        [modal] = [s for s in app.screen_stack if isinstance(s, ConfirmActionModal)]
        assert modal.action.confirmations == typed_confirmations(app.session)


async def test_planning_an_action_runs_off_the_event_loop(monkeypatch):
    # A production clean's plan names its verified backups (reads every manifest): the
    # plan is made on the worker, like the gate's checks.
    import arctui.ui.actions as actions

    loop_thread = threading.get_ident()
    seen: list[int] = []
    real = actions.plan_action

    def plan_action(*args, **kwargs):
        seen.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "plan_action", plan_action)
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert seen and loop_thread not in seen
        [modal] = [s for s in app.screen_stack if isinstance(s, ConfirmActionModal)]
        assert modal.action.verb == "restart"

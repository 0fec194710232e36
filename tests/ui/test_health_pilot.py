"""Pilot tests: the health view (H), the wizards (T) and their fixes, monitoring events."""

from __future__ import annotations

import dataclasses

from textual.widgets import DataTable, OptionList, Static

from arctui.ops.audit import AuditLog
from arctui.ops.doctor import WIZARDS
from arctui.ui.screens.confirm import ConfirmActionModal
from arctui.ui.screens.health import HealthScreen
from arctui.ui.screens.wizard import DoctorScreen
from tests.ui.conftest import loaded, make_demo_app, wait_for


def static_text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_health_view_shows_verdicts_probes_and_detail():
    app = make_demo_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, HealthScreen) and app.screen.report)
        screen = app.screen
        table = screen.query_one(DataTable)
        keys = [str(k.value) for k in table.rows]
        assert "pulsar" in keys and "traefik" in keys
        assert str(table.get_cell("pulsar", list(table.columns)[1])) == "unhealthy"
        assert str(table.get_cell("jaeger", list(table.columns)[1])) == "down"
        table.move_cursor(row=keys.index("pulsar"))
        await pilot.pause()
        detail = static_text(app, "#health-detail")
        assert "pulsar unhealthy" in detail and "Connection refused" in detail
        assert "healthy" in static_text(app, "#health-title")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HealthScreen)


async def test_wizard_offers_a_fix_through_the_confirmation():
    app = make_demo_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, DoctorScreen)
        options = app.screen.query_one(OptionList)
        options.highlighted = 1  # memory
        await pilot.press("enter")
        await wait_for(pilot, lambda: "memory" in app.screen.results)
        text = static_text(app, "#doctor-result")
        assert "jaeger was OOM-killed" in text and "[1] Start jaeger" in text
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmActionModal))
        await pilot.pause()
        assert "Start service jaeger" in static_text(app, "#confirm-title")
        await pilot.press("escape")  # declined: nothing ran, one audit line
        await pilot.pause()
        assert AuditLog().read()[-1]["outcome"] == "declined"


async def test_wizard_fixes_are_refused_in_read_only():
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("T")
        await pilot.pause()
        app.screen.run_wizards([w for w in WIZARDS if w.id == "memory"])
        await wait_for(pilot, lambda: "memory" in app.screen.results)
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, DoctorScreen)  # no confirmation opened
        assert AuditLog().read()[-1]["outcome"] == "refused"


async def test_wizard_shows_each_step_as_it_finishes():
    # A wizard whose second check waits: its first step is on screen before it ends.
    import threading

    from arctui.ops.doctor import Wizard
    from arctui.ops.doctor.models import OK, Step, WizardResult

    gate = threading.Event()

    def slow(ctx):
        steps = ctx.step_log("slow")
        steps.append(Step("first check", OK, "fine"))
        gate.wait(10)
        steps.append(Step("second check", OK))
        return WizardResult("slow", "Slow wizard", tuple(steps))

    wizard = Wizard("slow", "Slow wizard", "unused")
    object.__setattr__(wizard, "runner", lambda: slow)
    app = make_demo_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("T")
        await pilot.pause()
        app.screen.run_wizards([wizard])
        await wait_for(pilot, lambda: "first check" in static_text(app, "#doctor-result"))
        text = static_text(app, "#doctor-result")
        assert "checking" in text and "second check" not in text
        gate.set()
        await wait_for(pilot, lambda: "slow" in app.screen.results)
        text = static_text(app, "#doctor-result")
        assert "second check" in text and "checking" not in text and "Nothing found" in text


async def test_monitoring_notifies_and_records_state_changes(tmp_path):
    app = make_demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        snap = app.snapshot
        svc = snap.service("redis")
        c = svc.containers[0]
        worse = dataclasses.replace(c, restart_count=c.restart_count + 1, health="unhealthy")
        changed = dataclasses.replace(
            snap,
            taken_at=snap.taken_at + 1,
            services=tuple(
                dataclasses.replace(s, containers=(worse,)) if s.name == "redis" else s
                for s in snap.services
            ),
        )
        app.snapshot = changed
        await pilot.pause()
        kinds = {(e.service, e.kind) for e in app.health_history.events()}
        assert {("redis", "restarted"), ("redis", "unhealthy")} <= kinds
        assert any("redis" in n.title and "restarted" in n.message for n in app._notifications)
        # The demo's events are nobody's history: kept in memory, no file under the state dir.
        assert app.health_history.path is None
        assert not [p for p in (tmp_path / "state").rglob("*") if "health" in p.name]
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, HealthScreen))
        assert "became unhealthy" in static_text(app, "#health-events")


async def test_a_migration_command_goes_through_the_same_confirmation():
    from arctui.ops.doctor.models import Fix
    from arctui.ui.screens.wizard import offer_fix

    app = make_demo_app(env="prod")
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(pilot)
        command = ("docker", "compose", "-p", "arc-platform", "run", "--rm", "kratos", "migrate")
        offer_fix(app, app.session, Fix("Run kratos's migrations", "command", "kratos", "migrate",
                                        command))  # fmt: skip
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmActionModal))
        await pilot.pause()
        assert static_text(app, "#confirm-command") == " ".join(command)
        assert app.screen.action.confirmations == (("environment name", "prod"),)
        await pilot.press("escape")
        await pilot.pause()
        entry = AuditLog().read()[-1]
        assert entry["outcome"] == "declined" and "migrate" in entry["command"]

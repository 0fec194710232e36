"""Pilot tests of the health view (H) over several engines (issue 24): three demo engines."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from arctui.sources.base import SourceError
from arctui.ui.screens.health import HealthScreen
from arctui.ui.screens.wizard import DoctorScreen
from tests.ui.conftest import loaded, make_demo_app, wait_for
from tests.ui.test_fleet_pilot import all_loaded, fleet_app


def title(app) -> str:
    return str(app.screen.query_one("#health-title", Static).render())


async def open_health(pilot) -> HealthScreen:
    await pilot.press("H")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, HealthScreen) and app.screen.report)
    return app.screen  # type: ignore[return-value]


async def test_every_engines_services_with_an_engine_column_and_their_root_causes():
    app = fleet_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await all_loaded(pilot)
        screen = await open_health(pilot)
        table = screen.query_one(DataTable)
        assert str(next(iter(table.columns.values())).label) == "Engine"
        keys = [str(k.value) for k in table.rows]
        assert {k.split("/")[0] for k in keys} == {"local", "staging", "prod"}
        # Each engine's own verdicts: staging's grafana was stopped there only.
        verdict = list(table.columns)[2]
        assert str(table.get_cell("staging/grafana", verdict)) == "down"
        assert str(table.get_cell("local/grafana", verdict)) != "down"
        assert "local: " in title(app) and "prod: " in title(app)
        # The wizards open on the selected row's engine.
        table.move_cursor(row=keys.index("prod/traefik"))
        await pilot.pause()
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, DoctorScreen))
        assert app.screen.session is app.session.fleet.by_name("prod")


async def test_an_unreadable_engine_says_why_the_others_are_whole():
    app = fleet_app()
    prod = app.session.fleet.by_name("prod")
    assert prod is not None
    async with app.run_test(size=(160, 40)) as pilot:
        await all_loaded(pilot)

        def latest():
            raise SourceError("engine at unix:///run/prod.sock did not answer in time")

        prod.reader.latest = latest  # type: ignore[method-assign]
        screen = await open_health(pilot)
        keys = [str(k.value) for k in screen.query_one(DataTable).rows]
        assert {k.split("/")[0] for k in keys} == {"local", "staging"}
        assert "prod: cannot read the stack: engine at unix:///run/prod.sock" in title(app)


async def test_one_engine_has_no_engine_column():
    app = make_demo_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot)
        screen = await open_health(pilot)
        table = screen.query_one(DataTable)
        assert str(next(iter(table.columns.values())).label) == "Service"
        assert "traefik" in [str(k.value) for k in table.rows]
        assert "local:" not in title(app)


def _worse(snap, service: str):
    """`snap` a second later with `service`'s container restarted and unhealthy."""
    import dataclasses

    c = snap.service(service).containers[0]
    worse = dataclasses.replace(c, restart_count=c.restart_count + 1, health="unhealthy")
    return dataclasses.replace(
        snap,
        taken_at=snap.taken_at + 1,
        services=tuple(
            dataclasses.replace(s, containers=(worse,)) if s.name == service else s
            for s in snap.services
        ),
    )


async def test_state_changes_of_every_engine_notify_named_by_their_engine():
    from arctui.ui.screens.health import PRODUCTION_BADGE

    app = fleet_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await all_loaded(pilot)
        await wait_for(pilot, lambda: app.health_history is not None)  # monitoring started
        watch = app.watches["prod"]
        watch.snapshot = _worse(watch.snapshot, "redis")
        app.fleet_version += 1  # what a new reading of prod does
        await pilot.pause()
        kinds = {(e.service, e.kind) for e in app.health_history.events()}
        assert {("prod/redis", "restarted"), ("prod/redis", "unhealthy")} <= kinds
        prod = [n for n in app._notifications if "prod/redis" in n.title]
        assert prod and all(n.title.startswith(PRODUCTION_BADGE) for n in prod)
        # staging is not production: named, no badge; the primary's events are named too.
        staging = app.watches["staging"]
        staging.snapshot = _worse(staging.snapshot, "redis")
        app.snapshot = _worse(app.snapshot, "redis")
        app.fleet_version += 1
        await pilot.pause()
        titles = [n.title for n in app._notifications]
        assert "health: staging/redis" in titles and "health: local/redis" in titles
        assert not any(PRODUCTION_BADGE in t for t in titles if "prod/" not in t)

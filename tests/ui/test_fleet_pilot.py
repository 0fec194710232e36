"""Pilot tests of several engines in one console (issue 24) over a demo fleet."""

from __future__ import annotations

import threading

from arctui.config.engines import EngineSpec
from arctui.config.settings import Settings
from arctui.fleet import build_fleet
from arctui.session import demo_session
from arctui.sources.base import SourceError
from arctui.tabs.services.view.tab import ServicesTab
from arctui.ui.app import ArcApp
from arctui.ui.fleet_cells import row_key, split_key
from arctui.ui.screens.confirm import ConfirmActionModal
from arctui.ui.widgets.banner import ProblemBanner
from tests.ui.conftest import frozen_clock, loaded, wait_for


def fleet_app() -> ArcApp:
    """local (dev), staging and prod (production): three demo engines."""
    primary = demo_session(Settings(), env="dev", clock=frozen_clock)
    build_fleet(primary, (EngineSpec("staging", host="demo"), EngineSpec("prod", host="demo:3")))
    return ArcApp(primary)


def engines_shown(app: ArcApp) -> list[str | None]:
    keys = app.query_one(ServicesTab).table.row_keys
    return list(dict.fromkeys(split_key(k)[0] for k in keys))


async def all_loaded(pilot) -> None:
    await loaded(pilot)
    await wait_for(pilot, lambda: engines_shown(pilot.app) == ["local", "staging", "prod"])


async def test_rows_of_three_engines_grouped_with_an_engine_column_and_filter():
    app = fleet_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await all_loaded(pilot)
        table = app.query_one(ServicesTab).table
        assert table.shown_columns[0] == "engine"
        assert len(table.row_keys) == 45  # 15 services on each engine
        assert str(table.cell(row_key("prod", "traefik"), "engine")) == "prod!"
        header = str(app._header.header_text())
        assert "local 13/15 · staging 12/15 · prod! 12/15" in header
        await pilot.press("slash", *"engine:stag traefik", "enter")
        await pilot.pause()
        assert table.row_keys == [row_key("staging", "traefik")]
        await pilot.press("escape")
        await pilot.press("E")  # the key cycles: local, staging, prod, every engine
        await pilot.pause()
        assert engines_shown(app) == ["local"]
        await pilot.press("E", "E")
        await pilot.pause()
        assert engines_shown(app) == ["prod"]
        await pilot.press("E")
        await pilot.pause()
        assert engines_shown(app) == ["local", "staging", "prod"]


async def _restart(pilot, engine: str) -> ConfirmActionModal:
    app = pilot.app
    tab = app.query_one(ServicesTab)
    tab.table.move_cursor(tab.table.row_keys.index(row_key(engine, "traefik")))
    await pilot.pause()
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmActionModal))
    return app.screen  # type: ignore[return-value]


async def test_an_action_goes_to_its_rows_engine_and_its_env_rules():
    app = fleet_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await all_loaded(pilot)
        modal = await _restart(pilot, "prod")
        assert modal.session is app.session.fleet.by_name("prod")
        assert modal.action.production and modal.action.env == "prod"
        assert [w for w, _ in modal.action.confirmations]  # the typed env name is asked
        assert "engine prod" in str(modal.query_one("#confirm-context").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmActionModal))
        modal = await _restart(pilot, "staging")
        assert modal.session is app.session.fleet.by_name("staging")
        assert not modal.action.production and not modal.action.confirmations


async def test_a_hung_engine_goes_stale_with_its_own_banner_line_the_others_update():
    app = fleet_app()
    staging = app.session.fleet.by_name("staging")
    assert staging is not None
    gate = threading.Event()
    state = {"hang": False}
    real = staging.reader.read_next

    def read_next(force_compose: bool = False):
        if state["hang"]:
            gate.wait(20)  # a hung engine: its read never answers in time
            raise SourceError("engine at demo did not answer within 5 s")
        return real(force_compose=force_compose)

    staging.reader.read_next = read_next  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        try:
            await all_loaded(pilot)
            state["hang"] = True
            watch = app.watches["staging"]
            watch.poller.request()
            prod_reads = app.watches["prod"].poller.last_ok or 0.0
            app.watches["prod"].poller.request()
            app.poller.request()
            # The other engines answer while staging's read hangs.
            await wait_for(pilot, lambda: (app.watches["prod"].poller.last_ok or 0) > prod_reads)
            assert watch.poller.failure is None
            gate.set()
            await wait_for(pilot, lambda: watch.poller.failure is not None)
            banner = app.query_one(ProblemBanner)
            await wait_for(pilot, lambda: "engine staging" in str(banner.render()))
            text = str(banner.render())
            assert "did not answer within 5 s" in text and "its rows are stale" in text
            table = app.query_one(ServicesTab).table
            await wait_for(
                pilot, lambda: "stale" in str(table.cell(row_key("staging", "traefik"), "engine"))
            )
            assert "stale" not in str(table.cell(row_key("prod", "traefik"), "engine"))
            assert "staging ~" in str(app._header.header_text())
        finally:
            gate.set()


async def test_swarm_notice_in_the_engines_banner(monkeypatch):
    from arctui import fleet

    def notices(session):
        if session.engine_name == "prod":
            return (f"engine prod: {fleet.SWARM_NOTICE}",)
        return ()

    monkeypatch.setattr(fleet, "engine_notices", notices)
    app = fleet_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await all_loaded(pilot)
        banner = app.query_one(ProblemBanner)
        await wait_for(pilot, lambda: "Swarm services" in str(banner.render()))
        assert "engine prod: Swarm services and tasks are not shown yet" in str(banner.render())


async def test_one_engine_has_no_engine_column_and_no_engine_key():
    from tests.ui.conftest import make_demo_app

    app = make_demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        tab = app.query_one(ServicesTab)
        assert "engine" not in tab.table.shown_columns
        assert tab.table.row_keys[0] == split_key(tab.table.row_keys[0])[1]
        assert tab.check_action("cycle_engine", ()) is False

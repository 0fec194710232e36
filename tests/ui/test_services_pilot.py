"""Pilot tests of the Services tab over the demo platform."""

from __future__ import annotations

import threading

from rich.text import Text

from arctui.config.settings import Settings
from arctui.models import ContainerInfo, ServiceState
from arctui.session import Session
from arctui.sources.base import SourceError
from arctui.stack.reader import StackReader
from arctui.tabs import NOT_BUILT, TABS
from arctui.tabs.services.view.tab import ServicesTab
from arctui.ui.not_built import NotBuiltTab
from arctui.ui.widgets.banner import ProblemBanner
from arctui.ui.widgets.header import ArcHeader
from tests.ui.conftest import frozen_clock, loaded, make_app, make_demo_app, wait_for


def table_keys(app) -> list[str]:
    table = app.query_one(ServicesTab).table
    return table.row_keys


async def test_every_demo_service_is_listed_with_its_state():
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        keys = table_keys(app)
        assert len(keys) == 15
        snap = app.query_one(ServicesTab).snapshot
        assert snap.service("livekit").state is ServiceState.NOT_CREATED
        assert snap.service("pulsar").health == "unhealthy"
        assert snap.service("unleash").restart_count >= 41
        assert snap.service("raymond").role == "app"
        assert len(snap.service("raymond").containers) == 2


async def test_filter_sort_and_reverse():
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"pulsar")
        await pilot.pause()
        assert table_keys(app) == ["pulsar"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(table_keys(app)) == 15
        await pilot.press("s")  # name -> role
        await pilot.press("s")  # role -> state: worst first
        await pilot.pause()
        first = table_keys(app)[0]
        assert app.query_one(ServicesTab).sort_column == "state"
        assert first == "jaeger"  # the stopped one before the running ones
        await pilot.press("S")
        await pilot.pause()
        assert table_keys(app)[-1] == "jaeger"


async def test_detail_pane_masks_secrets():
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"postgres", "enter")
        await pilot.press("enter")
        await pilot.pause()
        tab = app.query_one(ServicesTab)
        body = tab.query_one("#services-detail-body")
        text = str(body.render())
        assert "POSTGRES_PASSWORD" in text
        assert "demo-pg-s3cret" not in text
        assert "arc_postgres_data" in text  # mounts are shown
        assert "POSTGRES_USER = arc" in text


async def test_other_tabs_say_they_are_not_built():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        await pilot.pause()
        tabs = list(app.query(NotBuiltTab))
        assert len(tabs) == sum(spec.view == NOT_BUILT for spec in TABS)
        for tab in tabs:
            assert "not built yet" in str(tab.render())


async def test_production_header_is_marked():
    app = make_demo_app(env="prod")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        header = app.query_one(ArcHeader)
        assert header.has_class("production")
        assert "PRODUCTION" in header.header_text().plain
        assert app.screen.has_class("production")


async def test_vim_keymap_moves_the_cursor():
    app = make_demo_app(keymap="vim")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        table = app.query_one(ServicesTab).table
        assert table.cursor == 0
        await pilot.press("j", "j")
        assert table.cursor == 2
        await pilot.press("k")
        assert table.cursor == 1


class FlakySource:
    """An engine that is down until `up` is set: exercises the banner and recovery."""

    endpoint = "unix:///nonexistent/docker.sock"

    def __init__(self, containers: list[ContainerInfo]) -> None:
        self.up = threading.Event()
        self._containers = containers

    def containers(self, project: str, known=None) -> list[ContainerInfo]:
        if not self.up.is_set():
            raise SourceError(
                "no Docker engine answers at unix:///nonexistent/docker.sock", "start the daemon"
            )
        return list(self._containers)

    def follow_events(self, project, on_event, stop, since=None) -> None:
        stop.wait(0.2)

    def close(self) -> None:
        pass


def hostile_container() -> ContainerInfo:
    return ContainerInfo(
        id="f" * 64,
        name="evil[@click=app.quit]x[/nope]\x1b]0;pwned\x07",
        project="p",
        service="web[/bold]\x1b[31m",
        image="img[@click=app.quit]",
        state="running",
        health="healthy",
        started_at=frozen_clock() - 60,
        labels={"note": "[b]not markup[/b]\x1b]52;c;ZXZpbA==\x07"},
        env=(("API_TOKEN", "tok-123456"),),
    )


def source_session(source: FlakySource) -> Session:
    """A session over a container source double, project `p`, no compose."""
    reader = StackReader("p", source, None, clock=frozen_clock)
    return Session(
        env="dev",
        production=False,
        project="p",
        settings=Settings(),
        reader=reader,
        read_only=False,
        clock=frozen_clock,
    )


async def test_engine_down_shows_banner_then_recovers():
    source = FlakySource([hostile_container()])
    app = make_app(source_session(source))
    async with app.run_test(size=(100, 30)) as pilot:
        banner = app.query_one(ProblemBanner)
        await wait_for(pilot, lambda: banner.display)
        shown = str(banner.render())
        assert "no Docker engine answers" in shown and "start the daemon" in shown
        assert app.query_one(ServicesTab).snapshot is None
        source.up.set()
        await pilot.press("r")
        await wait_for(pilot, lambda: app.query_one(ServicesTab).snapshot is not None)
        await pilot.pause()
        assert not banner.display
        assert app.is_running


async def test_hostile_names_are_not_markup_and_escapes_are_stripped():
    source = FlakySource([hostile_container()])
    source.up.set()
    app = make_app(source_session(source))
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tab = app.query_one(ServicesTab)
        row = tab.table.row_at(0)
        assert all(isinstance(cell, Text) for cell in row)
        assert row[0].plain == "web[/bold]"
        await pilot.press("enter")
        await pilot.pause()
        text = str(tab.query_one("#services-detail-body").render())
        assert "\x1b" not in text
        assert "[b]not markup[/b]" in text
        assert "tok-123456" not in text
        await pilot.click("#services-detail-body")
        await pilot.pause()
        assert app.is_running  # the [@click=app.quit] in the name did nothing


async def test_env_view_shows_provenance_masked(tmp_path):
    from arctui.session import real_session
    from arctui.ui.screens.env import EnvScreen

    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: busybox\n")
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=CHANGE_ME_pw\nLOG_LEVEL=info\n")
    (tmp_path / ".env.prod").write_text("LOG_LEVEL=warn\nDATABASE_URL=postgres://a:pw123@db/x\n")
    session = real_session(tmp_path, "prod", [], "arctui-envview", Settings())
    app = make_app(session)
    async with app.run_test(size=(120, 40)) as pilot:
        banner = app.query_one(ProblemBanner)
        await wait_for(pilot, lambda: banner.display)
        assert "CHANGE_ME" in str(banner.render())
        assert session.production and app.query_one(ArcHeader).has_class("production")
        await pilot.press("e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EnvScreen)
        table = screen.query_one("#env-table")
        rows = {r[1].plain: r for r in (table.get_row_at(i) for i in range(table.row_count))}
        assert rows["LOG_LEVEL"][2].plain == "warn"
        assert rows["LOG_LEVEL"][3].plain == ".env.prod"
        # What it replaced is in the full view of the highlighted row (no column for it).
        table.move_cursor(row=list(rows).index("LOG_LEVEL"))
        await pilot.pause()
        assert "replaced .env" in str(screen.query_one("#env-detail").render())
        assert "pw123" not in rows["DATABASE_URL"][2].plain
        assert "CHANGE_ME_pw" not in rows["POSTGRES_PASSWORD"][2].plain
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, EnvScreen)


async def test_copy_puts_the_container_ids_on_the_clipboard():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"raymond", "enter", "y")
        await pilot.pause()
        ids = [c.id for c in app.query_one(ServicesTab).snapshot.service("raymond").containers]
        assert app.clipboard == "\n".join(ids) and len(ids) == 2


async def test_broken_theme_file_is_reported_and_the_default_theme_used():
    import os
    from pathlib import Path

    themes = Path(os.environ["XDG_CONFIG_HOME"]) / "arctui" / "themes"
    themes.mkdir(parents=True)
    (themes / "bad[x].yaml").write_text("name: [unclosed\nprimary: '[/nope]'\n")
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        [note] = [n for n in app._notifications if "theme file ignored" in n.message]
        assert "bad[x].yaml" in note.message
        assert note.markup is False  # file names and YAML errors are outside text
        assert app.theme == "arc-dark" and app.is_running

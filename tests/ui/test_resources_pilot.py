"""Pilot tests of the Resources tab over the demo source and scripted sources."""

from __future__ import annotations

import dataclasses
import threading

from arctui.config.settings import Settings
from arctui.session import demo_session
from arctui.sources.base import SourceError
from arctui.tabs.resources.demo import DemoResources
from arctui.tabs.resources.models import (
    ContainerStats,
    HostStats,
    ResourcesSnapshot,
    VolumesSnapshot,
)
from arctui.tabs.resources.view.tab import ResourcesTab
from arctui.ui.app import ArcApp
from arctui.ui.widgets.line_view import LineView
from tests.ui.conftest import frozen_clock, loaded, make_demo_app, wait_for


def tab_of(app) -> ResourcesTab:
    return app.query_one(ResourcesTab)


def keys(app) -> list[str]:
    tab = tab_of(app)
    names = {c.id: c.name for c in tab.snapshot.containers}
    return [names[k] for k in tab.table.row_keys]


async def show(pilot) -> ResourcesTab:
    """Open the tab and wait for a reading, the volume sizes and an idle poller."""
    await loaded(pilot)
    await pilot.press("2")
    tab = tab_of(pilot.app)
    await wait_for(
        pilot,
        lambda: (
            tab.snapshot is not None
            and tab.volumes is not None
            and not tab.schedule.running
            and tab.table.row_count > 0
        ),
    )
    await pilot.pause()
    return tab


class CountingDemo(DemoResources):
    """The demo source, counting reads."""

    reads = 0

    def read(self) -> ResourcesSnapshot:
        self.reads += 1
        return super().read()


def counting_app() -> tuple[ArcApp, CountingDemo]:
    session = demo_session(Settings(), clock=frozen_clock)
    # The demo source is built on first use (a proxy until then); it has the platform.
    source = CountingDemo(session.resources.platform)
    return ArcApp(dataclasses.replace(session, resources=source)), source


async def test_every_container_is_listed_busiest_first():
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await show(pilot)
        assert tab.table.row_count == 15
        cpus = [c.cpu or -1 for c in sorted(tab.snapshot.containers, key=lambda c: -(c.cpu or -1))]
        assert keys(app)[0] == next(c.name for c in tab.snapshot.containers if c.cpu == cpus[0])
        assert keys(app)[-1] == "arc-columbo-traces"  # exited: no figures, last
        assert app.focused is tab.table


async def test_sort_keys_and_reverse():
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await show(pilot)
        await pilot.press("n")
        assert keys(app) == sorted(keys(app))
        await pilot.press("S")
        assert keys(app) == sorted(keys(app), reverse=True)
        await pilot.press("m")
        assert tab.sort_column == "mem" and not tab.sort_reverse
        assert keys(app)[0] == "arc-strange-stream"  # pulsar uses the most memory
        await pilot.press("m")  # the same key again reverses
        assert tab.sort_reverse and keys(app)[0] == "arc-columbo-traces"
        await pilot.press("c")
        assert tab.sort_column == "cpu"
        await pilot.press("s")
        assert tab.sort_column == "mem"


async def test_filter_and_escape():
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await show(pilot)
        await pilot.press("slash", *"raymond")
        await pilot.pause()
        assert sorted(keys(app)) == ["arc-platform-raymond-1", "arc-platform-raymond-2"]
        await pilot.press("enter")  # back to the table, filter kept
        assert len(keys(app)) == 2
        await pilot.press("escape")
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(keys(app)) == 15


async def test_pause_stops_reading_and_interval_keys():
    app, source = counting_app()
    async with app.run_test(size=(120, 40)) as pilot:
        tab = await show(pilot)
        await pilot.press("p")
        assert tab.schedule.paused
        await pilot.pause(0.1)
        before = source.reads
        await pilot.pause(1.6)
        assert source.reads == before
        assert "PAUSED" in app.query_one("#res-host", LineView).plain
        await pilot.press("p")
        await wait_for(pilot, lambda: source.reads > before)
        await pilot.press("plus")
        assert tab.schedule.interval == 0.5
        await pilot.press("minus", "minus", "minus")
        assert tab.schedule.interval == 5.0  # 0.5 -> 1 -> 2 -> 5


async def test_hidden_tab_reads_slowly_visible_tab_at_full_rate():
    app, source = counting_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.pause(2.2)
        assert source.reads <= 1  # one reading to have data ready, then every 15 s
        await show(pilot)
        start = source.reads
        # 1 Hz (ticks are 0.5 s apart): two reads within 3.2 s, waited for, not slept out.
        await wait_for(pilot, lambda: source.reads - start >= 2, timeout=3.2)


async def test_detail_pane_charts_and_oom_list():
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await show(pilot)
        await pilot.press("m")  # pulsar first: limits on both charts
        await pilot.pause()
        detail = app.query_one("#res-detail")
        assert detail.display  # tall terminal: shown by default
        cpu = app.query_one("#res-cpu", LineView).plain
        mem = app.query_one("#res-mem", LineView).plain
        assert "arc-strange-stream" in cpu and "limit 2 CPU = 200%" in cpu and "lim ┄" in cpu
        assert "limit 2.0G" in mem and "█" in mem
        oom = str(app.query_one("#res-oom").render())
        assert "arc-columbo-traces" in oom and "arc-platform-raymond-2" in oom
        await pilot.press("enter")
        assert not detail.display
        await pilot.press("enter")
        assert detail.display
        assert len(tab.history.series(tab.snapshot.containers[0].id)) >= 300  # backfilled


async def test_short_terminal_starts_without_charts():
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot)
        assert not app.query_one("#res-detail").display


def _stats(cid: str) -> ContainerStats:
    return ContainerStats(cid, cid, cid, "running", cpu=0.1, mem=1, sampled_at=1.0)


class ScriptedSource:
    """Plays back snapshots (or errors); the last one repeats."""

    project = "p"

    def __init__(self, *steps) -> None:
        self.steps = list(steps)
        self.failing: Exception | None = None  # set by a test: every read raises it

    def read(self) -> ResourcesSnapshot:
        if self.failing is not None:
            raise self.failing
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return ResourcesSnapshot("p", step, HostStats(ncpu=2), 1.0, "test")

    def volumes(self) -> VolumesSnapshot:
        return VolumesSnapshot((), 1.0)

    def follow_events(self, on_change, stop: threading.Event) -> None:
        stop.wait()

    def backfill(self, seconds: float) -> list[ResourcesSnapshot]:
        return []

    def close(self) -> None:
        pass


def scripted_app(source: ScriptedSource) -> ArcApp:
    session = demo_session(Settings(), clock=frozen_clock)
    return ArcApp(dataclasses.replace(session, resources=source))


async def test_removed_container_disappears_without_error():
    both = (_stats("keep"), _stats("gone"))
    app = scripted_app(ScriptedSource(both, both, (_stats("keep"),)))
    async with app.run_test(size=(120, 40)) as pilot:
        tab = await show(pilot)
        await pilot.press("n", "down")  # select "gone" (name order: gone, keep)
        await wait_for(pilot, lambda: tab.table.row_count == 1, timeout=5)
        assert tab.failure is None and tab.selected in ("gone", "keep")
        assert tab.table.row_keys == ["keep"]


async def test_failure_is_shown_as_stale_and_recovers():
    source = ScriptedSource((_stats("a"),))
    app = scripted_app(source)
    async with app.run_test(size=(120, 40)) as pilot:
        tab = await show(pilot)
        source.failing = SourceError("engine hung", "check dockerd")
        await wait_for(pilot, lambda: tab.failure is not None, timeout=5)
        assert "STALE: engine hung" in app.query_one("#res-host", LineView).plain
        assert tab.table.row_count == 1  # the last reading stays on screen
        source.failing = None
        await wait_for(pilot, lambda: tab.failure is None, timeout=5)


async def test_sort_arrows_say_the_direction_like_the_services_tab() -> None:
    """▲ ascending, ▼ descending: CPU sorts biggest first (▼), names A to Z (▲)."""
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await show(pilot)

        def label(key: str) -> str:
            return next(c.label for c in tab.table.columns if c.key == key)

        assert label("cpu").endswith("▼")
        await pilot.press("n")
        assert label("name").endswith("▲")
        names = keys(app)
        assert names == sorted(names)
        await pilot.press("n")  # again: reversed
        assert label("name").endswith("▼")


async def test_an_empty_table_says_why():
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await show(pilot)
        table = app.query_one("#res-table")
        assert table.render_line(1).text.strip() != ""  # a container row, not the hint
        await pilot.press("slash", *"nothing-like-this")
        await pilot.pause()
        assert keys(app) == []
        assert "no running container matches the filter 'nothing-like-this'" in (
            table.render_line(1).text
        )

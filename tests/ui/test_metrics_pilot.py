"""Pilot tests of the Metrics tab over the demo source (and a failing, then absent one)."""

from __future__ import annotations

from dataclasses import replace

from arctui.models import SourceFailure
from arctui.sources.base import SourceError
from arctui.sources.prometheus import PrometheusAbsent
from arctui.tabs.metrics.view import tab as tab_module
from arctui.tabs.metrics.view.tab import MetricsTab
from arctui.ui.polling import SourceFailed, SourceUpdated
from arctui.ui.widgets.banner import ProblemBanner
from tests.ui.conftest import make_demo_app, wait_for


async def show(pilot) -> MetricsTab:
    """Open the Metrics tab (key 7) and wait for its first reading."""
    await pilot.press("7")
    tab = pilot.app.query_one(MetricsTab)
    await wait_for(pilot, lambda: tab.snapshot is not None)
    await pilot.pause()
    return tab


def column(table, i: int) -> list[str]:
    row_at = getattr(table, "row_at", None) or table.get_row_at  # StatsTable or DataTable
    return [str(row_at(r)[i]) for r in range(table.row_count)]


async def test_key_7_shows_red_worst_first_flow_and_prometheus() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await show(pilot)
        assert pilot.app.active_tab == "metrics"
        table = tab.query_one("#metrics-services")
        names = column(table, 0)
        assert names[0] == "arc-fury-vault"  # 12 % errors: the worst
        assert len(names) == 6
        details = str(tab.query_one("#metrics-details").render())
        assert "the collector refuses 40 % of log records" in details
        assert "target livekit" in details and "PostgresHighCPU" in details
        assert "simulated (--demo)" in str(tab.query_one("#metrics-status").render())


async def test_enter_opens_operations_and_escape_goes_back() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await show(pilot)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: tab.snapshot is not None and tab.snapshot.focus is not None)
        await pilot.pause()
        assert tab.opened == "arc-raymond-services"
        ops = column(tab.query_one("#metrics-operations"), 0)
        assert "GET /orders" in ops
        charts = str(tab.query_one("#metrics-charts").render())
        assert "requests/s" in charts and "P99" in charts
        await pilot.press("escape")
        await pilot.pause()
        assert tab.opened is None
        assert tab.query_one("#metrics-panels").current == "metrics-overview"


async def test_promql_prompt_in_the_demo_says_it_needs_a_real_prometheus() -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        tab = await show(pilot)
        await pilot.press("colon")
        await pilot.press(*"up")
        await pilot.press("enter")
        await wait_for(pilot, lambda: tab.result is not None)
        await pilot.pause()
        assert "need a real Prometheus" in str(tab.query_one("#metrics-result").render())


async def test_a_failing_prometheus_gives_a_banner_and_the_tab_recovers(monkeypatch) -> None:
    state = {"down": False}
    real = tab_module.reader_for

    class Flaky:
        def __init__(self, inner) -> None:
            self.inner, self.window, self.focus = inner, inner.window, None

        def read(self):
            if state["down"]:
                raise SourceError("cannot connect to Prometheus at x: refused", "start it")
            return self.inner.read()

        def close(self) -> None: ...

    monkeypatch.setattr(tab_module, "reader_for", lambda s, w: Flaky(real(s, w)))
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        tab = await show(pilot)
        banner = pilot.app.query_one(ProblemBanner)
        state["down"] = True
        tab.poller.request()
        await wait_for(pilot, lambda: bool(tab.failure))
        await pilot.pause()
        assert banner.display and "cannot connect to Prometheus" in str(banner.render())
        state["down"] = False
        tab.poller.schedule.soon()
        tab.poller.request()
        await wait_for(pilot, lambda: not tab.failure, timeout=40)
        await pilot.pause()
        assert not banner.display or "cannot connect" not in str(banner.render())
        assert tab.query_one("#metrics-services").row_count == 6


async def test_no_prometheus_in_the_stack_is_explained_not_a_failure(monkeypatch) -> None:
    def absent(session, window):
        raise PrometheusAbsent(
            "the stack has no Prometheus (no service with role prometheus)", "set prometheus_url"
        )

    monkeypatch.setattr(tab_module, "reader_for", absent)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        tab = await show(pilot)
        status = str(tab.query_one("#metrics-status").render())
        assert "the stack has no Prometheus" in status and "set prometheus_url" in status
        assert tab.poller.failure is None
        await pilot.press("1")  # the other tabs are unaffected
        await wait_for(pilot, lambda: pilot.app.active_tab == "services")


async def test_a_refresh_touches_only_what_changed(monkeypatch) -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await show(pilot)
        tab.poller.stop()  # only the snapshots fed below
        await pilot.pause()
        touched: list[object] = []
        for widget in tab.query("Static"):
            real = widget.update

            def spy(*a, widget_id=widget.id, real=real, **k):
                touched.append((widget_id, k.get("layout", True)))
                return real(*a, **k)

            monkeypatch.setattr(widget, "update", spy)
        table = tab.query_one("#metrics-services")
        for name in ("set_rows", "refresh_line", "refresh"):
            real = getattr(table, name)

            def spy(*a, name=name, real=real, **k):
                touched.append((name, *a))
                return real(*a, **k)

            monkeypatch.setattr(table, name, spy)
        s = tab.snapshot
        assert s is not None and len(s.services) == 6
        # The same figures again (a new snapshot object, a new time): nothing is redrawn.
        again = replace(s, taken_at=s.taken_at + 2)
        tab.on_source_updated(SourceUpdated("metrics", again, tab.poller))
        await pilot.pause()
        assert touched == []
        # One service's P50 moves: its line alone is repainted, its bars kept.
        i = 2
        first = s.services[i]
        bars = table.row(first.name)[-1]
        moved = replace(first, p50=(first.p50 or 0.0) * 2 + 0.5)
        services = (*s.services[:i], moved, *s.services[i + 1 :])
        tab.on_source_updated(SourceUpdated("metrics", replace(s, services=services), tab.poller))
        await pilot.pause()
        assert touched[0][0] == "set_rows"
        assert [t for t in touched if t[0] == "refresh_line"] == [("refresh_line", i + 1)]
        # No other repaint: refresh_line's own one-line region only, no Static, no layout.
        rest = [t for t in touched[1:] if t[0] != "refresh_line"]
        assert [(t[0], getattr(t[1], "y", None), getattr(t[1], "height", None)) for t in rest] == [
            ("refresh", i + 1, 1)
        ]
        assert table.row(first.name)[-1] is bars
        # A failure changes the status line alone: still one line, so no layout pass.
        touched.clear()
        failure = SourceFailure("metrics", "cannot connect", "start it")
        tab.on_source_failed(SourceFailed("metrics", failure, 2.0, tab.poller))
        await pilot.pause()
        assert touched == [("metrics-status", False)]
        assert "Prometheus not reachable" in str(tab.query_one("#metrics-status").render())

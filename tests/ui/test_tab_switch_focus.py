"""Leaving a tab whose table has focus lands on the tab asked for, every time.

The focused widget of the pane being hidden used to hand its focus to a sibling in that
same hidden pane, and TabbedContent then switched back to it: pressing 1 on the Metrics
tab sometimes stayed on Metrics (one round in two to five on a busy machine).
"""

from __future__ import annotations

import pytest

from arctui.sources.prometheus import PrometheusAbsent
from arctui.tabs.metrics.view import tab as tab_module
from arctui.tabs.metrics.view.tab import MetricsTab
from tests.ui.conftest import make_demo_app, wait_for


@pytest.mark.parametrize("run", range(6))  # a fresh app each: the race is at first show
async def test_key_1_from_metrics_always_shows_services(monkeypatch, run: int) -> None:
    def absent(session, window):  # an empty Metrics table: no other widget takes focus
        raise PrometheusAbsent("the stack has no Prometheus", "set prometheus_url")

    monkeypatch.setattr(tab_module, "reader_for", absent)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: app.active_tab == "metrics")
        tab = app.query_one(MetricsTab)
        table = tab.query_one("#metrics-services")
        await wait_for(pilot, lambda: tab.snapshot is not None and table.has_focus)
        await pilot.press("1")
        await wait_for(pilot, lambda: app.active_tab == "services")
        for _ in range(3):  # and it stays there once the focus has moved
            await pilot.pause(0.05)
            assert app.active_tab == "services"
        assert app.focused is None or app.tab_of(app.focused) == "services"

"""Pilot tests of the Resources tab's host strip over three demo engines (issue 24)."""

from __future__ import annotations

from rich.cells import cell_len

from arctui.ui.widgets.line_view import LineView
from tests.snapshots.test_fleet_snapshots import _resources
from tests.ui.test_fleet_pilot import fleet_app


async def test_the_host_strip_names_its_engine_and_keeps_the_data_age_at_120_columns():
    app = fleet_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await _resources(pilot)
        strip = app.query_one("#res-host", LineView)
        host, volumes = strip.plain.splitlines()[:2]
        assert host.startswith("local host CPU ") and "/var/lib/docker" not in host
        assert volumes.startswith("local volumes ")
        assert host.endswith("s old")  # the data age ends the line ...
        assert cell_len(host) <= strip.size.width  # ... and is not cut off

"""The header shows the recorder's firing alerts, read from the store off the event loop."""

from __future__ import annotations

from arctui.record.frame import Event
from arctui.record.store import Store, default_path
from arctui.ui.widgets.header import ArcHeader
from tests.ui.conftest import make_demo_app, wait_for


async def test_header_counts_firing_alerts(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = make_demo_app()
    path = default_path(app.session.project)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(path)
    now = app.session.clock()  # the header reads as of the session's clock
    store.add_events(
        [
            Event(now - 9, "alert", "db", "down", {"incident": "service_down:db"}),
            Event(now - 8, "alert", "", "disk", {"incident": "disk:root"}),
            Event(now - 1, "alert-resolved", "db", "ok", {"incident": "service_down:db"}),
        ]
    )
    store.close()
    async with app.run_test(size=(160, 30)) as pilot:
        header = app.query_one(ArcHeader)
        await wait_for(pilot, lambda: header.alerts_firing == 1)
        assert "⚠ 1 alert " in header.header_text().plain

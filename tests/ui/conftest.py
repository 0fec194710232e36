"""Apps over the demo platform with a frozen clock, for pilot and snapshot tests."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from arctui.config.settings import Settings
from arctui.demo.platform import DEMO_EPOCH
from arctui.session import Session, demo_session
from arctui.ui.app import ArcApp


@pytest.fixture(autouse=True)
def confirmation_checks_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pilot.pause()` also waits for the confirmation path's checks (a thread worker).

    `confirm_mutation` checks on a worker and then opens the modal (or refuses) on the
    loop; without this a pause on a busy machine can return before the modal exists.
    """
    original = Pilot.pause

    async def pause(self: Pilot, delay: float | None = None) -> None:  # type: ignore[type-arg]
        for _ in range(5):  # planning hands over to the checks, a worker each
            checks = [w for w in self.app.workers if w.group == "confirm" and not w.is_finished]
            if not checks:
                break
            await self.app.workers.wait_for_complete(checks)
        await original(self, delay)

    monkeypatch.setattr(Pilot, "pause", pause)


def frozen_clock() -> float:
    """The demo's fixed 'now': snapshots and ages never move."""
    return DEMO_EPOCH


def make_demo_app(env: str = "demo", keymap: str | None = None, **kw) -> ArcApp:
    """An ArcApp over the demo platform at the frozen clock."""
    session = demo_session(Settings(), env=env, clock=frozen_clock, **kw)
    return ArcApp(session, keymap=keymap)


def make_app(session: Session) -> ArcApp:
    """An ArcApp over any session."""
    return ArcApp(session)


async def wait_for(pilot, predicate, timeout: float = 10.0) -> None:
    """Let the app run until `predicate()` holds; fail with a clear message otherwise."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)


async def loaded(pilot) -> None:
    """Wait until the Services tab shows a snapshot and no worker runs."""
    from arctui.tabs.services.view.tab import ServicesTab

    tab = pilot.app.query_one(ServicesTab)
    reader = pilot.app.session.reader
    await wait_for(
        pilot,
        lambda: (
            tab.snapshot is not None
            # the first frame has only the engine's list; the compose model follows
            and not reader.compose_pending
            and (
                reader.compose is None or any(s.declared is not None for s in tab.snapshot.services)
            )
            and not pilot.app.poller.schedule.running
        ),
    )
    await pilot.pause()

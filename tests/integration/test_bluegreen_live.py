"""Blue-green against real projects of our own: the wizard end to end, and the safety stop.

`arctui-test-bg` (one service, no container_name, no ports) can run twice side by side;
`arctui-test-lc`'s web binds a fixed host port, so its copy never becomes healthy.
Every project is removed, volumes included, at the end.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from arctui.config.settings import Settings
from arctui.ops import bluegreen as bg
from arctui.ops.audit import AuditLog
from arctui.ops.perform import perform
from arctui.session import Session, real_session
from arctui.tabs.services.view.tab import ServicesTab
from arctui.ui.app import ArcApp
from arctui.ui.screens.bluegreen import BlueGreenWizard
from tests.integration import lc_stack
from tests.integration.lc_stack import BG_PROJECT, LC_PROJECT
from tests.integration.stack import RunningStack
from tests.ui.conftest import wait_for

NEW = f"{BG_PROJECT}-v2"


def session_for(directory: Path) -> Session:
    files = [str(directory / "docker-compose.yml")]
    return real_session(directory, None, files, None, Settings(), environ=dict(os.environ))


@pytest.fixture
def bg_dir(test_stack: RunningStack, tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "bg"
    lc_stack.write_bluegreen_project(directory)
    try:
        lc_stack.compose(directory, BG_PROJECT, "up", "-d", "--wait")
        yield directory
    finally:
        lc_stack.remove(directory, NEW)
        lc_stack.remove(directory, BG_PROJECT)


def running(client, project: str) -> list[str]:
    return sorted(c.status for c in lc_stack.containers(client, project))


async def test_wizard_starts_the_new_stack_waits_compares_and_tears_down(
    bg_dir: Path, test_stack: RunningStack
):
    client = test_stack.client
    app = ArcApp(session_for(bg_dir))
    async with app.run_test(size=(120, 40)) as pilot:
        tab = app.query_one(ServicesTab)
        await wait_for(pilot, lambda: tab.snapshot is not None, 20)
        await pilot.press("B")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, BlueGreenWizard)
        wizard.query_one("#bg-name").value = NEW
        wizard.query_one("#bg-next").press()  # check
        await pilot.pause()
        await wait_for(pilot, lambda: wizard.phase == "start" and not wizard.busy, 30)
        assert f"-p {NEW}" in str(wizard.query_one("#bg-command").render())
        wizard.query_one("#bg-next").press()  # start, then wait for health
        await pilot.pause()
        await wait_for(pilot, lambda: wizard.phase == "compare" and not wizard.busy, 90)
        assert running(client, NEW) == ["running"] and running(client, BG_PROJECT) == ["running"]
        table = wizard.query_one("#bg-compare")
        assert table.row_count == 1 and table.get_row_at(0)[4].plain == "running/healthy"
        # The teardown needs the old project's name typed.
        wizard.query_one("#bg-typed").value = "wrong"
        wizard.query_one("#bg-next").press()
        await pilot.pause()
        assert wizard.phase == "compare" and "do not match" in str(
            wizard.query_one("#bg-body").render()
        )
        assert running(client, BG_PROJECT) == ["running"]
        wizard.query_one("#bg-typed").value = BG_PROJECT
        wizard.query_one("#bg-next").press()
        await pilot.pause()
        await wait_for(pilot, lambda: not wizard.busy, 60)
        assert wizard.phase == "done", (
            str(wizard.query_one("#bg-body").render()),
            wizard.query_one("#bg-log").lines,
        )
        assert running(client, BG_PROJECT) == [] and running(client, NEW) == ["running"]
        assert lc_stack.volumes(client, BG_PROJECT)  # down, not clean: data kept
    entries = [(e["project"], e["action"], e["outcome"]) for e in AuditLog().read()]
    assert entries == [
        (NEW, "up", "ok"),
        (BG_PROJECT, "down", "refused"),
        (BG_PROJECT, "down", "ok"),
    ]


def test_nothing_is_torn_down_while_the_new_stack_is_not_healthy(
    test_stack: RunningStack, tmp_path: Path
):
    directory = tmp_path / "lc"
    lc_stack.write_project(directory)
    client = test_stack.client
    new_name = f"{LC_PROJECT}-v2"
    try:
        lc_stack.compose(directory, LC_PROJECT, "up", "-d", "--wait")
        old = session_for(directory)
        new = bg.new_session(old, new_name)
        assert bg.preflight(old, new).blockers == ()
        result = perform(new, bg.start_action(new), lambda s: None, threading.Event(), None)
        assert result.ok, result.output
        # The copy's web cannot bind 127.0.0.1:18090 while the old one holds it.
        ok, why = bg.wait_healthy(new, threading.Event(), lambda s: None, timeout=8)
        assert not ok and "web" in why
        assert set(running(client, LC_PROJECT)) == {"running"}
    finally:
        lc_stack.remove(directory, new_name)
        lc_stack.remove(directory, LC_PROJECT)

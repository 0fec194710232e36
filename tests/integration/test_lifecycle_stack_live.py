"""Stack-wide actions (up, down, kill, restart, clean, cancel) on a project of our own.

They run against `arctui-test-lc` (tests/integration/lc_stack.py), never the shared
`arctui-test` stack; the project is removed, volumes included, at the end.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from arctui.config.settings import Settings
from arctui.ops.audit import AuditLog
from arctui.ops.lifecycle import plan_action
from arctui.ops.perform import perform
from arctui.ops.runner import Outcome
from arctui.session import Session, real_session
from arctui.tabs.services.view.tab import ServicesTab
from arctui.ui.app import ArcApp
from arctui.ui.screens.confirm import ConfirmActionModal
from tests.integration import lc_stack
from tests.integration.lc_stack import LC_PROJECT
from tests.integration.stack import RunningStack
from tests.ui.conftest import wait_for


@dataclass
class Lc:
    directory: Path
    client: object

    def session(self, stuck: bool = False, **kw) -> Session:
        files = [str(self.directory / "docker-compose.yml")]
        if stuck:
            files.append(str(self.directory / "stuck.yml"))
        return real_session(
            self.directory, None, files, None, Settings(), environ=dict(os.environ), **kw
        )

    def up(self) -> None:
        lc_stack.compose(self.directory, LC_PROJECT, "up", "-d", "--wait", "--remove-orphans")

    def states(self) -> dict[str, str]:
        return {c.name: c.status for c in lc_stack.containers(self.client, LC_PROJECT)}


@pytest.fixture(scope="module")
def lc(test_stack: RunningStack, tmp_path_factory) -> Iterator[Lc]:
    directory = tmp_path_factory.mktemp("lc")
    lc_stack.write_project(directory)
    project = Lc(directory, test_stack.client)
    try:
        project.up()
        yield project
    finally:
        lc_stack.remove(directory, LC_PROJECT)


def run(session: Session, verb: str, target: str | None = None, **kw):
    output: list[str] = []
    action = plan_action(session, verb, target, **kw)
    result = perform(session, action, output.append, threading.Event(), AuditLog())
    return result, output


def test_down_then_up(lc: Lc):
    lc.up()
    s = lc.session()
    result, output = run(s, "down")
    assert result.outcome is Outcome.OK, output
    assert lc.states() == {}
    assert lc_stack.volumes(lc.client, LC_PROJECT)  # down keeps the volumes
    result, output = run(s, "up")
    assert result.outcome is Outcome.OK, output
    assert set(lc.states().values()) == {"running"} and len(lc.states()) == 2
    assert [e["outcome"] for e in AuditLog().read()] == ["ok", "ok"]


def test_kill_and_restart_the_stack(lc: Lc):
    lc.up()
    s = lc.session()
    result, _ = run(s, "kill")
    assert result.outcome is Outcome.OK
    killed = [c for c in lc_stack.containers(lc.client, LC_PROJECT)]
    assert {c.status for c in killed} == {"exited"}
    assert {c.attrs["State"]["ExitCode"] for c in killed} == {137}
    result, _ = run(s, "restart")
    assert result.outcome is Outcome.OK
    assert set(lc.states().values()) == {"running"}


def test_clean_removes_this_projects_volumes_and_nothing_else(lc: Lc):
    lc.up()
    mine = lc_stack.volumes(lc.client, LC_PROJECT)
    assert mine == {f"{LC_PROJECT}_webdata", f"{LC_PROJECT}_cache"}
    everything = {v.name for v in lc.client.volumes.list()}
    s = lc.session()
    action = plan_action(s, "clean")
    assert action.destructive and action.confirmations == (("project name", LC_PROJECT),)
    assert all(v in action.consequence for v in mine)
    result = perform(s, action, lambda line: None, threading.Event(), AuditLog())
    assert result.outcome is Outcome.OK, result.output
    assert lc.states() == {} and lc_stack.volumes(lc.client, LC_PROJECT) == set()
    after = {v.name for v in lc.client.volumes.list()}
    assert everything - mine <= after and not mine & after
    assert AuditLog().read()[-1]["command"].endswith("down -v")


def compose_processes(project: str) -> list[str]:
    """Live (not zombie) processes whose command line runs compose for `project`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if project in cmd and "compose" in cmd and state != "Z":
            found.append(f"{pid} {cmd}")
    return found


async def test_cancelling_a_long_up_in_the_modal_leaves_no_process(lc: Lc):
    lc.up()
    app = ArcApp(lc.session(stuck=True))
    async with app.run_test(size=(120, 36)) as pilot:
        tab = app.query_one(ServicesTab)
        await wait_for(pilot, lambda: tab.snapshot is not None, 20)
        await pilot.press("U")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmActionModal)
        assert "stuck.yml" in modal.action.shown_command
        await pilot.click("#confirm-run")
        # `up` waits for `stuck` to be healthy, which never happens.
        await wait_for(pilot, lambda: "Waiting" in "\n".join(modal.query_one("Log").lines), 60)
        assert compose_processes(LC_PROJECT), "the check must see the running compose"
        assert modal.phase == "running"
        started = time.monotonic()
        await pilot.press("escape")
        await wait_for(pilot, lambda: modal.phase == "done", 20)
        assert time.monotonic() - started < 10
        assert modal.result is not None and modal.result.outcome is Outcome.CANCELLED
        assert "cancelled" in str(modal.query_one("#confirm-status").render())
    deadline = time.monotonic() + 5
    while compose_processes(LC_PROJECT) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert compose_processes(LC_PROJECT) == []
    entry = AuditLog().read()[-1]
    assert entry["action"] == "up" and entry["outcome"] == "cancelled"

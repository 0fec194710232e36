"""Service lifecycle actions against the real test stack, checked through the Docker API.

Only `gateway` and `raymond` are touched, and every test puts them back and waits for
the settled state, so the other integration tests still see the stack they expect.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

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
from tests.integration.stack import (
    GATEWAY_CONTAINER,
    RunningStack,
    compose,
    compose_env,
    wait_settled,
)
from tests.ui.conftest import wait_for


def stack_session(stack: RunningStack, environ: dict[str, str] | None = None, **kw) -> Session:
    return real_session(
        stack.stack_dir,
        env=None,
        files=[str(stack.compose_file)],
        project_name=stack.project,
        settings=Settings(),
        environ=environ if environ is not None else compose_env(),
        **kw,
    )


@pytest.fixture
def restore(test_stack: RunningStack) -> Iterator[RunningStack]:
    """Whatever the test did to gateway and raymond, put them back and wait."""
    try:
        yield test_stack
    finally:
        gateway = test_stack.client.containers.get(GATEWAY_CONTAINER)
        if gateway.status == "paused":
            gateway.unpause()
        compose("up", "-d", "--scale", "raymond=2", "gateway", "raymond", timeout=120)
        wait_settled(test_stack.client, timeout=90)


def gateway(stack: RunningStack):
    c = stack.client.containers.get(GATEWAY_CONTAINER)
    return c.status, c.attrs["State"]


def test_each_service_action_really_changes_the_containers(restore: RunningStack):
    s = stack_session(restore)
    log = AuditLog()
    output: list[str] = []

    def do(verb: str, target: str, **kw) -> None:
        action = plan_action(s, verb, target, **kw)
        result = perform(s, action, output.append, threading.Event(), log)
        assert result.outcome is Outcome.OK, (verb, result.message, output[-5:])

    do("stop", "gateway")
    status, state = gateway(restore)
    assert status == "exited" and state["ExitCode"] == 0  # graceful: the trap exits 0
    do("start", "gateway")
    status, state = gateway(restore)
    assert status == "running"
    before = state["StartedAt"]
    do("restart", "gateway")
    status, state = gateway(restore)
    assert status == "running" and state["StartedAt"] != before
    do("pause", "gateway")
    assert gateway(restore)[0] == "paused"
    do("unpause", "gateway")
    assert gateway(restore)[0] == "running"
    do("kill", "gateway")
    status, state = gateway(restore)
    assert status == "exited" and state["ExitCode"] == 137
    do("start", "gateway")
    do("scale", "raymond", replicas=3)
    replicas = restore.containers("raymond")
    assert len(replicas) == 3 and all(c.status == "running" for c in replicas)
    do("scale", "raymond", replicas=2)
    assert len(restore.containers("raymond")) == 2
    assert any("Container arctui-test-heimdall-gateway" in line for line in output)

    entries = log.read()
    assert [(e["action"], e["target"], e["outcome"]) for e in entries] == [
        ("stop", "gateway", "ok"),
        ("start", "gateway", "ok"),
        ("restart", "gateway", "ok"),
        ("pause", "gateway", "ok"),
        ("unpause", "gateway", "ok"),
        ("kill", "gateway", "ok"),
        ("start", "gateway", "ok"),
        ("scale", "raymond", "ok"),
        ("scale", "raymond", "ok"),
    ]
    assert entries[0]["command"] == (
        f"docker compose -p arctui-test --project-directory {restore.stack_dir}"
        f" --env-file {restore.env_file} -f {restore.compose_file} stop -t 3 gateway"
    )
    assert entries[0]["exit_code"] == 0 and entries[0]["project"] == "arctui-test"
    assert restore.pg_password not in log.path.read_text()


def test_a_target_changed_by_someone_else_is_not_acted_on(restore: RunningStack):
    s = stack_session(restore)
    action = plan_action(s, "restart", "gateway")  # the operator looks: running
    restore.client.containers.get(GATEWAY_CONTAINER).stop(timeout=3)  # someone else
    result = perform(s, action, lambda line: None, threading.Event(), AuditLog())
    assert result.outcome is Outcome.REFUSED
    assert "changed since you looked" in result.message and "stopped" in result.message
    assert gateway(restore)[0] == "exited"  # not restarted behind the other person's back
    assert AuditLog().read()[-1]["outcome"] == "refused"


def test_a_failing_compose_command_shows_its_error_and_is_audited(test_stack: RunningStack):
    environ = {k: v for k, v in compose_env().items() if k != "PG_UID"}
    s = stack_session(test_stack, environ=environ)
    output: list[str] = []
    action = plan_action(s, "restart", "gateway")
    result = perform(s, action, output.append, threading.Event(), AuditLog())
    assert result.outcome is Outcome.FAILED and result.exit_code not in (0, None)
    assert any("PG_UID" in line for line in output)
    assert "PG_UID" in result.message
    [entry] = AuditLog().read()
    assert entry["outcome"] == "failed" and "PG_UID" in entry["detail"]
    assert gateway(test_stack)[0] == "running"


async def test_keys_open_the_modal_and_run_against_the_real_engine(restore: RunningStack):
    app = ArcApp(stack_session(restore))
    async with app.run_test(size=(120, 36)) as pilot:
        tab = app.query_one(ServicesTab)
        await wait_for(pilot, lambda: tab.snapshot is not None, 20)
        tab.table.move_cursor(tab.table.row_keys.index("gateway"))
        await pilot.pause()
        # Cancelling changes nothing.
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmActionModal)
        await pilot.press("escape")
        await pilot.pause()
        assert gateway(restore)[0] == "running"
        # Confirming stops it for real, with the compose output in the modal.
        await pilot.press("x")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmActionModal)
        await pilot.click("#confirm-run")
        await wait_for(pilot, lambda: modal.phase == "done", 30)
        assert modal.result is not None and modal.result.outcome is Outcome.OK
        assert gateway(restore)[0] == "exited"
        await pilot.press("enter")
        await wait_for(pilot, lambda: tab.snapshot.service("gateway").state.value == "stopped", 15)
        await pilot.press("u")
        await pilot.pause()
        modal = app.screen
        await pilot.click("#confirm-run")
        await wait_for(pilot, lambda: modal.phase == "done", 30)
        assert gateway(restore)[0] == "running"
    assert [e["outcome"] for e in AuditLog().read()] == ["declined", "ok", "ok"]


def _arctui(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "arctui", "--project-dir", str(stack.stack_dir)]
    argv += ["-f", str(stack.compose_file), "-p", stack.project, *args]
    env = {**compose_env(), "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"]}
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL
    )


def test_headless_commands_change_the_stack_and_honour_read_only(restore: RunningStack):
    before = gateway(restore)[1]["StartedAt"]
    refused = _arctui(restore, "--read-only", "restart", "gateway", "--yes")
    assert refused.returncode == 2 and "read-only" in refused.stderr
    unconfirmed = _arctui(restore, "restart", "gateway")  # no TTY, no --yes
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert gateway(restore)[1]["StartedAt"] == before
    done = _arctui(restore, "restart", "gateway", "--yes")
    assert done.returncode == 0, done.stderr
    assert "Container arctui-test-heimdall-gateway" in done.stdout
    assert gateway(restore)[1]["StartedAt"] != before
    failed = _arctui(restore, "start", "nope", "--yes")
    assert failed.returncode == 2
    listing = _arctui(restore, "audit", "--json")
    entries = [json.loads(line) for line in listing.stdout.splitlines()]
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("restart", "refused"),
        ("restart", "refused"),
        ("restart", "ok"),
    ]
    assert "REFUSED" in _arctui(restore, "audit").stdout

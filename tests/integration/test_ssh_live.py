"""`ssh://` engines through a real sshd on 127.0.0.1:2222 (issue 24, "SSH done right").

The remote is this machine, so over `ssh://arctui-sshd` the engine is the local one and
shows the shared arctui-test stack; what is checked is the path: one SSH connection per
host for the API, commands and the agent (counted in sshd's log), clear errors for host
keys, no password prompt, a dead master noticed and replaced, and the Resources figures
from `arctui agent` on the host (or the API when it is not installed there).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from arctui.session import Session
from arctui.sources.base import SourceError
from arctui.sources.engine import EngineClient
from arctui.sources.ssh import SshHost
from arctui.tabs.resources.remote import AgentResources
from tests.integration import stack
from tests.integration.sshd import ALIAS, CHANGED, NOKEY, REPO, UNKNOWN, Sshd, _children

ARCTUI = str(REPO / ".venv" / "bin" / "arctui")


def _wait(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


@pytest.fixture(scope="module")
def ssh_env(sshd: Sshd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """os.environ pointing ssh at the test server, sockets in a runtime dir of our own."""
    run = tmp_path_factory.mktemp("ssh-run")
    run.chmod(0o700)
    env = sshd.environ() | {"XDG_RUNTIME_DIR": str(run)}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield env
    finally:
        for host in list(SshHost._registry.values()):
            host.close()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def remote(test_stack: stack.RunningStack, ssh_env: dict[str, str]) -> Iterator[Session]:
    """A session over ssh://arctui-sshd for the shared stack (arctui's own session)."""
    from arctui.cli import build_parser, make_session

    os.environ["DOCKER_HOST"] = f"ssh://{ALIAS}"
    try:
        args = build_parser().parse_args(_project_args("status"))
        session = make_session(args)
    finally:
        del os.environ["DOCKER_HOST"]
    try:
        yield session
    finally:
        session.close()


def _project_args(*rest: str) -> list[str]:
    where = ["--project-dir", str(stack.STACK_DIR), "-f", str(stack.COMPOSE_FILE)]
    return [*where, "-p", stack.PROJECT, *rest]


def _status(env: dict[str, str]) -> dict[str, str]:
    proc = subprocess.run(
        [ARCTUI, *_project_args("status", "--json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout, proc.stderr
    rows = json.loads(proc.stdout)["services"]
    return {r["service"]: sorted(map(str, r["containers"])) for r in rows}


def test_status_over_ssh_shows_the_shared_stack(
    test_stack: stack.RunningStack, sshd: Sshd, ssh_env: dict[str, str]
) -> None:
    local_env = {k: v for k, v in ssh_env.items() if k != "DOCKER_HOST"}
    before = sshd.accepted()
    over_ssh = _status(ssh_env | {"DOCKER_HOST": f"ssh://{ALIAS}"})
    assert over_ssh == _status(local_env)  # the same engine, read the other way
    assert any(over_ssh.values())
    assert sshd.accepted() - before <= 1  # one connection for the whole command


def test_refreshes_open_no_new_ssh_connection(remote: Session, sshd: Sshd) -> None:
    assert remote.engine is not None
    host = remote.engine.ssh_host()
    assert host is not None and remote.engine.endpoint == f"ssh://{ALIAS}"
    snapshot = remote.reader.read()  # connects
    assert any(s.containers for s in snapshot.services)
    remote.resources.read()
    base = sshd.accepted()
    for _ in range(5):
        remote.reader.read()
        remote.resources.read()
        proc = host.run(["docker", "compose", "version"], cwd=str(stack.STACK_DIR))
        assert proc.returncode == 0, proc.stderr
    assert sshd.accepted() == base
    # The count moves for a real new connection: the docker CLI's own ssh:// helper.
    env = dict(os.environ) | {"DOCKER_HOST": f"ssh://{ALIAS}"}
    subprocess.run(["docker", "ps", "-q"], env=env, capture_output=True, timeout=60, check=True)
    assert sshd.accepted() > base


@pytest.mark.parametrize(
    ("alias", "says"),
    [
        (UNKNOWN, f"host key for {UNKNOWN} is not known: run ssh -F"),
        (CHANGED, f"host key for {CHANGED} has CHANGED"),
    ],
)
def test_host_keys_unknown_or_changed_are_clear_errors(
    ssh_env: dict[str, str], sshd: Sshd, alias: str, says: str
) -> None:
    before = sshd.accepted()
    client = EngineClient({"DOCKER_HOST": f"ssh://{alias}"}, timeout=5)
    with pytest.raises(SourceError) as caught:
        client.containers()
    assert says in caught.value.reason
    if alias == UNKNOWN:
        assert caught.value.reason.endswith(f"{alias} once to accept it")
    assert sshd.accepted() == before  # refused before authenticating


def test_never_a_password_prompt(ssh_env: dict[str, str], sshd: Sshd, tmp_path: Path) -> None:
    """Under a terminal, with a server that offers passwords: arctui fails at once."""
    code = (
        "from arctui.sources.ssh import SshHost\n"
        "try:\n"
        f"    SshHost('ssh://{NOKEY}').ensure()\n"
        "except Exception as exc:\n"
        "    print('REASON', exc)\n"
    )
    script = tmp_path / "try.py"
    script.write_text(code)
    inner = f"{sys.executable} {script}"
    out = subprocess.run(
        ["script", "-qec", inner, "/dev/null"],
        env=ssh_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    assert "REASON ssh to" in out and "no key was accepted" in out
    assert "password:" not in out.lower()
    # The control: plain ssh on the same terminal does sit at the server's prompt.
    plain = f"ssh -F {ssh_env['ARCTUI_SSH_CONFIG']} {NOKEY} true"
    with pytest.raises(subprocess.TimeoutExpired) as waited:
        subprocess.run(["script", "-qec", plain, "/dev/null"], capture_output=True, timeout=4)
    assert b"password" in (waited.value.stdout or b"").lower()


def test_resources_come_from_the_agent_on_the_host(
    remote: Session, test_stack: stack.RunningStack
) -> None:
    snap = remote.resources.read()
    assert snap.mode.startswith("agent: cgroup"), snap.mode
    running = {c.id for c in stack.project_containers(test_stack.client) if c.status == "running"}
    shown = {c.id for c in snap.containers if c.running and c.mem}
    assert running and len(running & shown) >= len(running) - 1  # one may restart meanwhile
    assert time.time() - snap.taken_at < 5


def test_without_arctui_on_the_host_the_api_is_used_and_named(remote: Session) -> None:
    from arctui.tabs.resources.reader import real_reader

    assert remote.engine is not None
    host = remote.engine.ssh_host()
    assert host is not None
    api = real_reader(stack.PROJECT, {}, mode="api", engine=remote.engine, hub=remote.events)
    source = AgentResources(stack.PROJECT, host, api, command="/nonexistent/arctui")
    try:
        snap = source.read()
        _wait(lambda: "no arctui agent" in source.read().mode, 20, "the fallback")
        snap = source.read()
        assert snap.mode == "engine API (no arctui agent on the host)"
        assert "/nonexistent/arctui" in source.reason
        assert any(c.mem for c in snap.containers)
    finally:
        source.close()


def test_a_killed_master_is_noticed_and_replaced(remote: Session, sshd: Sshd) -> None:
    assert remote.engine is not None
    host = remote.engine.ssh_host()
    assert host is not None
    remote.reader.read()
    old, connects, before = host.master_pid, host.connects, sshd.accepted()
    assert old is not None and host.alive
    os.kill(old, signal.SIGKILL)
    _wait(lambda: not host.alive, 10, "the dead master noticed")
    assert remote.reader.read().services  # reconnected on the next call
    assert host.master_pid not in (None, old) and host.connects == connects + 1
    assert sshd.accepted() == before + 1
    # The agent's channel died with the master: it is started again on the new one.
    _wait(lambda: remote.resources.read().mode.startswith("agent:"), 30, "the agent back")


def test_a_hung_link_ends_the_master_within_seconds(remote: Session, sshd: Sshd) -> None:
    """The server stops answering (a dropped VPN): keep-alives end the master."""
    assert remote.engine is not None
    host = remote.engine.ssh_host()
    assert host is not None
    remote.reader.read()
    assert host.alive
    frozen = [p for child in _children(sshd.pid) for p in (child, *_children(child))]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        # ServerAliveInterval 2 x CountMax 2; generous on a busy machine.
        _wait(lambda: not host.alive, 30, "the hung link noticed")
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    assert remote.reader.read().services  # a new master

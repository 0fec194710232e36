"""sources/ssh.py: addresses, the ssh command lines, error texts, backoff; and the engine
client choosing the shared SSH connection for ssh:// (issue 24). The real sshd is in
tests/integration/test_ssh_live.py; here a fake `ssh` stands in where a process runs."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from arctui.sources import ssh as ssh_mod
from arctui.sources.base import SourceError
from arctui.sources.engine import EngineClient
from arctui.sources.ssh import SshHost, SshTarget, explain_ssh, parse_url


@pytest.fixture(autouse=True)
def _runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.delenv("ARCTUI_SSH_CONFIG", raising=False)
    yield
    for host in list(SshHost._registry.values()):
        host.close()


def test_parse_url_forms() -> None:
    assert parse_url("ssh://stage") == SshTarget("stage")
    assert parse_url("ssh://deploy@stage:2200") == SshTarget("stage", "deploy", 2200)
    assert parse_url("ssh://deploy@stage:2200/").url == "ssh://deploy@stage:2200"


@pytest.mark.parametrize(
    "url",
    ["tcp://stage:2375", "ssh://", "ssh://stage:port", "ssh://-oProxyCommand=x", "ssh://h/x"],
)
def test_parse_url_refuses(url: str) -> None:
    with pytest.raises(SourceError):
        parse_url(url)


def test_target_args_end_options_before_the_host() -> None:
    assert SshTarget("h", "u", 22).args() == ["-l", "u", "-p", "22", "--", "h"]


def test_command_never_prompts_and_quotes_hostile_text() -> None:
    host = SshHost("ssh://stage", timeout=3)
    argv = host.command(["docker", "compose", "config"], cwd="/srv/app; rm -rf /")
    joined = " ".join(argv)
    for option in (
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        "ServerAliveInterval=",
        "ServerAliveCountMax=",
        "ConnectTimeout=3",
        f"ControlPath={host.control_path}",
        "ControlMaster=no",  # a command never becomes a master of its own
    ):
        assert option in joined
    assert argv[-1] == "cd '/srv/app; rm -rf /' && exec docker compose config"


def test_sockets_are_short_private_and_shared_per_host(tmp_path: Path) -> None:
    a = SshHost.for_url("ssh://stage")
    assert SshHost.for_url("ssh://stage/") is a  # one object (one master) per host
    assert SshHost.for_socket(a.socket_path()) is a
    assert a.docker_host() == f"unix://{a.socket_path()}"
    b = SshHost("ssh://prod")
    assert b.socket_path() != a.socket_path()
    folder = Path(a.socket_path()).parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert len(a.control_path) < 100  # fits a unix socket address with ssh's suffix


def test_a_long_runtime_dir_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = tmp_path / ("x" * 120)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    monkeypatch.setenv("XDG_STATE_HOME", str(deep))
    host = SshHost("ssh://stage")
    assert len(host.socket_path()) < 100
    assert not host.socket_path().startswith(str(deep))


@pytest.mark.parametrize(
    ("stderr", "says"),
    [
        (
            "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested "
            "strict checking.\r\nHost key verification failed.\r\n",
            "host key for stage:2222 is not known: run ssh -p 2222 stage once to accept it",
        ),
        (
            "@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
            "Host key verification failed.\n",
            "host key for stage:2222 has CHANGED",
        ),
        ("root@stage: Permission denied (publickey,password).", "never asks for a password"),
        ("ssh: connect to host stage port 2222: Connection refused", "connection refused"),
    ],
)
def test_explain_ssh(stderr: str, says: str) -> None:
    assert says in explain_ssh(stderr, SshTarget("stage", port=2222)).reason


def _fake_ssh(tmp_path: Path, script: str) -> tuple[str, Path]:
    calls = tmp_path / "calls"
    fake = tmp_path / "ssh"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n{script}\n')
    fake.chmod(0o755)
    return str(fake), calls


def test_a_failed_connect_backs_off(tmp_path: Path) -> None:
    fake, calls = _fake_ssh(tmp_path, 'echo "Host key verification failed." >&2\nexit 255')
    host = SshHost("ssh://stage", ssh=fake)
    with pytest.raises(SourceError, match="is not known"):
        host.ensure()
    tries = len(calls.read_text().splitlines())
    with pytest.raises(SourceError, match="trying again in"):
        host.ensure()  # within the backoff: no new ssh process, the same reason
    assert len(calls.read_text().splitlines()) == tries
    assert not host.alive


def test_close_ends_only_a_master_it_started(tmp_path: Path) -> None:
    fake, calls = _fake_ssh(tmp_path, "exit 0")
    host = SshHost("ssh://stage", ssh=fake)
    host.master_pid = os.getpid()  # a master someone else started: alive, not ours
    Path(host.control_path).touch()
    assert host.alive
    host.close()
    assert not calls.exists() or "-O exit" not in calls.read_text()
    assert SshHost.for_socket(host.socket_path()) is None


def test_engine_client_uses_the_shared_connection_for_ssh() -> None:
    client = EngineClient({"DOCKER_HOST": "ssh://deploy@stage:2200"})
    host = client.ssh_host()
    assert host is SshHost.for_url("ssh://deploy@stage:2200")
    assert client.endpoint == "ssh://deploy@stage:2200"
    assert not client.is_unix_socket  # cgroups here are not the remote's
    assert client.sends_at_once
    assert client.local_socket() is None


def test_engine_client_knows_a_forwarded_socket_is_remote() -> None:
    host = SshHost("ssh://stage")
    client = EngineClient({"DOCKER_HOST": host.docker_host()})
    assert client.ssh_host() is host
    assert not client.is_unix_socket
    assert EngineClient({"DOCKER_HOST": "unix:///var/run/docker.sock"}).ssh_host() is None


def test_engine_client_over_ssh_reports_the_ssh_failure(tmp_path: Path) -> None:
    fake, _ = _fake_ssh(tmp_path, 'echo "Permission denied (publickey)." >&2\nexit 255')
    SshHost("ssh://stage", ssh=fake)  # registered: the client finds this one
    client = EngineClient({"DOCKER_HOST": "ssh://stage"})
    with pytest.raises(SourceError, match="no key was accepted"):
        client.containers()
    assert ssh_mod.SshHost.for_url("ssh://stage").connects == 0

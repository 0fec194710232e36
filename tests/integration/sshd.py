"""A real OpenSSH server on 127.0.0.1:2222 for `ssh://` engines (issue 24), session-wide.

Debian's sshd with a host key, a client key and authorized_keys made here under a temp
dir, and an ssh_config naming it (`arctui-sshd`), passed to ssh as `-F` (arctui reads
ARCTUI_SSH_CONFIG; `bin/ssh` is a wrapper for the docker CLI), so nothing of the real
~/.ssh changes. The remote is this machine: over `ssh://arctui-sshd` the engine is the
local one and sees the shared arctui-test stack. Stopped by its pid (and the per-
connection children it forked), the temp dir removed. sshd logs to a file (-E), one
"Accepted publickey" line per SSH connection, which tests count.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
PORT = 2222
ALIAS = "arctui-sshd"
UNKNOWN = "arctui-sshd-unknown"  # the same server, its host key not in known_hosts
CHANGED = "arctui-sshd-changed"  # the same server, another key on record for it
NOKEY = "arctui-sshd-nokey"  # a key the server refuses: only a password prompt is left
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sshd:
    pid: int
    root: Path
    config: str  # the ssh_config file (ARCTUI_SSH_CONFIG, ssh -F)
    log: Path
    bin_dir: Path  # holds an `ssh` that adds -F config (for the docker CLI)

    @property
    def url(self) -> str:
        return f"ssh://{ALIAS}"

    def accepted(self) -> int:
        """SSH connections the server accepted so far."""
        try:
            text = self.log.read_text("utf-8", "replace")
        except FileNotFoundError:
            return 0
        return text.count("Accepted publickey for")

    def environ(self) -> dict[str, str]:
        """os.environ pointing ssh (arctui's and the docker CLI's) at this server."""
        env = dict(os.environ)
        env["ARCTUI_SSH_CONFIG"] = self.config
        env["PATH"] = f"{self.bin_dir}:{env.get('PATH', '')}"
        env["ARCTUI_AGENT_COMMAND"] = str(REPO / ".venv" / "bin" / "arctui")
        return env


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path.with_suffix(".pub").read_text().strip()


def _wait_port(pid: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited: {log.read_text('utf-8', 'replace')[-500:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", PORT), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"sshd pid {pid} did not listen on {PORT}")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _write_configs(root: Path) -> tuple[Path, Path]:
    host_pub = _keygen(root / "host_key")
    client_pub = _keygen(root / "client_key")
    other_pub = _keygen(root / "other_key")  # a key the server does not have
    (root / "authorized_keys").write_text(client_pub + "\n")
    known = root / "known_hosts"
    known.write_text(f"[127.0.0.1]:{PORT} {host_pub}\n")
    (root / "known_empty").write_text("")
    (root / "known_changed").write_text(f"[127.0.0.1]:{PORT} {other_pub}\n")
    log = root / "sshd.log"
    server = root / "sshd_config"
    server.write_text(
        f"Port {PORT}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\n"
        f"PidFile {root / 'sshd.pid'}\nAuthorizedKeysFile {root / 'authorized_keys'}\n"
        # Passwords are offered (never accepted: root's is locked), so a client without
        # BatchMode would sit at a prompt: what the no-prompt test checks.
        "PasswordAuthentication yes\nKbdInteractiveAuthentication yes\nUsePAM no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nAllowStreamLocalForwarding yes\n"
        "MaxSessions 32\nMaxStartups 50\nLogLevel INFO\n"
    )
    client = root / "ssh_config"
    entries = (
        (ALIAS, known, "client_key"),
        (UNKNOWN, root / "known_empty", "client_key"),
        (CHANGED, root / "known_changed", "client_key"),
        (NOKEY, known, "other_key"),
    )
    client.write_text(
        "".join(
            f"Host {name}\n  HostName 127.0.0.1\n  Port {PORT}\n  User root\n"
            f"  IdentityFile {root / key}\n  IdentitiesOnly yes\n"
            f"  IdentityAgent none\n  UserKnownHostsFile {hosts}\n"
            "  GlobalKnownHostsFile /dev/null\n"
            for name, hosts, key in entries
        )
    )
    bin_dir = root / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {client} "$@"\n')
    wrapper.chmod(0o755)
    return server, log


def start_sshd() -> tuple[Sshd, subprocess.Popen[bytes]]:
    """Keys, configs and a running sshd (its caller stops it with `stop_sshd`)."""
    if not os.path.exists(SSHD) or shutil.which("ssh-keygen") is None:
        raise RuntimeError("openssh-server is not installed")
    root = Path(tempfile.mkdtemp(prefix="arctui-sshd-"))
    root.chmod(0o700)
    server, log = _write_configs(root)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    proc = subprocess.Popen(
        [SSHD, "-D", "-f", str(server), "-E", str(log)],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_port(proc.pid, proc, log)
    except BaseException:
        stop_sshd(proc, root)
        raise
    return Sshd(proc.pid, root, str(root / "ssh_config"), log, root / "bin"), proc


def stop_sshd(proc: subprocess.Popen[bytes], root: Path) -> None:
    """Stop the server and the connections it forked, by pid; remove the temp dir."""
    for child in _children(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGTERM)
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def sshd() -> Iterator[Sshd]:
    """The loopback sshd; skips (fails when CI=true) when openssh-server is missing."""
    try:
        server, proc = start_sshd()
    except RuntimeError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        stop_sshd(proc, server.root)

"""One multiplexed OpenSSH connection per `ssh://` engine host, for the API and commands.

The docker SDK's and CLI's `ssh://` support opens a new SSH connection per call (or per
pooled HTTP connection: docker/cli #2584, 2.5 s for `docker context ls`). Here one master
connection (`ControlMaster`) carries everything: a local unix socket forwarded to the
remote engine's socket (`engine_http` speaks plain HTTP to it, each request a channel of
the master, no new connection), and commands (`run`: compose renders in the remote
project's directory, the `arctui agent` stream) as `ssh -S <control> host cmd`.

- Never a prompt: BatchMode=yes, stdin closed; a host key that is unknown or changed is
  a clear SourceError (StrictHostKeyChecking=yes), never a question on the terminal.
- A dropped link is noticed in seconds: ServerAliveInterval x ServerAliveCountMax ends the
  master, `alive` says so, and the next call connects again, with backoff (1-30 s)
  between failed attempts so a dead host costs one ssh process per backoff step.
- The control and forwarded sockets live under $XDG_RUNTIME_DIR/arctui/ssh (else the XDG
  state dir, else /tmp/arctui-ssh-UID), named by a short hash of the target, so every
  SshHost for one host (this process or the next run within ControlPersist) shares one
  master. A master this object started is ended by `close()`.
- `ARCTUI_SSH_CONFIG` (or `config=`) names an ssh_config file passed as `-F`.

Only the stdlib: importing this costs nothing on the local path. No Textual, no policy.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from arctui.lazylog import get_logger
from arctui.sources.base import SourceError

log = get_logger(__name__)

__all__ = ["SshHost", "SshTarget", "explain_ssh", "parse_url"]

REMOTE_SOCKET = "/var/run/docker.sock"
KEEPALIVE_INTERVAL = 2  # seconds between keep-alives once the link is quiet
KEEPALIVE_COUNT = 2  # unanswered keep-alives before the master gives up (~4-6 s)
PERSIST = 30  # seconds a master outlives its last user (a crashed arctui's master ends)
BACKOFF_MIN, BACKOFF_MAX = 1.0, 30.0
_SUN_PATH_MAX = 100  # sockaddr_un's 108 bytes, less what ssh appends while binding
_PID = re.compile(r"pid=(\d+)")


@dataclass(frozen=True)
class SshTarget:
    """Where `ssh://[user@]host[:port]` points."""

    host: str
    user: str | None = None
    port: int | None = None

    @property
    def url(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ssh://{user}{host}{port}"

    def args(self) -> list[str]:
        """ssh's arguments naming the target (last on the command line, after `--`)."""
        out = []
        if self.user:
            out += ["-l", self.user]
        if self.port:
            out += ["-p", str(self.port)]
        return [*out, "--", self.host]


def parse_url(url: str) -> SshTarget:
    """`ssh://[user@]host[:port]` as a target. Raises SourceError for anything else."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise SourceError(f"bad port in {url!r}", "use ssh://[user@]host[:port]") from None
    host = parts.hostname or ""
    if parts.scheme != "ssh" or not host or parts.path not in ("", "/") or parts.query:
        raise SourceError(f"not an ssh:// engine address: {url!r}", "use ssh://[user@]host[:port]")
    if host.startswith("-") or (parts.username or "").startswith("-"):
        raise SourceError(f"bad host in {url!r}", "a host name cannot start with '-'")
    user = unquote(parts.username) if parts.username else None
    return SshTarget(host, user, port)


def explain_ssh(stderr: str, target: SshTarget, config: str | None = None) -> SourceError:
    """ssh's complaint as a reason and a fix an operator can act on."""
    name = target.host if target.port is None else f"{target.host}:{target.port}"
    words = ["ssh", *(["-F", config] if config else []), *target.args()]
    run_once = shlex.join(w for w in words if w != "--")
    text = stderr.strip()
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in text or "Host key for" in text:
        return SourceError(
            f"host key for {name} has CHANGED: refusing to connect",
            "if the host was reinstalled, check its new key and replace the old one "
            f"(ssh-keygen -R {shlex.quote(target.host)}); otherwise this may be an attack",
        )
    if "host key is known" in text or "Host key verification failed" in text:
        return SourceError(
            f"host key for {name} is not known: run {run_once} once to accept it",
            "arctui never accepts host keys itself (StrictHostKeyChecking=yes)",
        )
    if "Permission denied" in text:
        return SourceError(
            f"ssh to {name}: no key was accepted (arctui never asks for a password)",
            "load a key into ssh-agent or name an IdentityFile in ~/.ssh/config",
        )
    if "Connection refused" in text:
        return SourceError(f"ssh to {name}: connection refused", "is sshd running there?")
    if "timed out" in text.lower():
        return SourceError(f"ssh to {name}: timed out", "is the host up, the VPN connected?")
    if "Could not resolve" in text:
        return SourceError(f"ssh to {name}: host name not known", "check the engine's address")
    last = text.splitlines()[-1] if text else "ssh failed"
    return SourceError(f"ssh to {name}: {last[:200]}", "")


def _socket_dir(environ: Mapping[str, str]) -> Path:
    """A private directory for control and forwarded sockets, with a short path."""
    candidates = []
    if environ.get("XDG_RUNTIME_DIR"):
        candidates.append(Path(environ["XDG_RUNTIME_DIR"]) / "arctui" / "ssh")
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    candidates.append(Path(state) / "arctui" / "ssh")
    candidates.append(Path(tempfile.gettempdir()) / f"arctui-ssh-{os.getuid()}")
    for path in candidates:
        if len(str(path)) + 20 > _SUN_PATH_MAX:
            continue  # "<hash>.sock" would not fit a unix socket address
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = path.stat()
        except OSError:
            continue
        if info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return path
    raise SourceError("no private directory for ssh sockets", "set XDG_RUNTIME_DIR")


def _pid_alive(pid: int) -> bool:
    """Whether `pid` runs: a killed master left as a zombie (a container's init that does
    not reap) still answers kill(0), so /proc's state says."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's master on our path: it runs
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc here: kill(0) is all there is
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


class SshHost:
    """The one shared SSH connection to a host: `socket_path()`, `run()`, `alive`."""

    _registry: dict[str, SshHost] = {}
    _registry_lock = threading.Lock()

    def __init__(
        self,
        url: str,
        timeout: float = 5.0,
        *,
        config: str | None = None,
        remote_socket: str | None = None,
        ssh: str = "ssh",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.target = parse_url(url)
        self.url = self.target.url
        self.timeout = timeout
        self.config = config or env.get("ARCTUI_SSH_CONFIG") or None
        self._remote_socket = remote_socket
        self._ssh = ssh
        key = f"{self.url}\0{self.config or ''}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        folder = _socket_dir(env)
        self.control_path = str(folder / f"{digest}.ctl")
        self._socket = str(folder / f"{digest}.sock")
        self._lock = threading.Lock()
        self.master_pid: int | None = None
        self._started = False  # this object started the master (so close() ends it)
        self._forwarded = False
        self._backoff = 0.0
        self._next_try = 0.0
        self._last_error: SourceError | None = None
        self.connects = 0  # masters this object started (a test and the benchmark count)
        self._closed = False
        with SshHost._registry_lock:
            SshHost._registry.setdefault(self.url, self)

    # Finding the shared object --------------------------------------------------------
    @classmethod
    def for_url(cls, url: str, timeout: float = 5.0) -> SshHost:
        """The process's SshHost for this `ssh://` address (made on first use)."""
        url = parse_url(url).url
        with cls._registry_lock:
            host = cls._registry.get(url)
        return host if host is not None else cls(url, timeout)

    @classmethod
    def for_socket(cls, path: str) -> SshHost | None:
        """The SshHost whose forwarded engine socket is `path`, if any."""
        with cls._registry_lock:
            return next((h for h in cls._registry.values() if h._socket == path), None)

    # What callers use -----------------------------------------------------------------
    def socket_path(self) -> str:
        """The local unix socket forwarded to the remote engine (stable across reconnects)."""
        return self._socket

    def docker_host(self) -> str:
        """A DOCKER_HOST reaching the remote engine through the shared connection."""
        return f"unix://{self._socket}"

    @property
    def alive(self) -> bool:
        """Whether the master connection runs (a dropped link ends it within seconds)."""
        pid = self.master_pid
        return pid is not None and os.path.exists(self.control_path) and _pid_alive(pid)

    def ensure(self) -> None:
        """Connect if the master is gone. Raises SourceError (the last reason while
        backing off, so a dead host is not dialled on every call)."""
        if self.alive and self._forwarded:
            return
        with self._lock:
            if self._closed:
                raise SourceError(f"the connection to {self.url} is closed")
            if self.alive and self._forwarded:
                return
            now = time.monotonic()
            if self._last_error is not None and now < self._next_try:
                wait = self._next_try - now
                raise SourceError(
                    f"{self._last_error.reason} (trying again in {wait:.0f} s)",
                    self._last_error.fix,
                )
            try:
                self._connect()
            except SourceError as exc:
                self._backoff = min(BACKOFF_MAX, max(BACKOFF_MIN, self._backoff * 2))
                self._next_try = time.monotonic() + self._backoff
                self._last_error = exc
                raise
            self._backoff, self._last_error = 0.0, None

    def run(
        self,
        argv: Sequence[str],
        cwd: str | None = None,
        timeout: float = 30.0,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` on the host in `cwd` over the master. Raises SourceError when the
        host cannot be reached, subprocess.TimeoutExpired after `timeout` (killed)."""
        from arctui.sources.procs import kill_group

        self.ensure()
        proc = subprocess.Popen(
            self.command(argv, cwd),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except BaseException:
            kill_group(proc)
            with contextlib.suppress(Exception):
                proc.communicate(timeout=5)
            raise
        return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)

    def popen(self, argv: Sequence[str], cwd: str | None = None) -> subprocess.Popen[bytes]:
        """Start `argv` on the host over the master, stdout a pipe (a stream such as the
        agent's). Raises SourceError when the host cannot be reached."""
        self.ensure()
        return subprocess.Popen(
            self.command(argv, cwd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def command(self, argv: Sequence[str], cwd: str | None = None) -> list[str]:
        """The local argv running `argv` on the host through the master."""
        remote = shlex.join(argv)
        if cwd:
            remote = f"cd {shlex.quote(cwd)} && exec {remote}"
        return [*self._base(), "-o", "ControlMaster=no", "-T", *self.target.args(), remote]

    def close(self) -> None:
        """End the master this object started (a reused one is left to its owner)."""
        with self._lock:
            self._closed = True
            started, self._started = self._started, False
        with SshHost._registry_lock:
            if SshHost._registry.get(self.url) is self:
                del SshHost._registry[self.url]
        if started and self.alive:
            self._control("exit")
        self.master_pid = None

    # The master -----------------------------------------------------------------------
    def _base(self) -> list[str]:
        opts = {
            "BatchMode": "yes",
            "StrictHostKeyChecking": "yes",
            "ConnectTimeout": str(max(1, round(self.timeout))),
            "ServerAliveInterval": str(KEEPALIVE_INTERVAL),
            "ServerAliveCountMax": str(KEEPALIVE_COUNT),
            "ControlPath": self.control_path,
        }
        out = [self._ssh]
        if self.config:
            out += ["-F", self.config]
        for key, value in opts.items():
            out += ["-o", f"{key}={value}"]
        return out

    def _control(self, command: str, *extra: str) -> subprocess.CompletedProcess[str]:
        argv = [*self._base(), "-O", command, *extra, *self.target.args()]
        return subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=self.timeout + 5,
            check=False,
        )

    def _check(self) -> int | None:
        """The pid of a master answering on our control path, or None."""
        if not os.path.exists(self.control_path):
            return None
        try:
            proc = self._control("check")
        except (OSError, subprocess.TimeoutExpired):
            return None
        found = _PID.search(proc.stderr + proc.stdout)
        return int(found.group(1)) if proc.returncode == 0 and found else None

    def _connect(self) -> None:
        """Reuse a master on our control path or start one, then forward the socket."""
        self._forwarded = False
        pid = self._check()
        if pid is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.control_path)  # a dead master's leftover
            self._start_master()
            pid = self._check()
            if pid is None:
                raise SourceError(f"ssh to {self.url}: the master connection did not start")
            self._started = True
            self.connects += 1
        self.master_pid = pid
        self._forward()

    def _start_master(self) -> None:
        argv = [
            *self._base(),
            "-o", "ControlMaster=yes",
            "-o", f"ControlPersist={PERSIST}",
            "-o", "ExitOnForwardFailure=yes",
            "-N", *self.target.args(),
        ]  # fmt: skip
        # stderr to a file, not a pipe: the backgrounded master could keep a pipe open.
        with tempfile.TemporaryFile("w+", errors="replace") as err:
            try:
                proc = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    timeout=self.timeout + 10,
                    check=False,
                    start_new_session=True,  # not in our process group: Ctrl-C is ours
                )
            except subprocess.TimeoutExpired:
                raise SourceError(
                    f"ssh to {self.url}: no answer in {self.timeout + 10:.0f} s",
                    "is the host up, the VPN connected?",
                ) from None
            except OSError as exc:
                raise SourceError(f"cannot run ssh: {exc}", "install openssh-client") from None
            err.seek(0)
            text = err.read()
        if proc.returncode != 0:
            raise explain_ssh(text, self.target, self.config)

    def _forward(self) -> None:
        if self._answers(self._socket):
            self._forwarded = True  # a reused master forwards it already
            return
        remote = self._remote_socket or self._detect_socket()
        self._remote_socket = remote
        spec = f"{self._socket}:{remote}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._socket)  # a dead master's listener
        # A master keeps a forward it was given once (and answers "done" to the same
        # request again), so an old one whose file is gone is cancelled first.
        self._control("cancel", "-L", spec)
        proc = self._control("forward", "-L", spec)
        if proc.returncode != 0 or not self._answers(self._socket):
            raise SourceError(
                f"ssh to {self.url}: forwarding the engine socket failed: "
                f"{(proc.stderr.strip() or 'nothing listens on it')[:200]}",
            )
        self._forwarded = True

    @staticmethod
    def _answers(path: str) -> bool:
        """Whether something accepts connections on the unix socket `path`."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(2)
            try:
                probe.connect(path)
            except OSError:
                return False
        return True

    def _detect_socket(self) -> str:
        """The remote engine's socket, as `docker system dial-stdio` there would use it."""
        fmt = "{{.Endpoints.docker.Host}}"
        try:
            proc = subprocess.run(
                self.command(["docker", "context", "inspect", "--format", fmt]),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=self.timeout + 5,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return REMOTE_SOCKET
        host = proc.stdout.strip()
        if proc.returncode == 0 and host.startswith("unix:///"):
            return host[len("unix://") :]
        return REMOTE_SOCKET

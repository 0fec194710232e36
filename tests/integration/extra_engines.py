"""Two more Docker engines on this machine for the fleet tests (issue 24), and the small
compose project `arctui-fleet` (tests/stack/fleet/) on each of them and on the default one.

Each extra engine is a `dockerd` of its own: its own config file (the no-bridge settings;
flags repeating /etc/docker/daemon.json would make it refuse to start), unix socket
(/run/arctui-e2.sock, /run/arctui-e3.sock), data root, exec root, pid file and containerd
namespaces. The busybox test image is loaded into each from the default engine (no
registry here). Engines are stopped by their pid file only, and only those this run
started; ARCTUI_KEEP_STACK=1 keeps them (and the projects) for the next run, which reuses
whatever answers.

Plain functions (`start_fleet`, `stop_fleet`, `ExtraEngine.pause` ...) for the benchmarks;
`extra_engines` is the session-scoped pytest fixture (registered in conftest.py).
Run `python -m tests.integration.extra_engines up|down|status` by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
FLEET_DIR = REPO / "tests" / "stack" / "fleet"
COMPOSE_FILE = FLEET_DIR / "docker-compose.yml"
PROJECT = "arctui-fleet"
SERVICES = ("api", "cron", "worker")
IMAGE = "arctui-test/busybox:local"
EXTRA = ("e2", "e3")
LOCK = Path("/tmp/arctui-fleet.lock")
# The no-bridge settings of /etc/docker/daemon.json, in each engine's own file.
DAEMON_CONFIG = {"bridge": "none", "iptables": False, "ip-forward": False, "ip-masq": False}
START_TIMEOUT = 60.0


def _run(
    argv: list[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    stdin: bytes | None = None,
) -> str:
    """Run a command; its stdout, or RuntimeError with its output."""
    try:
        proc = subprocess.run(
            argv, env=env, input=stdin, capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"{' '.join(argv)}: {exc}") from exc
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).decode(errors="replace").strip()
        raise RuntimeError(f"{' '.join(argv[:6])} exited {proc.returncode}: {out[-2000:]}")
    return proc.stdout.decode(errors="replace")


@dataclass
class ExtraEngine:
    """One Docker engine: the default one (`local`) or an extra dockerd (`e2`, `e3`)."""

    name: str
    started: bool = False  # by this run (only those are stopped)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def extra(self) -> bool:
        return self.name != "local"

    @property
    def socket(self) -> Path:
        return Path(f"/run/arctui-{self.name}.sock") if self.extra else Path("/var/run/docker.sock")

    @property
    def host(self) -> str:
        """Its DOCKER_HOST."""
        return f"unix://{self.socket}"

    @property
    def pidfile(self) -> Path:
        return Path(f"/run/arctui-{self.name}.pid")

    @property
    def data_root(self) -> Path:
        return Path(f"/var/lib/arctui-{self.name}")

    @property
    def exec_root(self) -> Path:
        return Path(f"/run/arctui-{self.name}")

    @property
    def config(self) -> Path:
        return Path(f"/tmp/arctui-{self.name}-daemon.json")

    @property
    def log(self) -> Path:
        return Path(f"/tmp/arctui-{self.name}-dockerd.log")

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """An environment whose docker CLI talks to this engine (and FLEET_ENGINE names it)."""
        env = dict(os.environ if base is None else base)
        env.pop("DOCKER_CONTEXT", None)
        env["DOCKER_HOST"] = self.host
        env["FLEET_ENGINE"] = self.name
        return env

    def docker(self, *args: str, timeout: float = 60, stdin: bytes | None = None) -> str:
        """`docker <args>` against this engine."""
        return _run(["docker", *args], env=self.env(), timeout=timeout, stdin=stdin)

    def compose(self, *args: str, timeout: float = 120) -> str:
        """`docker compose -p arctui-fleet -f ... <args>` against this engine."""
        argv = ["docker", "compose", "-p", PROJECT, "-f", str(COMPOSE_FILE), *args]
        return _run(argv, env=self.env(), timeout=timeout)

    def pid(self) -> int | None:
        """The dockerd's pid from its pid file (None: not running, or the default engine)."""
        if not self.extra:
            return None
        try:
            pid = int(self.pidfile.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def answers(self, timeout: float = 5) -> bool:
        """Whether the engine answers `docker version` now."""
        try:
            self.docker("version", "--format", "{{.Server.Version}}", timeout=timeout)
        except RuntimeError:
            return False
        return True

    def start(self) -> None:
        """Start this dockerd (or reuse one that answers); wait until it answers."""
        if not self.extra or (self.pid() is not None and self.answers()):
            return
        for path in (self.data_root, self.exec_root):
            path.mkdir(parents=True, exist_ok=True)
        self.config.write_text(json.dumps(DAEMON_CONFIG))
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()  # left by a killed run: dockerd refuses an existing one
        argv = [
            "dockerd",
            "--config-file",
            str(self.config),
            "-H",
            self.host,
            "--data-root",
            str(self.data_root),
            "--exec-root",
            str(self.exec_root),
            "--pidfile",
            str(self.pidfile),
            "--containerd-namespace",
            f"arctui-{self.name}",
            "--containerd-plugins-namespace",
            f"arctui-{self.name}-plugins",
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
            )
        self.started = True
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answers(timeout=3):
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-1500:]
                raise RuntimeError(f"dockerd {self.name} exited {self.process.returncode}: {tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"dockerd {self.name} did not answer in {START_TIMEOUT:.0f} s")
            time.sleep(0.2)

    def load_image(self, image: str = IMAGE) -> None:
        """Copy `image` from the default engine (no registry to pull from)."""
        if not self.extra:
            return
        wanted = _run(["docker", "image", "inspect", "-f", "{{.Id}}", image]).strip()
        with contextlib.suppress(RuntimeError):
            if self.docker("image", "inspect", "-f", "{{.Id}}", image).strip() == wanted:
                return
        env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
        saved = subprocess.run(
            ["docker", "save", image], env=env, capture_output=True, timeout=120, check=True
        ).stdout
        self.docker("load", "-q", stdin=saved, timeout=120)

    def up(self) -> None:
        """The fleet project up and healthy on this engine."""
        self.compose("up", "-d", "--wait", "--wait-timeout", "60", timeout=120)

    def down(self) -> None:
        """The fleet project removed from this engine."""
        with contextlib.suppress(RuntimeError):
            self.compose("down", "-t", "2", "--remove-orphans", timeout=120)

    def pause(self) -> None:
        """SIGSTOP the dockerd (its containers keep running; the API hangs)."""
        pid = self.pid()
        if pid is None:
            raise RuntimeError(f"engine {self.name} is not a running extra dockerd")
        os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT the dockerd."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGCONT)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """SIGSTOPped inside the block, SIGCONT on the way out whatever happens."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    def stop(self) -> None:
        """Stop the dockerd by its pid file (only one this run started)."""
        pid = self.pid()
        if not self.started or pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)  # a test that failed mid-pause
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while self.pid() == pid and time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.1)
        if self.pid() == pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        self.started = False

    def container_env(self, service: str) -> dict[str, str]:
        """The env of the service's container on this engine (FLEET_ENGINE says where)."""
        cid = self.compose("ps", "-q", service).split()[0]
        data = json.loads(self.docker("inspect", cid))[0]
        return dict(item.partition("=")[::2] for item in data["Config"]["Env"])

    def started_at(self, service: str) -> str:
        """The service's container's State.StartedAt on this engine (the engine's own word)."""
        cid = self.compose("ps", "-q", service).split()[0]
        return self.docker("inspect", "-f", "{{.State.StartedAt}}", cid).strip()


@dataclass
class FleetEngines:
    """The default engine and the two extra ones, each running `arctui-fleet`."""

    engines: tuple[ExtraEngine, ...]
    timings: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ExtraEngine:
        return next(e for e in self.engines if e.name == name)

    @property
    def extra(self) -> tuple[ExtraEngine, ...]:
        return tuple(e for e in self.engines if e.extra)

    def engine_args(self) -> list[str]:
        """`--engine e2=unix://... --engine e3=unix://...` for arctui's command line."""
        out: list[str] = []
        for e in self.extra:
            out += ["--engine", f"{e.name}={e.host}"]
        return out

    def arctui_args(self) -> list[str]:
        """Global arctui options watching the fleet project on all three engines."""
        return ["--project-dir", str(FLEET_DIR), "-p", PROJECT, *self.engine_args()]


def in_parallel(items: Iterable[T], work: Callable[[T], object]) -> None:
    """`work(item)` on every item at once, each on its thread; the first failure is raised."""
    errors: list[BaseException] = []

    def one(item: T) -> None:
        try:
            work(item)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _parallel(engines: tuple[ExtraEngine, ...], work: str) -> None:
    """`getattr(engine, work)()` on each engine at once; the first failure is raised."""
    in_parallel(engines, lambda engine: getattr(engine, work)())


def ensure_image() -> None:
    """The busybox test image on the default engine (built as the test stack builds it)."""
    try:
        _run(["docker", "image", "inspect", "-f", "{{.Id}}", IMAGE])
    except RuntimeError:
        from tests.integration import stack

        stack.build_images()


def start_fleet(names: tuple[str, ...] = EXTRA, local: bool = True) -> FleetEngines:
    """Start the extra engines, load the image, bring `arctui-fleet` up on every engine."""
    engines = ((ExtraEngine("local"),) if local else ()) + tuple(ExtraEngine(n) for n in names)
    fleet = FleetEngines(engines)
    began = time.monotonic()
    try:
        ensure_image()
        _parallel(fleet.extra, "start")
        fleet.timings["start"] = time.monotonic() - began
        _parallel(fleet.extra, "load_image")
        _parallel(fleet.engines, "up")
        fleet.timings["ready"] = time.monotonic() - began
    except BaseException:
        if os.environ.get("ARCTUI_KEEP_STACK") != "1":
            stop_fleet(fleet)
        raise
    return fleet


def stop_fleet(fleet: FleetEngines) -> None:
    """The project down on every engine, then the dockerds this run started stopped
    (each engine on its own thread: a dead one's 10 s `answers` delays no other)."""
    in_parallel(fleet.engines, lambda e: e.down() if e.answers(timeout=10) else None)
    _parallel(fleet.extra, "stop")


@contextlib.contextmanager
def _lock(holder: str = "") -> Iterator[None]:
    """One run at a time owns the fixed sockets and project names. The holder writes who
    it is into the file, so a run that waits can say for whom (a benchmark holds it for
    minutes)."""
    with open(LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            who = handle.read().strip() or "another run"
            print(f"waiting for {LOCK}, held by {who}", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{holder or ' '.join(sys.argv[:2])} (pid {os.getpid()})\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unavailable() -> str | None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return "extra dockerds need root on Linux"
    for tool in ("dockerd", "docker"):
        if not any((Path(d) / tool).exists() for d in os.environ.get("PATH", "").split(":")):
            return f"{tool} not found"
    if not ExtraEngine("local").answers(timeout=20):
        return "the default Docker engine does not answer"
    return None


def _fixture() -> Iterator[FleetEngines]:
    import pytest

    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"extra engines unavailable: {reason}")
        pytest.skip(f"extra engines unavailable: {reason}")
    asked = time.monotonic()
    with _lock("the pytest fleet fixture"):
        waited = time.monotonic() - asked
        fleet = start_fleet()
        fleet.timings = {"lock wait": waited, **fleet.timings}
        TIMINGS.update(fleet.timings)
        try:
            yield fleet
        finally:
            for engine in fleet.extra:
                engine.resume()  # never leave a dockerd stopped
            if os.environ.get("ARCTUI_KEEP_STACK") != "1":
                began = time.monotonic()
                stop_fleet(fleet)
                TIMINGS["teardown"] = time.monotonic() - began


# What the session's fixture cost (printed at the end of the run: where the time went).
TIMINGS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter: object) -> None:
    """One line: the fleet fixture's lock wait, start, ready (since asked) and teardown."""
    if TIMINGS:
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items())
        terminalreporter.write_line(f"extra engines (fleet tests): {parts}")  # type: ignore[attr-defined]


def _register() -> object:
    import pytest

    @pytest.fixture(scope="session")
    def extra_engines() -> Iterator[FleetEngines]:
        """The default engine plus e2 and e3, each running `arctui-fleet`, healthy."""
        yield from _fixture()

    return extra_engines


extra_engines = _register()


def main(argv: list[str]) -> int:
    """`up`: start and keep; `down`: project down and dockerds stopped; `status`."""
    command = argv[0] if argv else "status"
    if command == "up":
        fleet = start_fleet()
        print(json.dumps({e.name: e.host for e in fleet.engines}), fleet.timings)
    elif command == "down":
        fleet = FleetEngines(tuple(ExtraEngine(n, started=True) for n in ("local", *EXTRA)))
        stop_fleet(fleet)
    else:
        for name in ("local", *EXTRA):
            engine = ExtraEngine(name)
            print(name, engine.host, "pid", engine.pid(), "answers", engine.answers())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Issue 20 on the real stack: Debian's Prometheus scrapes `arctui record --metrics`; a
replay of a store recorded from arctui-test shows the moment and connects to nothing;
`status --at` prints the recorded moment; an OOM kill (own project arctui-oom20) is
recorded as a state event and in the frames, and `history events` lists it.

One recording of arctui-test is shared by the module (interval 1 s); Prometheus runs as
a process of this module on 127.0.0.1:19491 with its own data dir, and is stopped by pid.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from arctui.record.store import Store
from tests.integration.stack import WORKER_CONTAINER, RunningStack, compose_env

PROMETHEUS = Path("/usr/bin/prometheus")
PROM_ADDR = "127.0.0.1:19491"
METRICS_ADDR = "127.0.0.1:19465"
OOM_FILE = Path(__file__).resolve().parents[1] / "stack" / "oom" / "docker-compose.yml"
OOM_PROJECT = "arctui-oom20"


def _wait(what: str, check: Callable[[], object], timeout: float = 150.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def _arctui(project: str, compose_file: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "arctui", "--project-dir", str(compose_file.parent),
            "-p", project, "-f", str(compose_file), "--store", str(store)]  # fmt: skip


def _record(argv: list[str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*argv, "record", "--interval", "1", *extra], env=compose_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out


def _events(store: Path, kind: str | None = None) -> list:
    try:
        with Store.open(store, readonly=True) as s:
            return [e for e in s.events(0, 4e9) if kind is None or e.kind == kind]
    except Exception:
        return []


def _prom_query(expr: str) -> list[dict]:
    url = f"http://{PROM_ADDR}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return list(json.load(r)["data"]["result"])
    except OSError:
        return []


@dataclass
class Recording:
    store: Path
    started: float
    ended: float
    scraped: dict[str, list[dict]]  # PromQL -> Prometheus' answer while recording


@pytest.fixture(scope="module")
def recording(test_stack: RunningStack, tmp_path_factory) -> Iterator[Recording]:
    """arctui-test recorded with --metrics while Debian's Prometheus scrapes it, until the
    crash loop restarted once and Prometheus has the series."""
    if not PROMETHEUS.exists():
        pytest.skip("Debian's prometheus is not installed (apt-get install prometheus)")
    tmp = tmp_path_factory.mktemp("rec-live")
    store = tmp / "r.sqlite"
    (tmp / "prom.yml").write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: arctui\n    static_configs: [{{targets: ['{METRICS_ADDR}']}}]\n"
    )
    prom = subprocess.Popen(
        [str(PROMETHEUS), f"--config.file={tmp / 'prom.yml'}", f"--web.listen-address={PROM_ADDR}",
         f"--storage.tsdb.path={tmp / 'tsdb'}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    started = time.time()
    proc = _record(_arctui(test_stack.project, test_stack.compose_file, store),
                   "--metrics", METRICS_ADDR)  # fmt: skip
    scraped: dict[str, list[dict]] = {}
    try:
        _wait("the worker's restart", lambda: _events(store, "restart"))
        for expr in (
            'arctui_source_up{job="arctui"}',
            'arctui_container_running{job="arctui"}',
            f'arctui_container_restarts{{container="{WORKER_CONTAINER}"}}',
        ):
            scraped[expr] = _wait(f"Prometheus to scrape {expr}", lambda e=expr: _prom_query(e))  # type: ignore[assignment]
    finally:
        _stop(proc)
        prom.terminate()
        prom.wait(timeout=30)
    yield Recording(store, started, time.time(), scraped)
    shutil.rmtree(tmp / "tsdb", ignore_errors=True)


def test_prometheus_scrapes_the_recorder_and_gets_the_series(
    recording: Recording, test_stack: RunningStack
) -> None:
    up = {
        r["metric"]["source"]: r["value"][1]
        for r in recording.scraped['arctui_source_up{job="arctui"}']
    }
    assert up["stack"] == "1" and up["postgres"] == "1" and up["redis"] == "1"
    running = recording.scraped['arctui_container_running{job="arctui"}']
    names = {r["metric"]["container"] for r in running}
    engine = {c.name for c in test_stack.client.containers.list(all=True,
              filters={"label": f"com.docker.compose.project={test_stack.project}"})}  # fmt: skip
    assert names <= engine and len(names) >= len(engine) - 1  # the crash loop may be between
    (worker,) = recording.scraped[f'arctui_container_restarts{{container="{WORKER_CONTAINER}"}}']
    assert worker["metric"]["project"] == test_stack.project
    docker_count = test_stack.client.containers.get(WORKER_CONTAINER).attrs["RestartCount"]
    assert 0 <= docker_count - float(worker["value"][1]) <= 60  # scraped earlier, not later


class _Listener:
    """Counts connections to one socket (and closes them)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.accepted, self._stop = sock, 0, False
        sock.listen(16)
        sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()


def _moment(store: Path) -> tuple[float, object]:
    """A moment inside the recording where the worker was seen restarted (not the last)."""
    with Store.open(store, readonly=True) as s:
        times = s.frame_times(0, 4e9)
        for ts in times[len(times) // 2 : -2]:
            frame = s.frame_at(ts)
            worker = frame.stack.service("worker") if frame and frame.stack else None
            if worker is not None and worker.restart_count > 0:
                return ts + 0.5, frame
    raise AssertionError("no frame with the worker restarted")


async def test_replay_of_the_real_store_shows_the_moment_and_connects_nowhere(
    recording: Recording, test_stack: RunningStack, tmp_path: Path, monkeypatch
) -> None:
    from arctui import cli
    from arctui.tabs.resources.view.tab import ResourcesTab
    from arctui.tabs.services.view.tab import ServicesTab
    from arctui.ui.app import ArcApp
    from tests.ui.conftest import wait_for

    at, frame = _moment(recording.store)
    engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    engine.bind(str(tmp_path / "docker.sock"))
    listeners = {"engine": _Listener(engine)}
    for name in ("postgres", "redis"):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        listeners[name] = _Listener(tcp)
    pg, rd = (listeners[n].sock.getsockname()[1] for n in ("postgres", "redis"))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
    monkeypatch.setenv("ARCTUI_POSTGRES_DSN", f"postgresql://arc:pw@127.0.0.1:{pg}/arc_db")
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{rd}/0")
    argv = [*_arctui(test_stack.project, test_stack.compose_file, recording.store)[3:],
            "--at", f"@{at}"]  # fmt: skip
    session = cli.make_session(cli.build_parser(argv).parse_args(argv))
    app = ArcApp(session)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            services = app.query_one(ServicesTab)
            await wait_for(pilot, lambda: services.snapshot is not None, timeout=20)
            assert services.snapshot == frame.stack  # type: ignore[attr-defined]
            shown = services.snapshot.service("worker")
            assert (
                shown is not None
                and shown.restart_count == frame.stack.service("worker").restart_count
            )  # type: ignore[attr-defined]
            await pilot.press("2")
            await wait_for(pilot, lambda: app.active_tab == "resources")
            res = app.query_one(ResourcesTab)
            await wait_for(pilot, lambda: getattr(res, "snapshot", None) is not None, timeout=20)
            assert res.snapshot.taken_at == frame.resources.taken_at  # type: ignore[attr-defined]
            await pilot.pause(2.0)  # a poll or two: a live reader would connect by now
    finally:
        for listener in listeners.values():
            listener.close()
    assert {n: x.accepted for n, x in listeners.items()} == {"engine": 0, "postgres": 0, "redis": 0}


def test_status_at_a_recorded_moment_with_no_engine_reachable(
    recording: Recording, test_stack: RunningStack
) -> None:
    at, frame = _moment(recording.store)
    env = {**compose_env(), "DOCKER_HOST": "unix:///nonexistent/arctui-no-engine.sock"}
    argv = _arctui(test_stack.project, test_stack.compose_file, recording.store)
    done = subprocess.run([*argv, "--at", f"@{at}", "status", "--json"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert "REPLAY: the recorded state at" in done.stderr
    rows = {r["service"]: r for r in json.loads(done.stdout)["services"]}
    for service in frame.stack.services:  # type: ignore[attr-defined]
        assert rows[service.name]["restarts"] == service.restart_count
        assert rows[service.name]["state"] == service.state.value


@pytest.fixture(scope="module")
def oom_recording(test_stack: RunningStack, tmp_path_factory) -> Iterator[Path]:
    """arctui-oom20 recorded while its one container allocates until the kernel kills it."""
    store = tmp_path_factory.mktemp("oom") / "oom.sqlite"
    compose = ["docker", "compose", "-p", OOM_PROJECT, "-f", str(OOM_FILE)]
    proc = _record(_arctui(OOM_PROJECT, OOM_FILE, store))
    try:
        _wait("the recorder's first frame", lambda: _events(store, "recorder"))
        subprocess.run([*compose, "up", "-d"], check=True, capture_output=True, timeout=120)
        _wait("the OOM kill recorded", lambda: _events(store, "oom"), timeout=120)
        _wait("a frame after the kill", lambda: _oom_frame(store), timeout=60)
    finally:
        _stop(proc)
        subprocess.run([*compose, "down", "-t", "1"], capture_output=True, timeout=120)
    yield store


def _oom_frame(store: Path):
    with Store.open(store, readonly=True) as s:
        _, hi = s.span() or (0, 0)
        frame = s.frame_at(hi)
    hog = frame.stack.service("hog") if frame and frame.stack else None
    return frame if hog and hog.containers and hog.containers[0].oom_killed else None


def test_an_oom_kill_is_a_state_event_a_frame_and_in_history_events(oom_recording: Path) -> None:
    (oom,) = _events(oom_recording, "oom")
    assert oom.service == "hog" and "OOM kill" in oom.text
    died = [e for e in _events(oom_recording, "state") if e.service == "hog" and "died" in e.text]
    assert died and abs(died[0].ts - oom.ts) < 5
    frame = _oom_frame(oom_recording)
    (c,) = frame.stack.service("hog").containers
    assert c.state == "exited" and c.exit_code == 137
    argv = _arctui(OOM_PROJECT, OOM_FILE, oom_recording)
    done = subprocess.run([*argv, "history", "events", "--since", "1h"], env=compose_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "OOM kill" in line)
    assert "arctui-oom20-hog-1" in lines[at]
    assert any("died" in line for line in lines[max(0, at - 3) : at + 4])

"""The flight recorder against the real test stack: the crash loop recorded and read back,
two recorders, kill -9 mid-write, no secret in the store, a full tmpfs pauses and resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from arctui.record.store import Store
from tests.integration.stack import PG_PASSWORD, WORKER_CONTAINER, RunningStack, compose_env

INTERVAL = "1"


def _args(stack: RunningStack, store: Path) -> list[str]:
    return [sys.executable, "-m", "arctui", "--project-dir", str(stack.stack_dir),
            "-p", stack.project, "-f", str(stack.compose_file), "--store", str(store)]  # fmt: skip


def _start(stack: RunningStack, store: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*_args(stack, store), "record", "--interval", INTERVAL],
        env=compose_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _wait(what: str, check, timeout: float = 150.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def _frames(path: Path) -> int:
    try:
        with Store.open(path, readonly=True) as s:
            return s.frame_count()
    except Exception:
        return 0


def _kinds(path: Path, service: str) -> set[str]:
    try:
        with Store.open(path, readonly=True) as s:
            return {e.kind for e in s.events(0, 4e9, services=[service])}
    except Exception:
        return set()


@pytest.fixture(scope="module")
def recording(test_stack: RunningStack, tmp_path_factory) -> Iterator[tuple[Path, float, float]]:
    """One recorder run that saw the worker crash and come back (restart count rose)."""
    store = tmp_path_factory.mktemp("rec") / "r.sqlite"
    started = time.time()
    proc = _start(test_stack, store)
    try:
        _wait(
            "the worker's die and restart", lambda: {"restart", "state"} <= _kinds(store, "worker")
        )
        # the second recorder on the same store refuses, with the reason
        second = subprocess.run([*_args(test_stack, store), "record"], env=compose_env(),
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert second.returncode == 2
        assert f"another recorder (pid {proc.pid})" in second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopped:" in out
    yield store, started, time.time()


def test_crash_loop_in_the_timeline_in_order(recording, test_stack: RunningStack) -> None:
    store, started, ended = recording
    done = subprocess.run([*_args(test_stack, store), "history", "events", "--since", "1h",
                           "--json"], env=compose_env(), capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)
    times = [e["ts"] for e in events]
    assert times == sorted(times)
    worker = [e for e in events if e["service"] == "worker"]
    died = [e for e in worker if e["kind"] == "state" and "died" in e["text"]]
    restarts = [e for e in worker if e["kind"] == "restart"]
    assert died and restarts
    assert all(started - 5 <= e["ts"] <= ended + 5 for e in died + restarts)
    # the engine's own stamp: a restart is seen after the death that caused it
    assert min(e["ts"] for e in died) <= max(e["ts"] for e in restarts)
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "recorder" or "recorder" in kinds
    assert events[-1]["text"] == "recorder stopped"
    argv = [*_args(test_stack, store), "history", "events", "--since", "1h"]
    text = subprocess.run(argv, env=compose_env(), capture_output=True, text=True, timeout=120)
    assert "arctui-test-worker-1: died" in text.stdout


def test_frames_hold_what_the_engine_said(recording, test_stack: RunningStack) -> None:
    store, started, ended = recording
    with Store.open(store, readonly=True) as s:
        lo, hi = s.span()
        assert started - 1 <= lo <= hi <= ended + 1
        last = s.frame_at(hi)
        assert last is not None and last.stack is not None and last.resources is not None
        assert "postgres" not in last.down and last.postgres is not None
        assert last.redis is not None
        worker = last.stack.service("worker")
        assert worker is not None
        docker_count = test_stack.client.containers.get(WORKER_CONTAINER).attrs["RestartCount"]
        assert docker_count - 3 <= worker.restart_count <= docker_count
        first = s.frame_at(lo)
        assert first is not None and first.stack is not None
        assert worker.restart_count > first.stack.service("worker").restart_count


def test_no_secret_in_the_store(recording) -> None:
    store, _, _ = recording
    data = b"".join(p.read_bytes() for p in store.parent.iterdir() if p.is_file())
    assert PG_PASSWORD.encode() not in data
    with Store.open(store, readonly=True) as s:
        lo, hi = s.span()
        decoded = "".join(repr(s.frame_at(t)) for t in s.frame_times(lo, hi)[-3:])
        decoded += repr(s.events(0, 4e9))
    assert PG_PASSWORD not in decoded
    assert "POSTGRES_PASSWORD" in decoded  # the env was recorded, its value masked


def test_kill_9_mid_write_loses_at_most_the_last_interval(test_stack, tmp_path) -> None:
    store = tmp_path / "k.sqlite"
    proc = _start(test_stack, store)
    try:
        _wait("three frames", lambda: _frames(store) >= 3, timeout=120)
    finally:
        seen = _frames(store)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    with Store.open(store) as s:  # writable: the dead recorder's lock is gone
        assert s.frame_count() >= seen
        lo, hi = s.span()
        assert s.frame_at(hi) is not None and s.frame_at(lo) is not None


def test_a_full_tmpfs_pauses_and_resumes(test_stack, tmp_path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:  # fmt: skip
        pytest.skip("cannot mount a tmpfs here")
    proc = None
    try:
        store = mount / "r.sqlite"
        proc = _start(test_stack, store)
        _wait("two frames", lambda: _frames(store) >= 2, timeout=120)
        filler = mount / "filler"
        with filler.open("wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        before = _frames(store)
        time.sleep(4)  # a few intervals on a full disk
        assert proc.poll() is None  # still running
        filler.unlink()
        _wait("frames again", lambda: _frames(store) > before + 1, timeout=60)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        subprocess.run(["umount", "-l", str(mount)], check=False)
    assert "full: recording paused" in err
    assert "recording resumed after" in err

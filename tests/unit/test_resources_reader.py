"""ResourcesReader over a fake engine and a fake cgroup tree: paths, fallback, events."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from arctui.sources.base import EngineEvent, SourceError
from arctui.sources.cgroups import CgroupReader
from arctui.sources.docker_stats import ContainerGone, ContainerMeta, EngineInfo
from arctui.sources.event_hub import EventHub
from arctui.tabs.resources.models import (
    ContainerStats,
    Counters,
    HostStats,
    OomEvent,
    ResourcesSnapshot,
)
from arctui.tabs.resources.reader import ResourcesReader
from arctui.tabs.resources.source import OomLog, declared_limits, pressure_warnings
from tests.unit.test_resources_cgroups import v1_tree, write

CID = "a" * 64
OTHER = "b" * 64


class FakeEngine:
    """Stands in for EngineStats: records calls, serves metas and API counters."""

    endpoint = "fake"
    is_unix_socket = True

    def __init__(self, *metas: ContainerMeta) -> None:
        self.metas = {m.id: m for m in metas}
        self.api: dict[str, list[Counters | Exception]] = {}
        self.events: list[tuple[EngineEvent, str]] = []
        self.calls: list[str] = []
        self.subscribed = threading.Event()

    def list_project(self, project: str) -> list[tuple[str, str]]:
        self.calls.append("list")
        return [(m.id, m.state) for m in self.metas.values()]

    def inspect(self, ids):
        self.calls.append("inspect")
        return {i: self.metas[i] for i in ids if i in self.metas}

    def stats(self, ids, ncpu):
        self.calls.append("stats")
        return {i: self.api[i].pop(0) if self.api.get(i) else ContainerGone(i) for i in ids}

    def info(self) -> EngineInfo:
        return EngineInfo(4, 8 * 2**30, "/var/lib/docker")

    def volumes(self, project):
        raise SourceError("df timed out")

    def follow_events(self, project, on_event, stop, since=None) -> None:
        for event, name in self.events:
            on_event(event, name)
        self.subscribed.set()
        stop.wait()

    def close(self) -> None:
        pass


def meta(cid: str = CID, **kw) -> ContainerMeta:
    base = ContainerMeta(cid, f"c-{cid[:3]}", "svc", "running", pid=None, mem_limit=64 * 2**20)
    return replace(base, **kw)


class Clock:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


def cgroup_setup(tmp_path: Path) -> tuple[CgroupReader, Clock, Path]:
    root = v1_tree(tmp_path, limit=64 * 2**20)
    clock = Clock()
    return CgroupReader(root, tmp_path / "noproc", monotonic_ns=clock), clock, root


def test_cgroup_path_takes_two_readings_for_a_new_container(tmp_path: Path) -> None:
    cgroups, clock, root = cgroup_setup(tmp_path)
    usage = root / "cpuacct" / "docker" / CID / "cpuacct.usage"

    def sleep(seconds: float) -> None:  # 0.25 s pass, a quarter of a core used in them
        clock.ns += 250_000_000
        usage.write_text(str(2_500_000_000 + 62_500_000))

    engine = FakeEngine(meta())
    reader = ResourcesReader("p", engine, cgroups, sleep=sleep)  # type: ignore[arg-type]
    snap = reader.read()
    [row] = snap.containers
    assert row.cpu == pytest.approx(0.25)
    assert row.mem == 50 * 2**20 and row.mem_limit == 64 * 2**20
    assert snap.mode == "cgroup v1"
    assert "stats" not in engine.calls  # no Engine API stats at all
    clock.ns += 1_000_000_000
    usage.write_text(str(2_562_500_000 + 1_000_000_000))
    assert reader.read().containers[0].cpu == pytest.approx(1.0)


def test_api_fallback_when_forced(tmp_path: Path) -> None:
    cgroups, _, _ = cgroup_setup(tmp_path)
    engine = FakeEngine(meta())
    engine.api[CID] = [
        Counters(at=0.0, cpu_ns=0, clock_ns=0.0, mem=100, net_rx=0),
        Counters(at=1.0, cpu_ns=600_000_000, clock_ns=1e9, mem=200, net_rx=1000),
    ]
    reader = ResourcesReader("p", engine, cgroups, force_api=True)  # type: ignore[arg-type]
    first = reader.read()
    assert first.mode == "engine API" and first.containers[0].cpu is None
    row = reader.read().containers[0]
    assert row.cpu == pytest.approx(0.6) and row.net_rx == 1000.0 and row.mem == 200
    assert row.mem_limit == 64 * 2**20  # the API's "limit" is host memory: inspect wins
    assert not first.host.local  # no host figures without the local path


def test_container_without_cgroup_uses_the_api(tmp_path: Path) -> None:
    cgroups, _, _ = cgroup_setup(tmp_path)
    engine = FakeEngine(meta(), meta(OTHER))
    engine.api[OTHER] = [Counters(at=0.0, cpu_ns=0, clock_ns=0.0)]
    reader = ResourcesReader("p", engine, cgroups, sleep=lambda s: None)  # type: ignore[arg-type]
    assert reader.read().mode == "cgroup v1 + API (1)"


def test_removed_container_disappears_at_once(tmp_path: Path) -> None:
    cgroups, _, root = cgroup_setup(tmp_path)
    engine = FakeEngine(meta(), meta(OTHER, state="exited"))
    reader = ResourcesReader("p", engine, cgroups, sleep=lambda s: None)  # type: ignore[arg-type]
    assert len(reader.read().containers) == 2
    del engine.metas[CID]
    for ctrl in ("cpuacct", "memory"):
        d = root / ctrl / "docker" / CID
        for f in d.iterdir():
            f.unlink()
        d.rmdir()
    snap = reader.read()
    assert [c.id for c in snap.containers] == [OTHER]


def test_stopped_container_keeps_its_row_without_numbers(tmp_path: Path) -> None:
    cgroups, _, root = cgroup_setup(tmp_path)
    engine = FakeEngine(meta())
    reader = ResourcesReader("p", engine, cgroups, sleep=lambda s: None)  # type: ignore[arg-type]
    reader.read()
    engine.metas[CID] = meta(state="exited")
    (root / "memory" / "docker" / CID / "memory.stat").unlink()
    [row] = reader.read().containers
    assert row.state == "exited" and row.cpu is None and row.mem is None


def test_api_failing_everywhere_is_an_error_one_gone_is_not() -> None:
    engine = FakeEngine(meta(), meta(OTHER))
    engine.api[CID] = [SourceError("engine hung")]
    engine.api[OTHER] = [SourceError("engine hung")]
    reader = ResourcesReader("p", engine, None)  # type: ignore[arg-type]
    with pytest.raises(SourceError):
        reader.read()
    engine.api[CID] = [Counters(at=0.0, cpu_ns=0, clock_ns=0.0)]
    del engine.metas[OTHER]
    engine.api[OTHER] = [ContainerGone("gone")]
    reader._listed_at = -1e9  # force a re-list
    assert [c.id for c in reader.read().containers] == [CID]


class FakeEventSource:
    """Stands in for the session's ContainerSource behind the event hub."""

    def __init__(self, *events: EngineEvent) -> None:
        self.events = list(events)
        self.subscribed = threading.Event()
        self._closed = threading.Event()

    def follow_events(self, project, on_event, stop, since=None) -> None:
        for event in self.events:
            on_event(event)
        self.subscribed.set()
        self._closed.wait()

    def close(self) -> None:
        self._closed.set()


def test_events_mark_oom_and_spare_relisting(tmp_path: Path) -> None:
    engine = FakeEngine(meta())
    engine.api[CID] = [Counters(at=t, cpu_ns=0, clock_ns=t) for t in range(10)]
    source = FakeEventSource(EngineEvent("oom", CID, "svc", 1000.0, name="c-aaa"))
    hub = EventHub("p", source, clock=lambda: 1500.0)  # type: ignore[arg-type]
    reader = ResourcesReader("p", engine, None, clock=lambda: 1500.0, hub=hub)  # type: ignore[arg-type]
    changes: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=reader.follow_events, args=(changes.append, stop))
    thread.start()
    try:
        assert source.subscribed.wait(5)
        deadline = time.monotonic() + 5
        while reader.events._queue.empty() and time.monotonic() < deadline:
            time.sleep(0.01)  # the subscription's own thread delivers it
        snap = reader.read()
        assert snap.oom_events == (OomEvent(1000.0, CID, "c-aaa", "svc"),)
        assert snap.containers[0].oom_killed
        assert changes == []  # a replayed event (older than the subscription) asks no read
        lists = engine.calls.count("list")
        reader.read()
        assert engine.calls.count("list") == lists  # events alive: no re-list every read
    finally:
        stop.set()
        thread.join(5)
        hub.close()


def test_inspect_oom_killed_is_listed_once() -> None:
    engine = FakeEngine(meta(state="exited", oom_killed=True, finished_at=2000.0))
    reader = ResourcesReader("p", engine, None)  # type: ignore[arg-type]
    reader.oom.record(OomEvent(1999.5, CID, "c-aaa", "svc"))  # the event seen just before
    snap = reader.read()
    assert len(snap.oom_events) == 1 and snap.containers[0].oom_killed


def test_oom_log_is_bounded_and_ordered() -> None:
    log = OomLog(keep=3)
    for t in (5.0, 1.0, 3.0, 4.0, 2.0):
        log.record(OomEvent(t * 100, f"id{t}", "n"))
    assert [e.time for e in log.events()] == [300.0, 400.0, 500.0]
    assert not log.record(OomEvent(510.0, "id5.0", "n"))  # same kill seen twice


def test_declared_limits_and_volume_errors() -> None:
    engine = FakeEngine(meta())
    engine.api[CID] = [Counters(at=0.0, cpu_ns=0, clock_ns=0.0)]
    reader = ResourcesReader(
        "p",
        engine,  # type: ignore[arg-type]
        None,
        declared=lambda: {"svc": (128 * 2**20, 0.5)},
    )
    row = reader.read().containers[0]
    assert row.declared_mem_limit == 128 * 2**20 and row.limits_drift
    assert reader.volumes().error == "df timed out"
    assert declared_limits(None) == {}


def test_pressure_warnings() -> None:
    host = HostStats(
        ncpu=2,
        mem_total=1000,
        mem_available=50,
        mem_pressure=20.0,
        docker_root="/var/lib/docker",
        disk_total=100,
        disk_free=5,
    )
    hot = ContainerStats("x", "pulsar", "pulsar", "running", mem=90, mem_limit=100)
    cool = ContainerStats("y", "redis", "redis", "running", mem=10, mem_limit=100)
    snap = ResourcesSnapshot("p", (cool, hot), host, 0.0, "test")
    assert pressure_warnings(snap) == [
        "host memory low",
        "memory pressure 20%",
        "/var/lib/docker almost full",
        "pulsar at 90% of its memory limit",
    ]


def test_pids_file_missing_is_tolerated(tmp_path: Path) -> None:
    cgroups, _, root = cgroup_setup(tmp_path)
    (root / "pids" / "docker" / CID / "pids.current").unlink()
    write(root / "pids" / "docker" / CID / "other", "")
    engine = FakeEngine(meta())
    reader = ResourcesReader("p", engine, cgroups, sleep=lambda s: None)  # type: ignore[arg-type]
    assert reader.read().containers[0].pids is None

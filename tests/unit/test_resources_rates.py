"""Rate math, CPU % of a core / the host / the limit, history, and the Engine API parsing."""

from __future__ import annotations

import pytest

from arctui.sources.engine_parse import counters_from_stats, meta_from_inspect
from arctui.tabs.resources.models import ContainerStats, Counters, HostStats, ResourcesSnapshot
from arctui.tabs.resources.rates import History, HostCpu, cpu_cores, per_second, rates


def counters(at: float, cpu_ns: int, clock_ns: float, **kw) -> Counters:
    return Counters(at=at, cpu_ns=cpu_ns, clock_ns=clock_ns, **kw)


def test_per_second() -> None:
    assert per_second(100, 300, 2.0) == 100.0
    assert per_second(None, 300, 2.0) is None
    assert per_second(100, None, 2.0) is None
    assert per_second(100, 300, 0.0) is None
    assert per_second(300, 100, 1.0) is None  # counter reset: no rate, not a negative one


def test_cpu_cores_from_deltas() -> None:
    a = counters(0.0, 0, 0.0)
    b = counters(1.0, 1_500_000_000, 1e9)  # 1.5 s of CPU in 1 s of wall time
    assert cpu_cores(a, b) == pytest.approx(1.5)
    assert cpu_cores(b, a) is None
    assert cpu_cores(a, counters(1.0, 5, 0.0)) is None


def test_rates_first_reading_has_none() -> None:
    r = rates(None, counters(0.0, 1, 1.0, net_rx=10))
    assert r.cpu is None and r.net_rx is None


def test_rates_network_and_block() -> None:
    a = counters(10.0, 0, 0.0, net_rx=0, net_tx=0, blk_read=0, blk_write=1000)
    b = counters(12.0, 500_000_000, 2e9, net_rx=2048, net_tx=4096, blk_read=None, blk_write=3000)
    r = rates(a, b)
    assert r.cpu == pytest.approx(0.25)
    assert (r.net_rx, r.net_tx, r.blk_read, r.blk_write) == (1024.0, 2048.0, None, 1000.0)


def test_rates_fall_back_to_the_clock_when_timestamps_repeat() -> None:
    a = counters(10.0, 0, 0.0, net_rx=0)
    b = counters(10.0, 0, 2e9, net_rx=2000)
    assert rates(a, b).net_rx == 1000.0


def test_api_cpu_uses_docker_stats_formula() -> None:
    """Δusage / Δsystem * online_cpus, as `docker stats` computes it."""

    def sample(total: int, system: int, read: str) -> dict:
        return {
            "read": read,
            "cpu_stats": {
                "cpu_usage": {"total_usage": total},
                "system_cpu_usage": system,
                "online_cpus": 4,
            },
            "memory_stats": {"usage": 1000, "stats": {"total_inactive_file": 300}},
            "networks": {"eth0": {"rx_bytes": 10, "tx_bytes": 20}},
            "blkio_stats": {
                "io_service_bytes_recursive": [
                    {"op": "Read", "value": 5},
                    {"op": "Write", "value": 7},
                    {"op": "Total", "value": 12},
                ]
            },
            "pids_stats": {"current": 3},
        }

    a = counters_from_stats(sample(0, 0, "2026-01-01T00:00:00Z"), ncpu=4)
    b = counters_from_stats(sample(2_000_000_000, 8_000_000_000, "2026-01-01T00:00:02Z"), 4)
    # docker stats: 2e9 / 8e9 * 4 * 100 = 100 % (one core)
    assert cpu_cores(a, b) == pytest.approx(1.0)
    assert b.mem == 700  # page cache (inactive file) excluded
    assert (b.net_rx, b.net_tx, b.blk_read, b.blk_write, b.pids) == (10, 20, 5, 7, 3)
    assert b.at - a.at == pytest.approx(2.0)


def test_api_v2_memory_and_host_network() -> None:
    data = {
        "read": "2026-01-01T00:00:00Z",
        "cpu_stats": {"cpu_usage": {"total_usage": 1}, "system_cpu_usage": 2},
        "memory_stats": {"usage": 1000, "stats": {"inactive_file": 100}},
        "pids_stats": {},
    }
    c = counters_from_stats(data, ncpu=2)
    assert c.mem == 900
    assert c.net_rx is None  # no networks: host network mode
    assert c.blk_read is None
    assert c.clock_ns == 1.0  # system / online cpus (from ncpu when not reported)


def test_meta_from_inspect_limits() -> None:
    base = {
        "Id": "x",
        "Name": "/arc-oracle-sql",
        "State": {"Status": "running", "Pid": 77, "OOMKilled": False},
        "Config": {"Labels": {"com.docker.compose.service": "postgres"}},
        "RestartCount": 2,
    }
    m = meta_from_inspect({**base, "HostConfig": {"NanoCpus": 1_500_000_000, "Memory": 2**30}})
    assert (m.name, m.service, m.pid, m.restarts) == ("arc-oracle-sql", "postgres", 77, 2)
    assert (m.cpu_limit, m.mem_limit, m.host_network) == (1.5, 2**30, False)
    m = meta_from_inspect(
        {**base, "HostConfig": {"CpuQuota": 50000, "CpuPeriod": 100000, "NetworkMode": "host"}}
    )
    assert (m.cpu_limit, m.mem_limit, m.host_network) == (0.5, None, True)
    assert meta_from_inspect({**base, "HostConfig": {}}).cpu_limit is None


def test_cpu_percentages_of_core_host_and_limit() -> None:
    c = ContainerStats("id", "n", "s", "running", cpu=1.0, cpu_limit=2.0)
    assert c.cpu_pct == 100.0  # docker stats
    assert c.cpu_host_pct(4) == 25.0
    assert c.cpu_limit_pct == 50.0
    assert ContainerStats("id", "n", "s", "running", cpu=1.0).cpu_limit_pct is None
    assert ContainerStats("id", "n", "s", "exited").cpu_host_pct(4) is None


def test_memory_percent_warning_and_drift() -> None:
    c = ContainerStats("id", "n", "s", "running", mem=52 * 2**20, mem_limit=64 * 2**20)
    assert c.mem_pct == pytest.approx(81.25)
    assert c.mem_warning
    assert not ContainerStats("id", "n", "s", "running", mem=10, mem_limit=100).mem_warning
    assert not ContainerStats("id", "n", "s", "running", mem=10).mem_warning  # unlimited
    drift = ContainerStats("id", "n", "s", "running", mem_limit=100, declared_mem_limit=200)
    assert drift.limits_drift
    same = ContainerStats("id", "n", "s", "running", cpu_limit=0.5, declared_cpu_limit=0.5)
    assert not same.limits_drift


def test_host_cpu() -> None:
    cpu = HostCpu()
    assert cpu.update(100, 1000) is None
    assert cpu.update(150, 1100) == 50.0
    assert cpu.update(150, 1100) is None  # no time passed


def snap(t: float, *stats: ContainerStats) -> ResourcesSnapshot:
    return ResourcesSnapshot("p", stats, HostStats(ncpu=2), t, "test")


def test_history_is_bounded_and_forgets_removed_containers() -> None:
    h = History(window=10, max_points=5)
    for t in range(20):
        h.add(snap(t, ContainerStats("a", "a", "", "running", cpu=t / 10, sampled_at=t)))
    series = h.series("a")
    assert len(series) == 5 and series[-1].t == 19
    h.add(snap(20, ContainerStats("b", "b", "", "running", cpu=0.1, sampled_at=20)))
    assert h.series("a") == [] and len(h.series("b")) == 1


def test_history_same_instant_replaces_and_window_trims() -> None:
    h = History(window=5, max_points=100)
    for _ in range(3):
        h.add(snap(1, ContainerStats("a", "a", "", "running", cpu=0.5, sampled_at=1.0)))
    assert len(h.series("a")) == 1
    h.add(snap(10, ContainerStats("a", "a", "", "running", cpu=0.5, sampled_at=10.0)))
    assert [p.t for p in h.series("a")] == [10.0]
    h.add(snap(11, ContainerStats("a", "a", "", "exited")))  # stopped: kept, not extended
    assert len(h.series("a")) == 1


def test_history_restarts_when_time_goes_back() -> None:
    # A replay moved back (or the clock jumped): the new window replaces the old one.
    h = History(window=600, max_points=100)
    for t in (100.0, 105.0, 110.0):
        h.add(snap(t, ContainerStats("a", "a", "", "running", cpu=0.5, sampled_at=t)))
    for t in (40.0, 45.0):
        h.add(snap(t, ContainerStats("a", "a", "", "running", cpu=0.1, sampled_at=t)))
    assert [p.t for p in h.series("a")] == [40.0, 45.0]


def test_cpu_beyond_the_host_cpus_is_no_figure() -> None:
    # 0.87 s of CPU in 0.25 s on a 2-CPU host: a counter out of step with its clock.
    a = counters(10.0, 0, 0.0)
    b = counters(10.25, 870_000_000, 0.25e9)
    assert rates(a, b).cpu == pytest.approx(3.48)  # the host size unknown: as measured
    assert rates(a, b, max_cores=2).cpu is None
    assert rates(a, counters(10.25, 480_000_000, 0.25e9), max_cores=2).cpu == pytest.approx(1.92)

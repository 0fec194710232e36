"""The cgroup reader on fake v1 and v2 trees, and the host reader on a fake /proc."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arctui.sources.cgroups import (
    CgroupReader,
    memory_in_use,
    parse_blkio_v1,
    parse_io_stat_v2,
    parse_net_dev,
)
from arctui.sources.host import HostReader

CID = "a" * 64
PID = 4242
NET_DEV = (
    "Inter-|   Receive                          |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets ...\n"
    "    lo:  999999 3003 0 0 0 0 0 0   999999 3003 0 0 0 0 0 0\n"
    "  eth0: 1000 10 0 0 0 0 0 0   2000 20 0 0 0 0 0 0\n"
    "  eth1:  500 5 0 0 0 0 0 0   700 7 0 0 0 0 0 0\n"
)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def proc_for(tmp: Path, cgroup_lines: str) -> Path:
    proc = tmp / "proc"
    write(proc / str(PID) / "cgroup", cgroup_lines)
    write(proc / str(PID) / "net" / "dev", NET_DEV)
    return proc


def v2_tree(tmp: Path, rel: str, mem_max: str = "67108864") -> Path:
    root = tmp / "cg2"
    write(root / "cgroup.controllers", "cpu io memory pids\n")
    d = root / rel
    write(d / "cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n")
    write(d / "memory.current", str(50 * 2**20))
    write(d / "memory.stat", f"anon 1000\nfile 2000\ninactive_file {10 * 2**20}\nactive_file 0\n")
    write(d / "memory.max", mem_max + "\n")
    write(d / "io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n")
    write(d / "pids.current", "7\n")
    return root


def v1_tree(tmp: Path, cpu_dir: str = "cpuacct", limit: int = 2**63 - 4096) -> Path:
    root = tmp / "cg1"
    rel = Path("docker") / CID
    write(root / cpu_dir / rel / "cpuacct.usage", "2500000000\n")
    mem = root / "memory" / rel
    write(mem / "memory.usage_in_bytes", str(80 * 2**20))
    write(
        mem / "memory.stat",
        f"cache {40 * 2**20}\nrss 1\ninactive_file 5\ntotal_inactive_file {30 * 2**20}\n",
    )
    write(mem / "memory.limit_in_bytes", str(limit))
    write(
        root / "blkio" / rel / "blkio.throttle.io_service_bytes_recursive",
        "8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:0 Total 300\n8:16 Read 1\nTotal 301\n",
    )
    write(root / "pids" / rel / "pids.current", "3\n")
    return root


def test_parsers() -> None:
    assert parse_net_dev(NET_DEV) == (1500, 2700)  # loopback left out
    assert parse_blkio_v1("8:0 Read 100\n8:0 Write 200\n8:16 Read 1\nTotal 301\n") == (101, 200)
    assert parse_io_stat_v2("8:0 rbytes=1 wbytes=2\n8:16 rbytes=10 wbytes=20 rios=3\n") == (11, 22)


def test_memory_excludes_inactive_file_like_docker_stats() -> None:
    # v1: total_inactive_file wins over inactive_file
    assert memory_in_use(100, {"total_inactive_file": 30, "inactive_file": 5}) == 70
    assert memory_in_use(100, {"inactive_file": 40}) == 60  # v2
    assert memory_in_use(100, {"inactive_file": 400}) == 100  # never negative
    assert memory_in_use(100, {}) == 100


def test_v2_systemd_layout(tmp_path: Path) -> None:
    root = v2_tree(tmp_path, f"system.slice/docker-{CID}.scope")
    proc = proc_for(tmp_path, f"0::/system.slice/docker-{CID}.scope\n")
    reader = CgroupReader(root, proc, monotonic_ns=lambda: 5_000_000_000, clock=lambda: 100.0)
    assert reader.version == 2
    paths = reader.find(CID, PID)
    assert paths is not None and paths.version == 2 and paths.pid == PID
    c = reader.read(paths, host_network=False)
    assert c.cpu_ns == 1_500_000_000
    assert c.mem == 40 * 2**20  # 50 MiB minus 10 MiB inactive_file
    assert c.mem_limit == 64 * 2**20
    assert (c.blk_read, c.blk_write, c.pids) == (4096, 8192, 7)
    assert (c.net_rx, c.net_tx) == (1500, 2700)
    assert (c.at, c.clock_ns) == (100.0, 5e9)


def test_v2_cgroupfs_layout_unlimited_and_host_network(tmp_path: Path) -> None:
    root = v2_tree(tmp_path, f"docker/{CID}", mem_max="max")
    reader = CgroupReader(root, tmp_path / "noproc")
    paths = reader.find(CID, None)
    assert paths is not None and paths.pid is None
    c = reader.read(paths, host_network=True)
    assert c.mem_limit is None
    assert c.net_rx is None and c.net_tx is None  # host network: not the container's


def test_v2_found_through_proc_when_nested(tmp_path: Path) -> None:
    rel = f"user.slice/user-1000.slice/user@1000.service/docker-{CID}.scope"
    root = v2_tree(tmp_path, rel)
    proc = proc_for(tmp_path, f"0::/{rel}\n")
    paths = CgroupReader(root, proc).find(CID, PID)
    assert paths is not None and paths.cpu == root / rel


def test_v1_cgroupfs_layout(tmp_path: Path) -> None:
    root = v1_tree(tmp_path, limit=64 * 2**20)
    proc = proc_for(tmp_path, f"4:memory:/docker/{CID}\n2:cpuacct:/docker/{CID}\n")
    reader = CgroupReader(root, proc)
    assert reader.version == 1
    paths = reader.find(CID, PID)
    assert paths is not None and paths.version == 1
    c = reader.read(paths, host_network=False)
    assert c.cpu_ns == 2_500_000_000
    assert c.mem == 50 * 2**20  # 80 MiB minus total_inactive_file 30 MiB
    assert c.mem_limit == 64 * 2**20
    assert (c.blk_read, c.blk_write, c.pids) == (101, 200, 3)
    assert c.net_rx == 1500


def test_v1_comounted_cpu_cpuacct_and_unlimited(tmp_path: Path) -> None:
    root = v1_tree(tmp_path, cpu_dir="cpu,cpuacct")
    reader = CgroupReader(root, tmp_path / "noproc")
    paths = reader.find(CID)
    assert paths is not None and paths.cpu.parent.parent.name == "cpu,cpuacct"
    assert reader.read(paths, host_network=False).mem_limit is None


def test_pid_of_another_namespace_is_not_read(tmp_path: Path) -> None:
    root = v1_tree(tmp_path)
    proc = proc_for(tmp_path, "4:memory:/user.slice\n")  # that pid is some other process
    paths = CgroupReader(root, proc).find(CID, PID)
    assert paths is not None and paths.pid is None


def test_unknown_container_and_removal(tmp_path: Path) -> None:
    root = v1_tree(tmp_path)
    reader = CgroupReader(root, tmp_path / "noproc")
    assert reader.find("b" * 64) is None
    paths = reader.find(CID)
    assert paths is not None
    for p in (paths.cpu, paths.memory):
        for f in p.iterdir():
            f.unlink()
        p.rmdir()
    with pytest.raises(FileNotFoundError):
        reader.read(paths, host_network=False)
    reader.forget(CID)
    assert reader.find(CID) is None


def test_no_cgroups_at_all(tmp_path: Path) -> None:
    assert CgroupReader(tmp_path / "nothing").version is None


def test_host_reader(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    write(proc / "stat", "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 0 0 0\ncpu1 1 0 0 0\nintr 1\n")
    write(proc / "meminfo", "MemTotal:       1000 kB\nMemFree: 10 kB\nMemAvailable:    400 kB\n")
    write(proc / "pressure" / "memory", "some avg10=12.50 avg60=1.00 avg300=0.00 total=1\n")
    stat = os.statvfs_result((4096, 4096, 100, 40, 30, 0, 0, 0, 0, 255))
    host = HostReader(proc, statvfs=lambda path: stat)
    assert host.readable()
    assert host.cpu_times() == (150, 1000, 2)  # iowait counts as idle
    assert host.meminfo() == (1000 * 1024, 400 * 1024)
    assert host.pressure() == 12.5
    # 100 blocks, 40 free, 30 of them for users: df says 60 used of 90 (67%), not 70%.
    assert host.disk("/var/lib/docker") == (90 * 4096, 30 * 4096)
    assert host.disk("") == (None, None)
    assert HostReader(tmp_path / "none").pressure() is None


def test_disk_use_matches_df_on_this_machine() -> None:
    # An independent reading: df's own Use% of the same filesystem.
    import shutil
    import subprocess

    if not shutil.which("df"):
        pytest.fail("df is missing")
    out = subprocess.run(
        ["df", "--output=pcent", "/"], capture_output=True, text=True, check=True
    ).stdout.split()
    df_pct = int(out[-1].rstrip("%"))
    total, free = HostReader().disk("/")
    assert total and free is not None
    ours = (1 - free / total) * 100
    assert abs(ours - df_pct) <= 1.5  # df rounds up; the disk may change in between


def test_a_stall_between_clock_and_counter_is_read_again(tmp_path: Path) -> None:
    """The counter is paired with a clock read right beside it, not 300 ms before it."""
    root = v2_tree(tmp_path, f"system.slice/docker-{CID}.scope")
    proc = proc_for(tmp_path, f"0::/system.slice/docker-{CID}.scope\n")
    ticks = iter([0, 300_000_000, 400_000_000, 401_000_000])  # a stall, then a tight pair
    reader = CgroupReader(root, proc, monotonic_ns=lambda: next(ticks), clock=lambda: 100.0)
    paths = reader.find(CID, PID)
    assert paths is not None
    c = reader.read(paths, host_network=False)
    assert c.clock_ns == 400_500_000  # the middle of the narrow bracket
    assert c.cpu_ns == 1_500_000_000

"""Mapping in-container backend pids to host processes through NSpid, on fake trees."""

from __future__ import annotations

import os
from pathlib import Path

from arctui.sources.cgroups import CgroupReader
from arctui.tabs.postgres.procs import BackendProcs, parse_io, parse_stat, parse_status

CID = "ab" * 32


def stat_line(pid: int, ticks: tuple[int, int], start: int) -> str:
    fields = ["S"] + ["0"] * 10 + [str(ticks[0]), str(ticks[1])] + ["0"] * 6 + [str(start)]
    return f"{pid} (postgres: arc arc_db) " + " ".join(fields) + " 0 0\n"


def write_proc(proc: Path, host: int, ns: int, ticks: tuple[int, int], start: int, rss_kb: int,
               io: tuple[int, int] | None = (0, 0)) -> None:  # fmt: skip
    d = proc / str(host)
    d.mkdir(parents=True, exist_ok=True)
    (d / "status").write_text(f"Name:\tpostgres\nNSpid:\t{host}\t{ns}\nVmRSS:\t{rss_kb} kB\n")
    (d / "stat").write_text(stat_line(host, ticks, start))
    if io is not None:
        (d / "io").write_text(f"rchar: 1\nread_bytes: {io[0]}\nwrite_bytes: {io[1]}\n")


def tree(tmp_path: Path, pids: list[int]) -> tuple[Path, Path]:
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    scope = root / "system.slice" / f"docker-{CID}.scope"
    scope.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory io pids\n")
    (scope / "memory.current").write_text("1000\n")
    (scope / "cgroup.procs").write_text("".join(f"{p}\n" for p in pids))
    return root, proc


def test_parsers():
    assert parse_status("NSpid:\t4242\t17\nVmRSS:\t  2048 kB\n") == (17, 2048 * 1024)
    assert parse_status("NSpid:\t99\n") == (99, None)  # same namespace: one value
    # a comm with spaces and parentheses must not shift the fields
    assert parse_stat(stat_line(5, (7, 3), 123).replace("(postgres: arc arc_db)", "(a) b)")) == (
        10,
        123,
    )
    assert parse_io("read_bytes: 10\nwrite_bytes: 20\n") == (10, 20)


def test_maps_namespace_pids_and_computes_rates(tmp_path: Path):
    root, proc = tree(tmp_path, [5001, 5002])
    now = [100.0]
    procs = BackendProcs(CgroupReader(root=root, proc=proc), proc=proc, clock=lambda: now[0])
    write_proc(proc, 5001, 1, (0, 0), 10, 100)  # postmaster
    write_proc(proc, 5002, 57, (100, 0), 20, 2048, io=(0, 0))
    first, note = procs.read(CID, own_pid=57)
    assert note == "" and set(first) == {1, 57}
    assert first[57].cpu is None and first[57].rss == 2048 * 1024 and first[57].host_pid == 5002
    now[0] = 102.0
    write_proc(proc, 5002, 57, (150, 50), 20, 4096, io=(4096, 8192))
    second, _ = procs.read(CID, own_pid=57)
    ticks = os.sysconf("SC_CLK_TCK")
    assert second[57].cpu == 100.0 * 100 / ticks / 2.0
    assert second[57].read_bps == 2048.0 and second[57].write_bps == 4096.0


def test_a_reused_pid_is_not_a_rate(tmp_path: Path):
    root, proc = tree(tmp_path, [5002])
    procs = BackendProcs(CgroupReader(root=root, proc=proc), proc=proc)
    write_proc(proc, 5002, 57, (100, 0), 20, 10)
    procs.read(CID, None)
    write_proc(proc, 5002, 58, (500, 0), 21, 10)  # another process got the host pid
    stats, _ = procs.read(CID, None)
    assert stats[58].cpu is None


def test_why_the_columns_are_empty(tmp_path: Path):
    root, proc = tree(tmp_path, [5002])
    procs = BackendProcs(CgroupReader(root=root, proc=proc), proc=proc)
    write_proc(proc, 5002, 57, (1, 0), 20, 10, io=None)  # /proc/<pid>/io unreadable
    stats, note = procs.read(CID, own_pid=57)
    assert stats[57].read_bps is None and note == ""
    assert procs.read(None, 57) == ({}, "no Postgres container in the stack for this connection")
    stats, note = procs.read("ff" * 32, 57)
    assert stats == {} and "not on the Docker host" in note
    stats, note = procs.read(CID, own_pid=999)  # our backend is not in this container
    assert stats == {} and "not the stack's Postgres container" in note

"""Flight-recorder figures: compression, recorder CPU and RSS, store growth, seek time.

    .venv/bin/python benchmarks/recorder_bench.py [--demo] [--seconds 60] [--interval 5]
        [--days 7] [-p arctui-test -f tests/stack/docker-compose.yml --project-dir tests/stack]

1. Records `--seconds` at `--interval` through the real Sampler, Recorder and Store (the
   `arctui record` path), timing this process's CPU and the Docker daemon's extra CPU
   (against an idle period of the same length before it), RSS at start and end.
2. Compares compressions on the frames recorded: zlib alone, zlib with the keyframe as
   preset dictionary (32 KiB window), zstd alone, zstd against the keyframe (chosen).
3. Builds a synthetic store of `--days` (time-compressed: the recorded frames replayed
   with their times moved, through `Store.write_frame`) and times 200 random seeks on a
   freshly opened store.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arctui.record import codec
from arctui.record.recorder import Recorder
from arctui.record.sampler import Sampler
from arctui.record.store import Store


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _pid_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def _dockerd() -> int | None:
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "comm").read_text().strip() == "dockerd":
                    return int(p.name)
            except OSError:
                continue
    return None


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _session(args: argparse.Namespace):
    from arctui.config.settings import Settings
    from arctui.session import demo_session, real_session

    if args.demo:
        return demo_session()
    return real_session(Path(args.project_dir), None, args.file, args.project_name, Settings())


class Keep:
    """Wraps the sampler to keep the frames it made (for the compression and seek runs)."""

    def __init__(self, inner: Sampler) -> None:
        self.inner, self.frames = inner, []

    def sample(self):
        frame, events = self.inner.sample()
        self.frames.append(frame)
        return frame, events

    def close(self) -> None:
        self.inner.close()


def record(args: argparse.Namespace, path: Path) -> list:
    session = _session(args)
    dockerd = _dockerd()
    d0 = _pid_cpu(dockerd) if dockerd else 0.0
    time.sleep(args.seconds)  # the daemon's idle CPU over the same length
    idle = (_pid_cpu(dockerd) - d0) if dockerd else 0.0
    sampler = Keep(Sampler(session, doctor_every=0))
    store = Store.open(path, redact=session.redactor.redact)
    rec = Recorder(sampler, store, args.interval)
    rec.step()  # the first sample builds every reader: not the steady state
    rss0, cpu0, wall0 = _rss_mib(), _cpu(), time.monotonic()
    d1 = _pid_cpu(dockerd) if dockerd else 0.0
    stop = threading.Event()
    threading.Timer(args.seconds, stop.set).start()
    rec.run(stop)
    wall = time.monotonic() - wall0
    own = (_cpu() - cpu0) / wall * 100
    extra = ((_pid_cpu(dockerd) - d1) - idle) / wall * 100 if dockerd else float("nan")
    size = sum(p.stat().st_size for p in path.parent.iterdir() if p.name.startswith(path.name))
    frames = store.frame_count()
    store.close()
    sampler.close()
    containers = len(sampler.frames[-1].resources.containers) if sampler.frames[-1].resources else 0
    print(f"containers recorded: {containers}, interval {args.interval:g} s, {wall:.0f} s run")
    print(f"recorder CPU: {own:.2f} % of one core (own process); dockerd extra: {extra:.2f} %")
    print(f"RSS: {rss0:.1f} MiB after the first sample, {_rss_mib():.1f} MiB at the end")
    per_hour = size / max(1, frames) * 3600 / args.interval / 2**20
    print(f"store: {frames} frames, {size} bytes on disk -> {per_hour:.2f} MiB per hour")
    return sampler.frames


def compression(frames: list) -> None:
    raws = [codec.encode_frame(f) for f in frames]
    key, rest = raws[0], raws[1:] or raws
    comp = codec.Compressor()

    def mean(xs: list[int]) -> float:
        return statistics.mean(xs)

    def zd(raw: bytes) -> int:
        c = zlib.compressobj(9, zdict=key[-32768:])
        return len(c.compress(raw) + c.flush())

    print(f"frame raw JSON: {mean([len(r) for r in rest]):.0f} B")
    print(f"  zlib -9 alone:               {mean([len(zlib.compress(r, 9)) for r in rest]):.0f} B")
    print(f"  zlib -9, keyframe as zdict:  {mean([zd(r) for r in rest]):.0f} B")
    alone = [len(comp.pack(r)) for r in rest]
    keyed = [len(comp.pack(r, key)) for r in rest]
    print(f"  zstd {codec.LEVEL} alone:               {mean(alone):.0f} B")
    print(f"  zstd {codec.LEVEL} against keyframe:    {mean(keyed):.0f} B  (chosen)")


def seek(frames: list, days: float, interval: float, path: Path) -> None:
    t0 = time.time() - days * 86400
    n = int(days * 86400 / interval)
    started = time.monotonic()
    with Store.open(path) as store:
        for i in range(n):
            f = frames[i % len(frames)]
            store.write_frame(dataclasses.replace(f, ts=t0 + i * interval))
    build = time.monotonic() - started
    size = path.stat().st_size
    with Store.open(path, readonly=True) as store:
        lo, hi = store.span()
        times = []
        for _ in range(200):
            ts = random.uniform(lo, hi)
            s = time.perf_counter()
            assert store.frame_at(ts) is not None
            times.append((time.perf_counter() - s) * 1000)
    print(
        f"synthetic store: {days:g} days, {n} frames, {size / 2**20:.1f} MiB, built {build:.0f} s"
    )
    print(
        f"seek (200 random frame_at, fresh reader): median {statistics.median(times):.1f} ms,"
        f" max {max(times):.1f} ms"
    )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--demo", action="store_true")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--interval", type=float, default=5)
    p.add_argument("--days", type=float, default=7)
    p.add_argument("--project-dir", default="tests/stack")
    p.add_argument("-f", "--file", action="append", default=[])
    p.add_argument("-p", "--project-name", default=None)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        frames = record(args, Path(tmp) / "live.sqlite")
        compression(frames)
        seek(frames, args.days, args.interval, Path(tmp) / "week.sqlite")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Replay: seek time on a long store, and the first replay frame against the live one.

    .venv/bin/python benchmarks/replay_bench.py [--days 7] [--interval 5] [--runs 5]

The store is built time-compressed through the store's own write path (`write_frame`):
the demo platform's frames (15 containers, every tab's snapshot) repeated with new times.
Seek is `Replay.move_to` on a fresh reader (the frame at the moment; the 5 minutes of
usage history is read later by the Resources poller), at random moments. First frame: from the app's
start to the Services table holding rows, the demo live against a replay of the store,
in-process and headless (`run_test`), median of `--runs`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arctui.config.settings import Settings
from arctui.record.replay import Replay
from arctui.record.replay_session import replay_session
from arctui.record.store import Store
from arctui.session import demo_session
from tests.replay_support import demo_frames


def recorded_frames(source: Path) -> list:
    """The frames of a store recorded from a real stack (say, bench_stack.py's 50)."""
    with Store.open(source, readonly=True) as s:
        lo, hi = s.span() or (0.0, 0.0)
        return [s.frame_at(t) for t in s.frame_times(lo, hi)[2:]]  # past the first keyframes


def build(
    path: Path, days: float, interval: float, source: Path | None = None
) -> tuple[float, float]:
    frames = recorded_frames(source) if source else demo_frames(count=60, step=interval)[0]
    t0 = time.time() - days * 86400
    n = int(days * 86400 / interval)
    started = time.monotonic()
    with Store.open(path) as store:
        for i in range(n):
            store.write_frame(dataclasses.replace(frames[i % len(frames)], ts=t0 + i * interval))
    print(
        f"store: {days:g} days at {interval:g} s, {n} frames, "
        f"{path.stat().st_size / 2**20:.1f} MiB, built in {time.monotonic() - started:.0f} s"
    )
    return t0, t0 + (n - 1) * interval


def seek(path: Path, lo: float, hi: float, count: int = 100) -> None:
    moves, frames_only = [], []
    with Store.open(path, readonly=True) as store:
        replay = Replay(store, hi)
        for _ in range(count):
            ts = random.uniform(lo + 600, hi)
            s = time.perf_counter()
            replay.move_to(ts)
            moves.append((time.perf_counter() - s) * 1000)
            s = time.perf_counter()
            store.frame_at(random.uniform(lo, hi))
            frames_only.append((time.perf_counter() - s) * 1000)
    print(
        f"seek (Replay.move_to on a fresh reader): median {statistics.median(moves):.1f}"
        f" ms, max {max(moves):.1f} ms; frame alone median {statistics.median(frames_only):.1f}"
        f" ms, max {max(frames_only):.1f} ms  (goal: < 200 ms)"
    )


async def first_frame(make) -> float:
    from arctui.tabs.services.view.tab import ServicesTab
    from arctui.ui.app import ArcApp

    started = time.perf_counter()
    app = ArcApp(make())
    async with app.run_test(size=(120, 40)) as pilot:
        tab = app.query_one(ServicesTab)
        while tab.snapshot is None or not tab.table.row_count:
            await pilot.pause(0.005)
        return (time.perf_counter() - started) * 1000


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--days", type=float, default=1.0)
    p.add_argument("--interval", type=float, default=5.0)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--frames-from", type=Path, default=None, help="a recorded store's frames")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        lo, hi = build(path, args.days, args.interval, args.frames_from)
        seek(path, lo, hi)
        live, replay = [], []
        for _ in range(args.runs):  # interleaved: a busy moment hits both alike
            live.append(asyncio.run(first_frame(lambda: demo_session(Settings()))))
            at = f"@{random.uniform(lo + 600, hi)}"
            replay.append(
                asyncio.run(first_frame(lambda at=at: replay_session(demo_session(), at, path)))
            )
        lm, rm = statistics.median(live), statistics.median(replay)
        print(
            f"first frame (Services rows, headless): live demo median {lm:.0f} ms, "
            f"replay median {rm:.0f} ms, ratio {rm / lm:.2f}  (goal: <= 1.5)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

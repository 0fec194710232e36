"""The recorder's memory over a long run (issue 20: "flat over a 1-hour run"), from outside.

    .venv/bin/python benchmarks/recorder_rss.py [--seconds 3600] [--interval 5]
        -p PROJECT -f COMPOSE_FILE [--project-dir DIR] [--store PATH]

Starts the real `arctui record` as a child, reads its VmRSS and VmHWM (peak) from /proc
every `--every` seconds, and prints the reading after the first sample, the start (after
`--warmup` seconds), the last, the peak at start and end, its CPU, and the store's
growth per hour. Stops it with
SIGTERM (the recorder's own clean exit).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import TICK, cpu_ticks


def status(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(rest.split()[0]) / 1024
    return out


def store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=3600)
    p.add_argument("--interval", type=float, default=5)
    p.add_argument("--every", type=float, default=60)
    # seconds before the start reading: the readers built, the first doctor run
    p.add_argument("--warmup", type=float, default=300)
    p.add_argument("--project-dir", default=None)
    p.add_argument("-f", "--file", required=True)
    p.add_argument("-p", "--project-name", required=True)
    p.add_argument("--store", type=Path, default=None)
    a = p.parse_args()
    store = a.store or Path(tempfile.mkdtemp(prefix="arctui-rss-")) / "rss.sqlite"
    project_dir = a.project_dir or str(Path(a.file).parent)
    argv = [
        sys.executable,
        "-m",
        "arctui",
        "--project-dir",
        project_dir,
        "-p",
        a.project_name,
        "-f",
        a.file,
        "--store",
        str(store),
        "record",
        "--interval",
        str(a.interval),
    ]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    print(f"recorder pid {proc.pid}, store {store}", flush=True)
    deadline = time.monotonic() + 120
    while store_bytes(store) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(a.interval)  # past the first sample
    cold = status(proc.pid)
    print(f"first sample: RSS {cold['VmRSS']:.1f} MiB, peak {cold['VmHWM']:.1f} MiB", flush=True)
    # The first reading came before the readers were built (imports, connections, the
    # doctor): 31 MiB, then 62 MiB at 5 minutes; the start is taken after a warm-up.
    time.sleep(a.warmup)
    first, t0, c0, b0 = status(proc.pid), time.monotonic(), cpu_ticks(proc.pid), store_bytes(store)
    print(f"start: RSS {first['VmRSS']:.1f} MiB, peak {first['VmHWM']:.1f} MiB", flush=True)
    end = t0 + a.seconds
    last = first
    while time.monotonic() < end and proc.poll() is None:
        time.sleep(min(a.every, max(0.0, end - time.monotonic())))
        if proc.poll() is None:
            last = status(proc.pid)
            mins = (time.monotonic() - t0) / 60
            print(f"{mins:6.1f} min: RSS {last['VmRSS']:.1f} MiB, peak {last['VmHWM']:.1f} MiB",
                  flush=True)  # fmt: skip
    wall = time.monotonic() - t0
    cpu = (cpu_ticks(proc.pid) - c0) / TICK / wall * 100
    grown = store_bytes(store) - b0
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    print(f"over {wall / 60:.0f} min at {a.interval:g} s: RSS {first['VmRSS']:.1f} -> "
          f"{last['VmRSS']:.1f} MiB, peak {first['VmHWM']:.1f} -> {last['VmHWM']:.1f} MiB; "
          f"CPU {cpu:.2f} % of one core; store +{grown / 2**20 * 3600 / wall:.2f} MiB/h",
          flush=True)  # fmt: skip
    return proc.returncode or 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The one place sizes and durations become text. Pure: imports nothing from arctui.

One unit system on screen: binary IEC (1 KiB = 1024 B), the one `docker stats`, the
cgroup figures and Redis's own `used_memory_human` use, so a figure here matches the
engine's. Two looks of it: `size` (`182.0 MiB`, detail panes and printers) and
`size_compact` (`1.2G`, at most 5 characters, table cells). Durations have one look
(`45s`, `12m`, `3h05m`, `4d02h`) plus `micros` for latencies under a second.
"""

from __future__ import annotations

import math

NONE = "-"  # what every formatter shows for a missing figure
_IEC = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
_COMPACT = ("B", "K", "M", "G", "T", "P")  # P is the last: 1023P, never 1.0E


def _scale(value: float) -> tuple[float, int]:
    """`value` divided by 1024 until it is below 1024 (or the largest unit), and the steps."""
    step = 0
    while abs(value) >= 1024 and step < len(_IEC) - 1:
        value /= 1024
        step += 1
    return value, step


def _number(value: float | None) -> float | None:
    """A finite float, or None for a missing or unusable figure (NaN, inf)."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def size(value: float | None) -> str:
    """`512 B`, `1.0 KiB`, `182.0 MiB`; None -> `-`."""
    v = _number(value)
    if v is None:
        return NONE
    scaled, step = _scale(v)
    return f"{scaled:.0f} B" if step == 0 else f"{scaled:.1f} {_IEC[step]}"


def size_compact(value: float | None) -> str:
    """At most 5 characters for table cells: `0B`, `980B`, `1.2K`, `45M`, `1.8G`; None -> `-`.

    The letters are the IEC units without `iB` (K is KiB), so a cell and the detail pane
    beside it show the same figure.
    """
    v = _number(value)
    if v is None:
        return NONE
    # Below 1000 stays in this unit: `1000B` would be 5 characters, `1.0K` is 4.
    step = 0
    while abs(v) >= 1000 and step < len(_COMPACT) - 1:
        v /= 1024
        step += 1
    if step == 0:
        return f"{v:.0f}B"
    return f"{v:.1f}{_COMPACT[step]}" if abs(v) < 10 else f"{v:.0f}{_COMPACT[step]}"


def duration(seconds: float | None) -> str:
    """Compact: `45s`, `12m`, `3h05m`, `4d02h`; negative -> `0s`; None -> `-`."""
    v = _number(seconds)
    if v is None:
        return NONE
    s = max(0, int(v))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def micros(us: float | None) -> str:
    """A latency in microseconds: `850 µs`, `48.2 ms`, `1.20 s`; None -> `-`."""
    v = _number(us)
    if v is None:
        return NONE
    v = max(0.0, v)
    if v < 1000:
        return f"{v:.0f} µs"
    if v < 1_000_000:
        return f"{v / 1000:.1f} ms"
    return f"{v / 1_000_000:.2f} s"


def elapsed(seconds: float | None) -> str:
    """A run time, finer than `duration` below an hour: `0.04s`, `3.2s`, `45s`, `6m12s`, `3h05m`."""
    v = _number(seconds)
    if v is None:
        return NONE
    if v < 10:
        return f"{max(0.0, v):.2f}s" if v < 1 else f"{v:.1f}s"
    if 60 <= v < 3600:
        return f"{int(v) // 60}m{int(v) % 60:02d}s"
    return duration(v)

"""Immutable values of the Resources tab: per-container usage, the host, volumes, OOM kills.

Defined below the tabs (`sources/usage.py`, `sources/counters.py`: the engine and cgroup
readers build them, the doctor reads them) and re-exported here, the tab's own names.
"""

from __future__ import annotations

from arctui.sources.counters import Counters, VolumeUsage
from arctui.sources.usage import (
    MEM_WARN_FRACTION,
    ContainerStats,
    HostStats,
    OomEvent,
    ResourcesSnapshot,
    VolumesSnapshot,
)

__all__ = [
    "MEM_WARN_FRACTION",
    "ContainerStats",
    "Counters",
    "HostStats",
    "OomEvent",
    "ResourcesSnapshot",
    "VolumeUsage",
    "VolumesSnapshot",
]

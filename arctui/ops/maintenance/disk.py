"""Disk use as `docker system df -v` shows it, the project's volumes, the data root's free space.

Read from the engine's `/system/df` (images, containers, volumes, build cache) and `/info`
(DockerRootDir). "Reclaimable" is computed the way the docker CLI computes it, so the
figures here and in `docker system df` agree. The data root's free space is measured with
`statvfs` only when the engine is this host's (local socket and the same host name);
otherwise the report says it is remote instead of showing this machine's disk.

Growth and days left need a history of volume sizes: the flight recorder's store keeps
one when it exists. Until then growth is reported as not recorded, never guessed.
No Textual here.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arctui.sources.base import SourceError
from arctui.text import one_line

PROJECT_LABEL = "com.docker.compose.project"
DF_TIMEOUT = 30.0  # /system/df walks every layer and volume: slow on a big host


@dataclass(frozen=True)
class DfRow:
    """One line of `docker system df`."""

    kind: str  # Images | Containers | Local Volumes | Build Cache
    total: int
    active: int
    size: int
    reclaimable: int


@dataclass(frozen=True)
class VolumeRow:
    """One volume of the project."""

    name: str
    size: int | None  # bytes; None: the engine did not measure it
    containers: int  # how many containers use it
    declared: bool  # carries the project's compose label (else: mounted by one of them)


@dataclass(frozen=True)
class DataRoot:
    """Docker's data root and the free space of its filesystem (when measurable here)."""

    path: str
    free: int | None = None
    total: int | None = None
    local: bool = False
    note: str = ""


@dataclass(frozen=True)
class DiskReport:
    """Everything the Disk panel and `arctui disk` show."""

    taken_at: float
    rows: tuple[DfRow, ...] = ()
    volumes: tuple[VolumeRow, ...] = ()
    root: DataRoot = field(default_factory=lambda: DataRoot(""))
    growth: str = ""  # why growth and days left are not shown, or the source they come from
    error: str | None = None

    @property
    def reclaimable(self) -> int:
        """Bytes a full prune of everything unused would free (`docker system df`)."""
        return sum(r.reclaimable for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        """The report as plain data (`arctui disk --json`)."""
        return {
            "taken_at": self.taken_at,
            "error": self.error,
            "usage": [
                {
                    "type": r.kind,
                    "total": r.total,
                    "active": r.active,
                    "size_bytes": r.size,
                    "reclaimable_bytes": r.reclaimable,
                }
                for r in self.rows
            ],
            "volumes": [
                {
                    "name": v.name,
                    "size_bytes": v.size,
                    "containers": v.containers,
                    "declared_by_project": v.declared,
                    "growth_per_day_bytes": None,
                    "days_left": None,
                }
                for v in self.volumes
            ],
            "growth": self.growth,
            "data_root": {
                "path": self.root.path,
                "free_bytes": self.root.free,
                "total_bytes": self.root.total,
                "measured_here": self.root.local,
                "note": self.root.note,
            },
        }


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def usage_rows(df: Mapping[str, Any]) -> tuple[DfRow, ...]:
    """The four lines of `docker system df`, reclaimable as the CLI computes it."""
    images = list(df.get("Images") or ())
    layers = _int(df.get("LayersSize"))
    used = sum(
        _int(i.get("Size")) - _int(i.get("SharedSize"))
        for i in images
        if _int(i.get("Containers")) > 0 and _int(i.get("SharedSize")) >= 0
    )
    containers = list(df.get("Containers") or ())
    running = [c for c in containers if c.get("State") == "running"]
    volumes = list(df.get("Volumes") or ())

    def vsize(v: Mapping[str, Any]) -> int:
        return max(0, _int((v.get("UsageData") or {}).get("Size", -1)))

    def vrefs(v: Mapping[str, Any]) -> int:
        return _int((v.get("UsageData") or {}).get("RefCount"))

    cache = list(df.get("BuildCache") or ())
    return (
        DfRow(
            "Images",
            len(images),
            sum(1 for i in images if _int(i.get("Containers")) > 0),
            layers,
            max(0, layers - used),
        ),
        DfRow(
            "Containers",
            len(containers),
            len(running),
            sum(_int(c.get("SizeRw")) for c in containers),
            sum(_int(c.get("SizeRw")) for c in containers if c.get("State") != "running"),
        ),
        DfRow(
            "Local Volumes",
            len(volumes),
            sum(1 for v in volumes if vrefs(v) > 0),
            sum(vsize(v) for v in volumes),
            sum(vsize(v) for v in volumes if vrefs(v) == 0),
        ),
        DfRow(
            "Build Cache",
            len(cache),
            sum(1 for b in cache if b.get("InUse")),
            sum(_int(b.get("Size")) for b in cache if not b.get("Shared")),
            sum(_int(b.get("Size")) for b in cache if not b.get("InUse") and not b.get("Shared")),
        ),
    )


def project_volumes(df: Mapping[str, Any], project: str) -> tuple[VolumeRow, ...]:
    """The project's volumes: those with its compose label and those its containers mount."""
    mounted: dict[str, int] = {}
    for c in df.get("Containers") or ():
        if (c.get("Labels") or {}).get(PROJECT_LABEL) != project:
            continue
        for m in c.get("Mounts") or ():
            if m.get("Type") == "volume" and m.get("Name"):
                mounted[str(m["Name"])] = mounted.get(str(m["Name"]), 0) + 1
    out = []
    for v in df.get("Volumes") or ():
        name = str(v.get("Name", ""))
        declared = (v.get("Labels") or {}).get(PROJECT_LABEL) == project
        if not declared and name not in mounted:
            continue
        usage = v.get("UsageData") or {}
        size = _int(usage.get("Size", -1)) if usage else -1
        refs = _int(usage.get("RefCount")) if usage else mounted.get(name, 0)
        out.append(VolumeRow(one_line(name, 200), size if size >= 0 else None, refs, declared))
    return tuple(sorted(out, key=lambda r: r.name))


def data_root(info: Mapping[str, Any], local_engine: bool) -> DataRoot:
    """DockerRootDir and, when the engine is this host's, its filesystem's free space."""
    path = str(info.get("DockerRootDir") or "")
    if not path:
        return DataRoot("", note="the engine did not say where its data root is")
    engine_host = str(info.get("Name") or "")
    if not local_engine:
        return DataRoot(path, note="the engine is remote: its free space is not measured here")
    if engine_host and engine_host != socket.gethostname():
        note = (
            f"the engine runs on host {one_line(engine_host, 60)}, not this one:"
            " its free space is not measured here"
        )
        return DataRoot(path, note=note)
    try:
        st = os.statvfs(path)
    except OSError as exc:
        return DataRoot(path, note=f"cannot measure {path}: {exc.strerror or exc}")
    return DataRoot(
        path, free=st.f_bavail * st.f_frsize, total=st.f_blocks * st.f_frsize, local=True
    )


def growth_note() -> str:
    """Where volume growth would come from, said honestly."""
    if importlib.util.find_spec("arctui.record.store") is None:
        return "growth, days left: not recorded (no flight recorder store)"
    return "growth, days left: not recorded (the recorder keeps no volume sizes)"


def read_disk(
    engine: Any, project: str, clock: Callable[[], float], local_engine: bool
) -> DiskReport:
    """The whole report from one engine; a failure is the report's `error`, not a raise."""
    try:
        df = engine.df(timeout=DF_TIMEOUT) or {}
        info = engine.info() or {}
    except SourceError as exc:
        return DiskReport(clock(), error=exc.reason, growth=growth_note())
    return DiskReport(
        taken_at=clock(),
        rows=usage_rows(df),
        volumes=project_volumes(df, project),
        root=data_root(info, local_engine),
        growth=growth_note(),
    )

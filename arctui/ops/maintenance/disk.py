"""Disk use as `docker system df -v` shows it, the project's volumes, the data root's free space.

Read from the engine's `/system/df` (images, containers, volumes, build cache) and `/info`
(DockerRootDir). "Reclaimable" is computed the way the docker CLI computes it, so the
figures here and in `docker system df` agree. The data root's free space is measured with
`statvfs` only when the engine is this host's (local socket and the same host name);
otherwise the report says it is remote instead of showing this machine's disk.

Growth and days left come from the volume sizes the flight recorder keeps
(`volumes.py`), read through the session's `volume_history`; without a recording they
are reported as not recorded, never guessed. No Textual here.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arctui.ops.maintenance.volumes import GROWTH_WINDOW, Growth, VolumeHistory, growth
from arctui.sources.base import SourceError
from arctui.sources.host import df_size
from arctui.text import one_line
from arctui.units import duration, size

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
    growth: Growth | None = None  # from the recording; None: not enough of it
    days_left: float | None = None  # the data root's free space at this volume's rate


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
    days_left: float | None = None  # the data root's free space at all volumes' growth
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
                    "growth_per_day_bytes": None if v.growth is None else round(v.growth.per_day),
                    "days_left": None if v.days_left is None else round(v.days_left, 1),
                }
                for v in self.volumes
            ],
            "growth": self.growth,
            "days_left": None if self.days_left is None else round(self.days_left, 1),
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
    return DataRoot(path, free=st.f_bavail * st.f_frsize, total=df_size(st), local=True)


def growth_note(why: str = "no flight recorder store: run `arctui record`") -> str:
    """Why there is no growth figure, said honestly."""
    return f"growth, days left: not recorded ({why})"


def with_growth(report: DiskReport, history: VolumeHistory | None, now: float) -> DiskReport:
    """The report with each volume's growth and days left from the recording."""
    if report.error or history is None:
        return report
    try:
        readings = history.volume_sizes(now - GROWTH_WINDOW)
    except LookupError as exc:
        return dataclasses.replace(report, growth=growth_note(one_line(str(exc), 200)))
    rates = growth(readings)
    if not rates:
        why = f"{len(readings)} reading(s) recorded; growth needs an hour of them"
        return dataclasses.replace(report, growth=growth_note(why))
    free = report.root.free
    rows = tuple(
        dataclasses.replace(v, growth=rates.get(v.name), days_left=_left(rates.get(v.name), free))
        for v in report.volumes
    )
    names = {v.name for v in report.volumes}
    span = max(g.span for g in rates.values())
    total = sum(g.per_day for n, g in rates.items() if n in names)
    left = free / total if free is not None and total > 0 else None
    note = f"growth: over the recorder's last {duration(span)} ({len(readings)} readings)"
    if free is None:
        note += "; days left: the data root's free space is not measured here"
    return dataclasses.replace(report, volumes=rows, growth=note, days_left=left)


def _left(found: Growth | None, free: int | None) -> float | None:
    return None if found is None else found.days_left(free)


def read_disk(
    engine: Any,
    project: str,
    clock: Callable[[], float],
    local_engine: bool,
    history: VolumeHistory | None = None,
) -> DiskReport:
    """The whole report from one engine; a failure is the report's `error`, not a raise."""
    try:
        df = engine.df(timeout=DF_TIMEOUT) or {}
        info = engine.info() or {}
    except SourceError as exc:
        return DiskReport(clock(), error=exc.reason, growth=growth_note())
    report = DiskReport(
        taken_at=clock(),
        rows=usage_rows(df),
        volumes=project_volumes(df, project),
        root=data_root(info, local_engine),
        growth=growth_note(),
    )
    return with_growth(report, history, report.taken_at)


def days_text(days: float | None) -> str:
    """Days left as a person reads them."""
    if days is None:
        return "-"
    if days >= 3650:
        return "over 10 years"
    return f"{days:.1f} days" if days < 10 else f"{days:.0f} days"


def growth_text(row: VolumeRow) -> str:
    """One volume's growth and days left ("not recorded" without a usable recording)."""
    g = row.growth
    if g is None:
        return "not recorded"
    if g.per_day == 0:
        return "no growth"
    sign = "+" if g.per_day > 0 else "-"
    text = f"{sign}{size(abs(g.per_day))}/day"
    return text + (f", {days_text(row.days_left)} left" if row.days_left is not None else "")

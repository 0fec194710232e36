"""Resource monitoring: what the Resources tab reads, and what in it needs attention.

The real reader lives in `ops/resources_reader.py` (cgroups on the Docker host, Engine
API otherwise); the demo in `demo/resources.py`. Both implement `ResourcesSource`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from arctui.models import ComposeModel
from arctui.sources.host import HostReader
from arctui.tabs.resources.models import HostStats, OomEvent, ResourcesSnapshot, VolumesSnapshot
from arctui.tabs.resources.rates import HostCpu

if TYPE_CHECKING:
    from arctui.session import Session

OOM_KEEP = 50
OOM_SAME_WITHIN = 30.0  # an event and an inspect's OOMKilled this close are one kill


class ResourcesSource(Protocol):
    """What the Resources tab reads: the real reader and the demo alike."""

    project: str

    def read(self) -> ResourcesSnapshot:
        """Usage now. Raises SourceError when the engine cannot be read."""
        ...

    def volumes(self) -> VolumesSnapshot:
        """Named volume sizes (slow: call rarely). Failures are in `.error`."""
        ...

    def follow_events(self, on_change: Callable[[str], None], stop: threading.Event) -> None:
        """Block until `stop`, following engine events; `on_change(action)` asks for a read."""
        ...

    def backfill(self, seconds: float) -> list[ResourcesSnapshot]:
        """Past snapshots to seed the history with (only a simulation has any)."""
        ...

    def close(self) -> None:
        """Release connections and unblock `follow_events`."""
        ...


class OomLog:
    """The last OOM kills, oldest first, without duplicates (event vs inspect)."""

    def __init__(self, keep: int = OOM_KEEP) -> None:
        self.keep = keep
        self._events: list[OomEvent] = []

    def record(self, oom: OomEvent) -> bool:
        """Add a kill unless already known; returns whether it was new."""
        for known in self._events:
            if (
                known.container_id == oom.container_id
                and abs(known.time - oom.time) < OOM_SAME_WITHIN
            ):
                return False
        self._events.append(oom)
        self._events.sort(key=lambda o: o.time)
        del self._events[: -self.keep]
        return True

    def killed(self, container_id: str) -> bool:
        """Whether a kill inside this container is on record."""
        return any(o.container_id == container_id for o in self._events)

    def events(self) -> tuple[OomEvent, ...]:
        """The kills on record, oldest first."""
        return tuple(self._events)


def host_stats(
    host: HostReader | None,
    cpu: HostCpu,
    ncpu: int,
    mem_total: int | None,
    docker_root: str,
    local: bool,
) -> HostStats:
    """The host strip: from /proc when local, else only what `docker info` said."""
    if not (local and host is not None and host.readable()):
        return HostStats(ncpu=ncpu, mem_total=mem_total, docker_root=docker_root, local=False)
    busy, total, online = host.cpu_times()
    total_mem, available = host.meminfo()
    disk_total, disk_free = host.disk(docker_root)
    return HostStats(
        ncpu=online or ncpu,
        cpu=cpu.update(busy, total),
        mem_total=total_mem,
        mem_available=available,
        mem_pressure=host.pressure(),
        docker_root=docker_root,
        disk_total=disk_total,
        disk_free=disk_free,
    )


def pressure_warnings(snapshot: ResourcesSnapshot) -> list[str]:
    """What deserves the operator's attention now, most urgent first (OOM kills aside)."""
    out = []
    host = snapshot.host
    if (
        host.mem_total
        and host.mem_available is not None
        and host.mem_available < 0.1 * host.mem_total
    ):
        out.append("host memory low")
    if host.mem_pressure is not None and host.mem_pressure >= 10:
        out.append(f"memory pressure {host.mem_pressure:.0f}%")
    if host.disk_total and host.disk_free is not None and host.disk_free < 0.1 * host.disk_total:
        out.append(f"{host.docker_root or 'docker data root'} almost full")
    hot = sorted((c for c in snapshot.containers if c.mem_warning), key=lambda c: -(c.mem_pct or 0))
    out += [f"{c.name} at {c.mem_pct:.0f}% of its memory limit" for c in hot]
    return out


def declared_limits(model: ComposeModel | None) -> dict[str, tuple[int | None, float | None]]:
    """service -> (memory bytes, CPUs) from the compose files' `deploy.resources.limits`."""
    if model is None:
        return {}
    return {s.name: (s.mem_limit, s.cpu_limit) for s in model.services}


def session_source(session: Session) -> ResourcesSource:
    """The tab's source for a session (the registry names it; `Session.resources`).

    Over the session's own parts: the demo's platform, or the real engine client, event
    hub and compose model; an `ssh://` engine's figures come from `arctui agent` on its
    host (`remote.py`), the Engine API when the agent cannot run there. Imported when
    usage is first read, not before the first frame.
    """
    if session.demo:
        from arctui.demo.platform import DemoPlatform
        from arctui.tabs.resources.demo import DemoResources

        platform = session.reader.compose  # the demo's compose source is its platform
        assert isinstance(platform, DemoPlatform), "a demo session reads a DemoPlatform"
        return DemoResources(platform)
    from arctui.tabs.resources.reader import real_reader

    reader = session.reader
    environ = session.environ or {}
    mode = environ.get("ARCTUI_STATS_SOURCE", "auto")
    api = real_reader(
        reader.project,
        environ,
        declared=lambda: declared_limits(reader.compose_model()[0]),
        mode=mode,
        engine=session.engine,
        hub=session.events,
    )
    ssh = session.engine.ssh_host() if session.engine is not None else None
    if ssh is None or mode == "api":
        return api
    from arctui.tabs.resources.remote import AgentResources  # an ssh:// engine

    return AgentResources(
        reader.project,
        ssh,
        api,
        declared=lambda: declared_limits(reader.compose_model()[0]),
        command=environ.get("ARCTUI_AGENT_COMMAND"),
    )

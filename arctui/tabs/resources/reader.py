"""Reading container and host usage from a real engine, cheaply enough for 1 Hz.

- The container list and `inspect` data are cached, refreshed on engine events (create,
  start, die, oom, destroy ...) with a slow re-list as the safety net.
- Running containers are read from their cgroups when this process can see them (arctui
  on the Docker host): a few small file reads each, no daemon work at all.
- The rest fall back to parallel one-shot Engine API stats calls.
- Rates (CPU, network, block I/O) come from deltas between successive readings.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

from arctui.sources.base import SourceError
from arctui.sources.cgroups import CgroupReader
from arctui.sources.docker_engine import DockerSource
from arctui.sources.docker_stats import ContainerGone, ContainerMeta, EngineInfo, EngineStats
from arctui.sources.engine import EngineClient
from arctui.sources.event_hub import EventHub
from arctui.sources.host import HostReader
from arctui.tabs.resources.events import RELEVANT, EngineEvents
from arctui.tabs.resources.models import (
    ContainerStats,
    Counters,
    OomEvent,
    ResourcesSnapshot,
    VolumesSnapshot,
)
from arctui.tabs.resources.rates import HostCpu, rates
from arctui.tabs.resources.source import OomLog, host_stats

DeclaredLimits = Callable[[], Mapping[str, tuple[int | None, float | None]]]
FIRST_SAMPLE_GAP = 0.25  # seconds between the two readings of a newly seen container


class ResourcesReader:
    """ResourcesSource over a real engine: cgroups where readable, else the Engine API."""

    def __init__(
        self,
        project: str,
        engine: EngineStats,
        cgroups: CgroupReader | Callable[[], CgroupReader | None] | None = None,
        host: HostReader | None = None,
        declared: DeclaredLimits | None = None,
        force_api: bool = False,
        clock: Callable[[], float] = time.time,
        relist_every: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        hub: EventHub | None = None,
        owns_hub: bool = False,
    ) -> None:
        self.project = project
        self.engine = engine
        # A callable is asked on the first read: deciding needs the engine's endpoint, and
        # resolving that imports the docker SDK, which must not delay the first frame.
        self._cgroups_probe = None if force_api or not callable(cgroups) else cgroups
        self.cgroups = None if force_api or callable(cgroups) else cgroups
        self.host = host
        self._declared_fn = declared
        self._clock = clock
        self._sleep = sleep
        self.relist_every = relist_every
        self._metas: dict[str, ContainerMeta] = {}
        self._prev: dict[str, Counters] = {}
        self._stale: set[str] = set()  # ids to inspect again
        self._listed_at = -math.inf
        self.events = EngineEvents(hub)
        self._own_hub = hub if owns_hub else None  # made for this reader alone: closed here
        self.oom = OomLog()
        self._host_cpu = HostCpu()
        self._info: EngineInfo | None = None
        self._declared: Mapping[str, tuple[int | None, float | None]] = {}
        self._declared_at = -math.inf
        self.mode = "engine API" if self.cgroups is None else f"cgroup v{self.cgroups.version}"

    # The container set -------------------------------------------------------------
    def _drain_events(self) -> None:
        for event in self.events.drain():
            if event is None:  # events were lost: list the project again
                self._listed_at = -math.inf
                continue
            cid, name = event.container_id, event.name
            if event.action == "destroy":
                self._forget(cid)
            elif event.action in RELEVANT:
                self._stale.add(cid)
            if event.action == "oom":
                meta = self._metas.get(cid)
                name = name or (meta.name if meta else cid[:12])
                self.oom.record(OomEvent(event.time, cid, name, event.service))

    def _forget(self, cid: str) -> None:
        self._metas.pop(cid, None)
        self._prev.pop(cid, None)
        self._stale.discard(cid)
        if self.cgroups is not None:
            self.cgroups.forget(cid)

    def _refresh_list(self) -> None:
        now = time.monotonic()
        if (
            self.events.alive.is_set()
            and not self._stale
            and now - self._listed_at < self.relist_every
        ):
            return
        listed = dict(self.engine.list_project(self.project))
        self._listed_at = now
        for cid in set(self._metas) - set(listed):
            self._forget(cid)
        changed = {
            cid
            for cid, st in listed.items()
            if cid not in self._metas or self._metas[cid].state != st
        }
        self._inspect((changed | self._stale) & set(listed))
        self._stale.clear()

    def _inspect(self, ids: set[str]) -> None:
        if not ids:
            return
        fresh = self.engine.inspect(ids)
        for cid in ids:
            meta = fresh.get(cid)
            if meta is None:
                self._forget(cid)
                continue
            old = self._metas.get(cid)
            if old is not None and old.pid != meta.pid:  # restarted: new process, new counters
                self._prev.pop(cid, None)
                if self.cgroups is not None:
                    self.cgroups.forget(cid)
            self._metas[cid] = meta
            if meta.oom_killed and meta.finished_at:
                self.oom.record(OomEvent(meta.finished_at, cid, meta.name, meta.service))

    # Reading -------------------------------------------------------------------------
    def read(self) -> ResourcesSnapshot:
        """Usage of every container of the project now. Raises SourceError."""
        if self._cgroups_probe is not None:
            self.cgroups, self._cgroups_probe = self._cgroups_probe(), None
        self._drain_events()
        self._refresh_list()
        info = self._engine_info()
        running = [m for m in self._metas.values() if m.state == "running"]
        counters: dict[str, Counters] = {}
        via_api: list[ContainerMeta] = []
        first_seen: list[ContainerMeta] = []
        for meta in running:
            if self.cgroups is None or self.cgroups.find(meta.id, meta.pid) is None:
                via_api.append(meta)
                continue
            got = self._read_cgroup(meta)
            if got is not None:
                counters[meta.id] = got
                if meta.id not in self._prev:
                    first_seen.append(meta)
        if first_seen:  # a first reading has no rate: take a second one shortly after
            for meta in first_seen:
                self._prev[meta.id] = counters[meta.id]
            self._sleep(FIRST_SAMPLE_GAP)
            for meta in first_seen:
                got = self._read_cgroup(meta)
                if got is not None:
                    counters[meta.id] = got
        if via_api:
            self._read_api(via_api, info, counters)
        ncpu = info.ncpu if info else 0
        rows = [self._row(meta, counters.get(meta.id), ncpu) for meta in self._metas.values()]
        kept = {cid: c for cid, c in self._prev.items() if cid in self._metas}
        self._prev = kept | counters
        cgroup_rows = len(running) - len(via_api)
        self.mode = self._mode(cgroup_rows, len(via_api))
        return ResourcesSnapshot(
            project=self.project,
            containers=tuple(sorted(rows, key=lambda r: r.name)),
            host=host_stats(
                self.host,
                self._host_cpu,
                ncpu=info.ncpu if info else 0,
                mem_total=info.mem_total if info else None,
                docker_root=info.docker_root if info else "",
                local=self.cgroups is not None and (cgroup_rows > 0 or not via_api),
            ),
            taken_at=self._clock(),
            mode=self.mode,
            oom_events=self.oom.events(),
        )

    def _read_cgroup(self, meta: ContainerMeta) -> Counters | None:
        paths = self.cgroups.find(meta.id, meta.pid) if self.cgroups else None
        if paths is None or self.cgroups is None:
            return None
        try:
            return self.cgroups.read(paths, meta.host_network)
        except OSError:  # gone (stopped or removed): inspect now so the row is right at once
            self.cgroups.forget(meta.id)
            self._inspect({meta.id})
            return None

    def _read_api(
        self, metas: list[ContainerMeta], info: EngineInfo | None, out: dict[str, Counters]
    ) -> None:
        results = self.engine.stats([m.id for m in metas], info.ncpu if info else 1)
        failures = [r for r in results.values() if isinstance(r, SourceError)]
        if failures and len(failures) == len(results):
            raise failures[0]
        for cid, result in results.items():
            if isinstance(result, Counters):
                out[cid] = result
            elif isinstance(result, ContainerGone):
                self._inspect({cid})

    def _row(self, meta: ContainerMeta, cur: Counters | None, ncpu: int = 0) -> ContainerStats:
        declared_mem, declared_cpu = self._declared_limits().get(meta.service, (None, None))
        rate = rates(self._prev.get(meta.id), cur, ncpu) if cur else None
        return ContainerStats(
            id=meta.id,
            name=meta.name,
            service=meta.service,
            state=meta.state,
            cpu=rate.cpu if rate else None,
            cpu_limit=meta.cpu_limit,
            mem=cur.mem if cur else None,
            mem_limit=(cur.mem_limit if cur else None) or meta.mem_limit,
            net_rx=rate.net_rx if rate else None,
            net_tx=rate.net_tx if rate else None,
            host_network=meta.host_network,
            blk_read=rate.blk_read if rate else None,
            blk_write=rate.blk_write if rate else None,
            pids=cur.pids if cur else None,
            restarts=meta.restarts,
            oom_killed=meta.oom_killed or self.oom.killed(meta.id),
            started_at=meta.started_at,
            sampled_at=cur.at if cur else None,
            declared_mem_limit=declared_mem,
            declared_cpu_limit=declared_cpu,
        )

    def _mode(self, cgroup_rows: int, api_rows: int) -> str:
        if self.cgroups is None or (api_rows and not cgroup_rows):
            return "engine API"
        base = f"cgroup v{self.cgroups.version}"
        return f"{base} + API ({api_rows})" if api_rows else base

    def _declared_limits(self) -> Mapping[str, tuple[int | None, float | None]]:
        if self._declared_fn is not None and time.monotonic() - self._declared_at > 30:
            self._declared_at = time.monotonic()
            try:
                self._declared = dict(self._declared_fn())
            except Exception:  # compose config failing is the Services tab's news
                self._declared = {}
        return self._declared

    def _engine_info(self) -> EngineInfo | None:
        if self._info is None:
            try:
                self._info = self.engine.info()
            except SourceError:
                return None
        return self._info

    # Slow and background parts -------------------------------------------------------
    def volumes(self) -> VolumesSnapshot:
        """Named volumes of the project and their sizes (`docker system df -v`)."""
        try:
            return VolumesSnapshot(tuple(self.engine.volumes(self.project)), self._clock())
        except SourceError as exc:
            return VolumesSnapshot((), self._clock(), exc.reason)

    def follow_events(self, on_change: Callable[[str], None], stop: threading.Event) -> None:
        """Take the hub's container events (OOM kills of the last hour replayed) until `stop`."""
        self.events.follow(on_change, stop)

    def backfill(self, seconds: float) -> list[ResourcesSnapshot]:
        """A real engine has no past to offer."""
        return []

    def close(self) -> None:
        """Stop the stats workers (the engine client and the hub are the session's)."""
        self.engine.close()
        if self._own_hub is not None:
            self._own_hub.close()


def real_reader(
    project: str,
    environ: Mapping[str, str] | None = None,
    declared: DeclaredLimits | None = None,
    mode: str = "auto",
    engine: EngineClient | None = None,
    hub: EventHub | None = None,
) -> ResourcesReader:
    """A reader over the session's engine client and event hub; `mode` auto | cgroup | api."""
    stats = EngineStats(engine, environ=environ)
    owns_hub = hub is None  # a reader on its own (tests, tools): its own subscription
    if hub is None:
        hub = EventHub(project, DockerSource(stats.engine))

    def probe() -> CgroupReader | None:
        cgroups = CgroupReader() if stats.is_unix_socket else None
        return cgroups if cgroups is not None and cgroups.version is not None else None

    return ResourcesReader(
        project,
        stats,
        probe,
        HostReader(),
        declared=declared,
        force_api=mode == "api",
        hub=hub,
        owns_hub=owns_hub,
    )

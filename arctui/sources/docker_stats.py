"""The Engine API side of the Resources tab: list, inspect, stats, info, df, events.

Container stats over the API are the fallback when cgroups cannot be read here (remote
engine, arctui in a container without the host's /sys). On Engine 20.10 a one-shot stats
call waits for the daemon's next 1-second collection tick, so calls are issued in
parallel from a bounded pool (one connection per worker; a worker blocked on its socket
costs no CPU). With 64 workers up to 64 containers are read in one tick (1 Hz) and 100
in two (a 2 s refresh) instead of 100 s. 128 workers gave 1 Hz at 100 containers too,
but then cost the engine as much as `docker stats` does (benchmarks/README.md): the
fallback trades refresh rate for half the cost. No per-container streaming connections
(what makes other tools burn CPU). Every call has a timeout. No Textual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from arctui.sources.counters import Counters, VolumeUsage
from arctui.sources.docker_engine import PROJECT_LABEL
from arctui.sources.engine import EngineClient, EngineNotFound
from arctui.sources.engine_parse import (
    ContainerMeta,
    EngineInfo,
    counters_from_stats,
    meta_from_inspect,
)

MAX_WORKERS = 64


__all__ = ["ContainerGone", "ContainerMeta", "EngineInfo", "EngineStats", "meta_from_inspect"]


class ContainerGone(Exception):
    """The container was removed between listing and reading it."""


class EngineStats:
    """Engine API calls for resource monitoring, over the session's one client."""

    def __init__(
        self,
        engine: EngineClient | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        workers: int = MAX_WORKERS,
    ) -> None:
        self.engine = engine or EngineClient(environ)
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """Where the engine is reached."""
        return self.engine.endpoint

    @property
    def is_unix_socket(self) -> bool:
        """Whether the engine is reached over a local socket (cgroups may be readable)."""
        return self.engine.is_unix_socket

    def _call(self, fn: Callable[[EngineClient], Any]) -> Any:
        """Run one API call; errors are SourceError (ContainerGone for a 404)."""
        try:
            return fn(self.engine)
        except EngineNotFound as exc:
            raise ContainerGone(str(exc)) from exc

    def list_project(self, project: str) -> list[tuple[str, str]]:
        """(id, state) of every container of the project (one cheap call, no inspect)."""
        rows = self._call(
            lambda api: api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
        )
        return [(str(r["Id"]), str(r.get("State", ""))) for r in rows]

    def inspect(self, ids: Iterable[str]) -> dict[str, ContainerMeta]:
        """Inspect containers in parallel; removed ones are left out."""

        def one(cid: str) -> ContainerMeta | None:
            try:
                return meta_from_inspect(self._call(lambda api: api.inspect_container(cid)))
            except ContainerGone:
                return None

        metas = self._map(one, list(ids))
        return {m.id: m for m in metas if isinstance(m, ContainerMeta)}

    def stats(self, ids: Iterable[str], ncpu: int) -> dict[str, Counters | Exception]:
        """One-shot stats of each container, in parallel; failures returned, not raised."""

        def one(cid: str) -> Counters:
            return counters_from_stats(self._call(lambda api: api.stats(cid)), ncpu)

        ids = list(ids)
        return dict(zip(ids, self._map(one, ids), strict=True))

    def _map(self, fn: Callable[[str], Any], ids: list[str]) -> list[Any]:
        if not ids:
            return []
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="arctui-stats")
            pool = self._pool
        futures = [pool.submit(fn, cid) for cid in ids]
        out: list[Any] = []
        for fut in futures:
            try:
                out.append(fut.result(timeout=self.engine.timeout * 2))
            except Exception as exc:
                out.append(exc)
        return out

    def info(self) -> EngineInfo:
        """NCPU, MemTotal and DockerRootDir of the engine's host."""
        data = self._call(lambda api: api.info())
        return EngineInfo(
            ncpu=int(data.get("NCPU") or 1),
            mem_total=int(data.get("MemTotal") or 0) or None,
            docker_root=str(data.get("DockerRootDir") or ""),
        )

    def volumes(self, project: str) -> list[VolumeUsage]:
        """Named volumes of the project with their sizes (`docker system df -v`: slow)."""
        data = self._call(lambda api: api.df())
        out = []
        for vol in data.get("Volumes") or ():
            labels = vol.get("Labels") or {}
            if labels.get(PROJECT_LABEL) != project:
                continue
            usage = vol.get("UsageData") or {}
            size = int(usage.get("Size", -1))
            out.append(
                VolumeUsage(
                    name=str(vol.get("Name", "")),
                    size=size if size >= 0 else None,
                    containers=max(0, int(usage.get("RefCount", 0))),
                )
            )
        return sorted(out, key=lambda v: v.name)

    def close(self) -> None:
        """Stop the worker pool (the client is the session's: it stays open)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

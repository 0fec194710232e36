"""The real Docker engine, through the docker SDK's low-level API client.

Honours DOCKER_HOST, DOCKER_TLS_VERIFY/DOCKER_CERT_PATH and the CLI's current context
(docker SDK >= 7.2). Every call has a timeout; the client is dropped on a connection
failure so the next call renegotiates the API version with whatever daemon answers.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from arctui.lazylog import get_logger
from arctui.models import ContainerInfo, HealthCheckResult, Mount, PortBinding
from arctui.sources.base import STATE_EVENTS, EngineEvent, SourceError, is_state_event
from arctui.sources.engine_http import EngineNotFound
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.sources.engine import EngineClient, EngineStream

log = get_logger(__name__)

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"


_SDK_IMPORT = threading.Lock()


def load_sdk() -> Any:
    """The docker SDK, imported on first use (it costs ~0.1 s) and under a lock.

    Two threads importing the package at once (the Logs tab's follower and the stats
    reader, say) can see it half initialised: "module 'docker' has no attribute 'utils'".
    """
    with _SDK_IMPORT:
        import docker
        import docker.context
        import docker.errors
        import docker.utils
    return docker


def resolve_endpoint(environ: Mapping[str, str] | None = None) -> tuple[dict[str, Any], str]:
    """Client kwargs and a display name: DOCKER_HOST wins, else the CLI's current context."""
    docker = load_sdk()
    ContextAPI = docker.context.ContextAPI

    env = dict(os.environ if environ is None else environ)
    # kwargs_from_env treats an empty mapping as "use os.environ": only call it with one.
    params: dict[str, Any] = docker.utils.kwargs_from_env(environment=env) if env else {}
    label = ""
    if "base_url" not in params:
        try:
            for key, value in ContextAPI.kwargs_from_context(environment=env).items():
                params.setdefault(key, value)
            name = env.get("DOCKER_CONTEXT") or ContextAPI.get_current_context().name
            if name and name != "default":
                label = f" (context {name})"
        except Exception as exc:  # a broken ~/.docker/config.json: use the default
            log.warning("docker context not read, using the default engine: %r", exc)
    base = params.get("base_url") or "unix:///var/run/docker.sock"
    params["base_url"] = base
    return params, f"{base}{label}"


def explain(exc: BaseException, endpoint: str) -> SourceError:
    """Turn a docker/requests failure into a reason and a fix an operator can act on."""
    text = f"{exc!r} {exc}"
    if "Permission denied" in text or "PermissionError" in text:
        return SourceError(
            f"permission denied on {endpoint}",
            "add your user to the docker group (usermod -aG docker $USER, then log in "
            "again) or run arctui as root",
        )
    if "timed out" in text.lower() or "Timeout" in text:
        return SourceError(
            f"Docker engine at {endpoint} did not answer in time",
            "the daemon may be hung or overloaded; check `systemctl status docker`",
        )
    if any(s in text for s in ("No such file", "Connection refused", "FileNotFoundError")):
        return SourceError(
            f"no Docker engine answers at {endpoint}",
            "start the daemon (systemctl start docker), or point DOCKER_HOST / "
            "`docker context use` at the right engine",
        )
    return SourceError(f"Docker engine error: {one_line(str(exc), 200)}", "")


_RFC3339 = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)T(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:\.(?P<frac>\d+))?(?P<tz>Z|[+-]\d\d:\d\d)?$"
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (no datetime import: startup)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _ts(value: str | None) -> float | None:
    """RFC 3339 with nanoseconds and any UTC offset -> unix seconds; zero time -> None."""
    if not value or value.startswith("0001-"):
        return None
    m = _RFC3339.match(value.strip())
    if not m:
        return None
    y, mo, d, h, mi, s = (int(m[k]) for k in ("y", "mo", "d", "h", "mi", "s"))
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if not 1 <= mo <= 12 or not 1 <= d <= _DAYS_IN_MONTH[mo - 1] + (mo == 2 and leap):
        return None
    if y < 1 or h > 23 or mi > 59 or s > 59:
        return None
    # Health.Log times come in the daemon's local offset; State times in UTC.
    offset = 0
    if (tz := m["tz"]) and tz != "Z":
        offset = int(tz[1:3]) * 3600 + int(tz[4:6]) * 60
        if offset >= 86400:  # what datetime refuses too (+05:60 it takes, as 6 hours)
            return None
        offset *= -1 if tz[0] == "-" else 1
    base = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
    return base + (float("0." + m["frac"]) if m["frac"] else 0.0)


def _ports(inspect: Mapping[str, Any]) -> tuple[PortBinding, ...]:
    raw = (inspect.get("NetworkSettings") or {}).get("Ports") or {}
    out: list[PortBinding] = []
    for key, bindings in sorted(raw.items()):
        port, _, proto = key.partition("/")
        if not port.isdigit():
            continue
        if not bindings:
            out.append(PortBinding(int(port), proto or "tcp"))
            continue
        seen = set()
        for b in bindings:
            host_port = b.get("HostPort") or ""
            if host_port in seen:  # same port bound on 0.0.0.0 and ::
                continue
            seen.add(host_port)
            out.append(
                PortBinding(
                    int(port),
                    proto or "tcp",
                    b.get("HostIp") or "",
                    int(host_port) if host_port.isdigit() else None,
                )
            )
    return tuple(out)


def container_from_inspect(inspect: Mapping[str, Any], status: str = "") -> ContainerInfo:
    """Build a ContainerInfo from `docker inspect` output (plus the list's status text)."""
    state = inspect.get("State") or {}
    config = inspect.get("Config") or {}
    labels = {str(k): str(v) for k, v in (config.get("Labels") or {}).items()}
    health = state.get("Health") or {}
    env_pairs = []
    for item in config.get("Env") or ():
        key, _, value = str(item).partition("=")
        env_pairs.append((key, value))
    # The engine lists mounts in a different order on each inspect: sort them, so the
    # same container reads the same (and nothing is redrawn for it).
    mounts = tuple(
        sorted(
            (
                Mount(
                    type=str(m.get("Type", "")),
                    source=str(m.get("Name") or m.get("Source") or ""),
                    destination=str(m.get("Destination", "")),
                    read_only=not m.get("RW", True),
                )
                for m in inspect.get("Mounts") or ()
            ),
            key=lambda m: (m.destination, m.source),
        )
    )
    log = tuple(
        HealthCheckResult(
            start=_ts(h.get("Start")) or 0.0,
            end=_ts(h.get("End")) or 0.0,
            exit_code=int(h.get("ExitCode", -1)),
            output=str(h.get("Output", "")),
        )
        for h in health.get("Log") or ()
    )
    engine_state = str(state.get("Status", "unknown"))
    number = labels.get(NUMBER_LABEL, "1")
    return ContainerInfo(
        id=str(inspect.get("Id", "")),
        name=str(inspect.get("Name", "")).lstrip("/"),
        project=labels.get(PROJECT_LABEL, ""),
        service=labels.get(SERVICE_LABEL, ""),
        image=str(config.get("Image") or inspect.get("Image", "")),
        state=engine_state,
        status=status,
        health=health.get("Status") or None,
        started_at=_ts(state.get("StartedAt")),
        finished_at=_ts(state.get("FinishedAt")),
        restart_count=int(inspect.get("RestartCount") or 0),
        exit_code=None if engine_state in ("running", "created") else int(state.get("ExitCode", 0)),
        oom_killed=bool(state.get("OOMKilled")),
        replica=int(number) if number.isdigit() else 1,
        ports=_ports(inspect),
        labels=labels,
        env=tuple(env_pairs),
        mounts=mounts,
        health_log=log,
        network_mode=str((inspect.get("HostConfig") or {}).get("NetworkMode") or ""),
    )


def engine_event(event: Mapping[str, Any]) -> EngineEvent:
    """An EngineEvent from one decoded `docker events` message (API 1.41 and older)."""
    actor = event.get("Actor") or {}
    attrs = actor.get("Attributes") or {}
    return EngineEvent(
        action=str(event.get("Action") or event.get("status") or ""),
        container_id=str(actor.get("ID") or event.get("id") or ""),
        service=str(attrs.get(SERVICE_LABEL, "")),
        time=float(event.get("timeNano", 0)) / 1e9 or float(event.get("time", 0)),
        name=str(attrs.get("name", "")),
    )


def listed_state(row: Mapping[str, Any]) -> tuple[str, str | None]:
    """(state, health) as the container list shows them ("Up 2 hours (healthy)")."""
    status = str(row.get("Status", ""))
    health = None
    if "(healthy)" in status:
        health = "healthy"
    elif "(unhealthy)" in status:
        health = "unhealthy"
    elif "(health: starting)" in status:
        health = "starting"
    return str(row.get("State", "")), health


def event_filters(project: str) -> dict[str, Any]:
    """Engine-side filter: this project's containers, state-changing events only."""
    return {
        "type": "container",
        "label": f"{PROJECT_LABEL}={project}",
        "event": list(STATE_EVENTS),
    }


def _project_filter(project: str) -> dict[str, Any]:
    return {"label": f"{PROJECT_LABEL}={project}"}


def prefetch_reads(engine: EngineClient, project: str) -> None:
    """Ask the engine now for what a headless `status` or `health` asks first: the
    project's container list (`DockerSource.containers`) and /info (the engine notices).

    The answers wait on their connections (`EngineClient.prefetch`), so the engine works
    while arctui imports and reads the compose model. Only on the local socket.
    """
    engine.prefetch_containers(all=True, filters=_project_filter(project))
    engine.prefetch("/info")


INSPECT_THREADS = 8


def inspect_many(api: Any, ids: list[str]) -> dict[str, Any]:
    """`inspect_container` of each id (None when gone), several at a time.

    The engine answers each inspect in a few ms, mostly waiting: one after another they
    were half of a headless `status`. Each call has its own connection and timeout; the
    first error other than "gone" is raised after every thread has ended. On the local
    socket the EngineClient sends them all at once instead, on this thread: on two busy
    cores starting eight threads cost more than the waits they overlapped.
    """
    if len(ids) > 1 and getattr(api, "sends_at_once", False):
        return dict(api.inspect_containers(ids))
    found: dict[str, Any] = {}
    errors: list[BaseException] = []

    def work(chunk: list[str]) -> None:
        for cid in chunk:
            try:
                found[cid] = api.inspect_container(cid)
            except EngineNotFound:
                found[cid] = None
            except BaseException as exc:  # raised on the caller's thread below
                errors.append(exc)
                return

    if len(ids) <= 1:
        work(ids)
    else:
        n = min(INSPECT_THREADS, len(ids))
        threads = [threading.Thread(target=work, args=(ids[i::n],), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return found


def _status_text(inspect: Mapping[str, Any]) -> str:
    """A short status like the container list's ("Up", "Exited (3)") from inspect data."""
    state = inspect.get("State") or {}
    status = str(state.get("Status", ""))
    health = (state.get("Health") or {}).get("Status")
    if status == "running":
        return "Up" + (f" ({health})" if health else "")
    if status in ("exited", "dead"):
        return f"Exited ({state.get('ExitCode', 0)})"
    return status.capitalize()


def event_container_name(event: Mapping[str, Any]) -> str:
    """The container name an event carries in its actor attributes."""
    return str(((event.get("Actor") or {}).get("Attributes") or {}).get("name", ""))


class DockerSource:
    """ContainerSource over the session's one `EngineClient` (sources/engine.py).

    `close()` ends this source's event streams only: the client belongs to the session.
    """

    def __init__(
        self,
        engine: EngineClient | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 5.0,
    ) -> None:
        from arctui.sources.engine import EngineClient

        self.engine = engine or EngineClient(environ, timeout=timeout)
        self._streams: set[EngineStream] = set()

    @property
    def endpoint(self) -> str:
        """Where the engine is reached (DOCKER_HOST, else the CLI's context)."""
        return self.engine.endpoint

    def _reads(self) -> Any:
        return self.engine

    def ping(self) -> str:
        """The engine's version string; raises SourceError."""
        try:
            return str(self._reads().version().get("Version", "?"))
        except EngineNotFound as exc:
            raise self.engine.explain(exc) from exc

    def containers(
        self, project: str, known: Mapping[str, ContainerInfo] | None = None
    ) -> list[ContainerInfo]:
        """All containers of the compose project, inspected.

        With `known` (the last read), a container whose listed state and health are
        unchanged is not inspected again: a reconcile of 50 quiet containers is one call.
        """
        api = self._reads()
        rows = api.containers(all=True, filters=_project_filter(project))
        reuse: dict[str, ContainerInfo] = {}
        for row in rows:
            cached = known.get(str(row.get("Id"))) if known else None
            if cached is not None and listed_state(row) == (cached.state, cached.health):
                reuse[str(row["Id"])] = cached
        inspected = inspect_many(api, [str(r["Id"]) for r in rows if str(r["Id"]) not in reuse])
        out: list[ContainerInfo] = []
        for row in rows:  # the list's order
            cid, status = str(row["Id"]), str(row.get("Status", ""))
            if cid in reuse:
                out.append(dataclasses.replace(reuse[cid], status=status))
            elif (data := inspected.get(cid)) is not None:  # None: removed since the list
                out.append(container_from_inspect(data, status))
        return out

    def container(self, project: str, container_id: str) -> ContainerInfo | None:
        """One container inspected; None if it is gone or not of this project."""
        try:
            data = self._reads().inspect_container(container_id)
        except EngineNotFound:
            return None
        info = container_from_inspect(data, _status_text(data))
        return info if info.project == project else None

    def follow_events(
        self,
        project: str,
        on_event: Callable[[EngineEvent], None],
        stop: threading.Event,
        since: float | None = None,
    ) -> None:
        """Call `on_event` for each state event of the project until the stream ends.

        Returns normally when the stream ends (the daemon restarted, or `close()`);
        raises SourceError when the engine cannot be reached.
        """
        stream = self.engine.stream("/events", event_params(project, since))
        self._streams.add(stream)
        try:
            for line in stream.lines():
                if stop.is_set():
                    return
                try:
                    event = json.loads(line)
                except ValueError:
                    log.warning("engine event not JSON, skipped: %r", line[:200])
                    continue
                parsed = engine_event(event)
                if is_state_event(parsed.action):  # engines may ignore the event filter
                    on_event(parsed)
        except SourceError:
            if stop.is_set() or stream.closed:
                return  # closed by us
            raise
        finally:
            self._streams.discard(stream)
            stream.close()

    def close(self) -> None:
        """End this source's event streams (their threads return); the client stays."""
        for stream in list(self._streams):
            stream.close()


def event_params(project: str, since: float | None) -> dict[str, Any]:
    """The /events query: this project's state events, from `since` (unix seconds) on."""
    params: dict[str, Any] = {"filters": event_filters(project)}
    if since:
        params["since"] = f"{since:.9f}"
    return params

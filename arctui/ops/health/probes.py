"""Protocol probes run from arctui: HTTP, Postgres `SELECT 1`, Redis `PING`, or inside
the container (`docker exec`) when the service is not reachable on loopback.

Where to probe (`plan_probe`):
- a container on the host network: 127.0.0.1 and the port its own health check names
  (`wget http://127.0.0.1:18080/ping`), else the catalog's port. A catalog port is a
  guess: when nothing answers there the probe is inconclusive, not a failure (the
  service may listen elsewhere), and Docker's check decides;
- a published port of the probe's container port: 127.0.0.1:<host port> when published
  on all interfaces or on loopback;
- anything else (not published, bound to another address, a remote engine): the probe
  runs inside the container with what it has (wget, curl, or the catalog's command).
Every probe has a timeout and reports its latency. HTTP goes through no proxy and
follows no redirect (a redirect to another host must not be followed from here).
No Textual; psycopg and redis-py are imported by the sources, when used.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arctui.models import ContainerInfo, ServiceView
from arctui.ops.health.models import ProbeResult
from arctui.sources.base import SourceError
from arctui.sources.engine_http import EngineNotFound
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.sources.engine import EngineClient

TIMEOUT = 3.0  # seconds, every probe
OUTPUT_LIMIT = 300
_LOCAL = ("", "0.0.0.0", "::", "127.0.0.1", "::1", "localhost")
_URL_IN_CHECK = re.compile(r"https?://(?:127\.0\.0\.1|localhost|\[::1\]|0\.0\.0\.0):(\d+)(/\S*)?")
_NOT_FOUND = ("executable file not found", "no such file or directory", "not found")


@dataclass(frozen=True)
class ProbePlan:
    """How one service is probed."""

    kind: str  # http | postgres | redis | exec
    host: str = "127.0.0.1"
    port: int | None = None
    path: str = "/"
    guessed: bool = False  # the port is the catalog's default, not known for this container
    container: ContainerInfo | None = None  # exec probes run in it
    command: tuple[str, ...] = ()  # exec: the catalog's command
    expect: str = ""  # exec: text the output must contain

    @property
    def url(self) -> str:
        """The HTTP URL probed."""
        return f"http://{self.host}:{self.port}{self.path}"

    @property
    def via_exec(self) -> bool:
        """The probe runs inside the container."""
        return self.container is not None


def _running(view: ServiceView) -> ContainerInfo | None:
    return next((c for c in view.containers if c.state == "running"), None)


def check_url(view: ServiceView) -> tuple[int, str] | None:
    """(port, path) of a loopback URL in the service's own health check, if any."""
    spec = view.declared.healthcheck if view.declared else None
    if spec is None:
        return None
    m = _URL_IN_CHECK.search(spec.command())
    return (int(m[1]), m[2] or "/") if m else None


def _published(c: ContainerInfo, port: int) -> int | None:
    for p in c.ports:
        if p.container_port == port and p.host_port is not None and p.host_ip in _LOCAL:
            return p.host_port
    return None


def plan_probe(
    view: ServiceView, probe: Mapping[str, Any], local_engine: bool = True
) -> ProbePlan | None:
    """The probe for a service from its catalog entry; None when it has none or nothing runs."""
    c = _running(view)
    kind = str(probe.get("kind", ""))
    if c is None or not kind:
        return None
    role_port = int(probe["port"]) if probe.get("port") else None
    path = str(probe.get("path", "/"))
    host_net = c.network_mode == "host"
    if kind == "exec":
        command = tuple(str(a) for a in probe.get("command", ()))
        native = {"postgres": "postgres", "redis": "redis"}.get(view.role)
        reachable = local_engine and (
            host_net or any(p.host_port and p.host_ip in _LOCAL for p in c.ports)
        )
        if native and reachable:
            return ProbePlan(native)  # the session's own Postgres / Redis source
        return ProbePlan("exec", container=c, command=command, expect=str(probe.get("expect", "")))
    if kind != "http" or role_port is None:
        return None
    if local_engine and host_net:
        known = check_url(view)
        if known is not None:
            return ProbePlan("http", port=known[0], path=known[1])  # what the platform checks
        return ProbePlan("http", port=role_port, path=path, guessed=True)
    host_port = _published(c, role_port) if local_engine else None
    if host_port is not None:
        return ProbePlan("http", port=host_port, path=path)
    return ProbePlan("http", port=role_port, path=path, container=c)


# Running probes ---------------------------------------------------------------------------


_OPENER: list[Any] = []  # built on the first probe: urllib.request brings http.client, ssl


def _opener() -> Any:
    if not _OPENER:
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None  # answered with a redirect: alive; never follow it from here

        _OPENER.append(urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect()))
    return _OPENER[0]


def http_probe(url: str, timeout: float = TIMEOUT, guessed: bool = False) -> ProbeResult:
    """GET the URL: 2xx/3xx healthy, anything else a failure with its status and body."""
    import urllib.error

    target = f"GET {url}"
    started = time.monotonic()
    try:
        with _opener().open(url, timeout=timeout) as res:
            body = res.read(OUTPUT_LIMIT)
            status = res.status
    except urllib.error.HTTPError as exc:
        ms = (time.monotonic() - started) * 1000
        body = exc.read(OUTPUT_LIMIT) if exc.fp else b""
        ok = 300 <= exc.code < 400
        text = f"HTTP {exc.code} {body.decode('utf-8', 'replace')}"
        return ProbeResult("http", target, ok, ms, one_line(text, OUTPUT_LIMIT))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        ms = (time.monotonic() - started) * 1000
        reason = getattr(exc, "reason", exc)
        text = one_line(str(reason), OUTPUT_LIMIT)
        refused = "refused" in text.lower()
        if guessed and refused:
            return ProbeResult(
                "http",
                target,
                None,
                ms,
                f"{text} (the catalog's default port; the service may listen elsewhere)",
            )
        return ProbeResult("http", target, False, ms, text)
    ms = (time.monotonic() - started) * 1000
    text = body.decode("utf-8", "replace")
    return ProbeResult("http", target, True, ms, one_line(f"HTTP {status} {text}", OUTPUT_LIMIT))


class ExecRunner:
    """`docker exec` through the session's engine client, bounded by `timeout` in all."""

    def __init__(self, engine: EngineClient | None, timeout: float = TIMEOUT + 2) -> None:
        self.engine = engine
        self.timeout = timeout

    def run(self, container_id: str, command: Sequence[str]) -> tuple[int | None, str]:
        """(exit code, output) of a command inside a container. Raises SourceError."""
        if self.engine is None:
            raise SourceError("no Docker engine in this session")
        deadline = time.monotonic() + self.timeout
        try:
            exec_id = self.engine.exec_create(container_id, list(command), self.timeout)
            frames = self.engine.exec_start(exec_id, max(0.1, deadline - time.monotonic()))
            code = self._exit_code(exec_id, deadline)
        except EngineNotFound as exc:
            raise SourceError(
                f"container {container_id[:12]} is gone", "it was removed or recreated: refresh"
            ) from exc
        except SourceError as exc:
            text = exc.reason.lower()
            if any(n in text for n in _NOT_FOUND):
                return 127, one_line(exc.reason, OUTPUT_LIMIT)
            raise
        out = b"".join(data for _, data in frames).decode("utf-8", "replace")
        return code, out

    def close(self) -> None:
        """Nothing to release: the client is the session's (closed with it)."""

    def _exit_code(self, exec_id: str, deadline: float) -> int | None:
        """The exit code; the engine may say "running" for a moment after the output ends."""
        assert self.engine is not None
        while True:
            state = self.engine.exec_inspect(exec_id, max(0.1, deadline - time.monotonic()))
            code = state.get("ExitCode")
            if not state.get("Running") or time.monotonic() >= deadline:
                return None if code is None else int(code)
            time.sleep(0.02)


def _missing_tool(code: int | None, out: str) -> bool:
    return code in (126, 127) or (code != 0 and any(n in out.lower() for n in _NOT_FOUND[:2]))


def exec_http_probe(
    runner: ExecRunner, c: ContainerInfo, url: str, timeout: float = TIMEOUT
) -> ProbeResult:
    """GET the URL from inside the container with wget, else curl; say so when it has neither."""
    seconds = str(max(1, int(timeout)))
    tools = (
        ("wget", ["wget", "-q", "-O-", "-T", seconds, url]),
        ("curl", ["curl", "-fsS", "-m", seconds, url]),
    )
    started = time.monotonic()
    for name, cmd in tools:
        try:
            code, out = runner.run(c.id, cmd)
        except SourceError as exc:
            ms = (time.monotonic() - started) * 1000
            return ProbeResult("exec", f"{name} {url} in {c.name}", False, ms, exc.reason, "exec")
        if _missing_tool(code, out):
            continue
        ms = (time.monotonic() - started) * 1000
        text = one_line(out, OUTPUT_LIMIT) or f"exit {code}"
        return ProbeResult("exec", f"{name} {url} in {c.name}", code == 0, ms, text, "exec")
    return ProbeResult(
        "exec",
        f"GET {url} in {c.name}",
        None,
        None,
        "the container has neither wget nor curl: only Docker's own health check applies",
        "exec",
    )


def exec_command_probe(
    runner: ExecRunner, c: ContainerInfo, command: Sequence[str], expect: str = ""
) -> ProbeResult:
    """The catalog's command inside the container (`pg_isready`, `redis-cli ping`)."""
    shown = " ".join(command)
    started = time.monotonic()
    try:
        code, out = runner.run(c.id, command)
    except SourceError as exc:
        ms = (time.monotonic() - started) * 1000
        return ProbeResult("exec", f"{shown} in {c.name}", False, ms, exc.reason, "exec")
    ms = (time.monotonic() - started) * 1000
    if _missing_tool(code, out):
        return ProbeResult(
            "exec",
            f"{shown} in {c.name}",
            None,
            ms,
            f"{command[0]} is not in the container",
            "exec",
        )
    ok = code == 0 and (not expect or expect in out)
    return ProbeResult(
        "exec",
        f"{shown} in {c.name}",
        ok,
        ms,
        one_line(out, OUTPUT_LIMIT) or f"exit {code}",
        "exec",
    )


def _answered(reason: str) -> bool:
    """A refusal that proves the server is up (wrong password, no such database)."""
    low = reason.lower()
    return any(
        w in low
        for w in ("password", "authentication", "noauth", "does not exist", "pg_hba", "permission")
    )


def timed_probe(kind: str, target: str, call: Callable[[], str]) -> ProbeResult:
    """Run `call` (returns the answer); a SourceError is a failure unless the server answered."""
    started = time.monotonic()
    try:
        answer = call()
    except SourceError as exc:
        ms = (time.monotonic() - started) * 1000
        if _answered(exc.reason):
            return ProbeResult(kind, target, True, ms, f"server answered, but: {exc.reason}")
        return ProbeResult(kind, target, False, ms, one_line(exc.reason, OUTPUT_LIMIT))
    ms = (time.monotonic() - started) * 1000
    return ProbeResult(kind, target, True, ms, one_line(answer, OUTPUT_LIMIT))

"""Prometheus' HTTP API: instant and range queries, targets, alerts, rules. No Textual.

    client = PromClient(PromTarget("http://127.0.0.1:9090", "service prometheus"))
    client.query('sum by (service_name) (rate(traces_span_metrics_calls_total[5m]))')

Every call has a timeout and becomes a SourceError (what failed, and what to do) on any
failure. Label values are outside text: they are returned as Prometheus sent them, and
whoever shows them passes them through `arctui.text`. `discover()` finds the stack's
Prometheus from the service model (role `prometheus`): the port from its health check,
else its published port; an explicit URL (setting or ARCTUI_PROMETHEUS_URL) wins.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import re
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from arctui.models import ServiceView
from arctui.sources.base import SourceError
from arctui.text import one_line
from arctui.units import size

DEFAULT_PORT = 9090
TIMEOUT = 3.0
MAX_BODY = 32 * 1024 * 1024  # a query over every series must not eat the memory
_LOOPBACK = "127.0.0.1"
# A port in a health check: `http://127.0.0.1:19090/-/healthy`, `localhost:9090`.
_PORT_IN_CHECK = re.compile(r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]|\w):(\d{2,5})\b")
_HOW_TO_REACH = (
    "publish it on loopback (ports: ['127.0.0.1:9090:9090']), or set prometheus_url in"
    " settings.yaml or ARCTUI_PROMETHEUS_URL (an SSH tunnel works: ssh -L 9090:localhost:9090 HOST)"
)


@dataclass(frozen=True)
class PromTarget:
    """Where Prometheus answers from here, and how arctui knows."""

    url: str  # base URL, no trailing slash
    origin: str
    service: str | None = None

    @property
    def label(self) -> str:
        """The URL without a password."""
        parts = urllib.parse.urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class Sample(NamedTuple):
    """One element of an instant vector (a tuple: hundreds are made every refresh, and a
    frozen dataclass costs several times as much to build)."""

    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class RangeSeries:
    """One series of a range query: (unix time, value) points, NaN dropped."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...] = field(default=())


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _labels(raw: Any) -> dict[str, str]:
    if type(raw) is not dict:
        return {}
    # JSON keys are strings; values are too from any real Prometheus: then the parsed
    # dict is used as it is (hundreds of bucket series a refresh), else converted.
    for value in raw.values():
        if type(value) is not str:
            return {str(k): str(v) for k, v in raw.items()}
    return raw


class PromClient:
    """The HTTP API of one Prometheus. Thread-safe; counts its requests (tests, benchmark).

    Requests go over kept-alive connections (a small pool: the poller and the PromQL
    prompt may ask at once), straight through http.client: a new connection per request
    cost both sides an accept and a handshake every refresh, and urllib's opener chain
    more CPU than parsing the answer. No proxy: Prometheus is on loopback or the LAN, and
    an http_proxy set for the internet must not swallow it.
    """

    POOL = 2  # idle connections kept

    def __init__(self, target: PromTarget, timeout: float = TIMEOUT) -> None:
        self.target = target
        self.timeout = timeout
        self.requests = 0
        self._lock = threading.Lock()
        parts = urllib.parse.urlsplit(target.url)
        self._auth = ""
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            word = urllib.parse.unquote(parts.password or "")
            self._auth = base64.b64encode(f"{user}:{word}".encode()).decode()
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._idle: list[http.client.HTTPConnection] = []
        # The URL-encoded form of each expression: the same few long ones every refresh
        # (the flow's is thousands of characters, and quoting is per byte in Python).
        self._encoded: dict[str, str] = {}

    @property
    def label(self) -> str:
        """Where Prometheus is (no password)."""
        return self.target.label

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection (True: it served a request before) or a new one."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=self.timeout), False

    def _release(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self.POOL:
                self._idle.append(conn)
                return
        conn.close()

    def _quoted(self, expr: str) -> str:
        found = self._encoded.get(expr)
        if found is None:
            found = urllib.parse.quote_plus(expr)
            if len(self._encoded) >= 64:  # prompt queries: keep the cache small
                self._encoded.clear()
            self._encoded[expr] = found
        return found

    def _exchange(self, path: str) -> tuple[int, bytes]:
        """(status, body) of one GET; a kept-alive connection the server closed while idle
        is replaced once (a GET can be sent again)."""
        headers = {"Accept": "application/json"}
        if self._auth:
            headers["Authorization"] = f"Basic {self._auth}"
        while True:
            conn, reused = self._connection()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read(MAX_BODY + 1)
            except (http.client.HTTPException, OSError) as exc:
                conn.close()
                stale = isinstance(
                    exc, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
                )
                if reused and stale:
                    continue
                raise
            if len(body) > MAX_BODY or response.will_close:
                conn.close()
            else:
                self._release(conn)
            return response.status, body

    def _get(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        url = f"{self._prefix}{path}"
        if params:
            url += "?" + "&".join(
                f"{k}={self._quoted(v) if k == 'query' else urllib.parse.quote_plus(v)}"
                for k, v in params
            )
        with self._lock:
            self.requests += 1
        where = f"Prometheus at {self.label}"
        try:
            status, body = self._exchange(url)
        except (http.client.HTTPException, OSError, ValueError) as exc:
            text = one_line(str(exc) or type(exc).__name__, 200)
            if isinstance(exc, TimeoutError) or "timed out" in text.lower():
                text = f"no answer within {self.timeout:g} s"
            raise SourceError(
                f"cannot connect to {where}: {text}", _reach_fix(self.target)
            ) from None
        if status >= 300:
            detail = _error_of(body) or f"HTTP {status}"
            if status in (401, 403):
                raise SourceError(
                    f"{where} refused the request ({detail})",
                    "put the user and password in prometheus_url (http://user:pass@host:9090)",
                ) from None
            if status == 400:
                raise SourceError(f"{where}: {detail}", "check the PromQL") from None
            raise SourceError(f"{where} answered {detail}") from None
        if len(body) > MAX_BODY:
            raise SourceError(f"{where} sent more than {size(MAX_BODY)}")
        try:
            doc = json.loads(body)
        except ValueError:
            raise SourceError(f"{where} did not answer JSON (is this Prometheus?)") from None
        if not isinstance(doc, dict) or doc.get("status") != "success":
            detail = doc.get("error", "?") if isinstance(doc, dict) else "?"
            raise SourceError(f"{where}: {one_line(str(detail), 300)}", "check the PromQL")
        return doc.get("data")

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """An instant query: the vector (a scalar becomes one sample without labels)."""
        params = [("query", expr)] + ([("time", f"{at:.3f}")] if at is not None else [])
        data = self._get("/api/v1/query", params) or {}
        kind, result = data.get("resultType"), data.get("result")
        if kind in ("scalar", "string") and isinstance(result, list) and len(result) == 2:
            return [Sample({}, _number(result[1]))]
        # The loop runs for every series of every answer: kept to plain type checks.
        out: list[Sample] = []
        append, make = out.append, Sample._make
        for item in result if type(result) is list else ():
            value = item.get("value") if type(item) is dict else None
            if type(value) is not list or not value:
                continue
            metric = item.get("metric")
            if type(metric) is dict:
                for label in metric.values():
                    if type(label) is not str:
                        metric = _labels(metric)
                        break
            else:
                metric = {}
            try:
                number = float(value[-1])
            except (TypeError, ValueError):
                number = math.nan
            append(make((metric, number)))
        return out

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[RangeSeries]:
        """A range query: every series with its points (NaN and Inf dropped)."""
        params = [
            ("query", expr),
            ("start", f"{start:.3f}"),
            ("end", f"{end:.3f}"),
            ("step", f"{max(step, 1.0):g}"),
        ]
        data = self._get("/api/v1/query_range", params) or {}
        out = []
        for item in data.get("result") or []:
            if not isinstance(item, dict):
                continue
            points = []
            for pair in item.get("values") or []:
                if isinstance(pair, list) and len(pair) == 2:
                    value = _number(pair[1])
                    if math.isfinite(value):
                        points.append((float(pair[0]), value))
            out.append(RangeSeries(_labels(item.get("metric")), tuple(points)))
        return out

    def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets (`health`, `lastError`, `labels`, `scrapeUrl` ...)."""
        data = self._get("/api/v1/targets", [("state", "active")]) or {}
        return [t for t in data.get("activeTargets") or [] if isinstance(t, dict)]

    def alerts(self) -> list[dict[str, Any]]:
        """Alerts pending or firing (`labels`, `annotations`, `state`, `activeAt`, `value`)."""
        data = self._get("/api/v1/alerts") or {}
        return [a for a in data.get("alerts") or [] if isinstance(a, dict)]

    def rules(self) -> list[dict[str, Any]]:
        """Rule groups, each with its rules (`health`, `lastError`, `name`, `type`)."""
        data = self._get("/api/v1/rules") or {}
        return [g for g in data.get("groups") or [] if isinstance(g, dict)]

    def close(self) -> None:
        """Close the idle connections (a later request opens a new one)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _error_of(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return ""
    return one_line(str(doc.get("error", "")), 300) if isinstance(doc, dict) else ""


def _reach_fix(target: PromTarget) -> str:
    if target.service:
        return f"start {target.service} (arctui start {target.service}), or {_HOW_TO_REACH}"
    return f"check that Prometheus runs there, or {_HOW_TO_REACH}"


# Discovery ---------------------------------------------------------------------------


def prometheus_service_of(services: Sequence[ServiceView]) -> ServiceView | None:
    """The service with role prometheus (a running one first)."""
    found = [s for s in services if s.role == "prometheus"]
    found.sort(key=lambda s: not any(c.state == "running" for c in s.containers))
    return found[0] if found else None


def port_of(service: ServiceView) -> tuple[int, str]:
    """The port Prometheus listens on inside its container, and how it is known."""
    check = service.declared.healthcheck if service.declared else None
    if check is not None:
        found = _PORT_IN_CHECK.search(" ".join(check.test))
        if found:
            return int(found[1]), "its health check"
    ports = list(service.declared.ports) if service.declared else []
    for c in service.containers:
        ports += list(c.ports)
    if len({p.container_port for p in ports}) == 1:
        return ports[0].container_port, "its only port"
    return DEFAULT_PORT, "the default port"


def check_url(url: str, origin: str) -> str:
    """An http(s) URL with a host, else a SourceError naming where it came from."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 (ValueError for a bad port)
    except ValueError:
        raise SourceError(f"the Prometheus URL from {origin} does not parse") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"the Prometheus URL from {origin} must look like http://host:9090")
    return url.strip().rstrip("/")


def discover(
    services: Sequence[ServiceView], url: str | None = None, url_origin: str = "the settings"
) -> PromTarget:
    """Where the stack's Prometheus answers from this host. Raises SourceError.

    No Prometheus in the stack (and no URL) raises `PrometheusAbsent`.
    """
    if url:
        return PromTarget(check_url(url, url_origin), url_origin)
    service = prometheus_service_of(services)
    if service is None:
        raise PrometheusAbsent(
            "the stack has no Prometheus (no service with role prometheus)",
            "add one (the observability profile), or set prometheus_url in settings.yaml"
            " or ARCTUI_PROMETHEUS_URL",
        )
    port, how = port_of(service)
    running = [c for c in service.containers if c.state == "running"]
    if not running:
        raise SourceError(
            f"Prometheus (service {service.name}) is not running",
            f"start it (arctui start {service.name}), or set prometheus_url",
        )
    container = running[0]
    if container.network_mode == "host":
        origin = f"service {service.name} (host network, port {port} from {how})"
        return PromTarget(f"http://{_LOOPBACK}:{port}", origin, service.name)
    bindings = [b for b in container.ports if b.host_port is not None]
    chosen = [b for b in bindings if b.container_port == port] or (
        bindings if len(bindings) == 1 else []
    )
    if chosen:
        b = chosen[0]
        ip = b.host_ip if b.host_ip not in ("", "0.0.0.0", "::") else _LOOPBACK
        host = f"[{ip}]" if ":" in ip else ip
        origin = f"service {service.name} publishes {b.label()}"
        return PromTarget(f"http://{host}:{b.host_port}", origin, service.name)
    raise SourceError(
        f"Prometheus (service {service.name}) publishes no port for {port}: arctui runs on"
        " the host and cannot reach it inside the compose network",
        _HOW_TO_REACH,
    )


class PrometheusAbsent(SourceError):
    """The stack has no Prometheus and no URL names one: a state to show, not a failure."""

"""Where the project's Redis is: a `RedisTarget` from the settings, the env and the stack.

`discover_target` finds the server from (highest first) an explicit URL (settings),
`REDIS_URL`, or `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD` from the process environment,
the project's env files, the redis service's own env file and its container's env; a
host that only exists inside the compose network (`redis`, `arc-sonic-cache`) is replaced
by the loopback address and the port the stack model says the service publishes.
Plain values only: no connection is made here (that is `sources/redisdb.py`). No Textual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.config.envfiles import EnvLayers
    from arctui.models import ServiceView

DEFAULT_PORT = 6379
ENV_KEYS = ("REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_USERNAME", "REDIS_DB")
# Names that only resolve inside the compose network (plus the service's own names).
_NETWORK_NAMES = frozenset({"redis", "arc-sonic-cache", "arc_redis", "arc-redis", "sonic-cache"})
_LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class RedisTarget:
    """Where a Redis server is and how to log in; the password never appears in repr."""

    host: str
    port: int = DEFAULT_PORT
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    origin: str = "default"  # where host and port came from
    password_origin: str = ""  # where the password came from (a file or variable name)
    service: str | None = None  # the compose service with role redis, if any

    @property
    def label(self) -> str:
        """`127.0.0.1:6379/0` (never the password)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}/{self.db}"

    def cli_args(self) -> list[str]:
        """`redis-cli` arguments reaching this server (the password goes in REDISCLI_AUTH)."""
        args = ["redis-cli", "-h", self.host, "-p", str(self.port)]
        if self.db:
            args += ["-n", str(self.db)]
        if self.username:
            args += ["--user", self.username]
        if self.tls:
            args.append("--tls")
        return args


def _env_values(
    layers: EnvLayers | None,
    environ: Mapping[str, str] | None,
    services: Sequence[ServiceView],
    redis_service: ServiceView | None,
) -> dict[str, tuple[str, str]]:
    """REDIS_* key -> (value, where from), lowest layer first so higher ones overwrite."""
    out: dict[str, tuple[str, str]] = {}

    def take(triples: Iterable[tuple[str, str, str]]) -> None:
        for key, value, origin in triples:
            if key in ENV_KEYS:
                out[key] = (value, origin)

    if redis_service is not None and redis_service.containers:
        name = redis_service.containers[0].name
        take((k, v, f"the env of container {name}") for k, v in redis_service.containers[0].env)
    if layers is not None:
        for directory, values in layers.per_service.items():
            if "redis" in directory.lower() or (
                redis_service is not None and directory == redis_service.name
            ):
                take((k, v.value, v.source) for k, v in values.items())
        take((k, v.value, v.source) for k, v in layers.values.items())
    if environ is not None:
        take((k, v, f"${k} in the process environment") for k, v in environ.items())
    return out


def redis_service_of(services: Sequence[ServiceView]) -> ServiceView | None:
    """The service with role redis (a running one first)."""
    found = [s for s in services if s.role == "redis"]
    found.sort(key=lambda s: not any(c.state == "running" for c in s.containers))
    return found[0] if found else None


def _in_network_names(service: ServiceView | None) -> set[str]:
    names = set(_NETWORK_NAMES)
    if service is not None:
        names.add(service.name.lower())
        names.update(c.name.lower() for c in service.containers)
        if service.declared and service.declared.container_name:
            names.add(service.declared.container_name.lower())
    return names


def _host_side(service: ServiceView, port: int) -> tuple[str, int, str]:
    """Host address and port reaching the service's container from this machine."""
    running = [c for c in service.containers if c.state == "running"] or list(service.containers)
    if not running:
        raise SourceError(
            f"the redis service {service.name} has no container",
            f"start it (arctui start {service.name}) or set REDIS_URL",
        )
    container = running[0]
    if container.network_mode == "host":
        return _LOOPBACK, port, f"service {service.name} (host network, port {port})"
    for binding in container.ports:
        if binding.container_port == port and binding.host_port is not None:
            ip = binding.host_ip if binding.host_ip not in ("", "0.0.0.0", "::") else _LOOPBACK
            return ip, binding.host_port, f"service {service.name} publishes {binding.label()}"
    raise SourceError(
        f"the redis service {service.name} publishes no port for {port}:"
        " arctui runs on the host and cannot reach it inside the compose network",
        f"publish it on loopback (ports: ['127.0.0.1:{port}:{port}']) or set REDIS_URL",
    )


def _int(value: str, what: str, origin: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise SourceError(f"{what} {value.strip()!r} from {origin} is not a number") from None


def target_from_url(url: str, origin: str) -> RedisTarget:
    """Parse `redis://[user:password@]host[:port][/db]` (or rediss:// for TLS)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise SourceError(f"REDIS_URL from {origin} is not a valid URL: {exc}") from None
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise SourceError(f"REDIS_URL from {origin} must look like redis://host:port/0")
    path = parts.path.strip("/")
    db = _int(path, "the database in REDIS_URL", origin) if path else 0
    return RedisTarget(
        host=parts.hostname,
        port=port or DEFAULT_PORT,
        db=db,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=parts.scheme == "rediss",
        origin=origin,
        password_origin=origin if parts.password else "",
    )


def discover_target(
    layers: EnvLayers | None,
    environ: Mapping[str, str] | None,
    services: Sequence[ServiceView] = (),
    url: str | None = None,
    url_origin: str = "the settings",
) -> RedisTarget:
    """Where the project's Redis is reachable from here. Raises SourceError."""
    service = redis_service_of(services)
    env = _env_values(layers, environ, services, service)
    if url:
        target = target_from_url(url, url_origin)
    elif env.get("REDIS_URL", ("", ""))[0].strip():
        value, origin = env["REDIS_URL"]
        target = target_from_url(value, origin)
    else:
        host, host_origin = env.get("REDIS_HOST", ("", ""))
        port_text, port_origin = env.get("REDIS_PORT", ("", ""))
        port = _int(port_text, "REDIS_PORT", port_origin) if port_text.strip() else DEFAULT_PORT
        db_text, db_origin = env.get("REDIS_DB", ("", ""))
        target = RedisTarget(
            host=host.strip(),
            port=port,
            db=_int(db_text, "REDIS_DB", db_origin) if db_text.strip() else 0,
            username=env.get("REDIS_USERNAME", ("", ""))[0].strip() or None,
            origin=host_origin or port_origin or "default",
        )
    if not target.password and env.get("REDIS_PASSWORD", ("", ""))[0]:
        value, origin = env["REDIS_PASSWORD"]
        target = _replace(target, password=value, password_origin=origin)
    if target.host.lower() in _in_network_names(service) | {""}:
        if service is not None:
            host, port, origin = _host_side(service, target.port)
            target = _replace(target, host=host, port=port, origin=origin)
        else:
            target = _replace(target, host=_LOOPBACK, origin=target.origin)
    return _replace(target, service=service.name if service else None)


def _replace(target: RedisTarget, **changes: Any) -> RedisTarget:
    from dataclasses import replace

    return replace(target, **changes)

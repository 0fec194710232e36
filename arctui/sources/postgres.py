"""The platform's Postgres: where it is, and one bounded connection to it.

Discovery (`discover`), later wins:
1. the stack model: the service with role `postgres`; host = loopback when it uses the
   host network, else the published port's host address (0.0.0.0 -> 127.0.0.1); port =
   the published host port, or on the host network `PGPORT`/`PG_PORT`/`POSTGRES_PORT`
   from the container's env, else 5432; user/password/db from the container's env;
2. the layered env files (`POSTGRES_USER`, `POSTGRES_PASSWORD`, `POSTGRES_DB`,
   `POSTGRES_PORT`): what the operator configured wins over what the container got;
3. libpq variables in the environment (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
   `PGDATABASE`, `PGSSLMODE`, `PGSERVICE`) and a `.pgpass` entry matching the target;
4. an explicit DSN: `ARCTUI_POSTGRES_DSN`, or `postgres_dsn` in the settings (or in
   `envs.<env>`; validated there, its password known to the session's redactor).

`PgConnection` keeps one connection (autocommit, `application_name=arctui`) and bounds
every call: `connect_timeout` for connecting, a server `statement_timeout` on every
monitoring statement, and a client-side deadline that shuts the socket down when even
the server does not answer (a frozen container would otherwise hang the worker for
ever). psycopg is imported only here, inside functions. No Textual.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui.config.masking import MASK
from arctui.lazylog import get_logger
from arctui.sources.base import SourceError
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.config.envfiles import EnvLayers
    from arctui.models import ContainerInfo, StackSnapshot

APPLICATION_NAME = "arctui"
CONNECT_TIMEOUT = 3  # seconds (libpq's minimum effective value is 2)
STATEMENT_TIMEOUT_MS = 2000
DEADLINE_GRACE = 2.0  # client-side deadline = statement timeout + this
DEFAULT_PORT = 5432
_LIBPQ_ENV = {
    "PGHOST": "host",
    "PGHOSTADDR": "hostaddr",
    "PGPORT": "port",
    "PGUSER": "user",
    "PGPASSWORD": "password",
    "PGDATABASE": "dbname",
    "PGSSLMODE": "sslmode",
    "PGSERVICE": "service",
}
_PORT_VARS = ("PGPORT", "PG_PORT", "POSTGRES_PORT")

log = get_logger(__name__)


@dataclass(frozen=True)
class PgTarget:
    """Where and as whom to connect, with where each part came from."""

    params: Mapping[str, str]  # libpq keywords (host, port, user, dbname, password ...)
    origins: Mapping[str, str] = field(default_factory=dict)  # keyword -> where it came from
    container_id: str | None = None  # the platform's Postgres container, if found
    container_name: str | None = None
    dsn: str | None = None  # an explicit DSN (takes precedence over params)
    # The stack's postgres service when it has no container (never created, or removed):
    # a failed connection then says so instead of libpq's "no such socket".
    absent_service: str | None = None

    @property
    def password(self) -> str | None:
        """The password given explicitly (not one libpq will find itself)."""
        return self.params.get("password") or None

    def describe(self) -> str:
        """`arc@127.0.0.1:15432/arc_db` plus where the password comes from; never the password."""
        if self.dsn is not None:
            from arctui.config.masking import mask_patterns

            return f"DSN from {self.origins.get('dsn', 'settings')}: {mask_patterns(self.dsn)}"
        p = self.params
        if "service" in p and "host" not in p:
            where = f"service {p['service']}"
        else:
            where = f"{p.get('host', 'localhost')}:{p.get('port', DEFAULT_PORT)}"
        text = f"{p.get('user', '?')}@{where}/{p.get('dbname', p.get('user', '?'))}"
        if self.password:
            text += f" password {MASK} ({self.origins.get('password', '?')})"
        elif "passfile" in p:
            text += f" password from {p['passfile']}"
        else:
            text += " no password"
        return text

    def secrets(self) -> list[str]:
        """Values that must never be shown (for a Redactor)."""
        found = [self.password] if self.password else []
        if self.dsn:
            from arctui.config.masking import url_passwords

            found += url_passwords(self.dsn)
            found += [v for k, v in _dsn_pairs(self.dsn) if k == "password"]
        return [s for s in found if s]


def _dsn_pairs(dsn: str) -> list[tuple[str, str]]:
    try:
        from psycopg.conninfo import conninfo_to_dict

        return [(k, str(v)) for k, v in conninfo_to_dict(dsn).items()]
    except Exception as exc:  # a malformed DSN is reported when connecting
        log.info("DSN not parsed for its secrets: %s", type(exc).__name__)
        return []


def postgres_container(snapshot: StackSnapshot | None) -> ContainerInfo | None:
    """The first running container of the service with role postgres, else any of them."""
    if snapshot is None:
        return None
    found: list[ContainerInfo] = []
    for service in snapshot.services:
        if service.role == "postgres":
            found.extend(service.containers)
    running = [c for c in found if c.state == "running"]
    chosen = running or found
    return chosen[0] if chosen else None


def _from_container(c: ContainerInfo, params: dict[str, str], origins: dict[str, str]) -> None:
    env = dict(c.env)
    where = f"container {c.name}"
    host_net = c.network_mode == "host"
    published = [p for p in c.ports if p.container_port == DEFAULT_PORT and p.host_port]
    port_var = next((v for v in _PORT_VARS if env.get(v, "").isdigit()), None)
    if host_net:
        params["host"], origins["host"] = "127.0.0.1", f"{where} (host network)"
        if port_var:
            params["port"], origins["port"] = env[port_var], f"{where} env {port_var}"
        else:
            params["port"], origins["port"] = str(DEFAULT_PORT), "default port"
    elif published:
        b = published[0]
        host = b.host_ip if b.host_ip not in ("", "0.0.0.0", "::") else "127.0.0.1"
        params["host"], origins["host"] = host, f"{where} published port"
        params["port"], origins["port"] = str(b.host_port), f"{where} published port"
    for key, var in (("user", "POSTGRES_USER"), ("password", "POSTGRES_PASSWORD")):
        if env.get(var):
            params[key], origins[key] = env[var], f"{where} env {var}"
    if env.get("POSTGRES_DB") or env.get("POSTGRES_USER"):
        var = "POSTGRES_DB" if env.get("POSTGRES_DB") else "POSTGRES_USER"
        params["dbname"], origins["dbname"] = env[var], f"{where} env {var}"


def _from_layers(layers: EnvLayers, params: dict[str, str], origins: dict[str, str]) -> None:
    values = layers.values
    for key, var in (("user", "POSTGRES_USER"), ("password", "POSTGRES_PASSWORD")):
        if var in values and values[var].value:
            params[key], origins[key] = values[var].value, f"{values[var].source} {var}"
    if "POSTGRES_DB" in values and values["POSTGRES_DB"].value:
        params["dbname"], origins["dbname"] = values["POSTGRES_DB"].value, "env POSTGRES_DB"
    port = values.get("POSTGRES_PORT")
    if port and port.value.isdigit() and "port" not in params:
        params["port"], origins["port"] = port.value, f"{port.source} POSTGRES_PORT"


def pgpass_path(environ: Mapping[str, str]) -> Path:
    """`PGPASSFILE`, else `~/.pgpass`."""
    if environ.get("PGPASSFILE"):
        return Path(environ["PGPASSFILE"])
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".pgpass"


def _pgpass_field(field_: str, value: str) -> bool:
    return field_ == "*" or field_.replace("\\:", ":").replace("\\\\", "\\") == value


def pgpass_matches(path: Path, params: Mapping[str, str]) -> bool:
    """True when `path` (mode 0600, as libpq demands) has an entry for this target."""
    try:
        if path.stat().st_mode & 0o077:
            return False  # libpq ignores it too
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    want = (
        params.get("host", "localhost"),
        params.get("port", str(DEFAULT_PORT)),
        params.get("dbname", params.get("user", "")),
        params.get("user", ""),
    )
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields: list[str] = []
        current = ""
        escaped = False
        for ch in line:
            if escaped:
                current += "\\" + ch
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == ":" and len(fields) < 4:
                fields.append(current)
                current = ""
            else:
                current += ch
        if len(fields) == 4 and all(_pgpass_field(f, w) for f, w in zip(fields, want, strict=True)):
            return True
    return False


def discover(
    snapshot: StackSnapshot | None,
    layers: EnvLayers | None,
    environ: Mapping[str, str],
    settings_dsn: str | None = None,
) -> PgTarget:
    """The connection to use (see the module docstring for the order)."""
    params: dict[str, str] = {}
    origins: dict[str, str] = {}
    container = postgres_container(snapshot)
    if container is not None:
        _from_container(container, params, origins)
    if layers is not None:
        _from_layers(layers, params, origins)
    cid = container.id if container else None
    cname = container.name if container else None
    absent = None
    if container is None and snapshot is not None:
        absent = next((s.name for s in snapshot.services if s.role == "postgres"), None)
    dsn = environ.get("ARCTUI_POSTGRES_DSN") or settings_dsn
    if dsn:
        where = "ARCTUI_POSTGRES_DSN" if environ.get("ARCTUI_POSTGRES_DSN") else "settings"
        return PgTarget({}, {"dsn": where}, cid, cname, dsn=dsn)
    if environ.get("PGSERVICE"):
        # The service file defines the connection; discovered values would override it.
        params, origins = {}, {}
    for var, key in _LIBPQ_ENV.items():
        if environ.get(var):
            params[key], origins[key] = environ[var], f"environment {var}"
    passfile = pgpass_path(environ)
    if "PGPASSWORD" not in environ and pgpass_matches(passfile, params):
        params.pop("password", None)
        params["passfile"] = str(passfile)
        origins["password"] = str(passfile)
    return PgTarget(params, origins, cid, cname, absent_service=absent)


def _friendly(exc: Exception, target: PgTarget) -> SourceError:
    """A one-line reason and a fix for a connection failure, secrets removed."""
    text = str(exc)
    for secret in target.secrets():
        text = text.replace(secret, MASK)
    first = one_line(text.strip().splitlines()[0] if text.strip() else type(exc).__name__, 300)
    low = text.lower()
    where = target.describe()
    if target.absent_service and target.dsn is None and not target.origins.get("host"):
        name = target.absent_service
        return SourceError(
            f"the postgres service {name} has no container: nothing to connect to",
            f"start it (arctui start {name}, or up), or point arctui elsewhere: "
            "PGHOST, ARCTUI_POSTGRES_DSN or postgres_dsn in the settings",
        )
    if "password authentication failed" in low or "no password supplied" in low:
        return SourceError(
            f"Postgres refused the password for {where}",
            "check POSTGRES_PASSWORD in the env file (it only applies at the first initdb) "
            "or set PGPASSWORD, ARCTUI_POSTGRES_DSN or postgres_dsn in the settings",
        )
    if "connection refused" in low:
        return SourceError(
            f"Postgres is not accepting connections at {where}: connection refused",
            "is the postgres service running? (arctui status; docker compose ps)",
        )
    if "terminating connection" in low or "server closed the connection" in low:
        return SourceError(
            f"Postgres closed the connection ({first}) at {where}",
            "the server was stopped or restarted, or the backend was terminated; "
            "arctui reconnects on the next read",
        )
    if "timeout expired" in low or "timed out" in low:
        return SourceError(
            f"Postgres did not answer within {CONNECT_TIMEOUT}s at {where}",
            "the server or the network is hung or overloaded; check the container",
        )
    if "does not exist" in low and "database" in low:
        return SourceError(f"{first} ({where})", "check POSTGRES_DB in the env file")
    if "permission denied" in low or "no pg_hba.conf entry" in low:
        return SourceError(f"{first} ({where})", "the role lacks the privilege; see pg_hba.conf")
    return SourceError(f"Postgres: {first} ({where})", "")


class PgConnection:
    """One monitoring connection: reconnects when lost; every call is bounded in time."""

    def __init__(
        self,
        target: PgTarget,
        *,
        connect_timeout: int = CONNECT_TIMEOUT,
        statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
        deadline_grace: float = DEADLINE_GRACE,
    ) -> None:
        self.target = target
        self.connect_timeout = connect_timeout
        self.statement_timeout_ms = statement_timeout_ms
        self.deadline_grace = deadline_grace
        self._conn: Any = None
        self._lock = threading.Lock()
        self.queries = 0  # statements sent (for the benchmark)

    def _connect_kwargs(self, statement_timeout_ms: int) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(self.target.params)
        kwargs.update(
            connect_timeout=self.connect_timeout,
            application_name=APPLICATION_NAME,
            autocommit=True,
            # A lock wait must not eat the whole statement budget silently.
            options=f"-c statement_timeout={statement_timeout_ms} -c lock_timeout=1000",
        )
        return kwargs

    def open(self, statement_timeout_ms: int | None = None) -> Any:
        """A new psycopg connection to the target (the caller closes it). Raises SourceError."""
        import psycopg

        timeout = (
            self.statement_timeout_ms if statement_timeout_ms is None else statement_timeout_ms
        )
        kwargs = self._connect_kwargs(timeout)
        try:
            if self.target.dsn is not None:
                return psycopg.connect(self.target.dsn, **kwargs)
            return psycopg.connect(**kwargs)
        except psycopg.Error as exc:
            raise _friendly(exc, self.target) from None

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = self.open()
        return self._conn

    @contextlib.contextmanager
    def _deadline(self, conn: Any, seconds: float) -> Iterator[threading.Event]:
        """Shut the socket down if the server does not answer at all within `seconds`."""
        fired = threading.Event()

        def expire() -> None:
            fired.set()
            try:
                sock = socket.socket(fileno=os.dup(conn.pgconn.socket))
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                finally:
                    sock.close()
            except Exception as exc:  # already closed: nothing left to unblock
                log.info("postgres deadline: socket not shut down: %r", exc)

        timer = threading.Timer(seconds, expire)
        timer.daemon = True
        timer.start()
        try:
            yield fired
        finally:
            timer.cancel()

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of one monitoring statement. Raises SourceError (connection dropped then)."""
        import psycopg

        with self._lock:
            conn = self._connection()
            seconds = self.statement_timeout_ms / 1000 + self.deadline_grace
            fired = threading.Event()
            try:
                with self._deadline(conn, seconds) as fired:
                    self.queries += 1
                    cur = conn.execute(sql, params)
                    rows = cur.fetchall() if cur.description else []
            except psycopg.errors.QueryCanceled as exc:
                raise SourceError(
                    f"a monitoring query hit the {self.statement_timeout_ms} ms statement "
                    f"timeout: {one_line(str(exc), 200)}",
                    "the server is overloaded or a lock is held; retrying",
                ) from None
            except psycopg.errors.InsufficientPrivilege as exc:
                raise SourceError(
                    f"permission denied: {one_line(str(exc), 200)}",
                    "grant pg_monitor to the role: GRANT pg_monitor TO <user>",
                ) from None
            except psycopg.Error as exc:
                if fired.is_set():
                    self._drop()
                    raise SourceError(
                        f"Postgres did not answer within {seconds:g}s "
                        "(its statement timeout did not fire either)",
                        "the server may be frozen (paused container, stuck I/O); "
                        "check the container",
                    ) from None
                if conn.closed or conn.broken:
                    self._drop()
                    raise _friendly(exc, self.target) from None
                raise SourceError(f"Postgres: {one_line(str(exc), 300)}") from None
            return list(rows)

    @property
    def connected(self) -> bool:
        """True while a connection is open."""
        return self._conn is not None and not self._conn.closed

    @property
    def backend_pid(self) -> int | None:
        """The pid of the monitoring connection's backend, when connected."""
        conn = self._conn
        return None if conn is None or conn.closed else int(conn.info.backend_pid)

    def server_version(self) -> int | None:
        """`server_version_num` of the connected server (e.g. 150014)."""
        conn = self._conn
        return None if conn is None or conn.closed else int(conn.info.server_version)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception as exc:  # a broken connection is dropped all the same
                log.info("closing a postgres connection: %r", exc)

    def close(self) -> None:
        """Close the connection (the next query reconnects)."""
        with self._lock:
            self._drop()

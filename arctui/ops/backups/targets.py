"""The stack's datastores: which container to back up, how to reach it, who depends on it.

Containers come from the stack model (services with role `postgres` / `redis`);
credentials from the layered env files (POSTGRES_USER / POSTGRES_DB / POSTGRES_PASSWORD,
REDIS_PASSWORD), falling back to the container's own environment. Secrets never go on a
command line: they are handed to `docker exec -e NAME` through the environment of the
`docker` process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from arctui.models import ServiceView, StackSnapshot
from arctui.ops.backups.common import BackupError, run

if TYPE_CHECKING:
    from arctui.session import Session

KINDS = ("postgres", "redis")
DEFAULT_PGDATA = "/var/lib/postgresql/data"


@dataclass(frozen=True)
class Target:
    """One datastore container and what is needed to talk to it."""

    kind: str  # postgres | redis
    service: str
    container: str
    image: str
    user: str = ""  # the container's configured user (Config.User), '' = image default
    db_user: str = ""  # postgres role
    database: str = ""  # postgres database
    host: str = ""  # postgres socket dir (or TCP address) inside the container
    port: int = 0
    secret_env: Mapping[str, str] = field(default_factory=dict, repr=False)
    dependents: tuple[str, ...] = ()  # services that depend on it (transitively), in stop order

    def exec_args(self, *, stdin: bool = False) -> list[str]:
        """`docker exec [-i] -e SECRET... <container>`: secrets by name, values via env."""
        args = ["docker", "exec"]
        if stdin:
            args.append("-i")
        for name in sorted(self.secret_env):
            args += ["-e", name]
        return [*args, self.container]

    def environ(self, base: Mapping[str, str] | None) -> dict[str, str]:
        """The environment of the `docker` process: the session's plus the secrets."""
        import os

        env = dict(os.environ if base is None else base)
        env.update(self.secret_env)
        return env


def _dependents(snapshot: StackSnapshot, service: str) -> tuple[str, ...]:
    """Services depending on `service`, directly or not; the farthest first (stop order)."""
    depth: dict[str, int] = {}
    frontier = [(service, 0)]
    while frontier:
        name, level = frontier.pop()
        for s in snapshot.services:
            if name in s.depends_on and depth.get(s.name, -1) < level + 1 and s.name != service:
                depth[s.name] = level + 1
                frontier.append((s.name, level + 1))
    return tuple(sorted(depth, key=lambda n: (-depth[n], n)))


def _env_value(session: Session, key: str, container_env: Mapping[str, str]) -> str:
    layers = session.env_layers
    if layers is not None and key in layers.values and layers.values[key].value:
        return layers.values[key].value
    if layers is not None:
        for values in layers.per_service.values():
            if key in values and values[key].value:
                return values[key].value
    return container_env.get(key, "")


def _env_of(config: dict[str, Any]) -> dict[str, str]:
    pairs = [str(e).split("=", 1) for e in config.get("Env") or [] if "=" in str(e)]
    return {k: v for k, v in pairs}


def inspect_config(session: Session, container: str) -> dict[str, Any]:
    """`docker inspect` Config of one container (Cmd, Env, User, Image)."""
    done = run(
        ["docker", "inspect", "--format", "{{json .Config}}", container],
        timeout=30,
        environ=session.environ,
    )
    if not done.ok:
        raise BackupError(f"cannot inspect {container}: {done.why()}")
    try:
        config = json.loads(done.stdout)
    except ValueError:
        raise BackupError(f"docker inspect {container} returned no JSON") from None
    return config if isinstance(config, dict) else {}


def _running(service: ServiceView, kind: str) -> str:
    running = [c for c in service.containers if c.state == "running"]
    if not running:
        raise BackupError(
            f"the {kind} service '{service.name}' has no running container",
            f"start it first: arctui start {service.name}",
        )
    return running[0].name


def find_service(snapshot: StackSnapshot, kind: str) -> ServiceView:
    """The one service of role `kind` (BackupError if none)."""
    found = [s for s in snapshot.services if s.role == kind]
    if not found:
        raise BackupError(
            f"no {kind} service in {snapshot.project}",
            "arctui recognises it by the arc.service.tech label, the image or the service name",
        )
    return found[0]


def postgres_target(session: Session, snapshot: StackSnapshot) -> Target:
    """The stack's Postgres, with the socket and port its postmaster.pid names."""
    service = find_service(snapshot, "postgres")
    container = _running(service, "postgres")
    config = inspect_config(session, container)
    env = _env_of(config)
    db_user = _env_value(session, "POSTGRES_USER", env) or "postgres"
    database = _env_value(session, "POSTGRES_DB", env) or db_user
    password = _env_value(session, "POSTGRES_PASSWORD", env)
    pgdata = env.get("PGDATA", DEFAULT_PGDATA)
    host, port = "", 5432
    done = run(
        ["docker", "exec", container, "cat", f"{pgdata}/postmaster.pid"],
        timeout=30,
        environ=session.environ,
    )
    lines = done.stdout.decode(errors="replace").splitlines() if done.ok else []
    if len(lines) >= 5 and lines[3].strip().isdigit():
        port = int(lines[3].strip())
        host = lines[4].strip() or (lines[5].strip() if len(lines) > 5 else "")
    return Target(
        kind="postgres",
        service=service.name,
        container=container,
        image=str(config.get("Image", "")),
        user=str(config.get("User", "") or ""),
        db_user=db_user,
        database=database,
        host=host,
        port=port,
        secret_env={"PGPASSWORD": password} if password else {},
        dependents=_dependents(snapshot, service.name),
    )


def _flag_value(cmd: list[str], flag: str) -> str | None:
    for i, arg in enumerate(cmd):
        if arg == flag and i + 1 < len(cmd):
            return cmd[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def redis_target(session: Session, snapshot: StackSnapshot) -> Target:
    """The stack's Redis, with the port and password its command line names."""
    service = find_service(snapshot, "redis")
    container = _running(service, "redis")
    config = inspect_config(session, container)
    cmd = [str(x) for x in config.get("Cmd") or []]
    env = _env_of(config)
    port = _flag_value(cmd, "--port")
    password = _flag_value(cmd, "--requirepass") or _env_value(session, "REDIS_PASSWORD", env)
    return Target(
        kind="redis",
        service=service.name,
        container=container,
        image=str(config.get("Image", "")),
        user=str(config.get("User", "") or ""),
        port=int(port) if port and port.isdigit() else 6379,
        secret_env={"REDISCLI_AUTH": password} if password else {},
        dependents=_dependents(snapshot, service.name),
    )


def find_target(session: Session, kind: str, snapshot: StackSnapshot | None = None) -> Target:
    """The target of `kind` read from the stack now. Raises BackupError."""
    from arctui.sources.base import SourceError

    if kind not in KINDS:
        raise BackupError(f"unknown datastore '{kind}' (one of {', '.join(KINDS)})")
    if snapshot is None:
        try:
            snapshot = session.reader.read()
        except SourceError as exc:
            raise BackupError(exc.reason, exc.fix) from None
    return FINDERS[kind](session, snapshot)


FINDERS = {"postgres": postgres_target, "redis": redis_target}  # by role, as KINDS

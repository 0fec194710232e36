"""Several engines in one console (issue 24): one `Session` per engine, in a `Fleet`.

The default engine (DOCKER_HOST / the CLI's context, what arctui always watched) is the
primary session, named `local` unless the settings name it. Every other engine, from the
settings' `engines:` list and `--engine NAME=DOCKER_HOST`, gets a session of its own:
its own EngineClient, StackReader, EventHub and Resources source (so its reads, events,
backoff and errors are its own), and the rules of ITS env (production, read_only from
`settings.for_env(env)`), so an action on one of its rows goes through its own gate.
Every engine is watched for the same compose project. Building never contacts an engine:
a dead one fails later, in its own reads, with its own backoff.

The compose model of a member:
- a local or TCP engine: `docker compose` run here with that engine's DOCKER_HOST, in its
  `project_dir` (the primary's when not given);
- an `ssh://` engine: `docker compose config --format json` run ON that host, over the
  one shared SSH connection (`RemoteHost.run`, the seam `remote_host()` below), in its
  project_dir; the engine API goes through the same connection (`RemoteHost.docker_host`).
- a demo engine (`host: demo` / `demo:SEED`, `--demo` only): a simulated platform.

Layer: beside `arctui.session` (above `stack`, below `ops`). Never imports Textual.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from arctui.config.engines import KNOWN_ENVS, EngineSpec, parse_engine_option
from arctui.config.errors import ConfigError
from arctui.lazylog import get_logger
from arctui.sources.base import SourceError

log = get_logger(__name__)

if TYPE_CHECKING:
    import subprocess

    from arctui.config.settings import Settings
    from arctui.models import ComposeModel
    from arctui.session import Session

__all__ = [
    "DEFAULT_NAME",
    "EngineSpec",
    "Fleet",
    "RemoteHost",
    "build_fleet",
    "engine_env",
    "merge_specs",
    "parse_engine_option",
]

DEFAULT_NAME = "local"
# The demo fleet: each demo engine after the first differs a little, so screenshots and
# pilot tests show engines that do not read alike (seed, and one service stopped).
DEMO_STOPPED = ("grafana", "loki")


@dataclass(frozen=True, eq=False)
class Fleet:
    """Every engine's session, the primary first. A fleet of one is today's arctui."""

    primary: Session
    members: tuple[Session, ...] = ()
    # The shared connections of ssh:// engines, released after their sessions close.
    hosts: tuple[RemoteHost, ...] = ()

    @property
    def all(self) -> tuple[Session, ...]:
        """Every session, the primary first, then in the order they were configured."""
        return (self.primary, *self.members)

    @property
    def names(self) -> tuple[str, ...]:
        """The engines' names, in `all`'s order."""
        return tuple(s.engine_name for s in self.all)

    @property
    def multi(self) -> bool:
        """More than one engine (the ENGINE column shows, rows name their engine)."""
        return bool(self.members)

    def by_name(self, name: str) -> Session | None:
        """The session of the engine called `name` (exact, then any case), or None."""
        for session in self.all:
            if session.engine_name == name:
                return session
        folded = name.casefold()
        return next((s for s in self.all if s.engine_name.casefold() == folded), None)

    def __len__(self) -> int:
        return 1 + len(self.members)

    def __iter__(self) -> Iterator[Session]:
        return iter(self.all)

    def close(self) -> None:
        """Close every engine's session (the primary's `close()` does the same)."""
        self.primary.close()

    def release(self) -> None:
        """Close the ssh:// engines' shared connections (after their sessions closed)."""
        for host in self.hosts:
            try:
                host.close()
            except Exception as exc:  # an already dead connection: nothing left to do
                log.info("closing a remote engine's connection: %r", exc)


class RemoteHost(Protocol):
    """The seam for `ssh://` engines (arctui/sources/ssh.py provides it): one shared
    connection to the host, reused for the engine API and for commands."""

    def docker_host(self) -> str:
        """A DOCKER_HOST reaching the remote engine over the shared connection
        (a `unix://` path of a local socket forwarded to the remote docker.sock)."""
        ...

    def run(
        self, argv: Sequence[str], cwd: str | None, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` on the host, in `cwd`, over the shared connection (never a prompt)."""
        ...

    def close(self) -> None:
        """Release the connection (the fleet's close)."""
        ...


def remote_host(spec: EngineSpec) -> RemoteHost:
    """The shared connection of an `ssh://` engine. Raises ConfigError when unavailable.

    THE SEAM: arctui/sources/ssh.py's `SshHost.for_url(url, timeout=...)` (one per host,
    shared by the process) implements `RemoteHost`.
    """
    try:
        from arctui.sources import ssh  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        raise ConfigError(
            f"engine {spec.name}: ssh:// engines are not supported by this arctui yet"
        ) from None
    assert spec.host is not None  # an ssh:// engine has a host
    host: RemoteHost = ssh.SshHost.for_url(spec.host, timeout=spec.timeout or 5.0)
    return host


def engine_env(spec: EngineSpec, primary_env: str, settings: Settings) -> str:
    """The env whose rules an engine follows: its own `env`, else its name when that is
    a known env (`--engine prod=...` is production), else the primary's."""
    if spec.env:
        return spec.env
    known = {e.casefold() for e in (*KNOWN_ENVS, *settings.production_envs)}
    return spec.name if spec.name.casefold() in known else primary_env


def merge_specs(
    configured: Sequence[EngineSpec], given: Sequence[EngineSpec]
) -> tuple[EngineSpec, ...]:
    """The settings' engines, then the command line's (a repeated name replaces the
    configured one; twice on the command line is an error)."""
    out = {s.name.casefold(): s for s in configured}
    seen: set[str] = set()
    for spec in given:
        key = spec.name.casefold()
        if key in seen:
            raise ConfigError(f"--engine {spec.name} is given twice")
        seen.add(key)
        out[key] = spec
    return tuple(out.values())


def with_engine(environ: Mapping[str, str], spec: EngineSpec) -> dict[str, str]:
    """`environ` pointing the docker CLI and SDK at this engine (and nothing else)."""
    out = dict(environ)
    for key in ("DOCKER_HOST", "DOCKER_CONTEXT"):
        out.pop(key, None)
    if spec.host is not None:
        out["DOCKER_HOST"] = spec.host
    elif spec.context is not None:
        out["DOCKER_CONTEXT"] = spec.context
    return out


def build_fleet(
    primary: Session,
    specs: Sequence[EngineSpec],
    *,
    settings: Settings | None = None,
    files: Sequence[str] = (),
    read_only: bool = False,
    refresh: float | None = None,
) -> Fleet:
    """The fleet of `primary` and one session per spec; set as every session's `fleet`.

    `settings`: the user's settings before any env's overrides (each engine applies its
    own env's); default the primary's. Raises ConfigError (a name used twice, a demo
    engine outside --demo, a real one inside it). Contacts no engine.
    """
    settings = primary.settings if settings is None else settings
    primary_name = next((s.name for s in specs if s.kind == "default"), DEFAULT_NAME)
    if primary_name != primary.engine_name:
        object.__setattr__(primary, "engine_name", primary_name)  # before anyone sees it
    members: list[Session] = []
    hosts: list[RemoteHost] = []
    taken = {primary_name.casefold()}
    try:
        for spec in specs:
            if spec.kind == "default":
                continue
            if spec.name.casefold() in taken:
                raise ConfigError(f"engine name {spec.name} is used twice")
            taken.add(spec.name.casefold())
            demos = sum(1 for m in members if m.demo)  # which demo variant this one is
            member = _member(primary, spec, settings, files, read_only, refresh, hosts, demos)
            members.append(member)
    except BaseException:
        for member in members:
            member.close()
        Fleet(primary, (), tuple(hosts)).release()
        raise
    fleet = Fleet(primary, tuple(members), tuple(hosts))
    for session in fleet.all:
        object.__setattr__(session, "fleet", fleet)
    return fleet


def _member(
    primary: Session,
    spec: EngineSpec,
    settings: Settings,
    files: Sequence[str],
    read_only: bool,
    refresh: float | None,
    hosts: list[RemoteHost],
    demos: int,
) -> Session:
    env = engine_env(spec, primary.env, settings)
    if spec.kind == "demo":
        if not primary.demo:
            raise ConfigError(f"engine {spec.name}: host demo runs only with --demo")
        return _demo_member(primary, spec, settings, env, read_only, refresh, demos)
    if primary.demo:
        raise ConfigError(f"engine {spec.name}: --demo takes only demo engines (NAME=demo)")
    if spec.kind == "ssh":
        host = remote_host(spec)
        hosts.append(host)
        return _remote_member(primary, spec, host, settings, env, read_only, refresh)
    from arctui.session import real_session

    base = primary.environ if primary.environ is not None else os.environ
    if spec.project_dir is not None:
        project_dir = Path(spec.project_dir).expanduser()
    elif primary.spec is not None:
        project_dir = primary.spec.project_dir
    else:
        project_dir = Path.cwd()
    try:
        return real_session(
            project_dir,
            env,
            files,
            primary.project,  # every engine is watched for the same project
            settings,
            read_only=read_only,
            environ=with_engine(base, spec),
            refresh=refresh,
            engine_name=spec.name,
            redactor=primary.redactor,
            engine_timeout=spec.timeout,
        )
    except ConfigError as exc:
        raise ConfigError(f"engine {spec.name}: {exc}") from None


def _demo_member(
    primary: Session,
    spec: EngineSpec,
    settings: Settings,
    env: str,
    read_only: bool,
    refresh: float | None,
    index: int,
) -> Session:
    from arctui.session import demo_session

    seed = spec.demo_seed if spec.demo_seed is not None else 11 + 4 * index
    session = demo_session(
        settings,
        env=env,
        read_only=read_only,
        refresh=refresh,
        seed=seed,
        clock=primary.clock,
        engine_name=spec.name,
        redactor=primary.redactor,
    )
    platform = session.reader.compose
    stopped = DEMO_STOPPED[index % len(DEMO_STOPPED)]
    if platform is not None and hasattr(platform, "simulate_action"):
        platform.simulate_action("stop", "service", stopped, None)
    return session


class RemoteCompose:
    """ComposeSource of an ssh:// engine: compose renders ON the host, in its project dir,
    over the shared connection (the compose files live there, not here)."""

    def __init__(
        self, host: RemoteHost, project: str, project_dir: str | None, timeout: float = 30.0
    ) -> None:
        self.host = host
        self.project = project
        self.project_dir = project_dir
        self.timeout = timeout
        self.renders = 0

    def command(self, *args: str) -> list[str]:
        """The argv run on the host for `docker compose <args>`."""
        return ["docker", "compose", "-p", self.project, *args]

    def model(self) -> ComposeModel:
        import json
        import subprocess  # here: status, a fleet of one, never needs it (issue 19)

        from arctui.config.masking import redact
        from arctui.sources.compose import split_output
        from arctui.sources.compose_parse import parse_config

        argv = self.command("--profile", "*", "config", "--format", "json")
        self.renders += 1
        try:
            proc = self.host.run(argv, self.project_dir, self.timeout)
        except subprocess.TimeoutExpired as exc:
            raise SourceError(f"compose config on the host took over {self.timeout:.0f} s") from exc
        if proc.returncode != 0:
            out = split_output(proc.stderr or proc.stdout, redact)
            raise SourceError(f"compose config on the host failed: {out.error}"[:400])
        try:
            data = json.loads(proc.stdout)
        except ValueError as exc:
            raise SourceError(f"compose config on the host printed invalid JSON: {exc}") from exc
        return parse_config(data, (), redact)


def _remote_member(
    primary: Session,
    spec: EngineSpec,
    host: RemoteHost,
    settings: Settings,
    env: str,
    read_only: bool,
    refresh: float | None,
) -> Session:
    """A session over an ssh:// engine: API and compose through the one SSH connection."""
    from arctui.session import Session, with_tab_sources
    from arctui.sources.docker_engine import DockerSource
    from arctui.sources.engine import EngineClient
    from arctui.sources.event_hub import EventHub
    from arctui.sources.redacting import LearningCompose, LearningContainers
    from arctui.stack.reader import StackReader

    base = primary.environ if primary.environ is not None else os.environ
    environ = with_engine(base, dataclasses.replace(spec, host=host.docker_host()))
    ruled = settings.for_env(env)
    if refresh:
        ruled = dataclasses.replace(ruled, refresh=refresh)
    redactor = primary.redactor
    client = EngineClient(environ, timeout=spec.timeout or 5.0)
    engine = LearningContainers(DockerSource(client), redactor)
    compose: Any = LearningCompose(
        RemoteCompose(host, primary.project, spec.project_dir),  # type: ignore[arg-type]
        redactor,
    )
    reader = StackReader(primary.project, engine, compose)
    session = Session(
        env=env,
        production=ruled.is_production(env),
        project=primary.project,
        settings=ruled,
        reader=reader,
        read_only=read_only or ruled.read_only,
        environ=environ,
        redactor=redactor,
        engine=client,
        events=EventHub(primary.project, engine),
        engine_name=spec.name,
    )
    return with_tab_sources(session)


# Swarm (issue 24): a stack file's `deploy.replicas` means a Swarm, whose services and
# tasks arctui does not read yet. An engine that is a Swarm node says so, nothing pretended.
SWARM_NOTICE = "Swarm services and tasks are not shown yet"
_SWARM_NODE_STATES = ("active", "locked")  # a manager whose keys are locked is still one


def swarm_state(info: Mapping[str, Any] | None) -> str:
    """`Swarm.LocalNodeState` of an engine's /info ("inactive", "active" ...; "" unknown)."""
    swarm = (info or {}).get("Swarm") if isinstance(info, Mapping) else None
    state = swarm.get("LocalNodeState") if isinstance(swarm, Mapping) else None
    return state.strip().lower() if isinstance(state, str) else ""


def swarm_notice(info: Mapping[str, Any] | None) -> str | None:
    """The notice to show for an engine whose /info says it is a Swarm node, else None."""
    return SWARM_NOTICE if swarm_state(info) in _SWARM_NODE_STATES else None


def engine_notices(session: Session) -> tuple[str, ...]:
    """What an engine's /info says the operator should know (Swarm); () when the engine
    cannot say (the reads report that) or for the demo."""
    if session.engine is None:
        return ()
    try:
        info = session.engine.info()
    except SourceError:
        return ()
    notice = swarm_notice(info)
    return (f"engine {session.engine_name}: {notice}",) if notice else ()

"""Everything one run of arctui works on: project, environment, settings, sources.

Built by the CLI from its arguments; shared by the TUI and the headless commands.
Never imports Textual.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui.config.masking import Redactor, env_secrets, use_redactor
from arctui.config.settings import Settings, load_settings
from arctui.sources.event_hub import EventHub
from arctui.sources.redacting import LearningCompose, LearningContainers
from arctui.stack.reader import StackReader

if TYPE_CHECKING:
    from arctui.config.envfiles import EnvLayers
    from arctui.config.project import ProjectSpec
    from arctui.fleet import Fleet
    from arctui.sources.engine import EngineClient


class LazySource:
    """A source built when first used: the Resources tab's models, cgroup and stats
    readers are imported when something reads usage, not before the first frame."""

    @classmethod
    def of_tab(cls, tab_id: str, session: Session) -> LazySource:
        """The source the registry names for a tab, built from the session on first use."""

        def build() -> Any:
            from arctui.tabs import tab

            factory = tab(tab_id).load_source()
            if factory is None:
                raise LookupError(f"the {tab_id} tab names no source")
            return factory(session)

        return cls(build)

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._source: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:  # pollers on worker threads may be the first to ask
            if self._source is None:
                self._source = self._build()
        return getattr(self._source, name)


@dataclass(frozen=True)
class Session:
    """The resolved context of a run."""

    env: str
    production: bool
    project: str
    settings: Settings
    reader: StackReader
    read_only: bool
    demo: bool = False
    spec: ProjectSpec | None = None
    env_layers: EnvLayers | None = None
    clock: Callable[[], float] = time.time
    # The environment `docker compose` runs with (the compose files interpolate from it);
    # None means this process's own environment.
    environ: Mapping[str, str] | None = None
    # Usage figures for the Resources tab (cgroups or Engine API; the demo simulates them):
    # a `ResourcesSource`, built by the factory the tab registry names (`with_tab_sources`).
    resources: Any = None
    # The one redactor of this run: env-file and process secrets now, the containers'
    # secrets as the stack is read (sources/redacting.py). Every exit goes through it.
    redactor: Redactor = field(default_factory=Redactor, compare=False, repr=False)
    # The real engine's one client (sources/engine.py; None for the demo) and the one
    # subscription to its state events, fanned out to the app, Resources and Logs.
    engine: EngineClient | None = field(default=None, compare=False, repr=False)
    events: EventHub = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    # `--at WHEN`: the recorded moment replayed (unix seconds), and the replay controller
    # (arctui/record/replay.py) the tabs read from. The gate refuses every mutation then.
    replay_at: float | None = None
    replay: Any = field(default=None, compare=False, repr=False)
    # The recording's volume sizes (ops/maintenance/volumes.py `VolumeHistory`), put here
    # by the entry layer (record/volume_history.py): the Disk view's growth and days left.
    volume_history: Any = field(default=None, compare=False, repr=False)
    # `--store PATH`: the flight recorder's store; None means the project's default one
    # (the header and the health view ask `arctui.alerts.status.store_of(session)`).
    store_path: Path | None = None
    # Which engine this session watches (issue 24: one session per engine), and the fleet
    # of every engine's session (arctui/fleet.py); a fleet of one unless --engine / engines:.
    engine_name: str = "local"
    fleet: Fleet = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        # A copy (dataclasses.replace: a replay) is in no fleet but its own.
        if self.fleet is None or not any(m is self for m in self.fleet.all):
            from arctui.fleet import Fleet

            object.__setattr__(self, "fleet", Fleet(self))
        if self.events is None:
            hub = EventHub(self.project, self.reader.containers, clock=self.clock)
            object.__setattr__(self, "events", hub)
        if self.env_layers is not None:
            self.redactor.learn(self.env_layers.secret_values())
        if self.environ is not None:
            self.redactor.learn(env_secrets(self.environ.items()))
        self.redactor.learn(self.settings.secrets())  # postgres_dsn, redis_url passwords
        use_redactor(self.redactor)

    def close(self) -> None:
        """End the event subscription and the engine's open streams (the app's exit).

        The fleet's primary closes the other engines' sessions too.
        """
        if self.fleet.primary is self:
            for member in self.fleet.members:
                member.close()
            self.fleet.release()
        self.events.close()
        self.reader.containers.close()
        if self.engine is not None:
            self.engine.close()


def demo_session(
    settings: Settings | None = None,
    env: str = "demo",
    read_only: bool = False,
    refresh: float | None = None,
    seed: int = 7,
    clock: Callable[[], float] = time.time,
    engine_name: str = "local",
    redactor: Redactor | None = None,
) -> Session:
    """A session over the simulated platform (`redactor`: a fleet's shared one)."""
    from arctui.demo.platform import PROJECT, DemoPlatform

    settings = (settings or Settings()).for_env(env)
    if refresh:
        settings = dataclasses.replace(settings, refresh=refresh)
    platform = DemoPlatform(seed=seed, clock=clock)
    redactor = Redactor() if redactor is None else redactor
    reader = StackReader(PROJECT, LearningContainers(platform, redactor), platform, clock=clock)
    session = Session(
        env=env,
        production=settings.is_production(env),
        project=PROJECT,
        settings=settings,
        reader=reader,
        read_only=read_only or settings.read_only,
        demo=True,
        clock=clock,
        redactor=redactor,
        engine_name=engine_name,
    )
    return with_tab_sources(session)


def real_session(
    project_dir: Path,
    env: str | None,
    files: Sequence[str],
    project_name: str | None,
    settings: Settings,
    read_only: bool = False,
    environ: Mapping[str, str] | None = None,
    refresh: float | None = None,
    engine_name: str = "local",
    redactor: Redactor | None = None,
    engine_timeout: float | None = None,
) -> Session:
    """A session over a real engine and compose project. Raises ConfigError.

    A fleet's other engines pass their name, the fleet's one `redactor` and their timeout.
    """
    from arctui.config.project import resolve_project
    from arctui.sources.compose import ComposeCli
    from arctui.sources.compose_cache import RenderCache, cache_dir
    from arctui.sources.docker_engine import DockerSource
    from arctui.sources.engine import EngineClient

    environ = dict(os.environ if environ is None else environ)
    spec, layers = resolve_project(
        project_dir,
        env=env,
        files=files,
        project_name=project_name,
        settings=settings,
        environ=environ,
    )
    # The env is only known now (ENV_FILE=.env.prod implies prod): apply its overrides here.
    settings = settings.for_env(spec.env)
    if refresh:
        settings = dataclasses.replace(settings, refresh=refresh)
    redactor = Redactor() if redactor is None else redactor
    watched = tuple(spec.compose_files) + tuple(spec.env_files)
    # Renders on disk, keyed by every input: `status` then runs no `compose config`.
    cache = RenderCache(cache_dir(environ), watched, environ)
    compose = LearningCompose(
        ComposeCli(spec.compose_args(), cwd=spec.project_dir, env=environ, cache=cache),
        redactor,
    )
    client = EngineClient(environ, timeout=engine_timeout or 5.0)
    engine = LearningContainers(DockerSource(client), redactor)
    reader = StackReader(spec.project_name, engine, compose, watched)
    hub = EventHub(spec.project_name, engine)
    session = Session(
        env=spec.env or "default",
        production=spec.production,
        project=spec.project_name,
        settings=settings,
        reader=reader,
        read_only=read_only or settings.read_only,
        spec=spec,
        env_layers=layers,
        environ=environ,
        redactor=redactor,
        engine=client,
        events=hub,
        engine_name=engine_name,
    )
    return with_tab_sources(session)


def with_tab_sources(session: Session) -> Session:
    """The session with the Resources tab's source attached (built when first read)."""
    # Frozen: set once here, before anything else sees the session.
    object.__setattr__(session, "resources", LazySource.of_tab("resources", session))
    return session


def load_user_settings(path: Path | None = None) -> Settings:
    """The user's settings file (overrides per env are applied by the session)."""
    return load_settings(path)

"""Where the compose project is: its files, name, env files, and whether it is production.

Two layouts are recognised:
- the operations guide's: `docker-compose.yml` (+ `docker-compose.stack.yml`) at the root;
- the current platform's: `deployments/docker/docker-compose.<part>.yml`, layered base,
  core, observability, security, services, with `production` as an overlay, run by the
  Makefile as `docker compose -p arc-platform --env-file $(ENV_FILE) -f ... -f ...`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from arctui.config.envfiles import EnvLayers, env_layers, env_name_of
from arctui.config.errors import ConfigError
from arctui.config.settings import Settings

GUIDE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
STACK_FILE = "docker-compose.stack.yml"
PLATFORM_DIR = Path("deployments") / "docker"
PLATFORM_PROJECT = "arc-platform"
PLATFORM_ORDER = ("base", "core", "observability", "security", "services")
PRODUCTION_OVERLAY = "production"

_PLATFORM_FILE = re.compile(r"^docker-compose\.(?P<part>.+)\.ya?ml$")
_VALID_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?-)(?P<default>[^}]*))?\}|(?P<plain>[A-Za-z_]\w*))"
)


@dataclass(frozen=True)
class ProjectSpec:
    """Everything `docker compose` needs to address the project, resolved once."""

    project_dir: Path
    compose_files: tuple[Path, ...]
    project_name: str
    env: str | None = None
    env_files: tuple[Path, ...] = ()
    production: bool = False

    @property
    def working_dir(self) -> Path:
        """The directory compose resolves relative paths in the files against."""
        # Compose's default is the first file's directory; for the platform layout that
        # is deployments/docker, and its `./config/...` mounts only work from there.
        return self.compose_files[0].parent if self.compose_files else self.project_dir

    def compose_args(self) -> list[str]:
        """The arguments that follow `docker compose` for this project."""
        args = ["-p", self.project_name, "--project-directory", str(self.working_dir)]
        for env_file in self.env_files:
            args += ["--env-file", str(env_file)]
        for compose_file in self.compose_files:
            args += ["-f", str(compose_file)]
        return args


def _platform_order(path: Path) -> tuple[int, str]:
    part = _PLATFORM_FILE.match(path.name)
    name = part["part"] if part else path.name
    if name == PRODUCTION_OVERLAY:
        return (len(PLATFORM_ORDER) + 1, name)  # an overlay goes last
    rank = PLATFORM_ORDER.index(name) if name in PLATFORM_ORDER else len(PLATFORM_ORDER)
    return (rank, name)


def _platform_files(platform: Path, production: bool) -> tuple[Path, ...]:
    if not platform.is_dir():
        return ()
    files = []
    for path in platform.iterdir():
        m = _PLATFORM_FILE.match(path.name)
        if m and path.is_file() and (production or m["part"] != PRODUCTION_OVERLAY):
            files.append(path)
    return tuple(sorted(files, key=_platform_order))


def discover_compose_files(project_dir: Path, production: bool = False) -> tuple[Path, ...]:
    """The compose files of the project in load order; ConfigError if there are none."""
    for name in GUIDE_FILES:
        if (project_dir / name).is_file():
            stack = project_dir / STACK_FILE
            return (project_dir / name, stack) if stack.is_file() else (project_dir / name,)
    found = _platform_files(project_dir / PLATFORM_DIR, production)
    if not found:
        raise ConfigError(
            f"no compose file found: looked for {', '.join(GUIDE_FILES)} there"
            f" and for {PLATFORM_DIR}/docker-compose.*.yml",
            project_dir,
        )
    return found


def _given_files(files: Sequence[str], project_dir: Path) -> tuple[Path, ...]:
    """`-f` paths: absolute, else relative to cwd if there, else to the project dir."""
    resolved: list[Path] = []
    for given in files:
        path = Path(given).expanduser()
        if not path.is_absolute():
            path = path if path.exists() else project_dir / path
        if not path.is_file():
            raise ConfigError(
                f"compose file not found (looked in {Path.cwd()} and {project_dir})", given
            )
        resolved.append(path.resolve())
    return tuple(resolved)


def normalize_project_name(name: str) -> str:
    """A name made valid the way compose does for directory names (may be '')."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-")


def _checked_name(name: str, origin: str) -> str:
    if not _VALID_NAME.match(name):
        raise ConfigError(
            f"invalid compose project name {name!r} from {origin}: use lowercase letters,"
            " digits, '-' and '_', starting with a letter or digit"
        )
    return name


def _interpolate(text: str, lookup: Callable[[str], str | None]) -> str | None:
    """`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`; None for anything else."""

    def substitute(m: re.Match[str]) -> str:
        name = m["braced"] or m["plain"]
        value = lookup(name)
        if (m["op"] == ":-" and not value) or (m["op"] == "-" and value is None):
            return m["default"]
        return value or ""

    result = _VARIABLE.sub(substitute, text.replace("$$", "\0"))
    return None if "$" in result else result.replace("\0", "$")


def _name_in_file(path: Path, lookup: Callable[[str], str | None]) -> str | None:
    """The top-level `name:` of a compose file, if it can be read here."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # compose reports a broken file itself, with better context
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str):
        return None
    name = _interpolate(name, lookup)
    return name if name and _VALID_NAME.match(name) else None


def _project_name(
    explicit: str | None,
    environ: Mapping[str, str],
    layers: EnvLayers,
    compose_files: tuple[Path, ...],
    project_dir: Path,
) -> str:
    if explicit:
        return _checked_name(explicit, "-p")
    if environ.get("COMPOSE_PROJECT_NAME"):
        return _checked_name(environ["COMPOSE_PROJECT_NAME"], "the environment")
    from_file = layers.values.get("COMPOSE_PROJECT_NAME")
    if from_file is not None and from_file.value:
        return _checked_name(from_file.value, from_file.source)
    if compose_files and compose_files[0].parent == project_dir / PLATFORM_DIR:
        return PLATFORM_PROJECT  # the Makefile always passes -p arc-platform

    def lookup(key: str) -> str | None:
        value = layers.values.get(key)
        return environ.get(key, value.value if value is not None else None)

    if compose_files and (name := _name_in_file(compose_files[0], lookup)):
        return name
    name = normalize_project_name(project_dir.name)
    if not name:
        raise ConfigError("cannot derive a compose project name from the directory; pass -p")
    return name


def resolve_project(
    project_dir: Path,
    env: str | None = None,
    files: Sequence[str] = (),
    project_name: str | None = None,
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
    env_file: str | None = None,
) -> tuple[ProjectSpec, EnvLayers]:
    """Resolve the project from CLI choices, the environment and the files on disk."""
    environ = os.environ if environ is None else environ
    settings = Settings() if settings is None else settings
    project_dir = project_dir.expanduser().resolve()
    if not project_dir.is_dir():
        raise ConfigError("project directory does not exist", project_dir)

    env_file = env_file or environ.get("ENV_FILE") or None
    if env is None and env_file:
        # `ENV_FILE=.env.prod make up` is how the platform picks prod: treat it as such,
        # so production safeguards cannot be skipped by choosing the file directly.
        env = env_name_of(Path(env_file))
    production = settings.is_production(env)
    layers = env_layers(project_dir, env, env_file, environ=environ)
    compose_files = (
        _given_files(files, project_dir)
        if files
        else discover_compose_files(project_dir, production=production)
    )
    spec = ProjectSpec(
        project_dir=project_dir,
        compose_files=compose_files,
        project_name=_project_name(project_name, environ, layers, compose_files, project_dir),
        env=env,
        env_files=layers.files,
        production=production,
    )
    return spec, layers

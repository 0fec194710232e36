"""Where the compose project is: its files, name, env files, and whether it is production.

Two layouts are recognised:
- the operations guide's: `docker-compose.yml` (+ `docker-compose.stack.yml`) at the root;
- the current platform's: `deployments/docker/docker-compose.<part>.yml`, layered base,
  core, observability, security, services, run by the Makefile as
  `docker compose -p arc-platform --env-file $(ENV_FILE) -f ... -f ...`.

Which files: `-f` first, else `COMPOSE_FILE` (shell or the env file, as compose reads
it), else the layout's. For the platform, the files the Makefile passes: an overlay
beside them (`docker-compose.production.yml`, out of date in the real repository) is
used only when the Makefile, `COMPOSE_FILE` or `-f` names it; a note says it was left out.
Started inside `deployments/docker/` (or below the root), the root is found by walking up.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from arctui.config.envfiles import EnvLayers, env_layers, env_name_of, with_compose_env_files
from arctui.config.errors import ConfigError
from arctui.config.settings import Settings
from arctui.filecache import yaml_file

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
    notes: tuple[str, ...] = ()  # how files were chosen, when not the obvious way

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


def _platform_files(platform: Path, overlays: bool = True) -> tuple[Path, ...]:
    if not platform.is_dir():
        return ()
    files = []
    for path in platform.iterdir():
        m = _PLATFORM_FILE.match(path.name)
        if m and path.is_file() and (overlays or m["part"] != PRODUCTION_OVERLAY):
            files.append(path)
    return tuple(sorted(files, key=_platform_order))


_MAKE_COMPOSE_FILE = re.compile(r"docker-compose\.[A-Za-z0-9_.-]+?\.ya?ml")
_MAKE_PROJECT = re.compile(
    r"docker[ -]compose\b[^\n]*?\s(?:-p|--project-name)[ =]([a-z0-9][a-z0-9_-]*)"
)


def _makefile_text(project_dir: Path) -> str:
    """The Makefile without its comments (one may say "production.yml is never passed")."""
    for name in ("GNUmakefile", "makefile", "Makefile"):
        try:
            text = (project_dir / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        return "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return ""


def makefile_compose_files(project_dir: Path) -> frozenset[str]:
    """Names of the platform compose files the project's Makefile mentions."""
    return frozenset(_MAKE_COMPOSE_FILE.findall(_makefile_text(project_dir)))


def makefile_project_name(project_dir: Path) -> str | None:
    """The `-p NAME` the Makefile passes to docker compose, if it passes a literal one."""
    m = _MAKE_PROJECT.search(_makefile_text(project_dir))
    return m.group(1) if m else None


def platform_selection(project_dir: Path) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """The platform files the operator's tooling uses, and notes on those left out."""
    everything = _platform_files(project_dir / PLATFORM_DIR)
    named = makefile_compose_files(project_dir)
    chosen: list[Path] = []
    notes: list[str] = []
    for path in everything:
        overlay = _PLATFORM_FILE.match(path.name)["part"] == PRODUCTION_OVERLAY  # type: ignore[index]
        if named and path.name not in named:
            notes.append(f"{PLATFORM_DIR / path.name} is not used: the Makefile never passes it")
        elif overlay and not named:
            notes.append(f"{PLATFORM_DIR / path.name} is not used: it is an overlay")
        else:
            chosen.append(path)
            continue
        notes[-1] += " (name it with -f or COMPOSE_FILE to add it)"
    return tuple(chosen), tuple(notes)


def discover_compose_files(project_dir: Path, production: bool = False) -> tuple[Path, ...]:
    """The compose files of the project in load order; ConfigError if there are none.

    `production` is accepted for compatibility: the production overlay is chosen by the
    Makefile, `COMPOSE_FILE` or `-f`, never implied by the environment's name.
    """
    del production
    for name in GUIDE_FILES:
        if (project_dir / name).is_file():
            stack = project_dir / STACK_FILE
            return (project_dir / name, stack) if stack.is_file() else (project_dir / name,)
    found, _ = platform_selection(project_dir)
    if not found:
        raise ConfigError(
            f"no compose file found: looked for {', '.join(GUIDE_FILES)} there"
            f" and for {PLATFORM_DIR}/docker-compose.*.yml (run from the project root,"
            " or pass --project-dir or -f)",
            project_dir,
        )
    return found


def _has_layout(directory: Path) -> bool:
    if any((directory / name).is_file() for name in GUIDE_FILES):
        return True
    return bool(_platform_files(directory / PLATFORM_DIR))


def find_project_root(start: Path) -> Path:
    """`start`, or the platform root above it when started inside `deployments/`."""
    if _has_layout(start):
        return start
    for parent in list(start.parents)[:4]:  # deployments/docker/<a>/<b> at most
        deployments = parent / PLATFORM_DIR.parts[0]
        if start.is_relative_to(deployments) and _platform_files(parent / PLATFORM_DIR):
            return parent
    return start


def _split_compose_file(value: str, environ: Mapping[str, str]) -> list[str]:
    separator = environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
    return [part for part in value.split(separator) if part.strip()]


def symlink_loop(path: Path) -> bool:
    """True when following `path` loops (a -> b -> a): `exists()` just says False."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _given_files(files: Sequence[str], project_dir: Path) -> tuple[Path, ...]:
    """`-f` paths: absolute, else relative to cwd if there, else to the project dir."""
    resolved: list[Path] = []
    for given in files:
        path = Path(given).expanduser()
        if not path.is_absolute():
            path = path if path.exists() else project_dir / path
        if path.exists() and not path.is_file():  # a directory, /dev/zero, a fifo
            kind = "a directory" if path.is_dir() else "not a regular file"
            raise ConfigError(f"is {kind}: -f needs a compose file", given)
        if not path.is_file():
            for candidate in dict.fromkeys((Path(given).expanduser(), path)):
                if symlink_loop(candidate):
                    raise ConfigError("is a symlink loop: -f needs a compose file", candidate)
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
    data = yaml_file(path)  # None if broken: compose reports that itself, with context
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
        # What the Makefile passes (`-p arc-platform` in the platform's).
        return makefile_project_name(project_dir) or PLATFORM_PROJECT

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
        what = "is not a directory" if project_dir.exists() else "does not exist"
        raise ConfigError(f"project directory {what}", project_dir)
    notes: list[str] = []
    root = project_dir if files else find_project_root(project_dir)
    if root != project_dir:
        notes.append(f"project root: {root} (found above {project_dir})")
        project_dir = root

    env_file = env_file or environ.get("ENV_FILE") or None
    if env is None and env_file:
        # `ENV_FILE=.env.prod make up` is how the platform picks prod: treat it as such,
        # so production safeguards cannot be skipped by choosing the file directly.
        env = env_name_of(Path(env_file))
    production = settings.is_production(env)
    layers = env_layers(project_dir, env, env_file, environ=environ)
    configured = environ.get("COMPOSE_FILE") or (
        layers.values["COMPOSE_FILE"].value if "COMPOSE_FILE" in layers.values else ""
    )
    if files:
        compose_files = _given_files(files, project_dir)
    elif configured:
        compose_files = _given_files(_split_compose_file(configured, environ), project_dir)
        notes.append("compose files from COMPOSE_FILE")
    else:
        compose_files = discover_compose_files(project_dir)
        if compose_files and compose_files[0].parent == project_dir / PLATFORM_DIR:
            notes.extend(platform_selection(project_dir)[1])
    layers = with_compose_env_files(layers, project_dir, env, declared_env_files(compose_files))
    spec = ProjectSpec(
        project_dir=project_dir,
        compose_files=compose_files,
        project_name=_project_name(project_name, environ, layers, compose_files, project_dir),
        env=env,
        env_files=layers.files,
        production=production,
        notes=tuple(notes),
    )
    return spec, layers


def _env_file_entries(value: object) -> list[tuple[str, bool]]:
    items = [value] if isinstance(value, str | dict) else value
    out = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            out.append((item["path"], bool(item.get("required", True))))
        elif isinstance(item, str):
            out.append((item, True))
    return out


def declared_env_files(compose_files: Sequence[Path]) -> dict[str, tuple[tuple[Path, bool], ...]]:
    """`env_file:` entries per service across the files (later files add), paths resolved.

    Read from the YAML itself: the rendered config merges env files into `environment`
    and no longer says which files they were. Relative paths are relative to the file.
    """
    found: dict[str, dict[Path, bool]] = {}
    for compose_file in compose_files:
        data = yaml_file(compose_file)  # None if broken: compose reports that itself
        services = data.get("services") if isinstance(data, dict) else None
        for name, svc in (services or {}).items() if isinstance(services, dict) else ():
            entries = _env_file_entries((svc or {}).get("env_file") or [])
            for path, required in entries:
                if "$" in path:
                    continue  # interpolated paths: compose knows, we would guess
                resolved = (compose_file.parent / Path(path).expanduser()).resolve()
                found.setdefault(str(name), {})[resolved] = required
    return {name: tuple(paths.items()) for name, paths in found.items()}

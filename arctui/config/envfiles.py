"""Env files with provenance: which file set each variable, and what it replaced.

Layering follows the platform (later wins):
1. the base file: root `.env`, or the file named by `ENV_FILE` / `--env-file`, which
   replaces `.env` (the Makefile's `ENV_FILE ?= .env`);
2. `.env.<env>` when an environment is chosen (the guide's `.env.prod`).
These root-level files are what `docker compose --env-file` receives.

Per-service files are kept apart (they feed one service each, not interpolation):
the guide's `config/<service>/.env` + `config/<service>/.env.<env>`, and the current
platform's `.env` beside each per-service `.env.example` (`core/caching/redis/.env`),
keyed by directory name.

Decisions:
- Values are read as written (`interpolate=False`): compose does the interpolation
  when it runs; here `${VAR}` stays visible and the file alone decides what is shown.
- A key without `=` (`FOO`) reads as ''. Compose would take it from the shell; the
  process environment is not merged here, so '' is what the files themselves say.
- The process environment is recorded, not merged: keys the files set that the shell
  also sets land in `process_overrides` (compose lets the shell win for
  interpolation), so the UI can say so without the files' values being rewritten.
- `missing` lists only files that were asked for: an explicit base file, `.env.<env>`,
  a service's `.env.<env>` when that service keeps files for other environments, a
  required `env_file:` of a compose service, and the default `.env` when a `.env.example`
  beside it says the project expects one (the platform's setup is `cp .env.example .env`).
- Per-service files are only what compose reads when a compose file names them in
  `env_file:`. The platform's per-service `.env` copies are named by none (its docs call
  them deprecated): they stay listed, keyed by directory, and `unused_scopes()` says so.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from arctui.config.errors import ConfigError
from arctui.config.masking import is_secret_key, url_passwords
from arctui.filecache import parsed
from arctui.models import EnvValue

PROCESS_SOURCE = "process environment"
WALK_DEPTH = 5
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages", "dist", "build"})
# `.env.<name>` files that are templates or local extras, not environments.
_NOT_ENVIRONMENTS = frozenset({"example", "sample", "template", "dist", "defaults", "local"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_ENV_SUFFIX = re.compile(r"^\.env\.([A-Za-z0-9_-]+)$")


@dataclass(frozen=True)
class EnvLayers:
    """The env files of a project, merged with provenance."""

    files: tuple[Path, ...] = ()
    values: Mapping[str, EnvValue] = field(default_factory=dict)
    per_service: Mapping[str, Mapping[str, EnvValue]] = field(default_factory=dict)
    missing: tuple[Path, ...] = ()
    replaced: tuple[EnvValue, ...] = ()  # earlier values that a later layer overrode
    process_overrides: Mapping[str, EnvValue] = field(default_factory=dict)
    scope_files: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)  # per_service key
    # Compose service -> its `env_file:` paths; None when the compose files were not read.
    compose_env_files: Mapping[str, tuple[Path, ...]] | None = None

    def scope_users(self, scope: str) -> tuple[str, ...]:
        """The compose services whose `env_file:` names a file of this per-service scope."""
        if self.compose_env_files is None:
            return ()
        files = {p.resolve() for p in self.scope_files.get(scope, ())}
        return tuple(sorted(s for s, paths in self.compose_env_files.items() if files & set(paths)))

    def unused_scopes(self) -> tuple[str, ...]:
        """Per-service scopes no compose file reads (empty when that is unknown)."""
        if self.compose_env_files is None:
            return ()
        return tuple(sorted(s for s in self.per_service if not self.scope_users(s)))

    def secret_values(self) -> list[str]:
        """Every non-empty secret value and URL password known, for a Redactor."""
        everything: list[EnvValue] = [*self.values.values(), *self.replaced]
        everything.extend(self.process_overrides.values())
        for service_values in self.per_service.values():
            everything.extend(service_values.values())
        found: dict[str, None] = {}  # ordered set
        for env_value in everything:
            if env_value.secret and env_value.value:
                found[env_value.value] = None
            for password in url_passwords(env_value.value):
                found[password] = None
        return list(found)


def env_name_of(path: Path) -> str | None:
    """The environment a file like `.env.prod` is for, or None (`.env`, templates)."""
    m = _ENV_SUFFIX.match(path.name)
    if m is None or m.group(1).lower() in _NOT_ENVIRONMENTS:
        return None
    return m.group(1)


def _parse_problem(statement: str) -> str:
    """What is wrong with a statement, naming its key but never showing its value."""
    # The value may be a password with a stray quote: it must not reach an error message.
    name, sep, _ = statement.partition("=")
    name = name.strip().removeprefix("export ").strip()
    if sep and _NAME.match(name):
        return f"cannot parse the value of {name} (unbalanced quote or stray text?)"
    return "cannot parse line: expected KEY=value"


def read_env_file(path: Path) -> dict[str, str]:
    """Read one env file; ConfigError if unreadable or if any line does not parse."""
    try:
        # utf-8-sig: editors on Windows save a BOM that would otherwise glue onto the key.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("env file not found", path) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError("env file is not UTF-8 text", path, line) from None
    except OSError as exc:
        raise ConfigError(f"cannot read env file: {exc.strerror or exc}", path) from None
    # Parsed once per text: python-dotenv (~10 ms to import) is not loaded at a cached read.
    values: dict[str, str] = parsed("dotenv", path, text, lambda t: _parse_env(t, path))
    return values


def _parse_env(text: str, path: Path) -> dict[str, str]:
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    # python-dotenv only logs bad lines and skips them; a dropped line here would be a
    # silently missing setting, so find them first (thread-safe, no logger hooks).
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise ConfigError(_parse_problem(binding.original.string), path, binding.original.line)
    raw = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {key: "" if value is None else value for key, value in raw.items()}


def _layer(paths: Iterable[Path]) -> tuple[dict[str, EnvValue], list[EnvValue]]:
    """Merge files in order (later wins), recording what each value replaced."""
    merged: dict[str, EnvValue] = {}
    replaced: list[EnvValue] = []
    for path in paths:
        for key, value in read_env_file(path).items():
            previous = merged.get(key)
            overridden: tuple[str, ...] = ()
            if previous is not None:
                replaced.append(previous)
                overridden = (*previous.overridden, previous.source)
            merged[key] = EnvValue(key, value, str(path), is_secret_key(key), overridden)
    return merged, replaced


def _root_candidates(
    project_dir: Path, env: str | None, env_file: str | None
) -> tuple[list[Path], list[Path]]:
    """Root-level files to read (existing) and those asked for but absent."""
    found: list[Path] = []
    missing: list[Path] = []
    base = project_dir / (".env" if env_file is None else Path(env_file).expanduser())
    # exists(), not is_file(): a directory or unreadable file must fail loudly on read.
    if base.exists():
        found.append(base)
    elif env_file is not None or (project_dir / ".env.example").is_file():
        missing.append(base)
    if env:
        overlay = project_dir / f".env.{env}"
        if overlay.resolve() == base.resolve():
            pass  # ENV_FILE=.env.prod with env prod: one file, read once
        elif overlay.exists():
            found.append(overlay)
        else:
            missing.append(overlay)
    return found, missing


def _walk(root: Path, depth: int) -> Iterator[tuple[Path, list[str]]]:
    """Directories under root (not root itself) with their file names, depth-limited."""
    for dirpath, dirnames, filenames in os.walk(root):
        current = Path(dirpath)
        level = len(current.relative_to(root).parts)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
        if level >= depth:
            dirnames[:] = []
        if level > 0:
            yield current, filenames


def service_env_dirs(project_dir: Path) -> dict[str, Path]:
    """Per-service config directories in both layouts, keyed by directory name."""
    dirs: dict[str, Path] = {}
    config = project_dir / "config"
    for path, names in _walk(project_dir, WALK_DEPTH):
        guide = path.parent == config and any(n == ".env" or n.startswith(".env.") for n in names)
        if not (guide or ".env.example" in names):
            continue
        key = path.name
        if key in dirs:  # two services with one name: tell them apart by path
            key = path.relative_to(project_dir).as_posix()
        dirs[key] = path
    return dirs


def _service_layers(directory: Path, env: str | None) -> tuple[list[Path], list[Path]]:
    """A service directory's files to read, and its `.env.<env>` if expected but absent."""
    found = [directory / ".env"] if (directory / ".env").is_file() else []
    if not env:
        return found, []
    overlay = directory / f".env.{env}"
    if overlay.is_file():
        return [*found, overlay], []
    # Only a service that keeps files for other environments is expected to have one.
    has_envs = any(env_name_of(p) for p in directory.glob(".env.*") if p.is_file())
    return found, [overlay] if has_envs else []


def env_layers(
    project_dir: Path,
    env: str | None,
    env_file: str | None = None,
    services: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> EnvLayers:
    """Read and layer a project's env files; `services` limits per-service results."""
    files, missing = _root_candidates(project_dir, env, env_file)
    values, replaced = _layer(files)

    wanted = set(services)
    per_service: dict[str, Mapping[str, EnvValue]] = {}
    scope_files: dict[str, tuple[Path, ...]] = {}
    for name, directory in service_env_dirs(project_dir).items():
        if wanted and name not in wanted:
            continue
        service_files, service_missing = _service_layers(directory, env)
        missing.extend(service_missing)
        if service_files:
            service_values, service_replaced = _layer(service_files)
            per_service[name] = service_values
            scope_files[name] = tuple(service_files)
            replaced.extend(service_replaced)

    process: dict[str, EnvValue] = {}
    for key, file_value in values.items():
        if environ is not None and key in environ:
            process[key] = EnvValue(
                key, environ[key], PROCESS_SOURCE, file_value.secret, (file_value.source,)
            )
    return EnvLayers(
        files=tuple(files),
        values=values,
        per_service=per_service,
        missing=tuple(missing),
        replaced=tuple(replaced),
        process_overrides=process,
        scope_files=scope_files,
    )


def with_compose_env_files(
    layers: EnvLayers,
    project_dir: Path,
    env: str | None,
    declared: Mapping[str, Sequence[tuple[Path, bool]]],
) -> EnvLayers:
    """Add what compose's `env_file:` entries read: (path, required) per service."""
    del project_dir, env  # paths arrive resolved; kept for symmetry with env_layers
    per_service = dict(layers.per_service)
    scope_files = dict(layers.scope_files)
    missing = list(layers.missing)
    replaced = list(layers.replaced)
    known = {p.resolve() for files in scope_files.values() for p in files}
    for service, entries in sorted(declared.items()):
        missing.extend(p for p, required in entries if required and not p.exists())
        paths = [p for p, _ in entries if p.exists() and p.resolve() not in known]
        if not paths:
            continue
        values, service_replaced = _layer(paths)
        key = service if service not in per_service else f"{service} (env_file)"
        per_service[key] = values
        scope_files[key] = tuple(paths)
        replaced.extend(service_replaced)
    return dataclasses.replace(
        layers,
        per_service=per_service,
        scope_files=scope_files,
        missing=tuple(dict.fromkeys(missing)),
        replaced=tuple(replaced),
        compose_env_files={s: tuple(p for p, _ in e) for s, e in declared.items()},
    )

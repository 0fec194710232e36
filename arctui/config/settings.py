"""User settings: `settings.yaml` in the XDG config dir, with per-environment overrides.

    refresh: 2.0            # seconds between polls, 0.2 .. 3600
    theme: arc-dark
    keymap: default
    keys:                   # per binding id, over the keymap (ids: the help screen, `?`)
      services.restart: ctrl+r
    read_only: false
    production_envs: [prod, production]
    postgres_dsn: postgresql://arc:secret@db.example:5432/arc_db   # a database outside the stack
    redis_url: rediss://:secret@cache.example:6380/0                 # likewise (rediss = TLS)
    prometheus_url: http://127.0.0.1:9090                           # the Metrics tab's Prometheus
    envs:
      prod: {read_only: true, refresh: 5, postgres_dsn: "postgresql://..."}

A missing file means defaults. Anything else wrong (bad YAML, a wrong type, an unknown
key) is a ConfigError naming the file and key: a typo in `read_only` must not silently
leave production writable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from arctui.config.backups import BackupSettings, check_backup_settings
from arctui.config.engines import EngineSpec, check_engine_settings
from arctui.config.errors import ConfigError, SettingError
from arctui.config.recorder import RecorderSettings, check_recorder_settings
from arctui.quoting import quoted

if TYPE_CHECKING:
    from arctui.config.custom_commands import CustomCommand

APP_NAME = "arctui"
REFRESH_MIN = 0.2
REFRESH_MAX = 3600.0


def _xdg_dir(variable: str, fallback: str) -> Path:
    # The XDG spec says relative values are invalid and must be ignored.
    value = os.environ.get(variable, "")
    base = Path(value) if value and os.path.isabs(value) else Path.home() / fallback
    return base / APP_NAME


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/arctui`, else `~/.config/arctui`."""
    return _xdg_dir("XDG_CONFIG_HOME", ".config")


def state_dir() -> Path:
    """`$XDG_STATE_HOME/arctui`, else `~/.local/state/arctui` (audit log, history)."""
    return _xdg_dir("XDG_STATE_HOME", ".local/state")


def project_state_file(kind: str, project: str, suffix: str) -> Path:
    """`state_dir()/<kind>/<project><suffix>`, the project name made safe for a file: one
    file per project, so two projects' (or the demo's) state never mix."""
    import re

    name = re.sub(r"[^A-Za-z0-9_.-]", "_", project).lstrip(".") or "default"
    return state_dir() / kind / f"{name}{suffix}"


def settings_path() -> Path:
    """Where the settings file is read from by default."""
    return config_dir() / "settings.yaml"


def _refresh(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a number of seconds ({REFRESH_MIN}..{REFRESH_MAX:g})")
    if not math.isfinite(value) or not REFRESH_MIN <= value <= REFRESH_MAX:
        raise ValueError(f"between {REFRESH_MIN} and {REFRESH_MAX:g} seconds")
    return float(value)


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value.strip()


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError("a list of environment names")
    return tuple(value)


class _SecretValueError(ValueError):
    """A bad value that may hold a password: the error names the problem, never the value."""


def _url(value: object, schemes: tuple[str, ...], example: str) -> str:
    """A URL of one of `schemes`, checked without echoing it (it may carry a password)."""
    wanted = f"a {' or '.join(s + '://' for s in schemes)} URL like {example}"
    if not isinstance(value, str) or not value.strip():
        raise _SecretValueError(wanted)
    text = value.strip()
    if any(c.isspace() or not c.isprintable() for c in text):
        raise _SecretValueError(f"{wanted} (no spaces or control characters)")
    try:
        parts = urlsplit(text)
        port = parts.port  # ValueError for a port that is not 0..65535
    except ValueError:
        raise _SecretValueError(f"{wanted} (the host or port does not parse)") from None
    if parts.scheme.lower() not in schemes:
        scheme = quoted(parts.scheme or text.partition(":")[0], 20)
        raise _SecretValueError(f"{wanted}, not scheme {scheme}")
    if port == 0:
        raise _SecretValueError(f"{wanted} (port 0)")
    return text


def _postgres_dsn(value: object) -> str:
    # libpq takes both schemes; the keyword form (host=... password=...) is not taken here:
    # one form keeps the password part findable for the redactor.
    return _url(value, ("postgresql", "postgres"), "postgresql://user:password@host:5432/db")


def _redis_url(value: object) -> str:
    text = _url(value, ("redis", "rediss"), "redis://:password@host:6379/0")
    parts = urlsplit(text)
    if not parts.hostname:
        raise _SecretValueError("a redis:// or rediss:// URL with a host (redis://host:6379/0)")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise _SecretValueError("a redis:// URL whose path is a database number (/0)")
    return text


def _prometheus_url(value: object) -> str:
    # The stack's Prometheus by URL (an SSH tunnel, a Prometheus outside the stack).
    text = _url(value, ("http", "https"), "http://127.0.0.1:9090")
    if not urlsplit(text).hostname:
        raise _SecretValueError("an http:// or https:// URL with a host (http://host:9090)")
    return text


def url_secrets(url: str) -> list[str]:
    """The password parts of a DSN or URL: `user:password@` and `?password=`, decoded too."""
    try:
        parts = urlsplit(url)
        found = [parts.password or ""]
        found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "password"]
    except ValueError:
        return []
    found += [unquote(v) for v in found]
    return [v for v in dict.fromkeys(found) if v]


# Keys an environment may override, and how each is checked.
_OVERRIDABLE: dict[str, Callable[[object], Any]] = {
    "refresh": _refresh,
    "theme": _name,
    "keymap": _name,
    "read_only": _flag,
    # A database outside the stack, per environment (prod and staging differ).
    "postgres_dsn": _postgres_dsn,
    "redis_url": _redis_url,
    "prometheus_url": _prometheus_url,
}


def _keys(value: object) -> Mapping[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip()
        for k, v in value.items()
    ):
        raise ValueError("a mapping of binding id to keys (services.stop: ctrl+x)")
    return MappingProxyType({k.strip(): v.strip() for k, v in value.items()})


# The commands and alerts schemas are imported only when a file has that section: a
# headless `status` with no settings file (or none of them) does not pay for them.
def _check_commands(value: object) -> Any:
    from arctui.config.custom_commands import check_custom_commands

    return check_custom_commands(value)


def _check_alerts(value: object) -> Any:
    from arctui.config.alerts import check_alert_settings

    return check_alert_settings(value)


_TOP_LEVEL: dict[str, Callable[[object], Any]] = {
    **_OVERRIDABLE,
    "production_envs": _names,
    "keys": _keys,
    "backups": check_backup_settings,
    "commands": _check_commands,
    "recorder": check_recorder_settings,
    "alerts": _check_alerts,
    "engines": check_engine_settings,
}
_VALID_KEYS = (*_TOP_LEVEL, "envs")


def _describe(value: object) -> str:
    return quoted(value, 40)


def _check(
    data: Mapping[object, object],
    checkers: Mapping[str, Callable[[object], Any]],
    valid: tuple[str, ...],
    where: str,
    path: Path | None,
) -> dict[str, Any]:
    """Validated, converted values of one mapping; ConfigError on the first problem."""
    checked: dict[str, Any] = {}
    for key, value in data.items():
        if key not in checkers:
            name = quoted(f"{where}{key}")
            raise ConfigError(f"unknown key {name}; valid keys: {', '.join(valid)}", path)
        try:
            checked[str(key)] = checkers[str(key)](value)
        except SettingError as exc:  # an entry inside the setting's mapping
            got = f", got {_describe(exc.value)}" if exc.has_value else ""
            name = quoted(f"{where}{key}.{exc.key}")
            raise ConfigError(f"key {name} {exc.reason}{got}", path) from None
        except _SecretValueError as exc:
            raise ConfigError(f"key '{where}{key}' must be {exc}", path) from None
        except ValueError as exc:
            raise ConfigError(
                f"key '{where}{key}' must be {exc}, got {_describe(value)}", path
            ) from None
    return checked


def _check_env_overrides(overrides: object, env: str, path: Path | None) -> dict[str, Any]:
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"envs.{env} must be a mapping of settings", path)
    return _check(overrides, _OVERRIDABLE, tuple(_OVERRIDABLE), f"envs.{env}.", path)


@dataclass(frozen=True)
class Settings:
    """The user's settings; `for_env` gives the ones in force for one environment."""

    refresh: float = 2.0
    theme: str = "arc-dark"
    keymap: str = "default"
    read_only: bool = False
    production_envs: tuple[str, ...] = ("prod", "production")
    envs: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    # Binding id -> keys, applied over whichever keymap is in force.
    keys: Mapping[str, str] = field(default_factory=dict)
    # backups: {dir, keep_days, rpo_minutes, rto_minutes, ...} (the schema: config/backups.py)
    backups: BackupSettings = field(default_factory=BackupSettings)
    # commands: the operator's own commands (name, command, scope, dangerous, help)
    commands: tuple[CustomCommand, ...] = ()
    # recorder: {interval, keep_days, max_bytes} (the schema: config/recorder.py)
    recorder: RecorderSettings = field(default_factory=RecorderSettings)
    # alerts: {targets, quiet_hours, rules} (the schema: config/alerts.py)
    alerts: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # engines: more Docker engines watched beside the default one (config/engines.py)
    engines: tuple[EngineSpec, ...] = ()
    # Overrides of the Postgres and Redis discovery (a database outside the stack);
    # ARCTUI_POSTGRES_DSN and a REDIS_URL given on the command line still win.
    postgres_dsn: str | None = field(default=None, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    # The Metrics tab's Prometheus (ARCTUI_PROMETHEUS_URL wins over it).
    prometheus_url: str | None = field(default=None, repr=False)
    path: Path | None = field(default=None, compare=False)  # for error messages

    def secrets(self) -> list[str]:
        """The passwords in the DSN and URL, every environment's too (for the redactor)."""
        urls: list[object] = [self.postgres_dsn, self.redis_url, self.prometheus_url]
        for overrides in self.envs.values():
            urls += [overrides.get(k) for k in ("postgres_dsn", "redis_url", "prometheus_url")]
        return [s for u in urls if isinstance(u, str) for s in url_secrets(u)]

    def is_production(self, env: str | None) -> bool:
        """True when `env` is one of `production_envs` (case-insensitive)."""
        if not env:
            return False
        return env.casefold() in {e.casefold() for e in self.production_envs}

    def for_env(self, env: str | None) -> Settings:
        """These settings with `envs.<env>` applied (exact name first, then any case)."""
        if not env:
            return self
        overrides = self.envs.get(env)
        if overrides is None:
            matches = [v for k, v in self.envs.items() if k.casefold() == env.casefold()]
            overrides = matches[0] if matches else None
        if overrides is None:
            return self
        return replace(self, **_check_env_overrides(overrides, env, self.path))


def load_settings(path: Path | None = None) -> Settings:
    """Read settings from `path` (default `settings_path()`); missing file means defaults."""
    path = settings_path() if path is None else path
    try:
        os.stat(path)
    except FileNotFoundError:  # the usual case: defaults, and PyYAML (~12 ms) not imported
        return Settings(path=path)
    except OSError:
        pass  # said below, by the read
    import yaml

    from arctui.yamlio import ConfigTooLarge, load_config_yaml, read_config_text, yaml_problem

    try:
        text = read_config_text(path, "settings")
    except FileNotFoundError:
        return Settings(path=path)
    except ConfigTooLarge as exc:
        raise ConfigError(str(exc), path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read settings: {exc}", path) from None
    try:
        data = load_config_yaml(text)  # duplicate keys and .inf/.nan are errors here
    except yaml.YAMLError as exc:
        problem, line = yaml_problem(exc)
        raise ConfigError(f"invalid YAML: {problem}", path, line) from None
    if data is None:
        return Settings(path=path)
    if not isinstance(data, dict):
        raise ConfigError(f"settings must be a mapping of keys, got {_describe(data)}", path)

    envs_data = data.pop("envs", None)
    envs_data = {} if envs_data is None else envs_data
    checked = _check(data, _TOP_LEVEL, _VALID_KEYS, "", path)
    if not isinstance(envs_data, dict):
        raise ConfigError("key 'envs' must be a mapping of environment name to settings", path)
    envs: dict[str, Mapping[str, object]] = {}
    for env, overrides in envs_data.items():
        envs[str(env)] = MappingProxyType(_check_env_overrides(overrides, str(env), path))
    return Settings(**checked, envs=MappingProxyType(envs), path=path)

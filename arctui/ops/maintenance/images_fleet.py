"""Images over several engines (issue 24): each engine's check on a thread of its own.

Every engine runs the same project, but each has its own images (a pull on staging
changes nothing on production), so each is checked against its own engine and its own
registry client (insecure registries come from that engine's `/info`). An engine that
does not answer within its budget gets a report with the error; the others' rows show.
A fleet of one is checked on the calling thread, as before. No Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arctui.ops.fleet_read import read_fleet
from arctui.ops.maintenance.images import ImagesChecker, ImagesReport
from arctui.sources.registry import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from arctui.models import StackSnapshot
    from arctui.session import Session

# A check HEADs the registries after the engine answered: a few rounds of their timeout.
REGISTRY_BUDGET = 3 * DEFAULT_TIMEOUT


@dataclass(frozen=True)
class EngineImages:
    """One engine's images report, named by its engine and env."""

    engine: str
    env: str
    production: bool
    read_only: bool
    report: ImagesReport

    def as_json(self) -> dict[str, Any]:
        """The report with its engine's name, env and rules."""
        return {
            "engine": self.engine,
            "env": self.env,
            "production": self.production,
            "read_only": self.read_only,
            **self.report.as_json(),
        }


def checkers_for(sessions: Sequence[Session]) -> dict[str, ImagesChecker]:
    """One checker (and registry cache) per engine, by engine name."""
    return {s.engine_name: ImagesChecker(s) for s in sessions}


def fleet_images(
    checkers: Sequence[ImagesChecker],
    snapshot_of: Callable[[str], StackSnapshot | None] = lambda _name: None,
    force: bool = False,
) -> list[EngineImages]:
    """Every checker's engine checked at once, in `checkers`' order.

    `snapshot_of(engine)`: the engine's last stack snapshot (None: its reader's latest)."""
    by_name = {c.session.engine_name: c for c in checkers}

    def read(session: Session) -> ImagesReport:
        return by_name[session.engine_name].read(snapshot_of(session.engine_name), force=force)

    sessions = tuple(c.session for c in checkers)
    reads = read_fleet(sessions, read, notices=False, extra=REGISTRY_BUDGET)
    out = []
    for r in reads:
        s = r.session
        report = r.value
        if report is None:
            report = ImagesReport(s.project, (), s.clock(), error=r.error or "not read")
        out.append(EngineImages(s.engine_name, s.env, s.production, s.read_only, report))
    return out

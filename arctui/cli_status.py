"""Headless `arctui status [--json]` over every engine of the session's fleet (issue 24).

Each engine is read on its own thread within its own time (ops/fleet_read.py): one that
does not answer is reported "unreachable: <reason>" and the others still print. Every
JSON row names its engine; the text table gains an ENGINE column only when there is more
than one engine. Exit: 0 all well, 1 a service needs attention, a compose file does not
render or an engine is unreachable (others printed), 3 no engine could be read.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from arctui.output import emit, emit_json, error

if TYPE_CHECKING:
    from arctui.models import ComposeModel, StackSnapshot
    from arctui.ops.fleet_read import EngineRead
    from arctui.session import Session

Read = tuple["StackSnapshot", "ComposeModel | None"]


def _read(session: Session) -> Read:
    snapshot = session.reader.read()
    # A file set that renders only in part: the model says why (cached, no second render).
    model = session.reader.compose_model()[0] if session.reader.compose else None
    return snapshot, model


def _problem(snapshot: StackSnapshot, model: ComposeModel | None) -> str | None:
    return snapshot.compose_error or (model.problem if model is not None else None)


def status_command(session: Session, as_json: bool) -> int:
    """`arctui status`: the services of every engine; the exit code (module doc)."""
    from arctui.ops.fleet_read import read_fleet
    from arctui.stack.report import status_rows

    fleet = session.fleet
    try:
        reads = read_fleet(fleet.all, _read)
    finally:
        for member in fleet.all:
            member.reader.containers.close()
    good = [r for r in reads if r.value is not None]
    if not good:
        for r in reads:
            where = f"engine {r.name}: " if fleet.multi else ""
            reason = r.error or ""
            if not fleet.multi:  # one engine: its reason as before
                reason = reason.removeprefix("unreachable: ")
            error(f"{where}{reason}" + (f"\n  fix: {r.fix}" if r.fix else ""))
        return 3
    rows: list[dict[str, Any]] = []
    for r in good:
        assert r.value is not None
        rows += [{"engine": r.name, **row} for row in status_rows(r.value[0])]
    primary = reads[0].value  # the primary's compose view, as before (None: unreachable)
    model = primary[1] if primary is not None else None
    problem = _problem(*primary) if primary is not None else None
    if as_json:
        emit_json(
            {
                "project": session.project,
                "services": rows,
                "compose_error": problem,
                "compose_warnings": len(model.warnings) if model is not None else 0,
                "missing_networks": list(model.missing_networks) if model is not None else [],
                "notes": list(session.spec.notes) if session.spec else [],
                "engines": [_engine_json(r) for r in reads],
            }
        )
    else:
        _text(session, reads, rows)
    problems = [
        r
        for r in rows
        if r["state"] not in ("running", "not created") or r["health"] == "unhealthy"
    ]
    broken = any(r.value is not None and _problem(*r.value) for r in reads)
    unreachable = len(good) < len(reads)
    # A file set that does not render needs attention too (the README's exit code 1).
    return 1 if problems or broken or unreachable else 0


def _engine_json(r: EngineRead[Read]) -> dict[str, Any]:
    out = r.describe()
    out["compose_error"] = _problem(*r.value) if r.value is not None else None
    out["services"] = len(r.value[0].services) if r.value is not None else None
    return out


def _text(session: Session, reads: list[EngineRead[Read]], rows: list[dict[str, Any]]) -> None:
    from arctui.stack.report import marker_legend, name_with_marks

    multi = session.fleet.multi
    for note in session.spec.notes if session.spec else ():
        emit(f"note: {note}", file=sys.stderr)
    views = []
    for r in reads:
        if r.value is None:
            continue
        snapshot, model = r.value
        where = f"engine {r.name}: " if multi else ""
        if problem := _problem(snapshot, model):
            emit(f"warning: {where}{problem}", file=sys.stderr)
        for name in model.missing_networks if model is not None else ():
            emit(
                f"warning: {where}external network {name} does not exist on the engine:"
                " `up` will fail on it",
                file=sys.stderr,
            )
        views += list(snapshot.services)
    marked = [{**row, "service": name_with_marks(v)} for row, v in zip(rows, views, strict=True)]
    cols: tuple[str, ...] = ("service", "role", "state", "health", "restarts", "exit", "image")
    if multi:
        cols = ("engine", *cols)
    widths = {c: max([len(c)] + [len(str(r[c] or "")) for r in marked]) for c in cols}
    emit("  ".join(c.upper().ljust(widths[c]) for c in cols))
    for row in marked:
        emit("  ".join(str(row[c] if row[c] is not None else "-").ljust(widths[c]) for c in cols))
    down = [r for r in reads if r.value is None]
    if down:
        emit("")
    for r in down:  # on stdout, in the report: the other engines' rows are above
        emit(f"engine {r.name}: {r.error}")
        if r.fix:
            emit(f"  fix: {r.fix}")
    for r in reads:
        for notice in r.notices:
            emit(f"note: {notice}", file=sys.stderr)
    legend = marker_legend(views)
    if legend:
        emit("")
        for line in legend:
            emit(line)

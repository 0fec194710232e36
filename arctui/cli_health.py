"""Headless `arctui health`, `arctui doctor` and `arctui diagnostics` (no Textual).

Exit codes (README "Health, doctor and diagnostics"):
- health: 0 every service healthy (or not created), 1 any is not or the stack cannot be
  read, 2 usage or configuration error (an unknown --service);
- doctor: 0 no finding, 1 findings, 2 usage or configuration error;
- diagnostics: 0 bundle written, 1 it (or one of its members) could not be written,
  2 usage error.
Every line goes through `arctui.output` (sanitized and redacted).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from arctui.output import emit, emit_json, error, table
from arctui.session import Session

COMMANDS = ("health", "doctor", "diagnostics")


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: seconds must be a number") from None
    if not 0.2 <= seconds <= 60:
        raise argparse.ArgumentTypeError("timeout must be between 0.2 and 60 seconds")
    return seconds


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `health`, `doctor` and `diagnostics` to the CLI."""
    health = sub.add_parser(
        "health", help="probe every service; root cause along depends_on (exit 1 if unhealthy)"
    )
    health.add_argument("--json", action="store_true", help="machine-readable output")
    health.add_argument("--service", action="append", default=[], help="only this service")
    health.add_argument("--no-probe", action="store_true", help="Docker's view only")
    health.add_argument("--timeout", type=_seconds, default=3.0, help="seconds per probe")
    doctor = sub.add_parser(
        "doctor", help="run every troubleshooting check and the security check (exit 1 if any)"
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument("--wizard", action="append", default=[], help="only this wizard")
    _engine_option(doctor, "only this engine's checks (default: every engine)")
    diag = sub.add_parser("diagnostics", help="write a redacted diagnostics bundle (.tar.gz)")
    diag.add_argument(
        "-o", "--output", type=Path, help="bundle path (default ./arc-diagnostics-<time>.tar.gz)"
    )
    diag.add_argument("--log-lines", type=int, default=500, help="log lines per service")
    diag.add_argument("--json", action="store_true", help="print the bundle's summary as JSON")
    _engine_option(diag, "only this engine (default: every engine, a folder each)")


def _engine_option(p: argparse.ArgumentParser, text: str) -> None:
    # The global --engine NAME=HOST adds engines; this one picks one (as the actions do).
    p.add_argument("--engine", dest="target_engine", metavar="NAME", help=text)


def _engines(session: Session, args: argparse.Namespace) -> tuple[Session, ...] | None:
    """The engines `--engine` names (every engine without it); None: said why."""
    from arctui.ops.fleet_read import EngineChoiceError, chosen_engines

    try:
        return chosen_engines(session, getattr(args, "target_engine", None))
    except EngineChoiceError as exc:
        error(str(exc))
        return None


def run(session: Session, args: argparse.Namespace) -> int:
    """Dispatch one of COMMANDS."""
    try:
        if args.command == "health":
            return _health(session, args)
        if args.command == "doctor":
            return _doctor(session, args)
        return _diagnostics(session, args)
    finally:
        for member in session.fleet.all:
            member.reader.containers.close()


def _health(session: Session, args: argparse.Namespace) -> int:
    """Every engine's report (each read within its own time); one table, ENGINE column
    with more than one engine. A fleet of one prints as it always did."""
    from arctui.ops.fleet_read import read_fleet
    from arctui.ops.health.report import build_report
    from arctui.sources.base import SourceError

    def read(member: Session) -> Any:
        report = build_report(member, probe=not args.no_probe, timeout=args.timeout)
        if report.error is not None and session.fleet.multi:
            raise SourceError(report.error)  # this engine is unreachable: the others print
        return report, member.reader.last  # the snapshot it was built on

    fleet = session.fleet
    extra = 0.0 if args.no_probe else args.timeout * 3 + 5  # the probes after the read
    reads = read_fleet(fleet.all, read, extra=extra)
    good = [(r.name, *r.value) for r in reads if r.value is not None]
    if args.service and good and all(rep.error is None for _n, rep, _s in good):
        known = {s.service for _n, rep, _s in good for s in rep.services}
        unknown = [s for s in args.service if s not in known]
        if unknown:
            error(f"no service called {', '.join(unknown)} (services: {', '.join(sorted(known))})")
            return 2
        wanted = set(args.service)
        good = [
            (
                n,
                dataclasses.replace(
                    rep, services=tuple(s for s in rep.services if s.service in wanted)
                ),
                snap,
            )
            for n, rep, snap in good
        ]
    healthy = len(good) == len(reads) and all(rep.healthy for _n, rep, _s in good)
    if args.json:
        emit_json(_health_json(reads, good) if fleet.multi else _one_json(reads[0], good[0]))
        return 0 if healthy else 1
    if not fleet.multi and good[0][1].error:
        error(f"cannot read the stack: {good[0][1].error}")
        return 1
    if not good:
        for r in reads:
            error(f"engine {r.name}: {r.error}")
        return 1
    for line in fleet_health_lines(good, multi=fleet.multi):
        emit(line)
    for r in reads:
        if r.value is None:
            emit(f"engine {r.name}: {r.error}")
        for notice in r.notices:
            emit(f"note: {notice}", file=sys.stderr)
    return 0 if healthy else 1


def _one_json(read: Any, item: tuple[str, Any, Any]) -> dict[str, Any]:
    """One engine: the documented schema-1 JSON, each service naming its engine."""
    name, report, _snapshot = item
    out = report.to_json()
    out["services"] = [{"engine": name, **s} for s in out["services"]]
    out["engines"] = [{**read.describe(), "healthy": report.healthy, "error": report.error}]
    return out


def _health_json(reads: list[Any], good: list[tuple[str, Any, Any]]) -> dict[str, Any]:
    """Several engines: the same keys over all of them, and `engines` with each one's."""
    by_name = {n: rep for n, rep, _s in good}
    first = good[0][1] if good else None
    counts: dict[str, int] = {}
    for _n, rep, _s in good:
        for key, value in rep.counts().items():
            counts[key] = counts.get(key, 0) + value
    engines = []
    for r in reads:
        rep = by_name.get(r.name)
        engines.append(
            {
                **r.describe(),
                "healthy": bool(rep and rep.healthy),
                "error": r.error or (rep and rep.error),
            }
        )
    down = [f"engine {r.name}: {r.error}" for r in reads if r.error]
    return {
        "schema": first.to_json()["schema"] if first else 1,
        "project": reads[0].session.project,
        "env": reads[0].session.env,
        "taken_at": round(max((rep.taken_at for _n, rep, _s in good), default=0.0), 3),
        "duration_ms": round(max((rep.duration_ms for _n, rep, _s in good), default=0.0), 1),
        "healthy": not down and all(rep.healthy for _n, rep, _s in good),
        "error": "; ".join(down) or None,
        "counts": counts,
        "services": [{"engine": n, **s.to_json()} for n, rep, _s in good for s in rep.services],
        "engines": engines,
    }


def health_lines(report: object, snapshot: object = None) -> list[str]:
    """The text report: a table, then the root causes and failing probes' evidence.

    Given the snapshot the report was built on, names carry the Services tab's `?` and
    `⇄` markers and a legend says what they mean.
    """
    return fleet_health_lines([("", report, snapshot)], multi=False)


def fleet_health_lines(items: list[tuple[str, Any, Any]], multi: bool) -> list[str]:
    """`health_lines` over (engine, report, snapshot) items: one table, an ENGINE column
    and engine-named notes and summaries when `multi`."""
    from arctui.models import StackSnapshot
    from arctui.ops.health.models import HealthReport
    from arctui.stack.report import marker_legend, name_with_marks

    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    summaries: list[str] = []
    all_views = []
    for engine, report, snapshot in items:
        assert isinstance(report, HealthReport)
        views = snapshot.services if isinstance(snapshot, StackSnapshot) else ()
        wanted = {s.service for s in report.services}
        views = tuple(v for v in views if v.name in wanted)
        all_views += list(views)
        names = {v.name: name_with_marks(v) for v in views}
        where = f"{engine}: " if multi else ""
        for s in report.services:
            p = s.probe
            probe = "-" if p is None else p.target
            result = "-" if p is None else {True: "ok", False: "FAIL", None: "?"}[p.ok]
            ms = "-" if p is None or p.latency_ms is None else f"{p.latency_ms:.0f} ms"
            name = names.get(s.service, s.service)
            row = (name, s.verdict, s.docker_health or "-", result, ms, probe)
            rows.append((engine, *row) if multi else row)
        for s in report.services:
            if s.ok:
                continue
            notes.append(f"{where}{s.line()}")
            if s.root_cause is not None and s.root_cause.evidence:
                notes.append(f"    {s.root_cause.service}: {s.root_cause.evidence}")
            elif s.probe is not None and s.probe.ok is False:
                notes.append(f"    probe {s.probe.target}: {s.probe.output}")
            elif s.health_output:
                notes.append(f"    health check: {s.health_output}")
        counts = {k: v for k, v in report.counts().items() if v}
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        label = f"{engine} · {report.project}" if multi else report.project
        summaries.append(f"{label}: {summary} ({report.duration_ms:.0f} ms)")
    head: tuple[str, ...] = ("SERVICE", "VERDICT", "DOCKER", "PROBE", "LATENCY", "TARGET")
    if multi:
        head = ("ENGINE", *head)
    # Cells are redacted and cleaned before they are padded (output.table).
    out = table([head, *rows], caps=(*[48] * (len(head) - 1), None))
    if notes:
        out += ["", *notes]
    legend = marker_legend(all_views)
    if legend:
        out += ["", *legend]
    out += ["", *summaries]
    return out


def _doctor(session: Session, args: argparse.Namespace) -> int:
    from arctui.ops.doctor import WIZARDS, run_doctor
    from arctui.ops.doctor.models import WizardResult

    ids = [w.id for w in WIZARDS]
    unknown = [w for w in args.wizard if w not in ids]
    if unknown:
        error(f"no wizard called {', '.join(unknown)} (wizards: {', '.join(ids)})")
        return 2
    engines = _engines(session, args)
    if engines is None:
        return 2
    if session.fleet.multi:  # every engine (or --engine's), each finding naming its engine
        return _fleet_doctor(engines, args)
    if args.json:
        report = run_doctor(session, only=tuple(args.wizard))
        emit_json(report.to_json())
        return 1 if report.findings else 0
    # Text: each check is printed as it finishes (a paged operator sees it working).
    from arctui.ops.doctor.context import DoctorContext
    from arctui.ops.doctor.models import result_lines, step_line

    def ended(result: WizardResult) -> None:
        for line in [*result_lines(result), ""]:
            emit(line)

    ctx = DoctorContext(session, on_step=lambda _id, step: emit(step_line(step)))
    report = run_doctor(
        session,
        only=tuple(args.wizard),
        ctx=ctx,
        on_start=lambda wizard: emit(f"== {wizard.title}"),
        on_result=ended,
    )
    n = len(report.findings)
    _legend(session)
    emit(f"{report.project}: {n} finding{'s' if n != 1 else ''}")
    return 1 if n else 0


DOCTOR_BUDGET = 120.0  # seconds past an engine's read budget before it is left behind


def _named(engine: str, result: Any) -> Any:
    """A wizard's result whose findings name their engine (`ENGINE/service`)."""
    findings = tuple(
        dataclasses.replace(f, service=f"{engine}/{f.service}" if f.service else engine)
        for f in result.findings
    )
    return dataclasses.replace(result, findings=findings)


def _fleet_doctor(engines: tuple[Session, ...], args: argparse.Namespace) -> int:
    """Every engine's checks at once, each within its own time; printed engine by engine."""
    from arctui.ops.doctor import run_doctor
    from arctui.ops.doctor.models import result_lines, step_line
    from arctui.ops.fleet_read import read_fleet

    reads = read_fleet(
        engines, lambda m: run_doctor(m, only=tuple(args.wizard)), extra=DOCTOR_BUDGET
    )
    total = sum(len(r.value.findings) for r in reads if r.value is not None)
    down = [r for r in reads if r.value is None]
    if args.json:
        wizards, described = [], []
        for r in reads:
            rep = r.value
            found = len(rep.findings) if rep is not None else None
            described.append({**r.describe(), "findings": found})
            for result in rep.results if rep is not None else ():
                data = result.to_json()
                data["findings"] = [{"engine": r.name, **f} for f in data["findings"]]
                wizards.append({"engine": r.name, **data})
        emit_json(
            {
                "schema": 1,
                "project": engines[0].project,
                "env": engines[0].env,
                "taken_at": round(engines[0].clock(), 3),
                "findings": total,
                "engines": described,
                "wizards": wizards,
            }
        )
        return 1 if total or down else 0
    summary = []
    for r in reads:
        if r.value is None:
            emit(f"== engine {r.name}: {r.error}")
            emit("")
            summary.append(f"{r.name}: not checked ({r.error})")
            continue
        for result in r.value.results:
            emit(f"== {r.name}: {result.title}")
            for line in [*map(step_line, result.steps), *result_lines(_named(r.name, result))]:
                emit(line)
            emit("")
        n = len(r.value.findings)
        summary.append(f"{r.name}: {n} finding{'s' if n != 1 else ''}")
    for notice in (n for r in reads for n in r.notices):
        emit(f"note: {notice}", file=sys.stderr)
    emit(f"{engines[0].project}: {total} finding{'s' if total != 1 else ''} ({'; '.join(summary)})")
    return 1 if total or down else 0


def _legend(session: Session) -> None:
    """The `?`/`⇄` services of the stack the checks looked at, and what that means."""
    from arctui.stack.report import marker_legend

    snapshot = session.reader.last
    for line in marker_legend(snapshot.services if snapshot is not None else ()):
        emit(f"note: {line}")


def _diagnostics(session: Session, args: argparse.Namespace) -> int:
    from arctui.ops.diagnostics import DiagnosticsError, write_bundle

    if args.log_lines < 0 or args.log_lines > 100_000:
        error("--log-lines must be between 0 and 100000")
        return 2
    engines = _engines(session, args)
    if engines is None:
        return 2
    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(session.clock()))
    path = args.output or Path.cwd() / f"arc-diagnostics-{stamp}.tar.gz"
    try:
        from arctui.record.bundle import bundle_members  # above ops: passed in from here

        extra = bundle_members(session, getattr(args, "store", None))
        result = write_bundle(
            engines[0], path, log_lines=args.log_lines, extra=extra, engines=engines
        )
    except DiagnosticsError as exc:
        error(str(exc))
        return 1
    if args.json:
        emit_json(result.to_json())
    else:
        emit(f"wrote {result.path} ({result.size} bytes, mode 0600, {len(result.members)} files)")
        for line in result.report_lines():
            emit(f"  {line}", file=sys.stdout)
    for member in result.failed:  # an error of arctui's, not a source that is down
        error(f"member not written: {member}")
    return 1 if result.failed else 0

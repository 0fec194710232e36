"""`arctui metrics [--json] [--service S] [--window 5m]`: what the Metrics tab shows.

RED per service (worst first), the telemetry flow with its losses, Prometheus' own
targets, alerts and rules, and what is missing. Exit codes: 0 read, 1 Prometheus absent
or unreachable (the reason and the fix on stderr). Prints through `arctui.output` only.
Never imports Textual.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from typing import TYPE_CHECKING, Any

from arctui.output import emit, emit_json, error, table
from arctui.sources.base import SourceError
from arctui.tabs.metrics.models import MetricsSnapshot
from arctui.tabs.metrics.report import flow_lines, missing_lines, name, prom_lines, red_cells

if TYPE_CHECKING:
    from arctui.session import Session

COMMANDS = ("metrics",)
SAFE_OUTPUT = True
_WINDOW = re.compile(r"^[1-9][0-9]{0,4}[smhd]$")


def window(value: str) -> str:
    """A PromQL range like 5m, 30s, 1h."""
    if not _WINDOW.match(value.strip()):
        raise argparse.ArgumentTypeError("must be a duration like 30s, 5m, 1h")
    return value.strip()


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`arctui metrics [--json] [--service S] [--window 5m]`."""
    p = sub.add_parser(
        "metrics", help="print RED per service, the telemetry flow and Prometheus' state"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--service", help="only this service (its operations too)")
    p.add_argument("--window", type=window, default="5m", help="rate window (5m)")


def run(session: Session, args: argparse.Namespace) -> int:
    """Run `arctui metrics`; the exit code."""
    from arctui.tabs.metrics.reader import reader_for

    try:
        reader = reader_for(session, args.window, args.service)
        if args.service:
            reader.focus = args.service
        snapshot = reader.read()
    except SourceError as exc:
        error(exc.reason)
        if exc.fix:
            emit(f"  fix: {exc.fix}", file=_stderr())
        return 1
    if args.json:
        emit_json(snapshot_json(snapshot))
    else:
        print_snapshot(snapshot)
    reader.close()
    return 0


def _stderr() -> Any:
    import sys

    return sys.stderr


def snapshot_json(s: MetricsSnapshot) -> dict[str, Any]:
    """The snapshot as JSON-ready data (history left out; error ratios added)."""
    data = dataclasses.asdict(s)
    data.pop("history", None)
    for key in ("services", "operations"):
        for row, red in zip(data[key], getattr(s, key), strict=True):
            row["error_ratio"] = red.error_ratio
    data["partial"] = dict(s.partial)
    data["flow"]["losses"] = [
        {**dataclasses.asdict(loss), "sentence": _sentence(loss, s.taken_at)}
        for loss in s.flow.losses
    ]
    return data


def _sentence(loss: Any, now: float) -> str:
    from arctui.ops.telemetry import loss_sentence

    return loss_sentence(loss, now)


def _table(rows: list[tuple[str, ...]], first: str = "SERVICE") -> list[str]:
    head = (first, "REQ/S", "ERRORS", "P50", "P95", "P99")
    # Cells are redacted and cleaned before they are padded (output.table).
    return table([head, *rows], right={1, 2, 3, 4, 5})


def print_snapshot(s: MetricsSnapshot) -> None:
    """The text form of `arctui metrics`."""
    unit = f", durations in {s.unit}" if s.unit else ""
    emit(f"Prometheus at {s.target} ({s.origin}); window {s.window}{unit}")
    emit()
    if s.services:
        for line in _table([red_cells(r) for r in s.services]):
            emit(line)
    else:
        emit("no RED figures (no server spans in the spanmetrics series)")
    if s.operations:
        emit()
        emit(f"operations of {name(s.focus or '')}:")
        for line in _table([red_cells(r) for r in s.operations], "OPERATION"):
            emit("  " + line)
    emit()
    emit("telemetry pipeline:")
    for line in flow_lines(s.flow, s.taken_at) or ["(no collector or Loki metrics)"]:
        emit("  " + line)
    emit()
    for line in prom_lines(s.prom):
        emit(line)
    if s.missing:
        emit()
        for line in missing_lines(s.missing):
            emit(line)
    for part, why in s.partial:
        emit(f"note: {part} not read: {why}")

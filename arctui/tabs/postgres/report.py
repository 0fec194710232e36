"""Plain-text and JSON forms of a PostgresSnapshot, for `arctui postgres` and the tab.

Pure functions (no Textual, no psycopg). Every outside string (query text, role, table,
database, application names) goes through `clean`/`one_line`, and query text through
the session's redactor too: `ALTER ROLE ... PASSWORD '...'` must not reach a screen.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from arctui.config.masking import MASK
from arctui.output import table
from arctui.tabs.postgres.models import Backend, PostgresSnapshot, blocking_tree
from arctui.text import clean, one_line
from arctui.units import duration, elapsed, size_compact

Redact = Callable[[str], str]
# `PASSWORD 'x'` in CREATE/ALTER ROLE, which the pattern redactor does not know.
_ROLE_PASSWORD = re.compile(r"(?i)(\bpassword\s+)('(?:[^']|'')*'|\"[^\"]*\"|\$\w*\$.*?\$\w*\$)")


def mask_sql(text: str) -> str:
    """Role passwords in SQL text replaced by the mask."""
    return _ROLE_PASSWORD.sub(lambda m: f"{m[1]}'{MASK}'", text)


def pct(value: float | None, digits: int = 1) -> str:
    """0.9912 -> 99.1%; None -> '-'."""
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def overview_lines(snap: PostgresSnapshot) -> list[str]:
    """The overview as a few lines of text."""
    o = snap.overview
    states = ", ".join(f"{n} {one_line(s, 40)}" for s, n in o.states)
    role = "standby (in recovery)" if o.in_recovery else "primary"
    replicas = (
        ", ".join(
            f"{one_line(r.name, 40)} {one_line(r.state, 20)}/{one_line(r.sync_state, 10)}"
            f" lag {elapsed(r.replay_lag_s)}"
            for r in o.replicas
        )
        or "none"
    )
    tls = "on" if o.ssl_in_use else ("enabled, not used by arctui" if o.ssl_enabled else "off")
    dbs = ", ".join(
        f"{one_line(d.name, 60)} {size_compact(d.size) if d.size is not None else 'n/a'}"
        for d in o.databases
    )
    tps = "-" if o.tps is None else f"{o.tps:.1f}"
    return [
        f"PostgreSQL {o.version} · up {duration(o.uptime_s)} · {role} · TLS {tls}",
        f"connections {o.client_connections}/{o.max_connections} clients"
        f" ({o.connections} backends in pg_stat_activity): {states}",
        f"cache hit {pct(o.cache_hit_ratio, 2)} · {tps} transactions/s · replicas: {replicas}",
        f"databases: {dbs or '-'}",
    ]


def backend_flags(b: Backend, blocking: frozenset[int]) -> str:
    """Short markers: B blocked, K blocking others, L long-running, T idle in transaction."""
    return "".join(
        flag
        for flag, on in (
            ("B", bool(b.blocked_by)),
            ("K", b.pid in blocking),
            ("L", b.long_running),
            ("T", b.idle_in_transaction),
        )
        if on
    )


def proc_cells(b: Backend) -> tuple[str, str, str, str]:
    """CPU %, RSS, read/s, write/s of the backend's process ('-' when unknown)."""
    p = b.proc
    if p is None:
        return "-", "-", "-", "-"
    cpu = "-" if p.cpu is None else f"{p.cpu:.0f}"
    return cpu, size_compact(p.rss), size_compact(p.read_bps), size_compact(p.write_bps)


def _table(headers: list[str], rows: list[list[str]], last_free: bool = True) -> list[str]:
    # Cells are redacted and cleaned before they are padded (output.table); the last
    # column is never padded, so `last_free` needs nothing more.
    return table([headers, *rows])


def text_report(snap: PostgresSnapshot, redact: Redact, limit: int = 20) -> str:
    """What `arctui postgres` prints."""
    lines = [f"Postgres  {clean(snap.connection, 300)}", *overview_lines(snap), ""]
    blocking = snap.blocking_pids
    rows = []
    for b in sorted(snap.backends, key=lambda b: -(b.duration_s or -1)):
        cpu, rss, rd, wr = proc_cells(b)
        rows.append(
            [
                str(b.pid),
                backend_flags(b, blocking) or "-",
                one_line(b.user, 20) or "-",
                one_line(b.database, 20) or "-",
                one_line(b.state or b.backend_type, 40),
                one_line(f"{b.wait_event_type}:{b.wait_event}" if b.wait_event else "", 60) or "-",
                elapsed(b.duration_s),
                elapsed(b.xact_s),
                ",".join(map(str, b.blocked_by)) or "-",
                cpu,
                rss,
                rd,
                wr,
                one_line(redact(mask_sql(b.query)), 160),
            ]
        )
    lines.append(f"ACTIVITY  {len(snap.backends)} backends (arctui's own hidden)")
    lines += _table(
        ["PID", "FLAGS", "USER", "DB", "STATE", "WAIT", "DURATION", "XACT", "BLOCKED_BY",
         "CPU%", "MEM", "READ/s", "WRITE/s", "QUERY"],
        rows,
    )  # fmt: skip
    if snap.proc_note:
        lines.append(f"(CPU%/MEM empty: {clean(snap.proc_note, 200)})")
    tree = blocking_tree(snap.backends)
    if tree:
        lines += ["", "BLOCKING TREE"]
        lines += [
            f"{'  ' * d}{b.pid} {one_line(b.state, 24)} {elapsed(b.duration_s)}"
            f"  {one_line(redact(mask_sql(b.query)), 100)}"
            for d, b in tree
        ]
    lines += ["", f"TABLES  top {min(limit, len(snap.tables))} of {len(snap.tables)} by size"]
    lines += _table(
        ["TABLE", "TOTAL", "TABLE", "INDEXES", "TOAST", "ROWS~", "DEAD", "VACUUMED", "ANALYZED"],
        [
            [
                one_line(t.qualified, 80),
                size_compact(t.total),
                size_compact(t.table),
                size_compact(t.indexes),
                size_compact(t.toast),
                str(t.rows_estimate) if t.rows_estimate >= 0 else "-",
                "-" if t.dead_tuples is None else str(t.dead_tuples),
                ago(snap.taken_at, t.last_vacuum, t.last_autovacuum),
                ago(snap.taken_at, t.last_analyze, t.last_autoanalyze),
            ]
            for t in snap.tables[:limit]
        ],
        last_free=False,
    )
    st = snap.statements
    lines += ["", "SLOW QUERIES  pg_stat_statements by total time"]
    if not st.available:
        lines.append(clean(st.message, 500))
    else:
        lines += _table(
            ["CALLS", "TOTAL", "MEAN", "ROWS", "HIT%", "QUERY"],
            [
                [
                    str(s.calls),
                    f"{s.total_ms / 1000:.1f}s",
                    f"{s.mean_ms:.2f}ms",
                    str(s.rows),
                    pct(s.hit_ratio),
                    one_line(redact(mask_sql(s.query)), 160),
                ]
                for s in st.rows[: limit // 2 or 1]
            ],
        )
    if snap.locks:
        lines += ["", "LOCKS  waited for, and held by the blockers"]
        lines += _table(
            ["PID", "GRANTED", "MODE", "TYPE", "RELATION", "WAITING", "QUERY"],
            [
                [
                    str(lk.pid),
                    "yes" if lk.granted else "WAITING",
                    one_line(lk.mode, 30),
                    one_line(lk.locktype, 20),
                    one_line(lk.relation, 60) or "-",
                    elapsed(lk.wait_s) if not lk.granted else "-",
                    one_line(redact(mask_sql(lk.query)), 120),
                ]
                for lk in snap.locks
            ],
        )
    long = snap.long_transactions
    if long:
        lines += ["", "LONG TRANSACTIONS"]
        lines += [
            f"{b.pid} open {elapsed(b.xact_s)} {one_line(b.state, 24)}"
            f"  {one_line(redact(mask_sql(b.query)), 120)}"
            for b in long
        ]
    for section, why in snap.problems:
        lines.append(f"warning: {section}: {clean(why, 300)}")
    return "\n".join(lines)


def ago(now: float, when: float | None, auto: bool) -> str:
    """`5h00m ago (auto)`, or `never`."""
    if when is None:
        return "never"
    return f"{duration(now - when)} ago{' (auto)' if auto else ''}"


def _cleaned(value: Any, redact: Redact, key: str = "") -> Any:
    if isinstance(value, str):
        text = clean(value)
        return redact(mask_sql(text)) if key == "query" else text
    if isinstance(value, dict):
        return {k: _cleaned(v, redact, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(v, redact, key) for v in value]
    return value


def to_json(snap: PostgresSnapshot, redact: Redact) -> dict[str, Any]:
    """The JSON document of `arctui postgres --json` (shape documented in the README)."""
    data = dataclasses.asdict(snap)
    data["statements"]["columns"] = dict(snap.statements.columns)
    data["problems"] = dict(snap.problems)
    blocking = snap.blocking_pids
    for row, b in zip(data["backends"], snap.backends, strict=True):
        row["blocking"] = b.pid in blocking
        row["long_running"] = b.long_running
    data["blocking_tree"] = [{"depth": d, "pid": b.pid} for d, b in blocking_tree(snap.backends)]
    data["long_transactions"] = [b.pid for b in snap.long_transactions]
    return {"version": 1, **_cleaned(data, redact)}

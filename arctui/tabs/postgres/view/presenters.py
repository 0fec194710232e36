"""PostgresSnapshot -> table cells: pure functions, no widgets, unit-tested.

Every cell is a `rich.text.Text` built from sanitized strings (`one_line`): a `str` cell
in a DataTable is parsed as markup, which query text and role names must never be.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from arctui.tabs.postgres.models import Backend, PostgresSnapshot, blocking_tree
from arctui.tabs.postgres.report import (
    ago,
    backend_flags,
    mask_sql,
    overview_lines,
    pct,
    proc_cells,
)
from arctui.text import clean, one_line
from arctui.ui.cells import DEFAULT_COLOURS, Colours, Row
from arctui.units import elapsed, size_compact

VIEWS = ("activity", "tables", "queries", "locks", "settings")
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "activity": (
        ("pid", "PID"), ("flags", "!"), ("user", "User"), ("database", "DB"),
        ("client", "Client"), ("state", "State"), ("wait", "Wait"),
        ("duration", "Duration"), ("xact", "Xact"), ("cpu", "CPU%"), ("mem", "Mem"),
        ("read", "Read/s"), ("write", "Write/s"), ("query", "Query"),
    ),
    "tables": (
        ("table", "Table"), ("total", "Total"), ("heap", "Table"), ("indexes", "Indexes"),
        ("toast", "TOAST"), ("rows", "Rows~"), ("dead", "Dead"), ("vacuum", "Vacuumed"),
        ("analyze", "Analyzed"),
    ),
    "queries": (
        ("calls", "Calls"), ("total", "Total"), ("mean", "Mean"), ("rows", "Rows"),
        ("hit", "Hit%"), ("read", "Blks read"), ("user", "User"), ("database", "DB"),
        ("query", "Query"),
    ),
    "locks": (
        ("pid", "PID"), ("granted", "Granted"), ("mode", "Mode"), ("type", "Type"),
        ("relation", "Relation"), ("waiting", "Waiting"), ("by", "Blocked by"),
        ("query", "Query"),
    ),
    "settings": (
        ("name", "Setting"), ("value", "Value"), ("applies", "Change needs"),
        ("source", "Source"), ("pending", "Pending"), ("description", "Description"),
    ),
}  # fmt: skip
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "activity": ("duration", "pid", "xact", "cpu", "mem", "read", "write", "user", "database"),
    "tables": ("total", "heap", "indexes", "toast", "rows", "dead", "table"),
    "queries": ("total", "mean", "calls", "rows", "read"),
    "locks": ("pid",),
    "settings": ("name",),
}
QUERY_WIDTH = {"one-line": 120, "wide": 400}


@dataclass(frozen=True)
class ActivityFilter:
    """What the activity list shows: `db:NAME user:NAME min:SECONDS` plus free text."""

    database: str = ""
    user: str = ""
    min_duration: float = 0.0
    text: str = ""
    hide_idle: bool = True

    @classmethod
    def parse(cls, query: str, hide_idle: bool = True) -> ActivityFilter:
        """`db:arc_db user:arc min:5 vacuum` -> a filter (unknown words are free text)."""
        db = user = ""
        minimum = 0.0
        words: list[str] = []
        try:
            parts = shlex.split(query)
        except ValueError:
            parts = query.split()
        for part in parts:
            key, sep, value = part.partition(":")
            if sep and key in ("db", "database"):
                db = value
            elif sep and key == "user":
                user = value
            elif sep and key == "min":
                try:
                    minimum = float(value.rstrip("s"))
                except ValueError:
                    words.append(part)
            else:
                words.append(part)
        return cls(db, user, minimum, " ".join(words).casefold(), hide_idle)

    def keep(self, b: Backend, involved: frozenset[int]) -> bool:
        """True when the backend is shown (blocking/blocked ones always are)."""
        if b.pid in involved:
            return True
        if self.hide_idle and b.idle:
            return False
        if self.database and b.database != self.database:
            return False
        if self.user and b.user != self.user:
            return False
        if self.min_duration and (b.duration_s or 0) < self.min_duration:
            return False
        if self.text:
            hay = f"{b.pid} {b.user} {b.database} {b.application} {b.state} {b.query}"
            return self.text in hay.casefold()
        return True


def _sort_value(b: Backend, key: str) -> float | str:
    p = b.proc
    numbers: dict[str, Callable[[], float | None]] = {
        "duration": lambda: b.duration_s,
        "pid": lambda: float(b.pid),
        "xact": lambda: b.xact_s,
        "cpu": lambda: p.cpu if p else None,
        "mem": lambda: p.rss if p else None,
        "read": lambda: p.read_bps if p else None,
        "write": lambda: p.write_bps if p else None,
    }
    if key in numbers:
        v = numbers[key]()
        return -1.0 if v is None else float(v)
    return str(getattr(b, key, "")).casefold()


def activity_order(
    snap: PostgresSnapshot, flt: ActivityFilter, sort: str, reverse: bool
) -> list[tuple[int, Backend]]:
    """(depth, backend): the blocking tree first (each blocker, its waiters indented),
    then everyone else sorted; numbers sort largest first unless reversed."""
    tree = blocking_tree(snap.backends)
    involved = frozenset(b.pid for _, b in tree)
    seen: set[int] = set()
    out: list[tuple[int, Backend]] = []
    for depth, b in tree:
        if b.pid not in seen and snap.backend(b.pid) is not None:
            seen.add(b.pid)
            out.append((depth, b))
    rest = [b for b in snap.backends if b.pid not in seen and flt.keep(b, involved)]
    numeric = sort not in ("user", "database")
    rest.sort(key=lambda b: _sort_value(b, sort), reverse=numeric != reverse)
    return out + [(0, b) for b in rest]


def backend_kind(b: Backend, blocking: frozenset[int]) -> str:
    """Semantic colour: blocked/blocking red, long-running or idle-in-transaction amber."""
    if b.blocked_by or b.pid in blocking:
        return "down"
    if b.long_running or b.idle_in_transaction:
        return "degraded"
    if b.idle:
        return "muted"
    return ""


def query_text(text: str, redact: Callable[[str], str], width: int) -> str:
    """Query text for a cell: secrets masked, one line, capped."""
    return one_line(redact(mask_sql(text)), width)


def activity_rows(
    snap: PostgresSnapshot,
    order: list[tuple[int, Backend]],
    redact: Callable[[str], str],
    palette: Colours = DEFAULT_COLOURS,
    width: int = QUERY_WIDTH["one-line"],
    marked: frozenset[int] = frozenset(),
) -> list[Row]:
    """One row per backend; the PID cell shows the tree depth and the mark."""
    blocking = snap.blocking_pids
    rows: list[Row] = []
    for depth, b in order:
        style = palette.get(backend_kind(b, blocking), "")
        mark = "●" if b.pid in marked else " "
        pid = f"{mark}{'  ' * depth}{'└ ' if depth else ''}{b.pid}"
        cpu, rss, rd, wr = proc_cells(b)
        wait = f"{b.wait_event_type}:{b.wait_event}" if b.wait_event else ""
        cells = (
            Text(pid, style=style),
            Text(backend_flags(b, blocking), style=style),
            Text(one_line(b.user, 30)),
            Text(one_line(b.database, 30)),
            Text(one_line(b.client, 40)),
            Text(one_line(b.state or b.backend_type, 30), style=style),
            Text(one_line(wait, 40)),
            Text(elapsed(b.duration_s), style=style, justify="right"),
            Text(elapsed(b.xact_s), justify="right"),
            Text(cpu, justify="right"),
            Text(rss, justify="right"),
            Text(rd, justify="right"),
            Text(wr, justify="right"),
            Text(query_text(b.query, redact, width)),
        )
        # The same pid can appear under two blockers: the key carries the position.
        key = str(b.pid) if depth == 0 else f"{b.pid}@{len(rows)}"
        rows.append(Row(key, cells))
    return rows


def table_rows(snap: PostgresSnapshot, sort: str, reverse: bool, palette: Colours) -> list[Row]:
    """Tables by size (or the chosen column); many dead tuples in amber."""
    keys: dict[str, Callable[..., float | str]] = {
        "total": lambda t: t.total, "heap": lambda t: t.table, "indexes": lambda t: t.indexes,
        "toast": lambda t: t.toast, "rows": lambda t: t.rows_estimate,
        "dead": lambda t: t.dead_tuples or 0, "table": lambda t: t.qualified.casefold(),
    }  # fmt: skip
    tables = sorted(
        snap.tables, key=keys.get(sort, keys["total"]), reverse=(sort != "table") != reverse
    )
    rows = []
    for t in tables:
        dead_share = (t.dead_tuples or 0) / max(1, t.rows_estimate + (t.dead_tuples or 0))
        dead_style = palette["degraded"] if dead_share > 0.2 and (t.dead_tuples or 0) > 1000 else ""
        rows.append(
            Row(
                t.qualified,
                (
                    Text(one_line(t.qualified, 80)),
                    Text(size_compact(t.total), justify="right"),
                    Text(size_compact(t.table), justify="right"),
                    Text(size_compact(t.indexes), justify="right"),
                    Text(size_compact(t.toast), justify="right"),
                    Text(str(t.rows_estimate) if t.rows_estimate >= 0 else "-", justify="right"),
                    Text("-" if t.dead_tuples is None else str(t.dead_tuples), style=dead_style,
                         justify="right"),
                    Text(ago(snap.taken_at, t.last_vacuum, t.last_autovacuum)),
                    Text(ago(snap.taken_at, t.last_analyze, t.last_autoanalyze)),
                ),
            )
        )  # fmt: skip
    return rows


def statement_rows(
    snap: PostgresSnapshot, sort: str, reverse: bool, redact: Callable[[str], str], width: int
) -> list[Row]:
    """pg_stat_statements rows (empty when unavailable: the status line says why)."""
    keys: dict[str, Callable[..., float]] = {
        "total": lambda s: s.total_ms, "mean": lambda s: s.mean_ms, "calls": lambda s: s.calls,
        "rows": lambda s: s.rows, "read": lambda s: s.shared_read,
    }  # fmt: skip
    rows = sorted(snap.statements.rows, key=keys.get(sort, keys["total"]), reverse=not reverse)
    out = []
    for i, s in enumerate(rows):
        key = f"{s.queryid}:{s.user}:{s.database}" if s.queryid is not None else f"#{i}"
        out.append(
            Row(
                key,
                (
                    Text(str(s.calls), justify="right"),
                    Text(f"{s.total_ms / 1000:.1f}s", justify="right"),
                    Text(f"{s.mean_ms:.2f}ms", justify="right"),
                    Text(str(s.rows), justify="right"),
                    Text(pct(s.hit_ratio), justify="right"),
                    Text(str(s.shared_read), justify="right"),
                    Text(one_line(s.user, 30)),
                    Text(one_line(s.database, 30)),
                    Text(query_text(s.query, redact, width)),
                ),
            )
        )
    return out


def lock_rows(
    snap: PostgresSnapshot, redact: Callable[[str], str], palette: Colours, width: int
) -> list[Row]:
    """Waited-for locks and the blockers' matching granted locks."""
    by_pid = {b.pid: b for b in snap.backends}
    out = []
    for i, lk in enumerate(snap.locks):
        b = by_pid.get(lk.pid)
        by = ",".join(map(str, b.blocked_by)) if b else ""
        style = palette["down"] if not lk.granted else ""
        out.append(
            Row(
                f"{lk.pid}:{i}",
                (
                    Text(str(lk.pid), style=style),
                    Text("yes" if lk.granted else "WAITING", style=style),
                    Text(one_line(lk.mode, 30)),
                    Text(one_line(lk.locktype, 20)),
                    Text(one_line(lk.relation, 60)),
                    Text(elapsed(lk.wait_s) if not lk.granted else "-", justify="right"),
                    Text(by or "-"),
                    Text(query_text(lk.query, redact, width)),
                ),
            )
        )
    return out


def overview_text(snap: PostgresSnapshot, palette: Colours = DEFAULT_COLOURS) -> Text:
    """The overview block: connection in use, then the server at a glance."""
    o = snap.overview
    text = Text()
    text.append("Connection ", style="bold")
    text.append(one_line(snap.connection, 200))
    lines = overview_lines(snap)
    for i, line in enumerate(lines):
        style = ""
        if i == 1 and o.connection_ratio >= 0.8:
            style = palette["down"] if o.connection_ratio >= 0.95 else palette["degraded"]
        text.append("\n" + line, style=style)
    return text


def status_text(snap: PostgresSnapshot, view: str, flt: ActivityFilter, shown: int) -> Text:
    """One line under the table: counts, filters, and why something is empty."""
    text = Text()
    if view == "activity":
        blocked = sum(1 for b in snap.backends if b.blocked_by)
        text.append(f"{shown} of {len(snap.backends)} backends")
        if not snap.backends:
            text.append(" (no session but arctui's own, which is not listed)")
        if blocked:
            text.append(f" · {blocked} blocked", style="bold")
        parts = ["idle hidden" if flt.hide_idle else "idle shown"]
        if flt.database:
            parts.append(f"db {flt.database}")
        if flt.user:
            parts.append(f"user {flt.user}")
        if flt.min_duration:
            parts.append(f"≥ {flt.min_duration:g}s")
        if flt.text:
            parts.append(f"'{flt.text}'")
        text.append(" · " + one_line(", ".join(parts), 200))
        if snap.proc_note:
            text.append(" · CPU/Mem/IO empty: " + one_line(snap.proc_note, 200))
    elif view == "queries":
        st = snap.statements
        if not st.available:
            text.append(clean(st.message, 600), style="bold")
        else:
            cols = dict(st.columns)
            text.append(
                f"pg_stat_statements {one_line(st.version, 20)}: total = "
                f"{one_line(cols.get('total_ms', '?'), 40)}, mean = "
                f"{one_line(cols.get('mean_ms', '?'), 40)}"
            )
    elif view == "tables":
        text.append(f"{len(snap.tables)} tables, largest first · V: VACUUM ANALYZE the selected")
    elif view == "settings":
        text.append("= : change the selected setting with ALTER SYSTEM (confirmation first)")
    elif view == "locks":
        text.append(
            "no session waits on a lock" if not snap.locks else f"{len(snap.locks)} locks involved"
        )
        long = snap.long_transactions
        if long:
            text.append(
                " · long transactions: "
                + ", ".join(f"{b.pid} ({elapsed(b.xact_s)})" for b in long[:8])
            )
    for section, why in snap.problems:
        text.append(f"\n{one_line(section, 30)}: {one_line(why, 300)}", style="bold")
    return text


def settings_rows(snap: PostgresSnapshot, palette: Colours) -> list[Row]:
    """The tuned settings; a pending restart in amber."""
    out = []
    for st in snap.settings:
        pending = palette["degraded"] if st.pending_restart else ""
        out.append(
            Row(
                st.name,
                (
                    Text(one_line(st.name, 40)),
                    Text(one_line(st.value, 40), justify="right"),
                    Text("restart" if st.needs_restart else "reload"),
                    Text(one_line(st.source, 30)),
                    Text("restart pending" if st.pending_restart else "-", style=pending),
                    Text(one_line(st.description, 120)),
                ),
            )
        )
    return out


@dataclass(frozen=True)
class PaletteEntry:
    """A command palette entry named after what the tab sees now."""

    title: str
    verb: str  # cancel | terminate | vacuum (the tab's `pg` actions)
    pids: tuple[int, ...] = ()
    table: tuple[str, str] | None = None
    help: str = ""


MAX_PALETTE_BACKENDS = 8
MAX_PALETTE_TABLES = 5


def palette_entries(snap: PostgresSnapshot, redact: Callable[[str], str]) -> list[PaletteEntry]:
    """Cancel / terminate for the sessions that need it (blockers, long-running queries,
    idle transactions) and VACUUM ANALYZE for the tables with the most dead rows; names
    and query text pass the redactor like the table's cells."""
    blocking = snap.blocking_pids
    own = snap.overview.own_pid
    wanted = [
        b
        for b in snap.backends
        if b.pid != own
        and b.backend_type == "client backend"
        and (b.pid in blocking or b.long_running or b.idle_in_transaction)
    ]
    wanted.sort(key=lambda b: (b.pid not in blocking, -(b.duration_s or 0.0)))
    out: list[PaletteEntry] = []
    for b in wanted[:MAX_PALETTE_BACKENDS]:
        why = "blocking others" if b.pid in blocking else one_line(b.state, 40)
        who = one_line(redact(f"{b.user}@{b.database}"), 80) + f", {why}"
        who += f", {elapsed(b.duration_s)}" if b.duration_s is not None else ""
        query = query_text(b.query, redact, 80)
        if b.state == "active":  # cancelling only stops a running query
            out.append(
                PaletteEntry(f"Cancel query of pid {b.pid} ({who})", "cancel", (b.pid,), help=query)
            )
        out.append(
            PaletteEntry(f"Terminate pid {b.pid} ({who})", "terminate", (b.pid,), help=query)
        )
    dead = sorted((t for t in snap.tables if t.dead_tuples), key=lambda t: -(t.dead_tuples or 0))
    for t in dead[:MAX_PALETTE_TABLES]:
        name = one_line(redact(f"{t.schema}.{t.name}"), 120)
        out.append(
            PaletteEntry(
                f"VACUUM ANALYZE {name} ({t.dead_tuples:,} dead rows)",
                "vacuum",
                table=(t.schema, t.name),
                help=f"last vacuum {ago(snap.taken_at, t.last_vacuum, t.last_autovacuum)}",
            )
        )
    return out

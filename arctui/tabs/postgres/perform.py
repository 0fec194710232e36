"""Running a confirmed Postgres action: `perform_pg` passes the one gate (`ops/gate.py`:
read-only, audit record first, outcome after), re-reads the targets just before running
and runs the SQL on a short-lived connection of its own (never the monitoring one);
`run_explain` is the plain, unaudited EXPLAIN. The plans are made in actions.py.

Decisions an on-call operator would make:
- cancelling or terminating arctui's own monitoring backend, or a walsender (a standby or
  logical replication client: terminating it breaks replication), is refused;
- a pid that ended since the operator looked is refused rather than signalled: pids are
  reused, and the new backend is not the one that was chosen;
- several marked backends are signalled in one statement; the outcome lists which
  signals were delivered; one refused backend refuses the whole batch (unmark it);
- terminate waits up to 5 s (PG 13+ `pg_terminate_backend(pid, timeout)`) so the result
  says whether the backend is really gone;
- VACUUM runs without statement timeout on its own connection, reporting progress from
  `pg_stat_progress_vacuum` on a second one; stopping it cancels the VACUUM backend.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from arctui.ops.gate import Gate
from arctui.ops.runner import ActionResult, Outcome
from arctui.sources.base import SourceError
from arctui.tabs.postgres.actions import (
    ACTION_TIMEOUT_MS,
    EXPLAIN_TIMEOUT_MS,
    TERMINATE_WAIT_MS,
    PgPlan,
    explain_sql,
)
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.session import Session
    from arctui.sources.postgres import PgConnection


def run_explain(connection: Callable[[], PgConnection], query: str) -> list[str]:
    """Plain EXPLAIN (nothing is executed, nothing audited). Raises SourceError."""
    import psycopg

    conn = _open(connection, 5000)
    try:
        # prepare=True: the extended protocol refuses a second statement after a `;`.
        rows = conn.execute(explain_sql(query, False), prepare=True).fetchall()  # type: ignore[call-overload]
        return [str(r[0]) for r in rows]
    except psycopg.Error as exc:
        raise SourceError(one_line(str(exc), 500)) from None
    finally:
        conn.close()


def _precheck_backends(conn: Any, plan: PgPlan) -> str | None:
    """Why the backends must not be signalled now (re-read just before), or None."""
    rows = conn.execute(
        "SELECT pid, backend_type, coalesce(application_name, ''), pg_backend_pid()"
        " FROM pg_stat_activity WHERE pid = ANY(%s)",
        (list(plan.pids),),
    ).fetchall()
    found = {int(r[0]): r for r in rows}
    for pid in plan.pids:
        if pid in plan.own_pids or pid == conn.info.backend_pid:
            return f"backend {pid} is arctui's own monitoring connection: refused"
        row = found.get(pid)
        if row is None:
            return f"backend {pid} has ended since you looked (pids are reused): look again"
        if row[1] == "walsender":
            return (
                f"backend {pid} is a replication connection"
                f" ({one_line(row[2], 60) or 'walsender'}):"
                " terminating it breaks the standby; refused"
            )
        if row[1] != "client backend" and plan.action.verb == "pg-terminate":
            return f"backend {pid} is a {one_line(row[1], 40)}, not a client session: refused"
    return None


def _open(conn_factory: Callable[[], PgConnection], timeout_ms: int) -> Any:
    return conn_factory().open(statement_timeout_ms=timeout_ms)


def perform_pg(
    session: Session,
    plan: PgPlan,
    connection: Callable[[], PgConnection] | None,
    audit: AuditLog | None,
    on_output: Callable[[str], None] = lambda _line: None,
    cancel: threading.Event | None = None,
    simulate: Callable[[PgPlan], list[str]] | None = None,
    poll: float = 0.5,
) -> ActionResult:
    """Check, re-read, run and audit one confirmed Postgres action.

    `connection` gives a PgConnection whose target is used to open the action's own
    connection; `simulate` runs it on the demo source instead.
    """
    cancel = cancel or threading.Event()
    action = plan.action
    gate = Gate(session, action, audit)
    return gate.run(
        lambda: _work(plan, connection, on_output, cancel, simulate, poll), cancel=cancel
    )


def _work(
    plan: PgPlan,
    connection: Callable[[], PgConnection] | None,
    on_output: Callable[[str], None],
    cancel: threading.Event,
    simulate: Callable[[PgPlan], list[str]] | None,
    poll: float,
) -> ActionResult:
    """The action itself, once the gate let it through."""
    started = time.monotonic()
    if plan.action.simulated or connection is None:
        if simulate is None:
            return ActionResult(
                Outcome.REFUSED, None, 0.0, (), "this source cannot run Postgres actions"
            )
        lines = simulate(plan)
        for line in lines:
            on_output(line)
        message = "demo Postgres: simulated, nothing ran on a server"
        return ActionResult(
            Outcome.SIMULATED, 0, time.monotonic() - started, (*lines, message), message
        )
    import psycopg

    try:
        if plan.action.verb == "pg-vacuum-analyze":
            outcome, lines, message = _vacuum(connection, plan, on_output, cancel, poll)
        elif plan.action.verb == "pg-alter-system":
            outcome, lines, message = _alter_system(connection, plan, on_output)
        elif plan.action.verb == "pg-explain-analyze":
            outcome, lines, message = _explain_analyze(connection, plan, on_output)
        else:
            outcome, lines, message = _run_simple(connection, plan, on_output)
    except SourceError as exc:
        return ActionResult(Outcome.FAILED, None, time.monotonic() - started, (), exc.reason)
    except psycopg.Error as exc:
        text = one_line(str(exc), 500)
        return ActionResult(Outcome.FAILED, None, time.monotonic() - started, (text,), text)
    if outcome is Outcome.REFUSED:
        return ActionResult(Outcome.REFUSED, None, 0.0, (), message)
    code = 0 if outcome is Outcome.OK else None
    return ActionResult(outcome, code, time.monotonic() - started, tuple(lines), message)


def _run_simple(
    connection: Callable[[], PgConnection], plan: PgPlan, on_output: Callable[[str], None]
) -> tuple[Outcome, list[str], str]:
    conn = _open(connection, ACTION_TIMEOUT_MS)
    try:
        if plan.pids:
            reason = _precheck_backends(conn, plan)
            if reason:
                return Outcome.REFUSED, [], reason
            sql, params = plan.sql, (list(plan.pids),)
            if plan.action.verb == "pg-terminate" and conn.info.server_version >= 130000:
                sql = (
                    f"SELECT pg_terminate_backend(pid, {TERMINATE_WAIT_MS})"
                    " FROM unnest(%s::int[]) AS pid"
                )
            results = [bool(r[0]) for r in conn.execute(sql, params).fetchall()]
            lines = [
                f"{plan.action.verb.removeprefix('pg-')} {pid}: {'done' if ok else 'not done'}"
                for pid, ok in zip(plan.pids, results, strict=True)
            ]
            for line in lines:
                on_output(line)
            failed = [p for p, ok in zip(plan.pids, results, strict=True) if not ok]
            if failed:
                return (
                    Outcome.FAILED,
                    lines,
                    f"not delivered to {', '.join(map(str, failed))} (ended, or not permitted)",
                )
            return Outcome.OK, lines, "; ".join(lines)
        conn.execute(plan.sql)
        on_output(f"{plan.sql}: done")
        return Outcome.OK, [f"{plan.sql}: done"], "done"
    finally:
        conn.close()


def _alter_system(
    connection: Callable[[], PgConnection], plan: PgPlan, on_output: Callable[[str], None]
) -> tuple[Outcome, list[str], str]:
    from psycopg import sql

    assert plan.setting is not None
    name, value = plan.setting
    conn = _open(connection, ACTION_TIMEOUT_MS)
    try:
        conn.execute(
            sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
        )
        conn.execute("SELECT pg_reload_conf()")
        # The reload is asynchronous: ask a fresh session what it sees now.
        time.sleep(0.3)
        check = _open(connection, ACTION_TIMEOUT_MS)
        try:
            now, pending = check.execute(
                "SELECT current_setting(name), pending_restart FROM pg_settings WHERE name = %s",
                (name,),
            ).fetchone()
        finally:
            check.close()
    finally:
        conn.close()
    line = (
        f"{name} = {value} written; pending restart (still {now} until Postgres restarts)"
        if pending
        else f"{name} is now {now}"
    )
    on_output(line)
    return Outcome.OK, [line], line


def _explain_analyze(
    connection: Callable[[], PgConnection], plan: PgPlan, on_output: Callable[[str], None]
) -> tuple[Outcome, list[str], str]:
    conn = _open(connection, EXPLAIN_TIMEOUT_MS)
    lines: list[str] = []
    try:
        conn.autocommit = False
        try:
            rows = conn.execute(plan.sql, prepare=True).fetchall()  # type: ignore[call-overload]
        finally:
            conn.rollback()  # whatever the query changed is undone
        for r in rows:
            line = str(r[0])
            lines.append(line)
            on_output(line)
    finally:
        conn.close()
    total = next((ln for ln in reversed(lines) if ln.startswith("Execution Time")), "")
    return Outcome.OK, lines, f"explained and rolled back. {total}".strip()


PROGRESS_SQL = """
SELECT p.phase, p.heap_blks_total, p.heap_blks_scanned, p.heap_blks_vacuumed,
  coalesce(p.relid::regclass::text, '')
FROM pg_stat_progress_vacuum p WHERE p.pid = %s
"""


def _vacuum(
    connection: Callable[[], PgConnection],
    plan: PgPlan,
    on_output: Callable[[str], None],
    cancel: threading.Event,
    poll: float,
) -> tuple[Outcome, list[str], str]:
    worker = _open(connection, 0)  # VACUUM of a big table takes as long as it takes
    watcher = _open(connection, 5000)
    lines: list[str] = []
    errors: list[BaseException] = []
    pid = worker.info.backend_pid

    def run() -> None:
        try:
            worker.execute(plan.sql)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=run, name="arctui-vacuum", daemon=True)
    thread.start()
    last = ""
    cancelled = False
    try:
        while thread.is_alive():
            if cancel.is_set() and not cancelled:
                cancelled = True
                watcher.execute("SELECT pg_cancel_backend(%s)", (pid,))
            row = watcher.execute(PROGRESS_SQL, (pid,)).fetchone()
            if row:
                phase, total, scanned, _vacuumed, rel = row
                share = f" {100 * scanned / total:.0f}%" if total else ""
                note = (
                    f"{rel or plan.table or 'database'}: {phase}{share} ({scanned}/{total} blocks)"
                )
                if note != last:
                    last = note
                    lines.append(note)
                    on_output(note)
            thread.join(poll)
    finally:
        thread.join(30)
        with contextlib.suppress(Exception):
            watcher.close()
        with contextlib.suppress(Exception):
            worker.close()
    if cancelled:
        return Outcome.CANCELLED, lines, "VACUUM cancelled (what it had done is kept)"
    if errors:
        text = one_line(str(errors[0]), 500)
        return Outcome.FAILED, [*lines, text], text
    done = f"VACUUM ANALYZE {plan.table or 'database'}: done"
    on_output(done)
    return Outcome.OK, [*lines, done], done

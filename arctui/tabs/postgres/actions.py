"""Postgres actions planned: cancel / terminate backends, VACUUM ANALYZE, CREATE EXTENSION,
ALTER SYSTEM, EXPLAIN ANALYZE.

Same path as the lifecycle and Redis actions: `plan_pg_action` describes the action as an
`Action` (so the confirmation modal works unchanged) with the `psql` command an operator
would type; perform.py runs it once confirmed (the operator's decisions are listed there).
No Textual here.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arctui.ops.guards import typed_confirmations
from arctui.ops.lifecycle import Action

if TYPE_CHECKING:
    from arctui.session import Session
    from arctui.sources.postgres import PgTarget

VERBS = ("cancel", "terminate", "vacuum", "create-extension", "alter-system", "explain-analyze")
EXPLAIN_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 10_000
TERMINATE_WAIT_MS = 5000


class PgActionError(ValueError):
    """The action cannot be planned (nothing selected, bad table name ...)."""


@dataclass(frozen=True)
class PgPlan:
    """A planned Postgres action: the auditable Action plus the SQL to run."""

    action: Action
    sql: str
    pids: tuple[int, ...] = ()
    own_pids: tuple[int, ...] = ()  # arctui's monitoring backend(s): never signalled
    table: str | None = None  # vacuum: schema.table as text ("" = the whole database)
    setting: tuple[str, str] | None = None  # alter-system: (name, new value)
    query: str = ""  # explain-analyze: the statement to explain


def quote_literal(value: str) -> str:
    """A SQL string literal (for showing; execution uses psycopg's own quoting)."""
    return "'" + value.replace("'", "''") + "'"


def explain_sql(query: str, analyze: bool) -> str:
    """The EXPLAIN statement for one query (trailing semicolons dropped)."""
    options = "ANALYZE, BUFFERS, VERBOSE" if analyze else "VERBOSE"
    return f"EXPLAIN ({options}) {query.strip().rstrip(';').strip()}"


def quote_ident(name: str) -> str:
    """A SQL identifier, always quoted."""
    return '"' + name.replace('"', '""') + '"'


def psql_command(target: PgTarget | None, sql: str) -> tuple[str, ...]:
    """The psql command an operator would type for this SQL (no password in it)."""
    if target is None:
        return ("psql", "-c", sql)
    if target.dsn is not None:
        from arctui.config.masking import mask_patterns

        return ("psql", mask_patterns(target.dsn), "-c", sql)
    p = target.params
    out = ["psql"]
    for flag, key in (("-h", "host"), ("-p", "port"), ("-U", "user"), ("-d", "dbname")):
        if p.get(key):
            out += [flag, p[key]]
    if "service" in p:
        out.insert(1, f"service={p['service']}")
    return (*out, "-c", sql)


def plan_pg_action(
    session: Session,
    target: PgTarget | None,
    verb: str,
    *,
    pids: Sequence[int] = (),
    own_pids: Sequence[int] = (),
    table: tuple[str, str] | None = None,
    setting: tuple[str, str, str, str] | None = None,
    query: str = "",
    label: str = "",
) -> PgPlan:
    """Describe one Postgres action. Raises PgActionError when it cannot be planned."""
    where = label or (target.describe().split(" password")[0] if target else "postgres")
    common: dict[str, Any] = {
        "scope": "postgres",
        "project": session.project,
        "env": session.env,
        "production": session.production,
        "simulated": session.demo,
    }
    if verb in ("cancel", "terminate"):
        if not pids:
            raise PgActionError(f"select a backend to {verb}")
        chosen = tuple(sorted(set(pids)))
        fn = "pg_cancel_backend" if verb == "cancel" else "pg_terminate_backend"
        shown = "; ".join(f"SELECT {fn}({p})" for p in chosen)
        summary = (
            f"Cancel the running query of backend {', '.join(map(str, chosen))}"
            if verb == "cancel"
            else f"Terminate backend {', '.join(map(str, chosen))} (close its connection)"
        )
        consequence = (
            "The current statement fails with 'canceling statement due to user request';"
            " the session stays connected and its transaction is rolled back if in one."
            if verb == "cancel"
            else "The session is disconnected; its open transaction is rolled back and the"
            " application sees a dropped connection."
        )
        return PgPlan(
            Action(
                verb=f"pg-{verb}",
                target=f"{where} pid {','.join(map(str, chosen))}",
                command=psql_command(target, shown),
                summary=summary,
                consequence=consequence,
                destructive=verb == "terminate" and session.production,
                confirmations=typed_confirmations(session),
                **common,
            ),
            sql=f"SELECT {fn}(pid) FROM unnest(%s::int[]) AS pid",
            pids=chosen,
            own_pids=tuple(own_pids),
        )
    if verb == "vacuum":
        name = "" if table is None else f"{table[0]}.{table[1]}"
        sql = "VACUUM (ANALYZE)" + (
            f" {quote_ident(table[0])}.{quote_ident(table[1])}" if table else ""
        )
        return PgPlan(
            Action(
                verb="pg-vacuum-analyze",
                target=f"{where} {name or '(whole database)'}",
                command=psql_command(target, sql),
                summary=f"VACUUM ANALYZE {name or 'every table of the database'}",
                consequence="Reads the whole table and writes its visibility map; extra I/O"
                " while it runs. It takes no lock that blocks reads or writes.",
                confirmations=typed_confirmations(session),
                **common,
            ),
            sql=sql,
            table=name,
        )
    if verb == "create-extension":
        sql = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
        return PgPlan(
            Action(
                verb="pg-create-extension",
                target=f"{where} pg_stat_statements",
                command=psql_command(target, sql),
                summary="Create the pg_stat_statements extension in this database",
                consequence="Adds a view and functions; statistics start being visible at once"
                " (the library must already be in shared_preload_libraries).",
                confirmations=typed_confirmations(session),
                **common,
            ),
            sql=sql,
        )
    if verb == "alter-system":
        if setting is None:
            raise PgActionError("select a setting to change")
        name, value, context, source = setting
        from arctui.tabs.postgres.queries import TUNED_SETTINGS

        if name not in TUNED_SETTINGS:
            raise PgActionError(f"arctui only changes {', '.join(TUNED_SETTINGS)}")
        if not value.strip():
            raise PgActionError("enter a value (e.g. 64MB)")
        shown = f"ALTER SYSTEM SET {name} = {quote_literal(value.strip())}; SELECT pg_reload_conf()"
        effect = (
            "Takes effect only after Postgres restarts (docker compose restart of the service)."
            if context == "postmaster"
            else "Takes effect at once for new sessions (pg_reload_conf)."
        )
        if source == "command line":
            effect += (
                f" Warning: {name} is set on the server's command line (compose `command:`),"
                " which wins over ALTER SYSTEM: change it there instead."
            )
        return PgPlan(
            Action(
                verb="pg-alter-system",
                target=f"{where} {name}",
                command=psql_command(target, shown),
                summary=f"Set {name} to {value.strip()} (written to postgresql.auto.conf)",
                consequence=effect,
                confirmations=typed_confirmations(session),
                **common,
            ),
            sql=shown,
            setting=(name, value.strip()),
        )
    if verb == "explain-analyze":
        if not query.strip():
            raise PgActionError("type a query to explain")
        sql = explain_sql(query, True)
        return PgPlan(
            Action(
                verb="pg-explain-analyze",
                target=f"{where} query",
                command=psql_command(target, f"BEGIN; {sql}; ROLLBACK"),
                summary="EXPLAIN ANALYZE: the query is EXECUTED, inside a transaction that is"
                " rolled back",
                consequence="The query really runs (its locks, its load, its time, up to"
                f" {EXPLAIN_TIMEOUT_MS // 1000} s); its changes are rolled back, but sequences"
                " advance and side effects outside the database (NOTIFY, dblink) happen.",
                destructive=session.production,
                confirmations=typed_confirmations(session),
                **common,
            ),
            sql=sql,
            query=query,
        )
    raise PgActionError(f"unknown Postgres action {verb!r}; actions: {', '.join(VERBS)}")


def shown(plan: PgPlan) -> str:
    """The command as shown in the confirmation."""
    return shlex.join(plan.action.command)

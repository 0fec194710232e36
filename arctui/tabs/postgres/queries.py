"""The SQL the Postgres reader sends, and the slow-query statement built for the
pg_stat_statements version the server has (shared by the reader and the actions)."""

from __future__ import annotations

from arctui.sources.base import SourceError
from arctui.tabs.postgres.models import Statements

QUERY_TEXT_LIMIT = 8192
TABLE_LIMIT = 200
STATEMENT_LIMIT = 50

OVERVIEW_SQL = """
SELECT current_setting('server_version'), current_setting('server_version_num')::int,
  EXTRACT(EPOCH FROM now() - pg_postmaster_start_time())::float8,
  current_setting('max_connections')::int,
  current_setting('superuser_reserved_connections')::int,
  current_setting('ssl') = 'on',
  coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false),
  pg_is_in_recovery(), current_database(), pg_backend_pid(),
  d.hit, d.read, d.xacts,
  (SELECT json_agg(json_build_array(application_name, coalesce(client_addr::text, 'local'),
     state, sync_state, EXTRACT(EPOCH FROM replay_lag)::float8))
   FROM pg_stat_replication)
FROM (SELECT sum(blks_hit)::float8 AS hit, sum(blks_read)::float8 AS read,
             sum(xact_commit + xact_rollback)::float8 AS xacts FROM pg_stat_database) d
"""

# Every backend; ours is dropped in Python (it still counts as a connection).
ACTIVITY_SQL = f"""
SELECT pid, coalesce(usename, ''), coalesce(datname, ''), coalesce(application_name, ''),
  CASE WHEN client_addr IS NOT NULL THEN host(client_addr) || ':' || client_port
       WHEN client_port = -1 THEN 'local' ELSE '' END,
  coalesce(backend_type, ''), coalesce(state, ''),
  coalesce(wait_event_type, ''), coalesce(wait_event, ''),
  EXTRACT(EPOCH FROM now() - query_start)::float8,
  EXTRACT(EPOCH FROM now() - xact_start)::float8,
  EXTRACT(EPOCH FROM now() - state_change)::float8,
  left(coalesce(query, ''), {QUERY_TEXT_LIMIT}),
  CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END
FROM pg_stat_activity
"""

LOCKS_SQL = """
WITH waiting AS (SELECT * FROM pg_locks WHERE NOT granted AND pid = ANY(%(pids)s))
SELECT l.pid, l.locktype, l.mode, l.granted,
  CASE WHEN l.relation IS NULL THEN ''
       WHEN l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       THEN l.relation::regclass::text ELSE l.relation::text END,
  coalesce(a.datname, ''), coalesce(a.usename, ''), left(coalesce(a.query, ''), 2048),
  EXTRACT(EPOCH FROM now() - a.state_change)::float8
FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.pid = ANY(%(pids)s) AND (NOT l.granted OR EXISTS (
  SELECT 1 FROM waiting w WHERE w.locktype = l.locktype
    AND w.database IS NOT DISTINCT FROM l.database
    AND w.relation IS NOT DISTINCT FROM l.relation
    AND w.page IS NOT DISTINCT FROM l.page AND w.tuple IS NOT DISTINCT FROM l.tuple
    AND w.transactionid IS NOT DISTINCT FROM l.transactionid
    AND w.virtualxid IS NOT DISTINCT FROM l.virtualxid
    AND w.classid IS NOT DISTINCT FROM l.classid AND w.objid IS NOT DISTINCT FROM l.objid
    AND w.objsubid IS NOT DISTINCT FROM l.objsubid))
ORDER BY l.granted DESC, l.pid
LIMIT 500
"""

DATABASES_SQL = """
SELECT datname, CASE WHEN has_database_privilege(datname, 'CONNECT')
                     THEN pg_database_size(datname) END
FROM pg_database WHERE NOT datistemplate ORDER BY 2 DESC NULLS LAST, 1
"""

# The guide's query done right: by oid (quoted and mixed-case names work), every part
# of the size apart, partitioned tables and materialized views included.
TABLES_SQL = f"""
SELECT n.nspname, c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid),
  pg_indexes_size(c.oid),
  CASE WHEN c.reltoastrelid <> 0 THEN pg_total_relation_size(c.reltoastrelid) ELSE 0 END,
  c.reltuples::bigint, s.n_dead_tup,
  EXTRACT(EPOCH FROM s.last_vacuum)::float8, EXTRACT(EPOCH FROM s.last_autovacuum)::float8,
  EXTRACT(EPOCH FROM s.last_analyze)::float8, EXTRACT(EPOCH FROM s.last_autoanalyze)::float8
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'm', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY 3 DESC, 1, 2
LIMIT {TABLE_LIMIT}
"""

EXTENSION_SQL = """
SELECT e.extversion, n.nspname,
  (SELECT array_agg(attname::text) FROM pg_attribute
   WHERE attrelid = format('%I.pg_stat_statements', n.nspname)::regclass AND attnum > 0),
  current_setting('shared_preload_libraries')
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_stat_statements'
"""
PRELOAD_SQL = "SELECT current_setting('shared_preload_libraries')"


# The settings the operations guide tunes, plus the memory ones that go with them.
TUNED_SETTINGS = (
    "max_connections", "shared_buffers", "work_mem", "maintenance_work_mem",
    "effective_cache_size", "max_wal_size", "ssl",
)  # fmt: skip
SETTINGS_SQL = """
SELECT name, current_setting(name), coalesce(unit, ''), context, source, pending_restart,
  short_desc
FROM pg_settings WHERE name = ANY(%s) ORDER BY array_position(%s, name)
"""


def statement_columns(available: set[str]) -> dict[str, str]:
    """Our field -> the pg_stat_statements column on this extension version.

    `total_time`/`mean_time` became `total_exec_time`/`mean_exec_time` in 1.8 (PG 13);
    `blk_read_time` became `shared_blk_read_time` in 1.11 (PG 17).
    """
    cols = {
        "calls": "calls",
        "rows": "rows",
        "shared_hit": "shared_blks_hit",
        "shared_read": "shared_blks_read",
        "query": "query",
    }
    cols["total_ms"] = "total_exec_time" if "total_exec_time" in available else "total_time"
    cols["mean_ms"] = "mean_exec_time" if "mean_exec_time" in available else "mean_time"
    for name in ("shared_blk_read_time", "blk_read_time"):
        if name in available:
            cols["read_time_ms"] = name
            break
    if "queryid" in available:
        cols["queryid"] = "queryid"
    missing = [c for c in cols.values() if c not in available]
    if missing:
        raise SourceError(
            f"pg_stat_statements lacks the columns {', '.join(missing)} on this server",
            "update the extension: ALTER EXTENSION pg_stat_statements UPDATE",
        )
    return cols


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def statements_sql(schema: str, cols: dict[str, str]) -> str:
    """The slow-query statement for the discovered columns (names come from a whitelist)."""
    s = {k: "s." + _ident(v) for k, v in cols.items()}
    queryid = s.get("queryid", "NULL::bigint")
    return (
        f"SELECT {queryid}, left({s['query']}, {QUERY_TEXT_LIMIT}), {s['calls']}, "
        f"{s['total_ms']}, {s['mean_ms']}, {s['rows']}, {s['shared_hit']}, "
        f"{s['shared_read']}, coalesce(r.rolname, ''), coalesce(d.datname, '') "
        f"FROM {_ident(schema)}.pg_stat_statements s "
        "LEFT JOIN pg_roles r ON r.oid = s.userid "
        "LEFT JOIN pg_database d ON d.oid = s.dbid "
        f"ORDER BY {s['total_ms']} DESC LIMIT {STATEMENT_LIMIT}"
    )


def preloaded(setting: str) -> bool:
    """True when shared_preload_libraries names pg_stat_statements."""
    names = [p.strip().strip('"') for p in setting.split(",")]
    return "pg_stat_statements" in names


def missing_extension(setting: str, database: str) -> Statements:
    """The guided message when the extension is not installed in this database."""
    if preloaded(setting):
        return Statements(
            False,
            f"pg_stat_statements is preloaded but not created in database {database}: "
            "run CREATE EXTENSION pg_stat_statements (arctui offers it behind a confirmation)",
            preloaded=True,
        )
    return Statements(
        False,
        "pg_stat_statements is not loaded: add shared_preload_libraries=pg_stat_statements "
        "to the server (e.g. `command: postgres -c shared_preload_libraries=pg_stat_statements`"
        " in the compose file), restart Postgres, then CREATE EXTENSION pg_stat_statements",
    )

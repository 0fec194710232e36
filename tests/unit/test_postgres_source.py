"""Postgres connection discovery, column discovery and blocking trees (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from arctui.config.envfiles import EnvLayers
from arctui.models import ContainerInfo, EnvValue, PortBinding, ServiceView, StackSnapshot
from arctui.sources.base import SourceError
from arctui.sources.postgres import discover, pgpass_matches
from arctui.tabs.postgres.models import Backend, blocking_tree
from arctui.tabs.postgres.reader import missing_extension, statement_columns, statements_sql


def container(**kw) -> ContainerInfo:
    base = dict(
        id="c" * 64,
        name="arc-oracle-sql",
        project="arc-platform",
        service="postgres",
        image="postgres:16",
        state="running",
        env=(("POSTGRES_USER", "ctr_user"), ("POSTGRES_PASSWORD", "ctr-pass"),
             ("POSTGRES_DB", "ctr_db")),
    )  # fmt: skip
    base.update(kw)
    return ContainerInfo(**base)  # type: ignore[arg-type]


def snapshot(*containers: ContainerInfo) -> StackSnapshot:
    return StackSnapshot(
        "arc-platform",
        (ServiceView("postgres", "postgres", tuple(containers)), ServiceView("redis", "redis")),
        0.0,
        "unix:///var/run/docker.sock",
    )


def layers(**values: str) -> EnvLayers:
    return EnvLayers(
        values={k: EnvValue(k, v, "/p/.env", secret="PASSWORD" in k) for k, v in values.items()}
    )


NO_PGPASS = {"HOME": "/nonexistent"}


def test_published_port_and_container_env():
    c = container(ports=(PortBinding(5432, "tcp", "0.0.0.0", 25432),))
    t = discover(snapshot(c), None, NO_PGPASS)
    assert t.params == {
        "host": "127.0.0.1",
        "port": "25432",
        "user": "ctr_user",
        "password": "ctr-pass",
        "dbname": "ctr_db",
    }
    assert t.container_name == "arc-oracle-sql" and "published port" in t.origins["port"]


def test_host_network_uses_loopback_and_the_port_variable():
    c = container(network_mode="host", env=(("PG_PORT", "15432"),))
    t = discover(snapshot(c), None, NO_PGPASS)
    assert (t.params["host"], t.params["port"]) == ("127.0.0.1", "15432")
    c = container(network_mode="host", env=())
    assert discover(snapshot(c), None, NO_PGPASS).params["port"] == "5432"


def test_env_files_win_over_the_container_env():
    c = container(ports=(PortBinding(5432, "tcp", "127.0.0.1", 5432),))
    t = discover(
        snapshot(c),
        layers(POSTGRES_USER="arc", POSTGRES_PASSWORD="file-pass", POSTGRES_DB="arc_db"),
        NO_PGPASS,
    )
    assert (t.params["user"], t.params["password"], t.params["dbname"]) == (
        "arc",
        "file-pass",
        "arc_db",
    )
    assert t.origins["password"] == "/p/.env POSTGRES_PASSWORD"
    assert "file-pass" not in t.describe() and "••••••" in t.describe()


def test_libpq_variables_override_discovery():
    c = container(ports=(PortBinding(5432, "tcp", "", 5432),))
    env = {**NO_PGPASS, "PGHOST": "db.internal", "PGPASSWORD": "envpass", "PGSSLMODE": "require"}
    t = discover(snapshot(c), layers(POSTGRES_PASSWORD="file-pass"), env)
    assert t.params["host"] == "db.internal" and t.params["password"] == "envpass"
    assert t.params["sslmode"] == "require" and t.origins["host"] == "environment PGHOST"
    assert t.params["port"] == "5432"  # what PG* does not say still comes from discovery


def test_pgservice_replaces_discovery():
    c = container(ports=(PortBinding(5432, "tcp", "", 5432),))
    t = discover(snapshot(c), layers(POSTGRES_PASSWORD="x" * 8), {**NO_PGPASS, "PGSERVICE": "arc"})
    assert t.params == {"service": "arc"}
    assert "service arc" in t.describe()


def test_explicit_dsn_wins_and_is_masked():
    env = {**NO_PGPASS, "ARCTUI_POSTGRES_DSN": "postgresql://ops:s3cr3t-pw@db:5433/arc_db"}
    t = discover(snapshot(container()), None, env)
    assert t.dsn == env["ARCTUI_POSTGRES_DSN"] and "s3cr3t-pw" not in t.describe()
    assert "s3cr3t-pw" in t.secrets()
    assert discover(None, None, NO_PGPASS, settings_dsn="host=x").dsn == "host=x"


def test_pgpass_entry_overrides_the_env_file_password(tmp_path: Path):
    pgpass = tmp_path / ".pgpass"
    pgpass.write_text("# comment\nother:*:*:*:nope\n127.0.0.1:5432:*:ctr_user:from-pgpass\n")
    pgpass.chmod(0o600)
    c = container(ports=(PortBinding(5432, "tcp", "", 5432),))
    t = discover(snapshot(c), None, {"HOME": str(tmp_path)})
    assert "password" not in t.params and t.params["passfile"] == str(pgpass)
    assert t.origins["password"] == str(pgpass) and "from-pgpass" not in t.describe()
    pgpass.chmod(0o644)  # libpq ignores a group/world-readable file, and so do we
    assert discover(snapshot(c), None, {"HOME": str(tmp_path)}).params["password"] == "ctr-pass"


def test_pgpass_escapes_and_wildcards(tmp_path: Path):
    p = tmp_path / "pass"
    p.write_text(r"db\:x:*:arc_db:arc:pw" + "\n")
    p.chmod(0o600)
    assert pgpass_matches(p, {"host": "db:x", "port": "1", "dbname": "arc_db", "user": "arc"})
    assert not pgpass_matches(p, {"host": "db", "port": "1", "dbname": "arc_db", "user": "arc"})


def test_no_postgres_service_still_uses_the_env_files():
    t = discover(None, layers(POSTGRES_USER="arc", POSTGRES_PORT="6543"), NO_PGPASS)
    assert t.container_id is None and t.params == {"user": "arc", "port": "6543"}


@pytest.mark.parametrize(
    ("columns", "total", "mean", "io"),
    [
        # 1.7 (PG 12): total_time, mean_time, blk_read_time
        ({"total_time", "mean_time", "blk_read_time"}, "total_time", "mean_time", "blk_read_time"),
        # 1.10 (PG 15/16): *_exec_time
        ({"total_exec_time", "mean_exec_time", "blk_read_time"}, "total_exec_time",
         "mean_exec_time", "blk_read_time"),
        # 1.11 (PG 17): shared_blk_read_time, stats_since
        ({"total_exec_time", "mean_exec_time", "shared_blk_read_time", "stats_since"},
         "total_exec_time", "mean_exec_time", "shared_blk_read_time"),
    ],
)  # fmt: skip
def test_statement_columns_follow_the_extension_version(columns, total, mean, io):
    base = {"calls", "rows", "shared_blks_hit", "shared_blks_read", "query", "queryid"}
    cols = statement_columns(base | columns)
    assert (cols["total_ms"], cols["mean_ms"], cols["read_time_ms"]) == (total, mean, io)
    sql = statements_sql("my schema", cols)
    assert f's."{total}" DESC' in sql and '"my schema".pg_stat_statements' in sql


def test_statement_columns_missing_is_a_clear_error():
    with pytest.raises(SourceError, match="lacks the columns rows") as info:
        statement_columns({"calls", "query"})
    assert "ALTER EXTENSION pg_stat_statements UPDATE" in info.value.fix


def test_missing_extension_messages():
    m = missing_extension("pg_stat_statements, auto_explain", "arc_db")
    assert m.preloaded and "CREATE EXTENSION pg_stat_statements" in m.message
    assert "arc_db" in m.message
    m = missing_extension("", "arc_db")
    assert not m.preloaded and "shared_preload_libraries" in m.message and "restart" in m.message


def b(pid: int, *blocked_by: int) -> Backend:
    return Backend(pid, "u", "d", "", "", "client backend", "active", "", "", 1.0, 1.0, 1.0,
                   "q", blocked_by)  # fmt: skip


def test_blocking_tree_chain_and_several_blockers():
    rows = (b(1), b(2, 1), b(3, 2), b(4), b(5, 4, 1), b(6))
    tree = [(d, x.pid) for d, x in blocking_tree(rows)]
    assert tree == [(0, 1), (1, 2), (2, 3), (1, 5), (0, 4), (1, 5)]


def test_blocking_tree_cycle_and_unknown_blocker():
    tree = [(d, x.pid) for d, x in blocking_tree((b(1, 2), b(2, 1)))]
    assert tree == [(0, 1), (1, 2)]
    tree = [(d, x.pid, x.user) for d, x in blocking_tree((b(7, 99),))]
    assert tree == [(0, 99, "?"), (1, 7, "u")]


@pytest.mark.parametrize(
    ("message", "reason", "fix"),
    [
        ('FATAL:  password authentication failed for user "arc" s3cret-pw', "refused the password",
         "POSTGRES_PASSWORD"),
        ("connection refused\n\tIs the server running", "not accepting connections",
         "postgres service running"),
        ("timeout expired", "did not answer within", "hung"),
        ('FATAL:  database "nope" does not exist', 'database "nope" does not exist',
         "POSTGRES_DB"),
        ("FATAL:  terminating connection due to administrator command", "closed the connection",
         "reconnects"),
        ("FATAL:  no pg_hba.conf entry for host", "no pg_hba.conf entry", "pg_hba.conf"),
    ],
)  # fmt: skip
def test_connection_errors_are_explained_without_secrets(message, reason, fix):
    from arctui.sources.postgres import PgTarget, _friendly

    t = PgTarget({"host": "db", "port": "5432", "user": "arc", "password": "s3cret-pw"}, {})
    err = _friendly(RuntimeError(message), t)
    assert reason in err.reason and fix in err.fix
    assert "s3cret-pw" not in err.reason + err.fix
    assert "arc@db:5432" in err.reason


def test_a_postgres_service_without_container_is_named_in_the_error():
    from arctui.sources.postgres import _friendly

    socket_error = RuntimeError(
        'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed'
    )
    t = discover(snapshot(), layers(POSTGRES_PASSWORD="pw-1"), NO_PGPASS)
    assert t.absent_service == "postgres"
    err = _friendly(socket_error, t)
    assert err.reason.startswith("the postgres service postgres has no container")
    assert "arctui start postgres" in err.fix
    assert "postgres_dsn in the settings" in err.fix  # the settings key is a way out too
    # An explicit host (PGHOST) or a running container: libpq's own reason stands.
    explicit = discover(snapshot(), None, {**NO_PGPASS, "PGHOST": "db.example"})
    assert "has no container" not in _friendly(socket_error, explicit).reason
    running = discover(snapshot(container()), None, NO_PGPASS)
    assert running.absent_service is None

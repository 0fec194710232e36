"""Snapshot -> table cells and detail text: pure functions."""

from __future__ import annotations

import pytest
from rich.text import Text

from arctui.config.masking import MASK
from arctui.models import (
    ContainerInfo,
    DeclaredService,
    HealthCheckResult,
    Mount,
    PortBinding,
    ServiceView,
    StackSnapshot,
)
from arctui.stack.report import summary
from arctui.tabs.services.view.presenters import (
    COLUMNS,
    DEFAULT_COLOURS,
    exit_text,
    matches,
    ports_text,
    service_detail,
    service_row,
    uptime,
    visible_services,
)

NOW = 1_700_000_000.0


def ctr(name: str = "c", state: str = "running", **kw) -> ContainerInfo:
    kw.setdefault("id", "0123456789abcdef0123")
    kw.setdefault("project", "arc-platform")
    kw.setdefault("service", name)
    kw.setdefault("image", "img:1")
    return ContainerInfo(name=name, state=state, **kw)


def svc(name: str, *containers: ContainerInfo, role: str = "other", **kw) -> ServiceView:
    return ServiceView(name=name, role=role, containers=containers, **kw)


def snap(*services: ServiceView) -> StackSnapshot:
    return StackSnapshot("arc-platform", services, taken_at=NOW, endpoint="unix:///x.sock")


# --- uptime / exit / ports ------------------------------------------------------------


def test_uptime_uses_most_recent_start_of_running_replicas() -> None:
    s = svc(
        "api",
        ctr("api-1", started_at=NOW - 3600, replica=1),
        ctr("api-2", started_at=NOW - 30, replica=2),
        # a stopped replica started more recently must not count
        ctr("api-3", state="exited", started_at=NOW - 5, exit_code=1, replica=3),
    )
    assert uptime(s, NOW) == 30


def test_uptime_none_when_nothing_runs() -> None:
    assert uptime(svc("x"), NOW) is None
    assert uptime(svc("x", ctr(state="exited", started_at=NOW - 10, exit_code=0)), NOW) is None
    assert uptime(svc("x", ctr(started_at=None)), NOW) is None


def test_exit_text_with_oom_and_dedup() -> None:
    s = svc(
        "worker",
        ctr("w1", state="exited", exit_code=137, oom_killed=True),
        ctr("w2", state="exited", exit_code=137, oom_killed=True),
        ctr("w3", state="restarting", exit_code=1),
        ctr("w4", state="running", exit_code=0),
        ctr("w5", state="created", exit_code=0),
    )
    assert exit_text(s) == "137 OOM,1"


def test_exit_text_empty_for_running_service() -> None:
    assert exit_text(svc("ok", ctr())) == ""


def test_ports_text_prefers_published_ports() -> None:
    c = ctr(
        ports=(
            PortBinding(5432, host_port=5432),
            PortBinding(9187),  # exposed, not published
            PortBinding(8080, host_ip="127.0.0.1", host_port=8082),
        )
    )
    assert ports_text(svc("pg", c)) == "5432 127.0.0.1:8082->8080"


def test_ports_text_shows_unpublished_when_nothing_is_published() -> None:
    assert ports_text(svc("r", ctr(ports=(PortBinding(6379),)))) == "(6379)"


def test_ports_text_falls_back_to_declared_ports() -> None:
    declared = DeclaredService("pg", ports=(PortBinding(5432, host_port=15432),))
    assert ports_text(svc("pg", declared=declared)) == "decl 15432->5432"
    # A stopped container has no ports in inspect: the declaration is shown.
    stopped = ctr(state="exited", exit_code=0)
    assert ports_text(svc("pg", stopped, declared=declared)) == "decl 15432->5432"


def test_ports_text_empty_without_ports() -> None:
    assert ports_text(svc("x", ctr())) == ""


# --- rows ----------------------------------------------------------------------------


def test_service_row_cells_are_text_in_column_order() -> None:
    s = svc(
        "postgres",
        ctr(
            "arc-oracle-sql",
            health="healthy",
            started_at=NOW - 125,
            restart_count=2,
            ports=(PortBinding(5432, host_port=5432),),
            image="postgres:16",
        ),
        role="postgres",
    )
    row = service_row(s, NOW)
    assert row.key == "postgres"
    assert len(row.cells) == len(COLUMNS)
    assert all(isinstance(c, Text) for c in row.cells)
    assert [c.plain for c in row.cells] == [
        "postgres",
        "",  # a role that repeats the service's name is left blank (issue 18 item 12)
        "running",
        "healthy",
        "2m",
        "2",
        "",
        "5432",
        "postgres:16",
    ]
    assert row.cells[2].style == DEFAULT_COLOURS["up"]
    assert row.cells[5].style == DEFAULT_COLOURS["down"]


def test_service_row_markup_in_name_is_literal() -> None:
    name = "[@click=app.quit]x[/nope]"
    row = service_row(svc(name, ctr(name, image="[b]img[/b]")), NOW)
    assert row.cells[0].plain == name
    assert row.cells[0].spans == []
    assert row.cells[8].plain == "[b]img[/b]"


def test_service_row_escapes_in_name_are_stripped() -> None:
    row = service_row(svc("evil\x1b]0;pwned\x07name", ctr()), NOW)
    assert row.cells[0].plain == "evilname"


def test_service_row_replica_counts_and_not_created() -> None:
    partial = svc("api", ctr("a1"), ctr("a2", state="exited", exit_code=2))
    cells = service_row(partial, NOW).cells
    assert cells[2].plain == "partial 1/2"
    assert cells[2].style == DEFAULT_COLOURS["degraded"]
    assert cells[6].plain == "2"

    absent = service_row(svc("debug", declared=DeclaredService("debug", image="busybox")), NOW)
    assert [c.plain for c in absent.cells][2:5] == ["not created", "-", "-"]
    assert absent.cells[8].plain == "busybox"


# --- filter and sort -----------------------------------------------------------------


@pytest.fixture
def stack() -> StackSnapshot:
    return snap(
        svc("redis", ctr("arc-sonic-cache", started_at=NOW - 50), role="redis"),
        svc("postgres", ctr("arc-oracle-sql", started_at=NOW - 500), role="postgres"),
        svc(
            "worker",
            ctr("w", state="restarting", restart_count=7, exit_code=1),
            role="app",
        ),
        svc("grafana", ctr("g", state="exited", exit_code=0), role="grafana"),
        svc("debug", declared=DeclaredService("debug")),
        svc(
            "api",
            ctr("api-1", started_at=NOW - 10, health="unhealthy", restart_count=1),
            ctr("api-2", state="exited", exit_code=1, replica=2),
            role="app",
        ),
    )


def names(services) -> list[str]:
    return [s.name for s in services]


def test_matches_fields() -> None:
    s = svc("postgres", ctr("arc-oracle-sql", health="healthy", image="postgres:16"), role="pg")
    assert matches(s, "")
    assert matches(s, "ORACLE")  # container name, case-insensitive
    assert matches(s, "healthy")
    assert matches(s, "running")
    assert matches(s, "16")
    assert not matches(s, "redis")


def test_visible_services_filters(stack) -> None:
    assert names(visible_services(stack, "app", "name", False, NOW)) == ["api", "worker"]
    assert names(visible_services(stack, "not created", "name", False, NOW)) == ["debug"]
    assert visible_services(stack, "nothing-like-this", "name", False, NOW) == []


def test_visible_services_sort_by_name_and_reverse(stack) -> None:
    assert names(visible_services(stack, "", "name", False, NOW)) == [
        "api",
        "debug",
        "grafana",
        "postgres",
        "redis",
        "worker",
    ]
    assert names(visible_services(stack, "", "name", True, NOW)) == [
        "worker",
        "redis",
        "postgres",
        "grafana",
        "debug",
        "api",
    ]


def test_state_sort_puts_restarting_and_stopped_first(stack) -> None:
    assert names(visible_services(stack, "", "state", False, NOW)) == [
        "worker",  # restarting
        "grafana",  # stopped
        "api",  # partial
        "debug",  # not created
        "postgres",  # running (ties by name)
        "redis",
    ]


def test_restarts_sort_most_first(stack) -> None:
    assert names(visible_services(stack, "", "restarts", False, NOW))[:2] == ["worker", "api"]


def test_uptime_sort_not_running_first_then_shortest(stack) -> None:
    assert names(visible_services(stack, "", "uptime", False, NOW)) == [
        "debug",
        "grafana",
        "worker",
        "api",
        "redis",
        "postgres",
    ]


def test_health_sort_unhealthy_first(stack) -> None:
    assert names(visible_services(stack, "", "health", False, NOW))[0] == "api"


# --- detail ------------------------------------------------------------------------------


def test_service_detail_masks_secrets_and_shows_the_rest() -> None:
    c = ctr(
        "arc-oracle-sql",
        env=(
            ("POSTGRES_USER", "arc"),
            ("POSTGRES_PASSWORD", "hunter2-very-secret"),
            ("DATABASE_URL", "postgres://arc:s3cr3tpw@arc-oracle-sql:5432/arc_db"),
            ("PGDATA", "/var/lib/postgresql/data/pgdata"),
        ),
        labels={"arc.service.tech": "postgresql"},
        mounts=(Mount("volume", "arc_postgres_data", "/var/lib/postgresql/data", True),),
        health_log=(HealthCheckResult(NOW - 31, NOW - 30, 0, "accepting connections\n"),),
        started_at=NOW - 90,
        restart_count=3,
    )
    text = service_detail(svc("postgres", c, role="postgres", depends_on=("vault",)), NOW).plain
    assert "hunter2-very-secret" not in text
    assert "s3cr3tpw" not in text
    assert f"POSTGRES_PASSWORD = {MASK}" in text
    assert f"DATABASE_URL = postgres://arc:{MASK}@arc-oracle-sql:5432/arc_db" in text
    assert "POSTGRES_USER = arc" in text
    assert "PGDATA = /var/lib/postgresql/data/pgdata" in text
    assert "arc.service.tech = postgresql" in text
    assert "vault" in text
    assert "accepting connections" in text
    assert "30s ago" in text
    assert "arc_postgres_data -> /var/lib/postgresql/data (ro)" in text
    assert "arc-oracle-sql  0123456789ab  running 1m  restarts 3" in text


def test_service_detail_of_declared_only_service_masks_declared_env() -> None:
    declared = DeclaredService(
        "debug",
        environment=(("API_TOKEN", "tok-123456"), ("LOG_LEVEL", "debug")),
        profiles=("debug",),
    )
    text = service_detail(svc("debug", declared=declared), NOW).plain
    assert "tok-123456" not in text
    assert "LOG_LEVEL = debug" in text
    assert "not created" in text
    assert "profiles: debug" in text
    assert "(nothing)" in text


def test_service_detail_exit_and_oom() -> None:
    c = ctr("w", state="exited", exit_code=137, oom_killed=True)
    assert "w  0123456789ab  exited exit 137 OOMKilled" in service_detail(svc("w", c), NOW).plain


def test_service_detail_outside_text_is_sanitized() -> None:
    c = ctr(
        "x",
        env=(("NOTE", "a\x1b]52;c;Zm9v\x07b"),),
        health_log=(HealthCheckResult(NOW - 2, NOW - 1, 1, "\x1b[31mfail[/nope]"),),
    )
    text = service_detail(svc("x", c), NOW).plain
    assert "\x1b" not in text
    assert "NOTE = ab" in text
    assert "fail[/nope]" in text


# --- summary -------------------------------------------------------------------------------


def test_summary_counts(stack) -> None:
    # 6 services; running: redis, postgres; problems: worker (restarting),
    # grafana (stopped), api (partial + unhealthy) -> 3.
    assert summary(stack) == (6, 2, 3)


def test_summary_counts_unhealthy_running_service_as_problem() -> None:
    s = snap(svc("a", ctr(health="unhealthy")), svc("b", ctr(health="healthy")))
    assert summary(s) == (2, 2, 1)


def test_summary_of_empty_snapshot() -> None:
    assert summary(snap()) == (0, 0, 0)


def test_a_role_other_than_the_name_is_shown() -> None:
    row = service_row(svc("raymond", ctr("arc-raymond-1"), role="app"), NOW)
    assert row.cells[[k for k, _ in COLUMNS].index("role")].plain == "app"

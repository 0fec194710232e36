"""Health against real containers: arctui's own fault project plus the shared test stack.

The fault project (`arctui-healthtest`, tests/integration/faults.py) plants real faults:
a crash-looping Kratos stand-in, an OOM-killed memory hog, an API needing its Postgres
with a REDIS_URL at a closed port, a collector config without a Loki exporter. The
shared `arctui-test` stack is only read. The doctor and diagnostics tests use the same
project (`faults`, one per session).
"""

from __future__ import annotations

import json

from arctui.config.settings import Settings
from arctui.ops.health.report import build_report
from arctui.session import real_session
from tests.integration.faults import (
    API_TOKEN,
    LOKI_PORT,
    PG_PASSWORD,
    PG_PORT,
    Faults,
    health,
    wait_for,
)
from tests.integration.stack import RunningStack, compose_env

# Tests ---------------------------------------------------------------------------------


def test_report_matches_the_planted_state(faults: Faults) -> None:
    report = build_report(faults.session())
    by = {s.service: s for s in report.services}
    assert not report.healthy
    assert by["postgres"].verdict == "healthy"
    assert by["postgres"].probe is not None and by["postgres"].probe.ok is True
    assert by["postgres"].probe.kind == "postgres"  # SELECT 1 through the Postgres source
    assert f":{PG_PORT}/" in by["postgres"].probe.target
    assert by["loki"].verdict == "healthy"
    assert by["loki"].probe is not None and by["loki"].probe.target.endswith(f":{LOKI_PORT}/ready")
    assert by["loki"].probe.latency_ms is not None and by["loki"].probe.latency_ms > 0
    assert by["api"].verdict == "healthy"
    # The crash loop and the OOM-killed hog: down, with the engine's own figures.
    kratos = faults.container("kratos")
    assert by["kratos"].verdict == "down"
    assert by["kratos"].restarts >= 1 and by["kratos"].restarts <= kratos.attrs["RestartCount"] + 5
    assert by["hog"].verdict in ("down", "healthy")  # between two OOM kills it may run
    assert by["hog"].restarts >= 1 or by["hog"].oom_killed


def test_shared_stack_healthy_unhealthy_and_down(test_stack: RunningStack) -> None:
    session = real_session(
        test_stack.stack_dir,
        env=None,
        files=[str(test_stack.compose_file)],
        project_name=test_stack.project,
        settings=Settings(),
        environ=compose_env(),
    )
    report = build_report(session)
    by = {s.service: s for s in report.services}
    assert by["gateway"].verdict == "healthy"
    assert by["gateway"].probe is not None and by["gateway"].probe.ok is True
    assert f":{test_stack.gateway_port}/ping" in by["gateway"].probe.target
    assert by["flags"].verdict == "unhealthy"
    assert by["flags"].probe is not None and by["flags"].probe.ok is False
    assert "404" in by["flags"].probe.output
    assert by["worker"].verdict == "down"
    assert by["redis"].probe is not None and by["redis"].probe.output == "PONG"
    assert by["extra"].verdict == "not created" and by["extra"].ok


def test_cli_exit_codes_and_json(faults: Faults, test_stack: RunningStack) -> None:
    proc = faults.cli("health", "--json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == 1 and doc["healthy"] is False
    assert {s["service"] for s in doc["services"]} >= {"postgres", "api", "kratos", "hog", "otel"}
    assert PG_PASSWORD not in proc.stdout and API_TOKEN not in proc.stdout
    ok = faults.cli("health", "--json", "--service", "loki", "--service", "postgres")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert sorted(s["service"] for s in json.loads(ok.stdout)["services"]) == ["loki", "postgres"]
    assert faults.cli("health", "--service", "nosuch").returncode == 2
    assert faults.cli("health", "--timeout", "-1").returncode == 2
    text = faults.cli("health")
    assert text.returncode == 1 and "kratos" in text.stdout and "down" in text.stdout


def test_stopping_postgres_shows_the_root_cause(faults: Faults) -> None:
    pg = faults.container("postgres")
    pg.stop(timeout=5)
    try:
        wait_for("api to turn unhealthy", lambda: health(faults.container("api")) == "unhealthy")
        report = build_report(faults.session())
        api = report.service("api")
        assert api is not None and api.verdict == "unhealthy"
        assert api.root_cause is not None and api.root_cause.service == "postgres"
        assert api.line() == "api unhealthy because postgres is down"
        assert "stopped" in api.root_cause.evidence
        proc = faults.cli("health")
        assert proc.returncode == 1
        assert "api unhealthy because postgres is down" in proc.stdout
    finally:
        pg.start()
        # Put the shared project back as the other modules expect it: api healthy again too.
        for service in ("postgres", "api"):
            wait_for(
                f"{service} healthy again",
                lambda s=service: health(faults.container(s)) == "healthy",
            )

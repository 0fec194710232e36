"""`arctui doctor` against real planted faults (the fault project, tests/integration/faults.py).

Each wizard must find its fault: the crash loop with a migration error in its logs, the
OOM-killed memory hog at its limit, connections to a closed port, a collector config
without a Loki exporter, and the security check's placeholder and default password.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from arctui.ops.doctor import run_doctor
from arctui.ops.doctor.models import DoctorReport, Finding
from tests.integration.faults import (
    API_TOKEN,
    CLOSED_PORT,
    PG_PASSWORD,
    PG_PORT,
    Faults,
)
from tests.integration.stack import RunningStack


@pytest.fixture(scope="module")
def report(faults: Faults) -> DoctorReport:
    """One doctor run over every wizard."""
    return run_doctor(faults.session())


def _found(
    report: DoctorReport, wizard: str, check: str, service: str = "", about: str = ""
) -> Finding:
    """The finding of that check (on that service, whose title names `about`)."""
    for f in report.findings:
        same_check = f.wizard == wizard and f.check == check
        if same_check and (not service or f.service == service) and about in f.title:
            return f
    pytest.fail(f"no {wizard}/{check} finding for {service or 'the stack'}: {report.lines()}")


def test_startup_finds_the_crash_loop_with_its_log_and_fix(report: DoctorReport) -> None:
    f = _found(report, "startup", "restart-loop", "kratos")
    assert f.severity == "error"
    assert any("migration failed" in e and e.startswith("log:") for e in f.evidence)
    assert any(e.startswith("restarts ") for e in f.evidence)
    assert any(fix.kind == "lifecycle" and fix.verb == "restart" for fix in f.fixes)


def test_memory_finds_the_oom_killed_hog_at_its_limit(report: DoctorReport, faults: Faults) -> None:
    f = _found(report, "memory", "oom-killed", "hog")
    limit = faults.container("hog").attrs["HostConfig"]["Memory"]  # an independent reading
    assert limit == 24 * 1024 * 1024
    # Running between two kills ("17.0 MiB (70% of 24.0 MiB)") or dead ("memory limit 24.0 MiB").
    assert any("24.0 MiB" in e for e in f.evidence), f.evidence  # units.size
    assert any("OOMKilled" in e or "oom event" in e for e in f.evidence)


def test_migrations_finds_the_error_and_offers_the_command(
    report: DoctorReport, faults: Faults
) -> None:
    f = _found(report, "migrations", "migration-error", "kratos")
    assert any("SQLSTATE 42P01" in e for e in f.evidence)
    fix = next(x for x in f.fixes if x.kind == "command")
    assert fix.command[:2] == ("docker", "compose")
    assert fix.command[-6:] == ("run", "--rm", "kratos", "migrate", "sql", "-e", "--yes")[-6:]
    steps = {s.name: s for r in report.results if r.id == "migrations" for s in r.steps}
    psql = faults.container("postgres").exec_run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(PG_PORT),
            "-U",
            "arc",
            "-d",
            "arc_db",
            "-Atc",
            "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1",
        ],
        environment={"PGPASSWORD": PG_PASSWORD},
    )
    assert psql.exit_code == 0, psql.output
    assert steps["databases"].detail == ", ".join(psql.output.decode().split())


def test_connectivity_finds_the_closed_port_from_inside(report: DoctorReport) -> None:
    # The api may also fail to reach other endpoints (its OTLP collector): find this one.
    f = _found(report, "connectivity", "cannot-connect", "api", about=f":{CLOSED_PORT}")
    assert f"127.0.0.1:{CLOSED_PORT}" in f.title and "REDIS_URL" in f.title
    assert any("nc -w 2" in e for e in f.evidence)
    steps = [s for r in report.results if r.id == "connectivity" for s in r.steps]
    db = next(s for s in steps if f":{PG_PORT} (DATABASE_URL)" in s.name)
    assert db.status == "ok" and "connected" in db.detail
    assert any(s.detail.startswith("tools: ") and "nc" in s.detail for s in steps)


def test_logs_wizard_finds_the_missing_loki_exporter(report: DoctorReport) -> None:
    f = _found(report, "logs", "collector-config", "otel")
    assert "no Loki exporter" in f.title
    assert any("exporters: [debug]" in e for e in f.evidence)
    steps = [s for r in report.results if r.id == "logs" for s in r.steps]
    assert any(s.name.startswith("Loki health") and s.status == "ok" for s in steps)


def test_security_finds_placeholder_and_default_password_without_values(
    report: DoctorReport,
) -> None:
    placeholder = _found(report, "security", "placeholder")
    assert any("KRATOS_SECRET_COOKIE" in e for e in placeholder.evidence)
    weak = _found(report, "security", "weak-password")
    assert any("GRAFANA_ADMIN_PASSWORD" in e for e in weak.evidence)
    text = "\n".join(report.lines())
    assert "CHANGE_ME_cookie_secret" not in text and PG_PASSWORD not in text


def test_cli_doctor_json_and_exit_codes(faults: Faults) -> None:
    proc = faults.cli("doctor", "--json", timeout=180)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == 1 and doc["findings"] >= 6
    assert [w["id"] for w in doc["wizards"]] == [
        "startup",
        "memory",
        "migrations",
        "connectivity",
        "logs",
        "security",
    ]
    assert PG_PASSWORD not in proc.stdout and API_TOKEN not in proc.stdout
    assert faults.cli("doctor", "--wizard", "nosuch").returncode == 2
    only = faults.cli("doctor", "--wizard", "security")
    assert only.returncode == 1 and "Security check" in only.stdout
    assert "Connectivity" not in only.stdout


def test_doctor_on_the_shared_stack_is_read_only(test_stack: RunningStack) -> None:
    before = subprocess.run(
        [
            "docker",
            "ps",
            "-a",
            "--filter",
            "label=com.docker.compose.project=arctui-test",
            "--format",
            "{{.ID}} {{.State}}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    from arctui.config.settings import Settings
    from arctui.session import real_session
    from tests.integration.stack import compose_env

    session = real_session(
        test_stack.stack_dir,
        None,
        [str(test_stack.compose_file)],
        test_stack.project,
        Settings(),
        environ=compose_env(),
    )
    result = run_doctor(session, only=("startup",))
    assert any(f.service == "worker" for f in result.findings)  # its crash loop
    after = subprocess.run(
        [
            "docker",
            "ps",
            "-a",
            "--filter",
            "label=com.docker.compose.project=arctui-test",
            "--format",
            "{{.ID}} {{.State}}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert sorted(line.split()[0] for line in before.splitlines()) == sorted(
        line.split()[0] for line in after.splitlines()
    )

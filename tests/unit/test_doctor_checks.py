"""The wizards' pure parts, and `arctui doctor` / `arctui health` on the demo platform."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from arctui.cli import main
from arctui.models import ContainerInfo
from arctui.ops.doctor import WIZARDS, run_doctor
from arctui.ops.doctor.connectivity import endpoints
from arctui.ops.doctor.logs_pipeline import analyse, exporters_section
from arctui.ops.doctor.migrations import _database_of
from arctui.ops.doctor.security import placeholder, tracked_by_git, weak
from arctui.session import demo_session

GOOD = """\
receivers: {otlp: {protocols: {grpc: {}}}}
exporters:
  loki:
    endpoint: http://loki:3100/loki/api/v1/push
service:
  pipelines:
    logs: {receivers: [otlp], exporters: [loki]}
"""


def test_collector_config_analysis() -> None:
    assert analyse(GOOD)[0] == []
    no_loki = GOOD.replace("loki:\n    endpoint: http://loki:3100/loki/api/v1/push", "debug: {}")
    no_loki = no_loki.replace("exporters: [loki]", "exporters: [debug]")
    assert analyse(no_loki)[0][0].startswith("no Loki exporter")
    unused = GOOD.replace("exporters: [loki]", "exporters: [debug]")
    assert any("does not use the Loki exporter" in p for p in analyse(unused)[0])
    otlphttp = GOOD.replace("loki:\n    endpoint", "otlphttp/logs:\n    endpoint").replace(
        "[loki]", "[otlphttp/logs]"
    )
    assert analyse(otlphttp)[0] == []
    assert analyse("exporters: [")[0][0].startswith("the config is not valid YAML")
    assert exporters_section(GOOD)[0] == "exporters:"


def test_endpoints_from_the_environment() -> None:
    c = ContainerInfo(
        "id", "api", "p", "api", "img", "running",
        env=(("DATABASE_URL", "postgres://arc:pw@db:5432/arc"), ("REDIS_HOST", "cache"),
             ("REDIS_PORT", "6379"), ("NATS_URL", "nats://bus"), ("OTEL_ENDPOINT", "otel:4317"),
             ("LOG_LEVEL", "info"), ("BAD_URL", "http://[::1")),
    )  # fmt: skip
    got = {(e.host, e.port, e.why) for e in endpoints(c)}
    assert got == {("db", 5432, "DATABASE_URL"), ("cache", 6379, "REDIS_HOST"),
                   ("bus", 4222, "NATS_URL"), ("otel", 4317, "OTEL_ENDPOINT")}  # fmt: skip


def test_security_rules() -> None:
    assert placeholder("CHANGE_ME_secret") and placeholder("changeme")
    assert weak("GRAFANA_ADMIN_PASSWORD", "admin")
    assert weak("DB_PASSWORD", "short")
    assert not weak("DB_PASSWORD", "a-long-random-value-123")
    assert not weak("DB_PASSWORD", "CHANGE_ME_x")  # a placeholder finding, not a weak one
    assert not weak("LOG_LEVEL", "info")
    assert _database_of({"DSN": "postgres://u:p@db:5432/kratos?sslmode=disable"}) == "kratos"


def test_tracked_by_git(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    env = tmp_path / ".env"
    env.write_text("A=1\n")
    other = tmp_path / ".env.prod"
    other.write_text("A=1\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", ".env"], check=True)
    assert tracked_by_git(env) is True
    assert tracked_by_git(other) is False
    assert tracked_by_git(Path("/") / ".env-nowhere") is None


def test_doctor_on_the_demo_finds_its_faults() -> None:
    report = run_doctor(demo_session())
    assert [r.id for r in report.results] == [w.id for w in WIZARDS]
    checks = {(f.wizard, f.check, f.service) for f in report.findings}
    assert ("memory", "oom-killed", "jaeger") in checks
    assert ("startup", "not-ready", "pulsar") in checks
    assert ("security", "exposed-internal", "") in checks
    assert all(r.error is None for r in report.results), [r.error for r in report.results]
    assert report.findings[0].severity == "error"  # errors first


def test_cli_health_and_doctor_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "health", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == 1 and {s["service"] for s in doc["services"]} >= {"postgres", "pulsar"}
    assert main(["--demo", "health", "--service", "traefik"]) == 0
    assert "traefik" in capsys.readouterr().out
    assert main(["--demo", "health", "--service", "nope"]) == 2
    assert main(["--demo", "doctor", "--wizard", "security", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [w["id"] for w in doc["wizards"]] == ["security"]
    assert main(["--demo", "doctor", "--wizard", "nope"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["--demo", "health", "--timeout", "0"])
    assert exc.value.code == 2


def test_health_when_the_engine_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from arctui.ops.health.report import build_report
    from arctui.sources.base import SourceError

    session = demo_session()

    def down(*_a: object, **_k: object) -> None:
        raise SourceError("cannot connect to the Docker engine", "start dockerd")

    monkeypatch.setattr(session.reader, "read", down)
    report = build_report(session)
    assert report.error == "cannot connect to the Docker engine" and not report.healthy
    assert report.to_json()["healthy"] is False and report.to_json()["services"] == []


def test_startup_wizard_says_when_the_stack_was_never_started() -> None:
    # Not created is fine for one service (a profile), but not for the whole stack.
    from arctui.models import StackSnapshot
    from arctui.ops.doctor import startup
    from arctui.ops.doctor.context import DoctorContext
    from arctui.ops.health.models import HEALTHY, NOT_CREATED, HealthReport, ServiceHealth

    def run(verdicts: dict[str, str]):
        ctx = DoctorContext(demo_session(), StackSnapshot("p", (), 0.0, "unix://"))
        services = tuple(ServiceHealth(n, "app", "x", None, v) for n, v in verdicts.items())
        ctx._report = HealthReport("p", "dev", 0.0, services)
        return startup.run(ctx)

    none = run({"db": NOT_CREATED, "api": NOT_CREATED})
    assert [(f.check, f.fixes[0].verb) for f in none.findings] == [("stack-not-created", "up")]
    assert "is up" not in " ".join(s.name for s in none.steps)
    some = run({"db": HEALTHY, "api": NOT_CREATED})
    assert some.findings == ()
    assert [s.name for s in some.steps] == [
        "1 declared service without a container",
        "every created service is up, healthy and not restarting",
    ]


def test_doctor_text_is_printed_as_it_runs_and_matches_the_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Streamed wizard by wizard, the text is the same as the whole report's.
    import argparse

    from arctui.cli_health import _doctor

    def frozen() -> float:
        return 1_796_000_000.0

    args = argparse.Namespace(json=False, wizard=["memory", "security"])
    assert _doctor(demo_session(clock=frozen), args) == 1
    streamed = capsys.readouterr().out.splitlines()
    report = run_doctor(demo_session(clock=frozen), only=("memory", "security"))
    assert streamed == report.lines()
    assert streamed[0] == "== High memory usage / OOM kills" and "[FIND] OOM kills" in streamed[2]

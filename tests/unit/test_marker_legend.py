"""Text `status`, `health` and `doctor` explain the `?` and `⇄` markers when they appear."""

from __future__ import annotations

import argparse
from dataclasses import replace

import pytest

from arctui import cli, cli_health
from arctui.session import demo_session
from arctui.stack import reader as stack_reader

OTHER = "/home/ops/arc-old/docker-compose.yml"


@pytest.fixture
def marked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo platform with raymond from another checkout and kratos undeclared."""
    build = stack_reader.build_services

    def with_marks(*args, **kwargs):  # type: ignore[no-untyped-def]
        services = build(*args, **kwargs)
        return tuple(
            replace(s, foreign_config=OTHER)
            if s.name == "raymond"
            else replace(s, undeclared=True)
            if s.name == "kratos"
            else s
            for s in services
        )

    monkeypatch.setattr(stack_reader, "build_services", with_marks)


def _status_text(capsys: pytest.CaptureFixture[str]) -> str:
    cli._status(demo_session(), as_json=False)
    return capsys.readouterr().out


def test_status_marks_names_and_explains_each_marker(marked, capsys) -> None:
    out = _status_text(capsys)
    lines = out.splitlines()
    assert any(line.startswith("raymond ⇄ ") for line in lines)
    assert any(line.startswith("kratos ? ") for line in lines)
    assert f"⇄ started from another checkout's compose files ({OTHER}): raymond" in out
    undeclared = next(line for line in lines if line.startswith("? no compose file"))
    assert undeclared.endswith(": kratos")
    assert "declares it (started by hand, from another checkout, or the files changed" in out


def test_status_without_markers_has_no_legend(capsys) -> None:
    out = _status_text(capsys)
    assert "⇄" not in out and "another checkout" not in out
    assert "no compose file" not in out


def test_health_text_marks_names_and_explains(marked) -> None:
    from arctui.ops.health.report import build_report

    session = demo_session()
    report = build_report(session, probe=False)
    lines = cli_health.health_lines(report, session.reader.last)
    assert any(line.startswith("raymond ⇄ ") for line in lines)
    assert any(
        line.startswith(f"⇄ started from another checkout's compose files ({OTHER})")
        for line in lines
    )
    assert lines[-1].startswith(f"{report.project}: ")  # the summary stays last
    plain = cli_health.health_lines(report)
    assert not any("⇄" in line for line in plain)


def test_health_for_one_service_explains_only_its_marker(marked) -> None:
    from arctui.ops.health.report import build_report

    session = demo_session()
    report = build_report(session, probe=False)
    report = replace(report, services=tuple(s for s in report.services if s.service == "kratos"))
    text = "\n".join(cli_health.health_lines(report, session.reader.last))
    assert "kratos ?" in text and "⇄" not in text


def test_doctor_text_ends_with_the_legend(marked, capsys) -> None:
    session = demo_session()
    cli_health._doctor(session, argparse.Namespace(json=False, wizard=["security"]))
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("note: ⇄ started from another checkout's") for line in out)
    assert any(line.startswith("note: ? no compose file of this checkout") for line in out)
    assert out[-1].endswith("findings") or out[-1].endswith("finding")

"""doctor, diagnostics and disk over several engines (issue 24), on three demo engines."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from arctui.cli import main
from arctui.config.engines import EngineSpec
from arctui.config.settings import Settings
from arctui.fleet import build_fleet
from arctui.ops import diagnostics
from arctui.session import demo_session

FLEET = ["--demo", "--engine", "staging=demo", "--engine", "prod=demo:3"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*FLEET, *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_doctor_checks_every_engine_and_each_finding_names_its_engine(capsys):
    code, out, _err = run(capsys, "doctor", "--json")
    data = json.loads(out)
    assert code == 1
    assert [e["name"] for e in data["engines"]] == ["local", "staging", "prod"]
    assert {w["engine"] for w in data["wizards"]} == {"local", "staging", "prod"}
    findings = [f for w in data["wizards"] for f in w["findings"]]
    assert data["findings"] == len(findings) == sum(e["findings"] for e in data["engines"])
    assert all(f["engine"] in ("local", "staging", "prod") for f in findings)
    # staging's grafana is stopped on staging only (the demo fleet): found there alone.
    grafana = {f["engine"] for f in findings if f["service"] == "grafana"}
    assert "staging" in grafana and "local" not in grafana
    code, out, _err = run(capsys, "doctor")
    assert "== staging: " in out and "== prod: " in out
    assert "(staging/grafana)" in out
    assert out.rstrip().splitlines()[-1].startswith(f"arc-platform: {data['findings']} findings")


def test_doctor_engine_option_checks_that_engine_only_and_names_a_bad_one(capsys):
    code, out, _err = run(capsys, "doctor", "--json", "--engine", "prod")
    data = json.loads(out)
    assert [e["name"] for e in data["engines"]] == ["prod"]
    assert {w["engine"] for w in data["wizards"]} == {"prod"}
    code, _out, err = run(capsys, "doctor", "--engine", "nope")
    assert code == 2 and "no engine called 'nope' (engines: local, staging, prod)" in err


def test_one_engine_doctor_json_is_unchanged(capsys):
    assert main(["--demo", "doctor", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert "engines" not in data and "engine" not in data["wizards"][0]


def test_diagnostics_one_bundle_a_folder_per_engine(capsys, tmp_path):
    path = tmp_path / "b.tar.gz"
    code, _out, _err = run(capsys, "diagnostics", "-o", str(path))
    assert code == 0
    with tarfile.open(path) as tar:
        names = tar.getnames()
    for engine in ("local", "staging", "prod"):
        assert f"arc-diagnostics/{engine}/services.txt" in names
        assert f"arc-diagnostics/{engine}/doctor.txt" in names
    assert "arc-diagnostics/REDACTION.txt" in names
    assert "arc-diagnostics/services.txt" not in names
    one = tmp_path / "one.tar.gz"
    assert run(capsys, "diagnostics", "-o", str(one), "--engine", "staging")[0] == 0
    with tarfile.open(one) as tar:
        assert "arc-diagnostics/services.txt" in tar.getnames()  # one engine: flat


def test_every_engines_folder_passes_the_redactor(monkeypatch, tmp_path: Path):
    primary = demo_session(Settings(), env="dev")
    fleet = build_fleet(primary, (EngineSpec("staging", host="demo"),))
    staging = fleet.by_name("staging")
    assert staging is not None
    staging.redactor.learn(["hunter2-of-staging"])
    real = diagnostics._services
    monkeypatch.setattr(
        diagnostics,
        "_services",
        lambda s: real(s) + ("password hunter2-of-staging\n" if s is staging else ""),
    )
    path = tmp_path / "b.tar.gz"
    result = diagnostics.write_bundle(primary, path, log_lines=5, engines=fleet.all)
    with tarfile.open(path) as tar:
        member = tar.extractfile("arc-diagnostics/staging/services.txt")
        assert member is not None
        text = member.read().decode()
    assert "hunter2" not in text and "password ••••••" in text
    assert result.redactions["staging/services.txt"].known == 1


def test_disk_of_every_engine_or_of_the_engine_named(capsys):
    code, out, _err = run(capsys, "disk", "--json", "--engine", "staging")
    assert code == 0 and json.loads(out)["engine"] == "staging"
    code, out, _err = run(capsys, "disk", "--json")
    engines = json.loads(out)["engines"]
    assert code == 0 and [e["engine"] for e in engines] == ["local", "staging", "prod"]
    assert engines[2]["production"] is True and engines[1]["env"] == "staging"
    # Each engine's own figures (the demo engines' data roots differ).
    assert len({e["data_root"]["free_bytes"] for e in engines}) == 3
    code, out, _err = run(capsys, "disk")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["ENGINE", "TYPE"]
    assert [line.split()[0] for line in lines[1:13]] == ["local"] * 4 + ["staging"] * 4 + [
        "prod!"
    ] * 4
    assert any(line.startswith("Engine prod! (prod): data root") for line in lines)
    assert run(capsys, "disk", "--engine", "nope")[0] == 2


def test_disk_of_an_unreadable_engine_says_why_the_others_are_printed(capsys, monkeypatch):
    from arctui.sources.base import SourceError
    from arctui.tabs.maintenance import reader

    real = reader.disk_report

    def disk_report(session):
        if session.engine_name == "prod":
            raise SourceError("engine at unix:///run/prod.sock did not answer in time")
        return real(session)

    monkeypatch.setattr(reader, "disk_report", disk_report)
    code, out, err = run(capsys, "disk")
    assert code == 3
    assert "engine prod: cannot read disk use: unreachable: engine at unix:///run/prod.sock" in err
    engines = {line.split()[0] for line in out.splitlines()[1:9]}
    assert engines == {"local", "staging"} and "prod" not in out
    code, out, _err = run(capsys, "disk", "--json")
    data = {e["engine"]: e for e in json.loads(out)["engines"]}
    assert code == 3 and data["prod"]["error"].startswith("unreachable: ")
    assert data["local"]["error"] is None and data["staging"]["usage"]

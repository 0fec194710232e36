"""`arctui images` and `arctui update` over three demo engines (issue 24)."""

from __future__ import annotations

import json

import pytest

from arctui.cli import main
from tests.unit.test_fleet_ops_cli import run


def test_images_covers_every_engine_and_names_it_per_row(capsys):
    code, out, err = run(capsys, "images")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["ENGINE", "SERVICE"]
    engines = [line.split()[0] for line in lines if " raymond " in f" {line} "]
    assert engines == ["local", "staging", "prod!"]
    assert "- prod!/raymond: not checked (demo)" in out
    assert "engine staging: 0 update(s) available · 15 services" in err
    code, out, _err = run(capsys, "images", "--json")
    data = json.loads(out)
    assert [e["engine"] for e in data["engines"]] == ["local", "staging", "prod"]
    assert [e["production"] for e in data["engines"]] == [False, False, True]
    assert all(len(e["rows"]) == 15 for e in data["engines"])


def test_images_engine_option_checks_one_engine_and_names_a_bad_one(capsys):
    code, out, _err = run(capsys, "images", "--json", "--engine", "staging")
    data = json.loads(out)
    assert code == 0 and "engines" not in data and len(data["rows"]) == 15
    code, _out, err = run(capsys, "images", "--engine", "nope")
    assert code == 2 and "no engine called 'nope' (engines: local, staging, prod)" in err


def test_one_engine_images_are_unchanged(capsys):
    assert main(["--demo", "images", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "engines" not in data and "engine" not in data


def test_update_of_a_service_on_several_engines_needs_the_engine(capsys):
    code, _out, err = run(capsys, "update", "raymond", "--yes")
    assert code == 2
    assert "raymond runs on several engines (local, staging, prod)" in err
    assert "add --engine NAME" in err


@pytest.mark.parametrize("engine", ["staging", "prod"])
def test_update_goes_to_the_named_engine(capsys, engine):
    code, _out, err = run(capsys, "update", "raymond", "--yes", "--engine", engine)
    # The demo has no registry: planned on that engine, then refused there.
    assert code == 2 and f"engine {engine} (demo (simulated engine))" in err
    assert "demo platform has no registry" in err

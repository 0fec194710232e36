"""`arctui postgres` on the demo source, and the pure report helpers."""

from __future__ import annotations

import json
import subprocess
import sys

from arctui.cli import main
from arctui.tabs.postgres.demo import DemoPostgres
from arctui.tabs.postgres.report import mask_sql, text_report, to_json


def test_demo_json_shape(capsys):
    assert main(["--demo", "postgres", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == 1
    assert data["overview"]["max_connections"] == 100
    tree = [(n["depth"], n["pid"]) for n in data["blocking_tree"]]
    assert tree == [(0, 2811), (1, 3390), (2, 3402), (2, 3407)]
    by = {b["pid"]: b for b in data["backends"]}
    assert by[2811]["blocking"] and by[3390]["blocked_by"] == [2811]
    assert by[3125]["long_running"] and by[3125]["state"] == "idle in transaction"
    assert data["statements"]["columns"]["total_ms"] == "total_exec_time"
    assert data["long_transactions"] == [2811]


def test_demo_text(capsys):
    assert main(["--demo", "postgres"]) == 0
    out = capsys.readouterr().out
    for heading in ("ACTIVITY", "BLOCKING TREE", "TABLES", "SLOW QUERIES", "LOCKS"):
        assert heading in out
    assert "public.events" in out


def test_headless_postgres_never_imports_textual():
    code = (
        "import sys; from arctui.cli import main; main(['--demo', 'postgres', '--json']);"
        "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules), 'textual'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_role_passwords_in_sql_are_masked():
    assert mask_sql("ALTER ROLE app PASSWORD 'hunter2'") == "ALTER ROLE app PASSWORD '••••••'"
    assert mask_sql("create user x with password $$p'w$$") == "create user x with password '••••••'"
    assert mask_sql("SELECT password FROM users") == "SELECT password FROM users"


def test_outside_text_is_cleaned_in_both_forms():
    from dataclasses import replace

    snap = DemoPostgres(clock=lambda: 1000.0).read()
    evil = replace(snap.backends[0], query="SELECT 1 \x1b]52;c;Zm9v\x07 [@click=app.quit]x[/y]")
    snap = replace(snap, backends=(evil, *snap.backends[1:]))
    text = text_report(snap, lambda s: s)
    assert "\x1b" not in text and "[@click=app.quit]x[/y]" in text
    data = to_json(snap, lambda s: s)
    assert data["backends"][0]["query"] == "SELECT 1  [@click=app.quit]x[/y]"

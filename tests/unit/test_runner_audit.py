"""The action runner (streaming, cancel by process group) and the audit log."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from arctui.config.envfiles import EnvLayers
from arctui.config.settings import Settings
from arctui.models import EnvValue
from arctui.ops.audit import AuditLog, default_audit_path, format_entry
from arctui.ops.gate import Gate
from arctui.ops.lifecycle import plan_action
from arctui.ops.runner import ActionResult, Outcome, run_action
from arctui.session import demo_session


def test_output_is_streamed_line_by_line_and_sanitized():
    lines: list[str] = []
    script = r"printf 'one\n\033]0;pwned\007two\033[31m red\n'; echo err >&2"
    result = run_action(["sh", "-c", script], lines.append, threading.Event())
    assert result.outcome is Outcome.OK and result.exit_code == 0
    assert lines == ["one", "two red", "err"]
    assert "\x1b" not in "".join(result.output)


def test_a_failing_command_keeps_its_error_output():
    result = run_action(["sh", "-c", "echo boom >&2; exit 4"], lambda s: None, threading.Event())
    assert result.outcome is Outcome.FAILED and result.exit_code == 4
    assert result.message == "exit code 4: boom"


def test_a_missing_program_is_a_failure_not_a_crash():
    result = run_action(["/nonexistent/docker"], lambda s: None, threading.Event())
    assert result.outcome is Outcome.FAILED and "cannot run" in result.message


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_cancel_stops_the_whole_process_group(tmp_path):
    pidfile = tmp_path / "pids"
    # A child that ignores SIGINT: only the SIGKILL after the grace period ends it.
    script = f"(trap '' INT; sleep 60) & echo $! > {pidfile}; echo started; wait"
    cancel = threading.Event()
    lines: list[str] = []
    box: list[ActionResult] = []
    worker = threading.Thread(
        target=lambda: box.append(run_action(["sh", "-c", script], lines.append, cancel))
    )
    worker.start()
    deadline = time.monotonic() + 10
    while "started" not in lines and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pidfile.read_text())
    assert _alive(child)
    cancel.set()
    worker.join(20)
    assert box and box[0].outcome is Outcome.CANCELLED
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the grandchild survived the cancel"


def _session(tmp_path: Path):
    s = demo_session(Settings())
    layers = EnvLayers(
        values={
            "POSTGRES_PASSWORD": EnvValue("POSTGRES_PASSWORD", "hunter2-pg", ".env", True),
            "DATABASE_URL": EnvValue(
                "DATABASE_URL", "postgres://arc:url-pass-77@db/arc", ".env", False
            ),
        }
    )
    import dataclasses

    return dataclasses.replace(s, env_layers=layers, environ={"MY_API_TOKEN": "tok-from-shell-1"})


def test_audit_line_has_every_field_and_secrets_are_redacted(tmp_path):
    s = _session(tmp_path)
    action = plan_action(s, "restart", "postgres")
    import dataclasses

    action = dataclasses.replace(
        action,
        command=(
            *action.command[:-1],
            "-e",
            "POSTGRES_PASSWORD=hunter2-pg",
            "--url=postgres://arc:url-pass-77@db",
            "tok-from-shell-1",
            "postgres",
        ),
    )
    result = ActionResult(
        Outcome.FAILED, 1, 2.345, ("auth failed for hunter2-pg",), "exit code 1: nope"
    )
    log = AuditLog(tmp_path / "state" / "audit.jsonl")
    ended = Gate(s, action, log).finish(result)
    assert "audit log not written" not in ended.message
    raw = log.path.read_text()
    for secret in ("hunter2-pg", "url-pass-77", "tok-from-shell-1"):
        assert secret not in raw
    entry = json.loads(raw)
    assert set(entry) >= {
        "time",
        "user",
        "env",
        "project",
        "action",
        "target",
        "command",
        "outcome",
        "duration_s",
        "exit_code",
        "detail",
    }
    assert entry["outcome"] == "failed" and entry["exit_code"] == 1
    assert entry["action"] == "restart" and entry["target"] == "postgres"
    assert entry["env"] == "demo" and entry["project"] == "arc-platform"
    assert entry["duration_s"] == 2.345 and "@" in entry["user"]
    assert entry["command"].startswith("docker compose -p arc-platform restart")
    assert "auth failed for" in entry["detail"]
    assert stat.S_IMODE(os.stat(log.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(log.path.parent).st_mode) == 0o700


def test_audit_read_returns_the_tail_and_skips_broken_lines(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(300):
        log.append({"action": "stop", "target": f"s{i}", "outcome": "ok"})
    with log.path.open("a") as f:
        f.write("{not json\n")
    log.append({"action": "start", "target": "last", "outcome": "ok", "replicas": None})
    entries = log.read(50, raw=True)
    assert len(entries) == 49  # the broken line is one of the last 50
    assert entries[-1]["target"] == "last" and entries[0]["target"] == "s252"
    attempts = log.read(50)  # 50 attempts, however many lines they took
    assert len(attempts) == 50 and attempts[0]["target"] == "s251"
    assert AuditLog(tmp_path / "missing.jsonl").read() == []


def test_audit_default_path_is_in_the_xdg_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "st"))
    assert default_audit_path() == tmp_path / "st" / "arctui" / "audit.jsonl"


def test_format_entry_sanitizes():
    row, command = format_entry(
        {
            "time": "2026-01-02T03:04:05+00:00",
            "user": "ops@h",
            "env": "prod",
            "project": "arc",
            "action": "scale",
            "target": "raymond\x1b]0;x\x07",
            "replicas": 3,
            "outcome": "ok",
            "duration_s": 1.25,
            "command": "docker compose up",
        }
    )
    assert row.startswith("2026-01-02 03:04:05  ops@h  prod  arc  scale raymond=3  OK  1.2s")
    assert "\x1b" not in row and command == "docker compose up"


def test_headless_modules_do_not_import_textual():
    code = (
        "import sys, arctui.ops.lifecycle, arctui.ops.perform, arctui.ops.audit, arctui.ops.runner,"
        " arctui.ops.bluegreen, arctui.cli_actions, arctui.cli, arctui.demo.actions\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual'"
        " or m.startswith('arctui.ui'))\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""

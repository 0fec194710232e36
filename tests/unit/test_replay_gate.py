"""Replay (`--at`) refuses every mutation kind at the gate, with one reason, before it runs.

The kinds are test_gate.py's KINDS (each through its real entry point with a recording
fake where the action itself would happen), so a new mutation kind is covered here too.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from arctui.ops.audit import AuditLog
from arctui.ops.runner import Outcome
from tests.unit.test_gate import KINDS, Recorder, _go, _session
from tests.unit.test_gate import fake_runner as fake_runner  # the fixture

AT = 1_765_000_000.0


@pytest.mark.parametrize("kind", KINDS)
def test_replay_refuses_every_kind_before_it_runs(tmp_path, kind, fake_runner: Recorder):
    s = dataclasses.replace(_session(tmp_path), replay_at=AT)
    audit = AuditLog(tmp_path / "audit.jsonl")
    outcome, message = _go(kind, s, audit, fake_runner, tmp_path)
    assert outcome is Outcome.REFUSED
    assert message.startswith("replay: ") and "not the live stack; nothing was run" in message
    assert not fake_runner  # nothing reached the runner, Redis, Postgres or the backups
    outcomes = [json.loads(line)["outcome"] for line in audit.path.read_text().splitlines()]
    assert outcomes == ["refused"]  # no "started" record


@pytest.mark.parametrize("kind", KINDS)
def test_replay_refusal_wins_over_read_only(tmp_path, kind, fake_runner: Recorder):
    s = dataclasses.replace(_session(tmp_path, read_only=True), replay_at=AT)
    outcome, message = _go(kind, s, AuditLog(tmp_path / "a.jsonl"), fake_runner, tmp_path)
    assert outcome is Outcome.REFUSED and message.startswith("replay: ")
    assert not fake_runner

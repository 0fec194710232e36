"""Blue-green preflight and comparison over fake sources."""

from __future__ import annotations

import dataclasses
import threading

from arctui.models import ComposeModel, DeclaredService, PortBinding
from arctui.ops import bluegreen as bg
from arctui.stack.reader import StackReader
from tests.unit.test_lifecycle import FakeEngine, containers, ctr, make_session


class Compose:
    def __init__(self, model: ComposeModel) -> None:
        self._model = model

    def model(self) -> ComposeModel:
        return self._model


def session_with(tmp_path, model: ComposeModel, engine: FakeEngine | None = None):
    s = make_session(tmp_path, engine)
    reader = StackReader("arc-platform", s.reader.containers, Compose(model))
    return dataclasses.replace(s, reader=reader)


def test_preflight_names_what_would_collide_or_be_shared(tmp_path):
    model = ComposeModel(
        project="arc-platform",
        services=(
            DeclaredService("postgres", container_name="arc-oracle-sql"),
            DeclaredService("traefik", ports=(PortBinding(80, "tcp", "", 80),)),
            DeclaredService("raymond", ports=(PortBinding(8081),)),  # not published
            DeclaredService("livekit", container_name="arc-voice", profiles=("voice",)),
        ),
        volumes=("arc-platform_cache", "arc_postgres_data"),
    )
    s = session_with(tmp_path, model, FakeEngine([]))
    new = bg.new_session(s, "arc-v2")
    assert new.project == "arc-v2" and new.spec.project_name == "arc-v2"
    assert new.spec.compose_files == s.spec.compose_files
    result = bg.preflight(s, new)
    text = "\n".join(result.blockers)
    assert "postgres sets container_name arc-oracle-sql" in text
    assert "traefik publishes host ports 80" in text
    assert "raymond" not in text and "livekit" not in text
    assert "arc_postgres_data" in text and "arc-platform_cache" not in text
    assert any("empty volumes" in n for n in result.notes)


def test_preflight_passes_for_a_copyable_stack_and_refuses_bad_names(tmp_path):
    model = ComposeModel(project="arc-platform", services=(DeclaredService("raymond"),), volumes=())
    s = session_with(tmp_path, model, FakeEngine([]))
    assert bg.preflight(s, bg.new_session(s, "arc-v2")).blockers == ()
    assert "another name" in bg.preflight(s, bg.new_session(s, "arc-platform")).blockers[0]
    assert "not a valid" in bg.preflight(s, bg.new_session(s, "Arc V2")).blockers[0]


def test_start_and_teardown_commands(tmp_path):
    s = make_session(tmp_path)
    new = bg.new_session(s, "arc-v2")
    start = bg.start_action(new)
    assert start.command[2:4] == ("-p", "arc-v2") and start.command[-2:] == ("up", "-d")
    assert "-f" in start.command and str(tmp_path / ".env") in start.command
    down = bg.teardown_action(s)
    assert down.command[2:4] == ("-p", "arc-platform") and down.command[-1] == "down"
    assert down.confirmations[0] == ("old project name", "arc-platform")


def test_wait_healthy_and_compare(tmp_path):
    engine = FakeEngine([ctr("raymond", health="starting")])
    s = make_session(tmp_path, engine)
    lines: list[str] = []
    ok, why = bg.wait_healthy(s, threading.Event(), lines.append, timeout=0.3, poll=0.1)
    assert not ok and "raymond (starting)" in why
    engine.items = containers()
    ok, _ = bg.wait_healthy(s, threading.Event(), lines.append, timeout=1, poll=0.1)
    assert ok and "all 2 services up" in lines[-1]
    cancel = threading.Event()
    cancel.set()
    engine.items = []
    ok, why = bg.wait_healthy(s, cancel, lines.append, timeout=10, poll=0.1)
    assert not ok and why == "stopped by the operator"
    engine.items = containers()
    old = s.reader.read()
    rows = bg.compare(old, dataclasses.replace(old, services=old.services[:1]))
    by = {r.service: r for r in rows}
    assert by["raymond"].new_state == "absent" and by["raymond"].old_state == "running"

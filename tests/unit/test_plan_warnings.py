"""A lifecycle confirmation warns about `⇄` and `?` services and a file set that does not render."""

from __future__ import annotations

from dataclasses import replace

import pytest

from arctui.config.masking import MASK, Redactor, active_redactor, use_redactor
from arctui.models import StackSnapshot
from arctui.ops.lifecycle import plan_action
from arctui.ops.plan_warnings import plan_warnings
from tests.unit.test_lifecycle import make_session

OTHER = "/home/ops/arc-old/docker-compose.yml"
RENDER = "required variable POSTGRES_PASSWORD is missing a value"


def _marked(snapshot: StackSnapshot, **changes: object) -> StackSnapshot:
    services = tuple(
        replace(s, **changes) if s.name == "raymond" else s  # type: ignore[arg-type]
        for s in snapshot.services
    )
    return replace(snapshot, services=services)


@pytest.fixture
def session(tmp_path):
    return make_session(tmp_path, env="prod", production=True)


def test_a_production_restart_of_a_foreign_service_says_whose_container_it_is(session) -> None:
    snapshot = _marked(session.reader.read(), foreign_config=OTHER)
    action = plan_action(session, "restart", "raymond", snapshot=snapshot)
    assert f"raymond runs from another checkout's compose files ({OTHER})" in action.consequence
    assert "acts on that checkout's container" in action.consequence
    plain = plan_action(session, "restart", "postgres", snapshot=snapshot)
    assert "another checkout" not in plain.consequence  # only the marked service


def test_a_file_set_that_does_not_render_is_in_every_confirmation(session) -> None:
    snapshot = replace(session.reader.read(), compose_error=RENDER)
    for verb, target in (("restart", "raymond"), ("stop", "postgres"), ("up", None)):
        action = plan_action(session, verb, target, snapshot=snapshot)
        assert f"do not render ({RENDER})" in action.consequence, verb
    partial = replace(snapshot, compose_partial=True)
    assert (
        "render only in part"
        in plan_action(session, "restart", "raymond", snapshot=partial).consequence
    )


def test_stack_actions_name_every_marked_service_and_keep_their_consequence(session) -> None:
    snapshot = _marked(session.reader.read(), foreign_config=OTHER)
    action = plan_action(session, "kill", None, snapshot=snapshot)
    assert action.consequence.startswith("No graceful shutdown")
    assert "raymond runs from another checkout's" in action.consequence
    down = plan_warnings(snapshot, "down", None)
    assert down == [
        f"raymond runs from another checkout's compose files ({OTHER}):"
        " this removes that checkout's container."
    ]
    assert "replaces it with this checkout's definition" in plan_warnings(snapshot, "up", None)[0]


def test_an_undeclared_service_is_warned_about(session) -> None:
    snapshot = _marked(session.reader.read(), undeclared=True)
    assert "No compose file of this checkout declares raymond" in (
        plan_action(session, "stop", "raymond", snapshot=snapshot).consequence
    )


def test_a_plan_on_a_declared_stack_that_renders_carries_no_warning(session) -> None:
    snapshot = session.reader.read()
    assert plan_warnings(snapshot, "restart", "raymond") == []
    assert plan_action(session, "restart", "raymond", snapshot=snapshot).consequence == ""


def test_warnings_pass_the_redactor(session) -> None:
    before = active_redactor()
    use_redactor(Redactor(["pgsecret1"]))
    try:
        snapshot = replace(session.reader.read(), compose_error="bad value pgsecret1")
        snapshot = _marked(snapshot, foreign_config="/srv/pgsecret1/compose.yml")
        text = " ".join(plan_warnings(snapshot, "restart", "raymond"))
    finally:
        use_redactor(before)
    assert "pgsecret1" not in text and MASK in text

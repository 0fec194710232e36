"""Headless status over several engines (issue 24): rows name their engine, an engine that
hangs or fails is reported and the others still print."""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

import pytest

from arctui.cli import main
from arctui.cli_status import status_command
from arctui.fleet import SWARM_NOTICE, Fleet, build_fleet
from arctui.ops.fleet_read import budget, read_fleet
from arctui.session import Session, demo_session
from arctui.sources.base import SourceError


class FakeEngine:
    """Just what the fleet reader asks of an engine client: timeout, endpoint, info."""

    def __init__(self, timeout: float = 0.3, info: Any = None) -> None:
        self.timeout = timeout
        self.endpoint = "unix:///run/fake.sock"
        self._info = info or {"Swarm": {"LocalNodeState": "inactive"}}

    def info(self) -> Any:
        return self._info

    def close(self) -> None:
        pass


class HangingReader:
    """A reader whose engine never answers (a SIGSTOPped dockerd) until released."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.release = threading.Event()
        self.entered, self.left = threading.Event(), threading.Event()
        self.compose = None

    def read(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        self.release.wait(30)
        self.left.set()
        raise SourceError("Docker engine at unix:///run/fake.sock did not answer in time")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class FailingReader(HangingReader):
    def read(self, *args: Any, **kwargs: Any) -> Any:
        raise SourceError("no Docker engine answers at unix:///run/gone.sock", "start it")


def _fleet(*members: Session) -> Session:
    primary = members[0]
    fleet = Fleet(primary, tuple(members[1:]))
    for s in members:
        object.__setattr__(s, "fleet", fleet)
    return primary


def _demo_fleet() -> Session:
    primary = demo_session(env="dev")
    build_fleet(primary, [build_spec("staging"), build_spec("prod")])
    return primary


def build_spec(name: str) -> Any:
    from arctui.config.engines import EngineSpec

    return EngineSpec(name, host="demo")


def test_json_rows_name_their_engine(capsys: pytest.CaptureFixture[str]) -> None:
    session = _demo_fleet()
    status_command(session, as_json=True)
    data = json.loads(capsys.readouterr().out)
    engines = [r["engine"] for r in data["services"]]
    assert sorted(set(engines)) == ["local", "prod", "staging"]
    per_engine = {e: [r["service"] for r in data["services"] if r["engine"] == e] for e in engines}
    expected = [v.name for v in session.reader.read().services]
    assert all(names == expected for names in per_engine.values())
    assert [e["name"] for e in data["engines"]] == ["local", "staging", "prod"]
    assert [e["production"] for e in data["engines"]] == [False, False, True]
    assert all(e["state"] == "ok" and e["error"] is None for e in data["engines"])
    # staging's grafana is stopped on staging only: that row is its own
    grafana = {r["engine"]: r["state"] for r in data["services"] if r["service"] == "grafana"}
    assert grafana == {"local": "running", "staging": "stopped", "prod": "running"}


def test_text_has_an_engine_column_only_with_several_engines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status_command(demo_session(), as_json=False)
    single = capsys.readouterr().out.splitlines()
    assert single[0].split()[0] == "SERVICE"
    status_command(_demo_fleet(), as_json=False)
    multi = capsys.readouterr().out.splitlines()
    assert multi[0].split()[:2] == ["ENGINE", "SERVICE"]
    body = [line.split()[0] for line in multi[1:] if line.strip() and not line[0].isspace()]
    assert {"local", "staging", "prod"} <= set(body)


def test_single_engine_json_keeps_its_shape(capsys: pytest.CaptureFixture[str]) -> None:
    status_command(demo_session(), as_json=True)
    data = json.loads(capsys.readouterr().out)
    assert {"project", "services", "compose_error", "notes"} <= set(data)
    assert {r["engine"] for r in data["services"]} == {"local"}
    assert len(data["engines"]) == 1


def test_a_hung_engine_is_reported_and_the_others_print(
    capsys: pytest.CaptureFixture[str],
) -> None:
    primary = demo_session()
    stuck_base = demo_session(engine_name="e3")
    reader = HangingReader(stuck_base.reader)
    stuck = dataclasses.replace(stuck_base, engine=FakeEngine(timeout=0.2), reader=reader)
    session = _fleet(primary, stuck)
    try:
        code = status_command(session, as_json=True)
        # It gave up on e3 after e3's own budget, while e3's read still hung.
        assert reader.entered.is_set() and not reader.left.is_set()
    finally:
        reader.release.set()
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {r["engine"] for r in data["services"]} == {"local"}
    e3 = data["engines"][1]
    assert e3["name"] == "e3" and e3["state"] == "unreachable"
    assert e3["error"].startswith("unreachable: no answer in")
    assert budget(stuck) == pytest.approx(0.2 * 3 + 1.0)


def test_a_failing_engine_says_why_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    primary = demo_session()
    base = demo_session(engine_name="e2")
    gone = dataclasses.replace(base, engine=FakeEngine(), reader=FailingReader(base.reader))
    code = status_command(_fleet(primary, gone), as_json=False)
    out = capsys.readouterr().out
    assert code == 1
    assert "engine e2: unreachable: no Docker engine answers at unix:///run/gone.sock" in out
    assert "  fix: start it" in out
    assert out.splitlines()[0].startswith("ENGINE")


def test_every_engine_unreachable_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    a = demo_session()
    a = dataclasses.replace(a, reader=FailingReader(a.reader))
    b = demo_session(engine_name="b")
    b = dataclasses.replace(b, reader=FailingReader(b.reader))
    assert status_command(_fleet(a, b), as_json=True) == 3
    err = capsys.readouterr().err
    assert "engine local: unreachable:" in err and "engine b: unreachable:" in err


def test_swarm_engine_gets_the_notice(capsys: pytest.CaptureFixture[str]) -> None:
    base = demo_session()
    swarm = dataclasses.replace(
        base, engine=FakeEngine(info={"Swarm": {"LocalNodeState": "active"}})
    )
    status_command(swarm, as_json=False)
    assert f"note: engine local: {SWARM_NOTICE}" in capsys.readouterr().err
    status_command(swarm, as_json=True)
    data = json.loads(capsys.readouterr().out)
    assert data["engines"][0]["notices"] == [f"engine local: {SWARM_NOTICE}"]


def test_read_fleet_raises_a_readers_bug() -> None:
    a, b = demo_session(), demo_session(engine_name="b")

    def read(session: Session) -> int:
        if session is b:
            raise ZeroDivisionError
        return 1

    with pytest.raises(ZeroDivisionError):
        read_fleet((a, b), read)


def test_cli_status_demo_fleet(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--demo", "--engine", "staging=demo", "status", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1  # the demo has unhealthy and stopped services
    assert {r["engine"] for r in data["services"]} == {"local", "staging"}


def test_logs_name_their_engine(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--demo", "--engine", "staging=demo", "logs", "--tail", "20", "--json"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 0 and len(lines) == 20
    assert {x["engine"] for x in lines} == {"local", "staging"}
    assert all(x["source"].startswith(x["engine"] + "/") for x in lines)
    stamps = [x["ts"] for x in lines]
    assert stamps == sorted(stamps)  # merged in time order
    main(["--demo", "logs", "--tail", "3", "--json"])
    single = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert single and all("engine" not in x and "/" not in x["source"] for x in single)


def test_health_json_names_engines(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--demo", "--engine", "prod=demo", "health", "--json", "--no-probe"])
    data = json.loads(capsys.readouterr().out)
    assert {s["engine"] for s in data["services"]} == {"local", "prod"}
    assert [e["name"] for e in data["engines"]] == ["local", "prod"]
    assert data["engines"][1]["production"] is True
    assert sum(data["counts"].values()) == len(data["services"])
    main(["--demo", "health", "--json", "--no-probe"])
    one = json.loads(capsys.readouterr().out)
    assert one["schema"] == data["schema"] and {s["engine"] for s in one["services"]} == {"local"}
    main(["--demo", "--engine", "prod=demo", "health", "--no-probe"])
    text = capsys.readouterr().out.splitlines()
    assert text[0].split()[:2] == ["ENGINE", "SERVICE"]
    assert any(line.startswith("prod · arc-platform:") for line in text)

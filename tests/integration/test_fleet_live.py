"""Three real engines (issue 24): the default dockerd and two extra ones
(tests/integration/extra_engines.py), each running the `arctui-fleet` project.

Rows come from all three; an action goes to its engine only (the engines' own StartedAt
says so); a SIGSTOPped dockerd leaves the other two updating at their rate and is
reported with its reason, SIGCONT brings it back; a production engine's action asks for
its env's name.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arctui.cli import build_parser, main, make_session
from arctui.cli_actions import run_action_command
from arctui.ops.audit import AuditLog
from arctui.session import Session
from tests.integration.extra_engines import FLEET_DIR, PROJECT, SERVICES, FleetEngines

TIMEOUT = 2.0  # seconds per engine call on the extra engines (settings: engines.timeout)


def _settings(fleet: FleetEngines) -> None:
    """e2 is staging, e3 is production; both answer within TIMEOUT or are unreachable."""
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "arctui" / "settings.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    envs = {"e2": "staging", "e3": "prod"}
    lines = ["engines:"]
    for engine in fleet.extra:
        lines.append(
            f"  - {{name: {engine.name}, host: '{engine.host}', env: {envs[engine.name]},"
            f" timeout: {TIMEOUT}}}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


BASE = ["--project-dir", str(FLEET_DIR), "-p", PROJECT, "--env", "dev"]


@pytest.fixture
def fleet(extra_engines: FleetEngines) -> FleetEngines:
    _settings(extra_engines)
    return extra_engines


@pytest.fixture
def session(fleet: FleetEngines) -> Iterator[Session]:
    argv = [*BASE, "status"]
    made = make_session(build_parser(argv).parse_args(argv))
    try:
        yield made
    finally:
        made.close()


def _status_json(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main([*BASE, "status", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_rows_from_all_three_engines(
    fleet: FleetEngines, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data = _status_json(capsys)
    assert code == 0, data
    by_engine: dict[str, list[str]] = {}
    for row in data["services"]:
        by_engine.setdefault(row["engine"], []).append(row["service"])
        assert row["state"] == "running" and row["health"] == "healthy", row
    assert by_engine == {name: sorted(SERVICES) for name in ("local", "e2", "e3")}
    engines = {e["name"]: e for e in data["engines"]}
    assert engines["e2"]["endpoint"] == fleet["e2"].host
    assert engines["e3"]["production"] is True and engines["e2"]["env"] == "staging"
    # The container each row names is that engine's own (its env says which engine).
    assert fleet["e3"].container_env("api")["FLEET_ENGINE"] == "e3"
    main([*BASE, "status"])
    text = capsys.readouterr().out.splitlines()
    assert text[0].split()[:2] == ["ENGINE", "SERVICE"]
    table = text[1 : text.index("")] if "" in text else text[1:]  # a legend may follow
    assert sorted(line.split()[0] for line in table) == sorted(
        ["local", "e2", "e3"] * len(SERVICES)
    )


def test_an_action_goes_to_its_engine_only(
    fleet: FleetEngines, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {e.name: e.started_at("cron") for e in fleet.engines}
    assert main([*BASE, "restart", "cron", "-y"]) == 2  # on all three: which one?
    assert "cron runs on several engines (local, e2, e3)" in capsys.readouterr().err
    assert main([*BASE, "restart", "cron", "--engine", "e2", "-y", "-t", "1"]) == 0
    after = {e.name: e.started_at("cron") for e in fleet.engines}
    assert after["e2"] != before["e2"]
    assert after["local"] == before["local"] and after["e3"] == before["e3"]
    [entry] = [e for e in AuditLog().read() if e["outcome"] != "started"]
    assert entry["engine"] == "e2" and entry["env"] == "staging" and entry["outcome"] == "ok"
    assert "restart" in entry["command"] and "cron" in entry["command"]


def test_a_production_engine_asks_for_its_env_name(fleet: FleetEngines) -> None:
    before = {e.name: e.started_at("cron") for e in fleet.engines}
    argv = [*BASE, "restart", "cron", "--engine", "e3", "-t", "1", "--i-know-this-is-production"]
    asked: list[str] = []

    def answer(word: str) -> Any:
        def ask(prompt: str) -> str:
            asked.append(prompt)
            return word

        return ask

    session = make_session(build_parser(argv).parse_args(argv))
    try:
        args = build_parser(argv).parse_args(argv)
        assert run_action_command(session, args, ask=answer("staging"), interactive=True) == 2
        assert asked and "prod" in asked[-1]
        assert fleet["e3"].started_at("cron") == before["e3"]  # refused: nothing ran
        assert run_action_command(session, args, ask=answer("prod"), interactive=True) == 0
    finally:
        session.close()
    after = {e.name: e.started_at("cron") for e in fleet.engines}
    assert after["e3"] != before["e3"]
    assert after["local"] == before["local"] and after["e2"] == before["e2"]
    outcomes = [(e["engine"], e["production"], e["outcome"]) for e in AuditLog().read()]
    assert ("e3", True, "refused") in outcomes and outcomes[-1] == ("e3", True, "ok")


class Poller:
    """Reads one engine's stack again and again on its own thread (as the TUI's poller
    does): when each read ended, and the reason of each failure."""

    def __init__(self, session: Session, period: float = 0.25) -> None:
        self.session = session
        self.period = period
        self.reads: list[tuple[float, str | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from arctui.sources.base import SourceError

        while not self._stop.is_set():
            try:
                self.session.reader.read(with_compose=False)
                self.reads.append((time.monotonic(), None))
            except SourceError as exc:
                self.reads.append((time.monotonic(), exc.reason))
            self._stop.wait(self.period)

    def ok_between(self, start: float, end: float) -> int:
        return sum(1 for t, err in self.reads if start <= t < end and err is None)

    def start(self) -> Poller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_stopped_dockerd_delays_nobody_and_recovers(
    fleet: FleetEngines, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    members = {s.engine_name: s for s in session.fleet}
    assert sorted(members) == ["e2", "e3", "local"]
    pollers = {name: Poller(s).start() for name, s in members.items()}
    events: list[Any] = []
    sub = members["e2"].events.subscribe(events.append, "fleet-test")
    try:
        _wait(lambda: all(p.ok_between(0, 1e12) >= 3 for p in pollers.values()), 30, "reads")
        calm = time.monotonic()
        time.sleep(TIMEOUT * 2)  # a window of reads on every engine before the stop
        with fleet["e3"].paused():
            paused = time.monotonic()
            # The stopped engine fails within its own timeout, with its reason...
            _wait(
                lambda: any(err and t > paused for t, err in pollers["e3"].reads),
                TIMEOUT * 4,
                "e3 to fail",
            )
            reason = next(err for t, err in pollers["e3"].reads if err and t > paused)
            assert "did not answer in time" in reason and "arctui-e3.sock" in reason
            # ...headless status reports it and still prints the other two...
            code, data = _status_json(capsys)
            assert code == 1
            assert {r["engine"] for r in data["services"]} == {"local", "e2"}
            e3 = next(e for e in data["engines"] if e["name"] == "e3")
            assert e3["state"] == "unreachable" and e3["error"].startswith("unreachable:")
            # ...and e2's events still arrive: a restart done behind arctui's back.
            fleet["e2"].docker("restart", "-t", "1", f"{PROJECT}-api-1")
            _wait(lambda: any(e is not None and e.action == "start" for e in events), 15, "event")
            time.sleep(max(0.0, paused + TIMEOUT * 2 - time.monotonic()))
            stopped_for = time.monotonic() - paused
        # The other two kept their rate while e3 was stopped (compared with before).
        for name in ("local", "e2"):
            before = pollers[name].ok_between(calm, paused) / (paused - calm)
            during = pollers[name].ok_between(paused, paused + stopped_for) / stopped_for
            assert during >= 0.5 * before, (name, before, during)
        # SIGCONT: e3 answers again.
        resumed = time.monotonic()
        _wait(
            lambda: any(err is None and t > resumed for t, err in pollers["e3"].reads),
            TIMEOUT * 6,
            "e3 to recover",
        )
        code, data = _status_json(capsys)
        assert {r["engine"] for r in data["services"]} == {"local", "e2", "e3"}
    finally:
        sub.close()
        for p in pollers.values():
            p.stop()


async def test_the_console_shows_a_stopped_dockerd_stale_then_recovers(
    fleet: FleetEngines,
) -> None:
    # The TUI over the three real engines: SIGSTOP e3's dockerd (by its own pid file).
    from arctui.tabs.services.view.tab import ServicesTab
    from arctui.ui.app import ArcApp
    from arctui.ui.fleet_cells import row_key, split_key
    from arctui.ui.widgets.banner import ProblemBanner
    from tests.ui.conftest import wait_for

    made = make_session(build_parser(BASE).parse_args(BASE))
    app = ArcApp(made)
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            table = app.query_one(ServicesTab).table

            def shown() -> list[str | None]:
                return list(dict.fromkeys(split_key(k)[0] for k in table.row_keys))

            await wait_for(pilot, lambda: shown() == ["local", "e2", "e3"], timeout=30)
            banner = app.query_one(ProblemBanner)
            e2, e3 = app.watches["e2"].poller, app.watches["e3"].poller
            with fleet["e3"].paused():
                e3.request()
                await wait_for(pilot, lambda: e3.failure is not None, timeout=TIMEOUT * 6)
                await wait_for(pilot, lambda: "engine e3" in str(banner.render()), timeout=5)
                assert "arctui-e3.sock" in str(banner.render())
                await wait_for(
                    pilot, lambda: "stale" in str(table.cell(row_key("e3", "api"), "engine"))
                )
                # e2 reads on while e3 hangs, and its rows are not stale.
                before = e2.last_ok or 0.0
                e2.request()
                await wait_for(pilot, lambda: (e2.last_ok or 0.0) > before, timeout=TIMEOUT * 3)
                assert "stale" not in str(table.cell(row_key("e2", "api"), "engine"))
                assert "engine e2" not in str(banner.render())
            # SIGCONT: e3 answers again, its banner line goes and its rows are fresh.
            e3.request()
            await wait_for(pilot, lambda: e3.failure is None, timeout=TIMEOUT * 10)
            await wait_for(pilot, lambda: "engine e3" not in str(banner.render()), timeout=5)
            await wait_for(
                pilot, lambda: "stale" not in str(table.cell(row_key("e3", "api"), "engine"))
            )
    finally:
        made.close()

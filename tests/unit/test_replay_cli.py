"""`--at` on the command line: a replay session, and every headless command refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from arctui import cli
from arctui.config.errors import ConfigError
from arctui.record.replay_session import NoEngine, ReplayResources, ReplayStackReader
from arctui.sources.base import SourceError
from tests.replay_support import START, STEP, demo_frames, write_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames, events = demo_frames(count=12)
    return write_store(tmp_path_factory.mktemp("rec") / "demo.sqlite", frames, events)


def _args(*argv: str):
    return cli.build_parser(list(argv)).parse_args(list(argv))


@pytest.fixture
def no_runner(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []
    monkeypatch.setattr("arctui.ops.perform.run_action", lambda *a, **k: calls.append(a))
    return calls


@pytest.mark.parametrize(
    "argv",
    [
        ["restart", "raymond"],
        ["down"],
        ["clean"],
        ["backup", "postgres"],
        ["restore", "some-id"],
        ["drill"],
        ["postgres"],
    ],
)
def test_every_headless_command_is_refused_with_at(argv, store, no_runner, capsys):
    code = cli.main(["--demo", "--store", str(store), "--at", "03:10", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert f"`arctui {argv[0]}`" in err and "refused with --at (nothing was run)" in err
    assert no_runner == []


def test_at_makes_a_replay_session_that_reads_no_engine(store):
    at = START + 5 * STEP + 1
    session = cli.make_session(_args("--demo", "--store", str(store), "--at", f"@{at}"))
    assert session.replay_at is not None
    assert session.engine is None
    assert isinstance(session.reader, ReplayStackReader)
    assert isinstance(session.reader.containers, NoEngine)
    assert isinstance(session.resources, ReplayResources)
    with pytest.raises(SourceError, match="the engine is not read"):
        session.reader.containers.containers(session.project)


def test_an_iso_moment_shows_that_frame(store):
    from datetime import datetime

    iso = datetime.fromtimestamp(START + 5 * STEP + 1).isoformat()
    session = cli.make_session(_args("--demo", "--store", str(store), "--at", iso))
    assert session.replay.frame.ts == START + 5 * STEP
    assert session.clock() == START + 5 * STEP + 1
    assert session.reader.read() is session.replay.frame.stack


def test_no_recording_is_a_clear_error(tmp_path, capsys):
    code = cli.main(["--demo", "--store", str(tmp_path / "none.sqlite"), "--at", "2h ago"])
    assert code == 2
    err = capsys.readouterr().err
    assert "nothing recorded at" in err and "arctui record" in err
    assert not (tmp_path / "none.sqlite").exists()  # a replay never creates a store


def test_a_bad_time_and_a_time_before_the_recording_are_clear_errors(store, capsys):
    assert cli.main(["--demo", "--store", str(store), "--at", "whenever"]) == 2
    assert "--at: 'whenever' is not a time" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="reaches back to"):
        cli.make_session(_args("--demo", "--store", str(store), "--at", f"@{START - 3600}"))


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    assert cli.main(["--demo", "--store", str(bad), "--at", "2h ago"]) == 2
    assert "cannot replay" in capsys.readouterr().err


def test_status_at_prints_the_recorded_moment_and_says_so(store, capsys):
    import json

    from arctui.record.store import Store

    with Store.open(store, readonly=True) as s:
        frames = [s.frame_at(START + i * STEP) for i in (2, 11)]
    for frame in frames:
        assert frame is not None and frame.stack is not None
        code = cli.main(["--demo", "--store", str(store), "--at", f"@{frame.ts + 1}",
                         "status", "--json"])  # fmt: skip
        out, err = capsys.readouterr()
        assert code in (0, 1), err
        assert "REPLAY: the recorded state at" in err
        rows = {r["service"]: r for r in json.loads(out)["services"]}
        assert {s.name for s in frame.stack.services} <= set(rows)
        for service in frame.stack.services:
            assert rows[service.name]["restarts"] == service.restart_count

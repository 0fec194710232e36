"""The engine's json-file logs read from disk (sources/json_logs.py), on real files laid
out as dockerd writes them: a line written in two parts, several rotations between two
reads, a file truncated in place."""

from __future__ import annotations

import json
import os
from pathlib import Path

from arctui.sources.docker_logs import LogTarget
from arctui.sources.json_logs import LogFiles

T = LogTarget("c1", "p-web-1", "web")


def _obj(text: str, stream: str = "stdout", end: str = "\n") -> bytes:
    stamp = "2026-12-08T03:00:00.123456789Z"
    return json.dumps({"log": text + end, "stream": stream, "time": stamp}).encode() + b"\n"


def _texts(files: LogFiles) -> list[str]:
    return [r.data.decode() for r in files.read()]


def test_a_torn_write_waits_and_a_split_line_is_joined(tmp_path: Path) -> None:
    log = tmp_path / "c1-json.log"
    log.write_bytes(b"")
    files = LogFiles()
    files.add(T, str(log), at_end=True)
    whole = _obj("one") + _obj("two", "stderr")
    with open(log, "ab") as f:
        f.write(whole[:-7])  # the engine is still writing the second object
    assert _texts(files) == ["one"]
    with open(log, "ab") as f:
        f.write(whole[-7:] + _obj("sp", end="") + _obj("lit"))
    got = files.read()
    assert [(r.stream, r.data) for r in got] == [("stderr", b"two"), ("stdout", b"split")]
    assert got[0].ts_ns == 1796698800123456789


def test_several_rotations_between_reads_lose_nothing(tmp_path: Path) -> None:
    log = tmp_path / "c1-json.log"
    log.write_bytes(_obj("before"))
    files = LogFiles()
    files.add(T, str(log), at_end=True)  # lines from now on
    with open(log, "ab") as f:
        f.write(_obj("a"))
    for name in ("b", "c"):  # rotate: .1 -> .2, the file -> .1, a new file
        if (tmp_path / "c1-json.log.1").exists():
            os.rename(tmp_path / "c1-json.log.1", tmp_path / "c1-json.log.2")
        os.rename(log, tmp_path / "c1-json.log.1")
        log.write_bytes(_obj(name))
    assert _texts(files) == ["a", "b", "c"]
    with open(log, "ab") as f:
        f.write(_obj("d"))
    assert _texts(files) == ["d"]


def test_a_file_truncated_in_place_is_read_again_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "c1-json.log"
    log.write_bytes(_obj("x" * 50))
    files = LogFiles()
    files.add(T, str(log), at_end=False)
    assert _texts(files) == ["x" * 50]
    log.write_bytes(_obj("y"))  # copytruncate: same file, shorter
    assert _texts(files) == ["y"]
    files.close()
    assert files.ids() == set()

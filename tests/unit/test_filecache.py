"""Parsed files cached on disk: reused only for the exact same text, never stale."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from arctui.config.envfiles import read_env_file
from arctui.config.errors import ConfigError
from arctui.filecache import cache_dir, parsed, yaml_file


def _counting(result: object) -> tuple[list[str], object]:
    calls: list[str] = []

    def parse(text: str) -> object:
        calls.append(text)
        return result

    return calls, parse


def test_a_parse_is_reused_for_the_same_text_and_redone_for_any_change(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    calls, parse = _counting({"a": [1, 2.5, None, True, "x"]})
    assert parsed("t", path, "a: 1", parse) == {"a": [1, 2.5, None, True, "x"]}
    assert parsed("t", path, "a: 1", parse) == {"a": [1, 2.5, None, True, "x"]}
    assert calls == ["a: 1"]
    parsed("t", path, "a: 2", parse)  # one character changed: parsed again
    parsed("t", path, "a: 1 ", parse)
    assert calls == ["a: 1", "a: 2", "a: 1 "]
    parsed("t", tmp_path / "other.yaml", "a: 1 ", parse)  # same text, another file
    parsed("u", path, "a: 1 ", parse)  # same file, another parser
    assert len(calls) == 5


def test_results_json_does_not_give_back_unchanged_are_never_kept(tmp_path: Path) -> None:
    import datetime

    for i, result in enumerate(
        [{1: "int key"}, ("a", "tuple"), {"d": datetime.date(2026, 1, 1)}, float("nan")]
    ):
        calls, parse = _counting(result)
        path = tmp_path / f"f{i}"
        parsed("t", path, "text", parse)
        again = parsed("t", path, "text", parse)
        assert len(calls) == 2 and again is result  # each time the parser's own result


def test_entries_are_private_and_a_corrupt_one_is_parsed_again(tmp_path: Path) -> None:
    calls, parse = _counting({"secret": "hunter2"})
    parsed("t", tmp_path / "f", "x", parse)
    (entry,) = cache_dir().glob("t-*.json")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_dir().stat().st_mode) == 0o700
    entry.write_text("{not json")
    assert parsed("t", tmp_path / "f", "x", parse) == {"secret": "hunter2"}
    assert len(calls) == 2


def test_parse_errors_raise_every_time_and_are_not_kept(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("GOOD=1\nBAD='unbalanced\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match="BAD"):
            read_env_file(env)
    env.write_text("GOOD=1\nSECRET_KEY=s3\n")
    assert read_env_file(env) == {"GOOD": "1", "SECRET_KEY": "s3"}
    env.write_text("GOOD=2\n")  # an edit is read, not the cached values
    assert read_env_file(env) == {"GOOD": "2"}


def test_a_cached_compose_file_reads_as_parsed_and_follows_edits(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("name: one\nservices:\n  a:\n    env_file: [a.env]\n")
    first = yaml_file(compose)
    assert yaml_file(compose) == first
    assert first == {"name": "one", "services": {"a": {"env_file": ["a.env"]}}}
    compose.write_text("name: two\n")
    assert yaml_file(compose) == {"name": "two"}
    compose.write_text("services: [unclosed\n")
    assert yaml_file(compose) is None  # not YAML: as if it declared nothing
    assert yaml_file(tmp_path / "absent.yaml") is None

"""The search/filter of the Logs tab and `arctui logs --grep/--level`."""

from __future__ import annotations

import pytest

from arctui.tabs.logs.filter import FilterError, LineFilter
from arctui.tabs.logs.models import Level, LogLine


def line(text: str, level: Level | None = None) -> LogLine:
    return LogLine(0, 0, "svc", "svc", "svc-1", "stdout", level, text)


def test_plain_text_is_literal_and_smart_case() -> None:
    f = LineFilter("a.b")
    assert f.matches(line("x A.B y")) and not f.matches(line("axb"))
    assert not LineFilter("Timeout").matches(line("timeout"))  # upper case: sensitive
    assert LineFilter("timeout").matches(line("TIMEOUT"))


def test_case_modes() -> None:
    assert not LineFilter("error", case="sensitive").matches(line("ERROR"))
    assert LineFilter("Error", case="insensitive").matches(line("ERROR"))
    with pytest.raises(FilterError):
        LineFilter("x", case="loud")


def test_regex_and_spans() -> None:
    f = LineFilter(r"err(or)?\b", regex=True)
    assert f.matches(line("an err here")) and not f.matches(line("erratic"))
    assert list(f.spans("error and err")) == [(0, 5), (10, 13)]
    assert list(LineFilter(r"x*", regex=True).spans("abc")) == []  # empty matches skipped


def test_bad_regex_is_a_clear_error() -> None:
    with pytest.raises(FilterError, match="bad regular expression"):
        LineFilter("(unclosed", regex=True)


def test_level_is_a_minimum_and_hides_lines_without_one() -> None:
    f = LineFilter(level=Level.WARN)
    assert f.matches(line("x", Level.ERROR)) and f.matches(line("x", Level.WARN))
    assert not f.matches(line("x", Level.INFO)) and not f.matches(line("x", None))
    both = LineFilter("db", level=Level.ERROR)
    assert both.matches(line("db down", Level.ERROR)) and not both.matches(line("db", Level.WARN))


def test_empty_filter_matches_all_and_describes_itself() -> None:
    assert LineFilter().matches(line("anything")) and not LineFilter().active
    assert LineFilter("x", level=Level.WARN).describe() == "'x' text, smart case; level >= WARN"

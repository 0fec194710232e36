"""`parse_when`: the moments an operator types for --at, --since and --until."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from arctui.record.when import WhenError, describe, parse_when


@pytest.fixture(autouse=True)
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A zone that is not UTC, so a local-vs-UTC mix-up shows."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _local(*args: int) -> float:
    return datetime(*args).astimezone().timestamp()  # type: ignore[misc]


def test_a_clock_time_earlier_today_is_today() -> None:
    now = _local(2026, 12, 7, 9, 0, 0)
    assert parse_when("03:10", now) == _local(2026, 12, 7, 3, 10, 0)
    assert parse_when("03:10:30", now) == _local(2026, 12, 7, 3, 10, 30)
    assert parse_when(" 9:00 ", now) == now  # the present is not the future


def test_a_clock_time_still_ahead_today_means_yesterday() -> None:
    now = _local(2026, 12, 7, 2, 0, 0)
    assert parse_when("03:10", now) == _local(2026, 12, 6, 3, 10, 0)
    assert parse_when("23:59:59", now) == _local(2026, 12, 6, 23, 59, 59)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s ago", 90),
        ("2h ago", 7200),
        ("3d ago", 3 * 86400),
        ("1w ago", 7 * 86400),
        ("15m", 900),
        ("1h30m ago", 5400),
        ("1h 30m ago", 5400),
        ("2 hours ago", 7200),
        ("10 minutes ago", 600),
        ("1 day ago", 86400),
        ("0.5h ago", 1800),
        ("2H AGO", 7200),
        ("now", 0),
    ],
)
def test_relative_times(text: str, seconds: float) -> None:
    now = 1_800_000_000.0
    assert parse_when(text, now) == now - seconds


def test_iso_times_without_a_zone_are_local() -> None:
    now = _local(2026, 12, 8, 0, 0, 0)
    assert parse_when("2026-12-07T03:10", now) == _local(2026, 12, 7, 3, 10)
    assert parse_when("2026-12-07 03:10:05", now) == _local(2026, 12, 7, 3, 10, 5)
    assert parse_when("2026-12-07T03:10:05.250", now) == _local(2026, 12, 7, 3, 10, 5) + 0.25


def test_iso_times_with_a_zone_keep_it() -> None:
    utc = datetime(2026, 12, 7, 3, 10, tzinfo=UTC).timestamp()
    assert parse_when("2026-12-07T03:10Z", 0) == utc
    assert parse_when("2026-12-07T03:10:00+00:00", 0) == utc
    assert parse_when("2026-12-07T04:10+01:00", 0) == utc
    # Berlin is UTC+1 in December: the same instant typed as local time.
    assert parse_when("2026-12-07T04:10", 0) == utc


def test_a_date_is_its_local_midnight() -> None:
    assert parse_when("2026-12-07", 0) == _local(2026, 12, 7, 0, 0, 0)
    midnight = parse_when("2026-12-07", 0)
    assert datetime.fromtimestamp(midnight) + timedelta(days=1) == datetime(2026, 12, 8)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "no time given"),
        ("   ", "no time given"),
        ("yesterday-ish", "is not a time arctui understands"),
        ("25:00", "is not a time of day"),
        ("03:61", "is not a time of day"),
        ("2h ahead", "is not a time arctui understands"),
        ("-2h", "is not a time arctui understands"),
        ("2026-13-07", "is not a time arctui understands"),
        ("3x ago", "is not a time arctui understands"),
    ],
)
def test_bad_input_is_a_clear_error(text: str, says: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_when(text, 1_800_000_000.0)
    message = str(err.value)
    assert says in message
    if text.strip():
        assert "03:10" in message or "00:00" in message  # says what would work


def test_a_huge_text_is_not_echoed_whole() -> None:
    with pytest.raises(WhenError) as err:
        parse_when("x" * 10_000, 0)
    assert len(str(err.value)) < 300


def test_unix_seconds_after_an_at_sign() -> None:
    assert parse_when("@1765000000.5", 0) == 1765000000.5
    with pytest.raises(WhenError):
        parse_when("@12ab", 0)


def test_describe_is_local_wall_time() -> None:
    assert describe(_local(2026, 12, 7, 3, 10, 5)) == "2026-12-07 03:10:05"

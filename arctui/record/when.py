"""`--at WHEN`, `--since`, `--until`: a moment typed by a person, as unix seconds.

Accepted, in the local time zone unless the text names one:

- `03:10`, `03:10:30`: that time today, or yesterday when today's is still ahead
  (after an incident the operator asks about the night that just ended);
- `90s ago`, `15m ago`, `2h ago`, `3d ago`, `1w ago` (also `2h`, `1h30m ago`, `now`);
- ISO 8601: `2026-12-07T03:10`, `2026-12-07 03:10:05`, with `Z` or `+01:00`;
- a date, `2026-12-07`: its midnight;
- `@1765000000`: unix seconds (as `date -d @N`), for scripts.

Anything else raises `WhenError` with what was typed and the forms that work.
Plain Python, no Textual.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

FORMS = (
    "03:10, 03:10:30, 90s ago, 2h ago, 3d ago, 2026-12-07, 2026-12-07T03:10[:05][+01:00], "
    "@UNIX-SECONDS"
)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_AGO = re.compile(r"^((?:\d+(?:\.\d+)?\s*[smhdw]\s*)+)(?:ago)?$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_LONG_UNITS = (
    (r"weeks?", "w"),
    (r"days?", "d"),
    (r"hours?|hrs?", "h"),
    (r"minutes?|mins?", "m"),
    (r"seconds?|secs?", "s"),
)
MAX_TEXT = 80  # a longer text is not a time: said without echoing all of it


class WhenError(ValueError):
    """The text is not a time arctui understands (the message says which forms are)."""


def parse_when(text: str, now: float) -> float:
    """The unix time `text` means, relative to `now` (unix seconds). Raises WhenError."""
    raw = text.strip()
    shown = raw if len(raw) <= MAX_TEXT else raw[:MAX_TEXT] + "…"
    if not raw:
        raise WhenError(f"no time given: use one of {FORMS}")
    lowered = raw.lower()
    if lowered == "now":
        return now
    if re.fullmatch(r"@\d+(?:\.\d+)?", raw):
        return float(raw[1:])
    if (ago := _ago(lowered)) is not None:
        return now - ago
    if m := _CLOCK.match(raw):
        return _clock_time(m, now, shown)
    return _iso(raw, shown)


def _ago(lowered: str) -> float | None:
    """Seconds of `2h ago`, `1h30m`, `3 days ago`, or None if it is not that form."""
    text = lowered
    for pattern, unit in _LONG_UNITS:
        text = re.sub(rf"(\d)\s*(?:{pattern})\b", rf"\1{unit}", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not _AGO.match(text.replace(" ", "")):
        return None
    return sum(float(n) * UNITS[u] for n, u in _PART.findall(text))


def _clock_time(m: re.Match[str], now: float, shown: str) -> float:
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise WhenError(f"{shown!r} is not a time of day (00:00 to 23:59:59)")
    today = datetime.fromtimestamp(now).replace(
        hour=hour, minute=minute, second=second, microsecond=0
    )
    moment = today.timestamp()
    if moment > now:  # not yet today: the operator means the last one
        moment = (today - timedelta(days=1)).timestamp()
    return moment


def _iso(raw: str, shown: str) -> float:
    text = raw.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", raw) else raw
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise WhenError(f"{shown!r} is not a time arctui understands: use one of {FORMS}") from None
    # No zone given: local time, as the clock on the operator's wall.
    return moment.timestamp() if moment.tzinfo else moment.astimezone().timestamp()


def describe(ts: float) -> str:
    """A moment for the banner and errors: `2026-12-07 03:10:05` in local time."""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")

"""Flight-recorder settings: the `recorder:` mapping of settings.yaml.

recorder:
  interval: 5          # seconds between samples (1 .. 3600)
  keep_days: 7         # frames older than this (counted from the newest) are deleted
  max_bytes: 1GiB      # or a number of bytes; the oldest frames go first, never the last hour

The schema lives here, below the settings loader and the recorder that reads it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arctui.config.errors import SettingError

DEFAULT_INTERVAL = 5.0
DEFAULT_KEEP_DAYS = 7.0
DEFAULT_MAX_BYTES = 1 << 30
INTERVAL_MIN, INTERVAL_MAX = 1.0, 3600.0
MIN_BYTES = 1 << 20  # under a MiB the last hour alone overflows it
_KNOWN = ("interval", "keep_days", "max_bytes")
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "ki": 1024, "mi": 1024**2, "gi": 1024**3}


@dataclass(frozen=True)
class RecorderSettings:
    """How often the recorder samples and how much it keeps."""

    interval: float = DEFAULT_INTERVAL
    keep_days: float = DEFAULT_KEEP_DAYS
    max_bytes: int = DEFAULT_MAX_BYTES


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def parse_size(value: object) -> int | None:
    """Bytes from 1073741824, "1GiB", "500 MB", "2g"; None when it is no size."""
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?)?b?\s*", value, re.IGNORECASE)
        if not m:
            return None
        return int(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])
    number = _number(value)
    return None if number is None else int(number)


def check_recorder_settings(value: object) -> RecorderSettings:
    """Validate the `recorder:` mapping (SettingError names the bad key)."""
    if not isinstance(value, Mapping):
        raise ValueError("a mapping (interval, keep_days, max_bytes)")
    checked: dict[str, Any] = {}
    for key, item in value.items():
        if key not in _KNOWN:
            raise SettingError(str(key), f"is not a recorder setting (valid: {', '.join(_KNOWN)})")
        if key == "interval":
            number = _number(item)
            if number is None or not INTERVAL_MIN <= number <= INTERVAL_MAX:
                raise SettingError(key, "must be 1 to 3600 seconds", item)
            checked[key] = number
        elif key == "keep_days":
            number = _number(item)
            if number is None or number <= 0:
                raise SettingError(key, "must be a positive number of days", item)
            checked[key] = number
        else:
            size = parse_size(item)
            if size is None or size < MIN_BYTES:
                raise SettingError(key, "must be a size of at least 1MiB (1GiB, 500MB)", item)
            checked[key] = size
    return RecorderSettings(**checked)

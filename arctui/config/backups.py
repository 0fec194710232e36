"""Backup settings: the `backups:` mapping of settings.yaml, with the guide's defaults.

backups:
  dir: backups              # relative to the project directory (the Makefile's ./backups)
  keep_days: 30             # retention; the newest verified backup is always kept
  rpo_minutes: 60           # the guide's RPO: < 1 hour
  rto_minutes: 30           # the guide's RTO: < 30 minutes
  offsite_command: [aws, s3, sync, "{dir}", "s3://bucket/arc/"]   # optional, after a good run
  postgres_format: custom   # custom (pg_dump -Fc) or sql (plain SQL, gzip: the guide's format)

The schema lives here, below everything that reads it (the settings loader, ops/backups,
the Backups tab); `ops/backups/settings.py` resolves `dir` against the session's project.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arctui.config.errors import SettingError

DEFAULT_DIR = "backups"
DEFAULT_KEEP_DAYS = 30
DEFAULT_RPO_MINUTES = 60
DEFAULT_RTO_MINUTES = 30
POSTGRES_FORMATS = ("custom", "sql")
_KNOWN = ("dir", "keep_days", "rpo_minutes", "rto_minutes", "offsite_command", "postgres_format")


@dataclass(frozen=True)
class BackupSettings:
    """Where backups go and how long they are kept.

    From the settings file `directory` is as configured (maybe relative, maybe `~`);
    `ops.backups.settings.backup_settings` gives the one resolved for a session.
    """

    directory: Path = Path(DEFAULT_DIR)
    keep_days: float = DEFAULT_KEEP_DAYS
    rpo_s: float = DEFAULT_RPO_MINUTES * 60
    rto_s: float = DEFAULT_RTO_MINUTES * 60
    offsite_command: tuple[str, ...] = ()
    postgres_format: str = "custom"  # custom | sql


def _positive(value: object, what: str) -> float:
    # .inf passed `> 0` (a retention of forever); a 400-digit int overflows a float.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingError(what, "must be a positive number", value)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number <= 0:
        raise SettingError(what, "must be a positive, finite number", value)
    return number


def check_backup_settings(value: object) -> BackupSettings:
    """Validate the `backups:` mapping (ValueError names the bad key)."""
    if not isinstance(value, Mapping):
        raise ValueError(
            "a mapping (dir, keep_days, rpo_minutes, rto_minutes, offsite_command, postgres_format)"
        )
    checked: dict[str, Any] = {}
    for key, item in value.items():
        if key not in _KNOWN:
            raise SettingError(
                str(key), f"is not a backup setting (valid: {', '.join(sorted(_KNOWN))})"
            )
        if key == "dir":
            if not isinstance(item, str) or not item.strip():
                raise SettingError(key, "must be a path", item)
            checked["directory"] = Path(item)
        elif key == "keep_days":
            checked["keep_days"] = _positive(item, key)
        elif key in ("rpo_minutes", "rto_minutes"):
            checked[f"{key[:3]}_s"] = _positive(item, key) * 60
        elif key == "offsite_command":
            if not isinstance(item, list) or not item or not all(isinstance(x, str) for x in item):
                raise SettingError(key, "must be a list of strings", item)
            checked["offsite_command"] = tuple(item)
        elif key == "postgres_format":
            if item not in POSTGRES_FORMATS:
                raise SettingError(key, "must be custom or sql", item)
            checked["postgres_format"] = item
    return BackupSettings(**checked)

"""Backup settings: the `backups:` mapping of settings.yaml, with the guide's defaults.

backups:
  dir: backups              # relative to the project directory (the Makefile's ./backups)
  keep_days: 30             # retention; the newest verified backup is always kept
  rpo_minutes: 60           # the guide's RPO: < 1 hour
  rto_minutes: 30           # the guide's RTO: < 30 minutes
  offsite_command: [aws, s3, sync, "{dir}", "s3://bucket/arc/"]   # optional, after a good run
  postgres_format: custom   # custom (pg_dump -Fc) or sql (plain SQL, gzip: the guide's format)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui.config.errors import SettingError

if TYPE_CHECKING:
    from arctui.session import Session

DEFAULT_DIR = "backups"
DEFAULT_KEEP_DAYS = 30
DEFAULT_RPO_MINUTES = 60
DEFAULT_RTO_MINUTES = 30
POSTGRES_FORMATS = ("custom", "sql")


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


def check_backup_settings(value: object) -> Mapping[str, Any]:
    """Validate the `backups:` mapping (ValueError names the bad key)."""
    if not isinstance(value, Mapping):
        raise ValueError(
            "a mapping (dir, keep_days, rpo_minutes, rto_minutes, offsite_command, postgres_format)"
        )
    known = {"dir", "keep_days", "rpo_minutes", "rto_minutes", "offsite_command", "postgres_format"}
    for key, item in value.items():
        if key not in known:
            raise SettingError(
                str(key), f"is not a backup setting (valid: {', '.join(sorted(known))})"
            )
        if key == "dir" and (not isinstance(item, str) or not item.strip()):
            raise SettingError(key, "must be a path", item)
        if key in ("keep_days", "rpo_minutes", "rto_minutes"):
            _positive(item, key)
        if key == "offsite_command" and (
            not isinstance(item, list) or not item or not all(isinstance(x, str) for x in item)
        ):
            raise SettingError(key, "must be a list of strings", item)
        if key == "postgres_format" and item not in POSTGRES_FORMATS:
            raise SettingError(key, "must be custom or sql", item)
    return dict(value)


@dataclass(frozen=True)
class BackupSettings:
    """Where backups go and how long they are kept."""

    directory: Path
    keep_days: float = DEFAULT_KEEP_DAYS
    rpo_s: float = DEFAULT_RPO_MINUTES * 60
    rto_s: float = DEFAULT_RTO_MINUTES * 60
    offsite_command: tuple[str, ...] = ()
    postgres_format: str = "custom"  # custom | sql


def backup_settings(session: Session, directory: Path | None = None) -> BackupSettings:
    """The settings in force for this session (`directory` overrides the configured one)."""
    raw: Mapping[str, Any] = getattr(session.settings, "backups", None) or {}
    base = session.spec.project_dir if session.spec is not None else Path.cwd()
    configured = Path(str(raw.get("dir", DEFAULT_DIR))).expanduser()
    where = directory or (configured if configured.is_absolute() else base / configured)
    return BackupSettings(
        directory=where,
        keep_days=float(raw.get("keep_days", DEFAULT_KEEP_DAYS)),
        rpo_s=float(raw.get("rpo_minutes", DEFAULT_RPO_MINUTES)) * 60,
        rto_s=float(raw.get("rto_minutes", DEFAULT_RTO_MINUTES)) * 60,
        offsite_command=tuple(raw.get("offsite_command", ())),
        postgres_format=str(raw.get("postgres_format", "custom")),
    )

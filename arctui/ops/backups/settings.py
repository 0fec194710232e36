"""The backup settings in force for a session: the configured ones (`arctui.config.backups`,
the schema) with `dir` resolved against the project directory."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from arctui.config.backups import BackupSettings

if TYPE_CHECKING:
    from arctui.session import Session


def backup_settings(session: Session, directory: Path | None = None) -> BackupSettings:
    """The settings in force for this session (`directory` overrides the configured one)."""
    configured = session.settings.backups
    base = session.spec.project_dir if session.spec is not None else Path.cwd()
    path = configured.directory.expanduser()
    return replace(configured, directory=directory or (path if path.is_absolute() else base / path))

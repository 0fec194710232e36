"""The production `clean` unlock: only with a fresh verified backup of every datastore.

`clean` (down -v) deletes every volume. In production it stays refused unless every
Postgres and Redis service of the stack has a VERIFIED backup, taken from this project
and env, younger than the RPO; the confirmation then names those backups. The demo's
backups are simulated, so they never unlock anything.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from arctui.ops.backups.settings import backup_settings
from arctui.ops.backups.store import BackupStore, Manifest
from arctui.ops.backups.targets import KINDS
from arctui.ops.lifecycle import guard_clean
from arctui.sources.base import SourceError
from arctui.units import duration

if TYPE_CHECKING:
    from arctui.models import StackSnapshot
    from arctui.session import Session


def fresh_backups(
    session: Session, snapshot: StackSnapshot
) -> tuple[dict[str, Manifest], list[str]]:
    """Per datastore service: its newest fresh verified backup; and the datastores without."""
    settings = backup_settings(session)
    now = time.time()
    newest: dict[str, Manifest] = {}
    for m in BackupStore(settings.directory).backups():
        if (
            m.verified
            and m.project == session.project
            and m.env == session.env
            and now - m.created_at <= settings.rpo_s
        ):
            newest[m.datastore] = m  # oldest first: the last one wins
    found: dict[str, Manifest] = {}
    missing: list[str] = []
    for service in snapshot.services:
        if service.role in KINDS:
            key = f"{service.role}/{service.name}"
            if key in newest:
                found[key] = newest[key]
            else:
                missing.append(key)
    return found, missing


def clean_refusal(session: Session, snapshot: StackSnapshot | None = None) -> str | None:
    """Why a production clean must not run now, or None when the backups allow it."""
    prefix = "clean (down -v) deletes every volume; in production it needs a verified backup"
    if session.demo:
        return f"{prefix} within the RPO, and the demo platform's backups are simulated"
    try:
        snapshot = snapshot or session.reader.read()
    except SourceError as exc:
        return f"{prefix}, and the stack cannot be read to check: {exc.reason}"
    rpo = backup_settings(session).rpo_s
    _, missing = fresh_backups(session, snapshot)
    if missing:
        return (
            f"{prefix} of every datastore younger than the RPO ({rpo / 60:g} min); none for"
            f" {', '.join(missing)}: take one (arctui backup all)"
        )
    return None


def named_backups(session: Session, snapshot: StackSnapshot) -> str:
    """`Verified backups: postgres/db <id> (12 min old), ...` for the confirmation."""
    found, missing = fresh_backups(session, snapshot)
    now = time.time()
    parts = [f"{key} {m.id} ({duration(now - m.created_at)} old)" for key, m in found.items()]
    text = "Verified backups within the RPO: " + ("; ".join(parts) if parts else "none")
    if missing:
        text += f". NO fresh backup of {', '.join(missing)}"
    return text + "."


# The lifecycle refuses a production clean until this check is registered (looked up at
# each call, so a test can patch the module's functions).
guard_clean(lambda s: clean_refusal(s), lambda s, snap: named_backups(s, snap))

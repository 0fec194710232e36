"""The last steps of taking any backup: its manifest, then the data under its final name."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from arctui import __version__
from arctui.ops.backups.common import fsync_dir
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import Target

if TYPE_CHECKING:
    from arctui.ops.backups.attempt import Context


def new_manifest(
    ctx: Context,
    target: Target,
    backup_id: str,
    name: str,
    started: float,
    partial: Path,
    digest: str,
) -> Manifest:
    """The manifest of a backup that just verified (the kind's fields come after)."""
    now = time.time()
    return Manifest(
        id=backup_id,
        kind=target.kind,
        file=name,
        env=ctx.session.env,
        project=ctx.session.project,
        service=target.service,
        container=target.container,
        created_at=started,
        duration_s=round(now - started, 3),
        size=partial.stat().st_size,
        sha256=digest,
        verified=True,
        verified_at=now,
        arctui_version=__version__,
    )


def publish(ctx: Context, partial: Path, final: Path, manifest: Manifest) -> None:
    """Rename the verified data to its final name, then write its manifest."""
    os.chmod(partial, 0o600)
    os.replace(partial, final)
    fsync_dir(final.parent)
    ctx.store.save(manifest)

"""The steps every datastore's backup shares: the partial file, publishing, re-checking.

A backup is written to a hidden partial file (`partial_file`, removed whatever happens),
checked by its datastore, then `publish`ed: sha256, the data under its final name, then
its manifest. `recheck` is `arctui backup verify`'s verdict: the checksum first, then the
datastore's own checks.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui import __version__
from arctui.ops.backups.common import BackupError, Progress, fsync_dir, sha256_file
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import Target

if TYPE_CHECKING:
    from arctui.ops.backups.attempt import Context


@contextlib.contextmanager
def partial_file(ctx: Context, backup_id: str, kind: str, fmt: str = "") -> Iterator[Path]:
    """The hidden path a backup is written to; gone afterwards, published or not."""
    partial = ctx.store.partial_path(backup_id, kind, fmt)
    try:
        yield partial
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def publish(
    ctx: Context,
    target: Target,
    backup_id: str,
    started: float,
    partial: Path,
    fmt: str,
    fields: Mapping[str, Any],
) -> Manifest:
    """sha256 the verified `partial`, give it its final name, write its manifest.

    `fields`: what the datastore adds to the manifest (verify_detail, tables, keys ...).
    """
    ctx.progress("sha256")
    digest = sha256_file(partial)
    final = ctx.store.data_path(backup_id, target.kind, fmt)
    now = time.time()
    manifest = Manifest(
        id=backup_id,
        kind=target.kind,
        file=final.name,
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
        format=fmt,
        **fields,
    )
    os.chmod(partial, 0o600)
    os.replace(partial, final)
    fsync_dir(final.parent)
    ctx.store.save(manifest)
    return manifest


def recheck(
    path: Path, manifest: Manifest, progress: Progress, checks: Callable[[], str]
) -> Manifest:
    """Checksum, then `checks()` (its detail, or BackupError); the manifest's new verdict."""
    progress("checking sha256")
    digest = sha256_file(path)
    now = time.time()
    if digest != manifest.sha256:
        detail = f"sha256 mismatch: file {digest[:12]}…, manifest {manifest.sha256[:12]}…"
        return replace(manifest, verified=False, verify_detail=detail, verified_at=now)
    try:
        detail = checks()
    except BackupError as exc:
        return replace(manifest, verified=False, verify_detail=exc.reason, verified_at=now)
    return replace(manifest, verified=True, verify_detail=f"sha256 OK; {detail}", verified_at=now)

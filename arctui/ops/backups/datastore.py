"""What a datastore kind does for backups, behind one protocol (no `if kind == ...`).

Each kind (Postgres, Redis) is one `Datastore`: the formats it takes; how to take,
re-verify, restore and drill a backup of it; and the reading the Backups tab shows for a
backup (tables, keys). The operations (take.py, restore.py, drill.py) ask
`datastore(kind)` and keep what every kind shares (the partial file, the checksum, the
final name and manifest: publish.py). A new kind is one class registered in `_known`,
its container's finder in `targets.py` (`find_target`) and its data files in
`store.DATA_FILES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from arctui.ops.backups.common import BackupError

if TYPE_CHECKING:
    from arctui.config.backups import BackupSettings
    from arctui.ops.backups.attempt import Context
    from arctui.ops.backups.store import Manifest
    from arctui.ops.backups.targets import Target


class Datastore(Protocol):
    """One datastore kind's backup operations."""

    kind: str  # postgres | redis: the role in the stack model, the manifests' `kind`
    title: str  # Postgres | Redis
    replaced: str  # what a restore replaces: "its database"
    formats: tuple[str, ...]  # the first is the default

    def choose_format(self, requested: str | None, settings: BackupSettings) -> str:
        """The format a backup is taken in (checked against `formats` by the caller)."""
        ...

    def command_options(self, fmt: str) -> str:
        """What `arctui backup KIND` needs added to take this format (" --format sql")."""
        ...

    def take(self, ctx: Context, target: Target, partial: Path, fmt: str) -> dict[str, Any]:
        """Dump into `partial` (created 0600 here) and verify it; raise BackupError if not.

        Returns what the manifest records beyond the common fields (verify_detail,
        server_version, tables or keys ...); the caller checksums and publishes it.
        """
        ...

    def reverify(self, ctx: Context, path: Path, manifest: Manifest) -> Manifest:
        """Checksum and the format's checks again; the manifest with the new verdict."""
        ...

    def restore(self, ctx: Context, target: Target, manifest: Manifest, path: Path) -> str:
        """Restore into the live container; what was checked afterwards."""
        ...

    def drill(self, ctx: Context, target: Target, manifest: Manifest, path: Path) -> str:
        """Restore into scratch, check, remove it; one line saying what was found."""
        ...

    def contents(self, manifest: Manifest) -> str:
        """What a backup holds, shortly ("12 tables", "3000 keys"); "" when unknown."""
        ...


def _known() -> dict[str, Datastore]:
    from arctui.ops.backups.pg_datastore import PostgresDatastore
    from arctui.ops.backups.redis_datastore import RedisDatastore

    return {d.kind: d for d in (PostgresDatastore(), RedisDatastore())}


DATASTORES: dict[str, Datastore] = _known()
KINDS = tuple(DATASTORES)  # every kind, in the order the tab and the drill use


def datastore(kind: str) -> Datastore:
    """The datastore of `kind` (BackupError for an unknown one)."""
    found = DATASTORES.get(kind)
    if found is None:
        raise BackupError(f"unknown datastore '{kind}' (one of {', '.join(KINDS)})")
    return found


def contents(manifest: Manifest) -> str:
    """`datastore(kind).contents(manifest)`, "" for a kind this arctui does not know."""
    found = DATASTORES.get(manifest.kind)
    return found.contents(manifest) if found is not None else ""


def replaced_by_restore(kind: str) -> str:
    """What a restore of `kind` replaces ("its database"), for the confirmation."""
    found = DATASTORES.get(kind)
    return found.replaced if found is not None else "its data"

"""The backup directory: data files, one JSON manifest each, a run log and a lock.

    <dir>/<env>_<service>_<YYYYmmddTHHMMSSZ>.dump|.sql.gz|.rdb    the data (0600)
    <dir>/<same id>.json                                  its manifest (0600)
    <dir>/.<id>.partial                                   a run in progress (never listed)
    <dir>/runs.jsonl                                      one line per run: ok or failed
    <dir>/.lock                                           one mutating run at a time

A data file reaches its final name only after it verified; its manifest is written
next. A data file without a manifest is listed, as unverified.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from arctui.ops.backups.common import BackupError, fsync_dir

EXTENSIONS = {"postgres": ".dump", "redis": ".rdb"}
SQL_EXTENSION = ".sql.gz"  # postgres, format "sql": plain pg_dump output, gzipped
# (kind, extension, format) of every data file; the longest extension first.
DATA_FILES = (
    ("postgres", SQL_EXTENSION, "sql"),
    ("postgres", ".dump", "custom"),
    ("redis", ".rdb", "rdb"),
)
RUNS_FILE = "runs.jsonl"
PARTIAL = ".partial"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,200}$")


@dataclass(frozen=True)
class Manifest:
    """What one backup is: where, what, how big, its checksum and whether it verified."""

    id: str
    kind: str  # postgres | redis
    file: str  # name inside the backup directory
    env: str
    project: str
    service: str
    container: str
    created_at: float  # unix seconds when the dump started (the recovery point)
    duration_s: float
    size: int
    sha256: str
    verified: bool
    verify_detail: str = ""
    verified_at: float | None = None
    format: str = ""  # custom | sql | rdb
    server_version: str = ""
    database: str = ""  # postgres
    db_user: str = ""  # postgres
    tables: tuple[str, ...] = ()  # postgres: tables with data in the archive
    keys: int | None = None  # redis: keys in the RDB (redis-check-rdb), exact
    expires: int | None = None  # redis: keys with a TTL (may be gone after restore)
    keys_exact: bool = True  # False: counted from INFO at save time (no redis-check-rdb)
    offsite: dict[str, Any] | None = None
    arctui_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def datastore(self) -> str:
        """`postgres/oracle-sql`: kind and service."""
        return f"{self.kind}/{self.service}"

    def to_json(self) -> str:
        """The manifest as pretty JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """Build from parsed JSON, ignoring unknown keys (newer arctui)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "tables" in values:
            values["tables"] = tuple(values["tables"] or ())
        return cls(**values)


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9.\-]+", "-", part).strip("-.") or "x"


def make_id(env: str, service: str, when: float) -> str:
    """`<env>_<service>_<UTC timestamp>`, safe as a file name (no `_` inside the parts)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    return f"{_safe(env)}_{_safe(service)}_{stamp}"


def write_private(path: Path, data: bytes) -> None:
    """Write a 0600 file durably (temp name, fsync, rename, fsync dir)."""
    tmp = path.with_name(f".{path.name}{PARTIAL}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


class BackupStore:
    """One backup directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def ensure(self) -> None:
        """Create the directory (0700) if needed."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupError(
                f"cannot create the backup directory {self.directory}: {exc.strerror or exc}",
                "set backups.dir in the settings to a writable directory",
            ) from None

    def data_path(self, backup_id: str, kind: str, fmt: str = "") -> Path:
        """Final path of a backup's data (`fmt` "sql": `.sql.gz`)."""
        return self.directory / f"{backup_id}{extension(kind, fmt)}"

    def partial_path(self, backup_id: str, kind: str, fmt: str = "") -> Path:
        """Hidden temporary path while a backup is being taken."""
        return self.directory / f".{backup_id}{extension(kind, fmt)}{PARTIAL}"

    def manifest_path(self, backup_id: str) -> Path:
        """Path of a backup's manifest."""
        return self.directory / f"{backup_id}.json"

    def save(self, manifest: Manifest) -> None:
        """Write (or replace) a manifest."""
        write_private(self.manifest_path(manifest.id), manifest.to_json().encode())

    def backups(self) -> list[Manifest]:
        """Every backup, oldest first; data files without a manifest as unverified."""
        if not self.directory.is_dir():
            return []
        found: dict[str, Manifest] = {}
        for path in self.directory.glob("*.json"):
            try:
                manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if manifest.id == path.stem:
                found[manifest.id] = manifest
        for kind, ext, fmt in DATA_FILES:
            for path in self.directory.glob(f"*{ext}"):
                stem = path.name[: -len(ext)]
                if stem not in found and not path.name.startswith("."):
                    found[stem] = _orphan(path, kind, stem, fmt)
        return sorted(found.values(), key=lambda m: (m.created_at, m.id))

    def get(self, backup_id: str) -> Manifest:
        """One backup by id (or by unique prefix). Raises BackupError."""
        if not _ID.match(backup_id):
            raise BackupError(f"'{backup_id}' is not a backup id")
        everything = self.backups()
        exact = [m for m in everything if m.id == backup_id]
        matches = exact or [m for m in everything if m.id.startswith(backup_id)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise BackupError(
                f"no backup '{backup_id}' in {self.directory}", "arctui backup list shows them"
            )
        raise BackupError(f"'{backup_id}' matches {len(matches)} backups; give more of the id")

    def delete(self, manifest: Manifest) -> None:
        """Remove a backup's data and manifest (data first: no manifest without data)."""
        for path in (self.directory / manifest.file, self.manifest_path(manifest.id)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        fsync_dir(self.directory)

    def stale_partials(self) -> list[Path]:
        """Temporary files left by runs that died (call while holding the lock)."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob(f".*{PARTIAL}") if p.is_file())

    def record_run(self, entry: dict[str, Any]) -> None:
        """Append one run outcome to runs.jsonl (0600)."""
        self.ensure()
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        fd = os.open(self.directory / RUNS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def runs(self, limit: int = 500) -> list[dict[str, Any]]:
        """The last `limit` run records, oldest first."""
        try:
            lines = (self.directory / RUNS_FILE).read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        out = []
        for line in lines[-limit:]:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    out.append(entry)
        return out

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory's lock; BackupError if another run holds it."""
        self.ensure()
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BackupError(
                    f"another backup, prune or restore is running on {self.directory}",
                    "wait for it to finish",
                ) from None
            yield
        finally:
            os.close(fd)


def extension(kind: str, fmt: str = "") -> str:
    """The data file's extension: `.dump`, `.sql.gz` or `.rdb`."""
    for known, ext, data_format in DATA_FILES:
        if (known, data_format) == (kind, fmt):
            return ext
    return EXTENSIONS[kind]


def _orphan(path: Path, kind: str, stem: str, fmt: str) -> Manifest:
    st = path.stat()
    parts = stem.split("_")
    return Manifest(
        id=stem,
        kind=kind,
        file=path.name,
        env=parts[0] if len(parts) >= 3 else "?",
        project="?",
        service=parts[1] if len(parts) >= 3 else kind,
        container="?",
        created_at=st.st_mtime,
        duration_s=0.0,
        size=st.st_size,
        sha256="",
        verified=False,
        verify_detail="no manifest: not taken (or not finished) by arctui",
        format=fmt,
    )

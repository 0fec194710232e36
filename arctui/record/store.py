"""The flight recorder's store: one SQLite file per project, frames and events by time.

SQLite in WAL mode, one transaction per frame: after `kill -9` the file opens and at most
the frame being written is lost. A frame is either a keyframe (compressed alone) or
compressed against its keyframe's raw bytes (`codec.Compressor`), so reading any moment
costs one indexed lookup and two decompressions, however long the store is.

Retention deletes whole keyframe groups, oldest first, by age and size, never the last
hour. Age counts back from the newest frame, not the clock: a clock set years ahead must
not empty the store. Frames are ordered by (ts, id): after the clock jumps back, the
frames recorded "in the future" are kept and the new ones sort among them by their time.

One writer: `Store.open(path)` takes an exclusive lock on `<path>.lock` (with the pid of
the holder inside), so a second recorder refuses with the reason. Readers (`readonly=True`:
history, replay, diagnostics) take no lock. Every string is redacted before it is encoded.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from arctui.config.settings import project_state_file
from arctui.record import codec, event_codec
from arctui.record.frame import Event, Frame
from arctui.record.lock import WriterLock
from arctui.record.slim import slim, unslim

SCHEMA_VERSION = 1
KEY_EVERY_S = 900.0  # a new keyframe at least every 15 minutes ...
KEY_GROWTH = 0.5  # ... or when a frame costs half as much as its keyframe, ...
# ... or when a frame costs more than its group's average per frame (keyframe included):
# a group's average is lowest where the next frame would cost more than it, so a new group
# is cheaper from there (measured: benchmarks/recorder_bench.py). The first frame a writer
# stores is a keyframe that the next one replaces: the first sample lacks what later ones
# carry (declared services, rates), and every frame packed against it paid for that.
KEEP_LAST_S = 3600.0  # retention never deletes the last hour
DEFAULT_KEEP_DAYS = 7.0
DEFAULT_MAX_BYTES = 1 << 30
RETENTION_EVERY = 12  # writes between retention checks (one minute at 5 s)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS frames (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    key_id INTEGER,            -- NULL: a keyframe; else the keyframe it is packed against
    raw_size INTEGER NOT NULL,
    blob BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS frames_ts ON frames (ts, id);
CREATE INDEX IF NOT EXISTS frames_key ON frames (key_id) WHERE key_id IS NULL;
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    service TEXT NOT NULL,
    blob BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts, id);
"""


class StoreError(Exception):
    """The store cannot be opened, read or written; the message says why."""


class StoreLocked(StoreError):
    """Another recorder writes to this store."""


class StoreFull(StoreError):
    """The disk (or the filesystem's quota) is full: nothing was written."""


class StoreMissing(StoreError):
    """No store at this path (nothing was recorded for this project there)."""


def default_path(project: str) -> Path:
    """`state_dir()/record/<project>.sqlite` (the project name made safe for a file)."""
    return project_state_file("record", project, ".sqlite")


def _failure(exc: BaseException, path: Path) -> StoreError:
    code = getattr(exc, "sqlite_errorcode", None)
    if (code is not None and code & 0xFF == sqlite3.SQLITE_FULL) or (
        isinstance(exc, OSError) and exc.errno in (28, 122)  # ENOSPC, EDQUOT
    ):
        return StoreFull(f"the disk holding {path} is full: recording paused")
    return StoreError(f"the store {path} failed: {exc}")


class Store:
    """Frames and events of one project. Thread-safe (one connection under a lock)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        readonly: bool,
        lock: WriterLock | None,
        redact: codec.Redact | None,
    ) -> None:
        self.path = path
        self.readonly = readonly
        self.redact = redact
        self._redact = codec.memo_redact(redact)  # what the encoder calls, per string
        self._conn = conn
        self._lock = lock
        self._mutex = threading.RLock()
        self._comp = codec.Compressor()
        self._keys: dict[int, bytes] = {}  # keyframe id -> raw bytes (a few, for replay)
        self._key: tuple[int, float, int, bytes] | None = None  # id, ts, packed size, raw
        self._group = (0, 0)  # frames and packed bytes of the current keyframe's group
        self._first_key = True  # the writer's first keyframe is replaced by the next frame
        self._writes = 0
        self.keep_days = DEFAULT_KEEP_DAYS
        self.max_bytes = DEFAULT_MAX_BYTES

    @classmethod
    def open(
        cls,
        path: Path | str,
        readonly: bool = False,
        redact: codec.Redact | None = None,
    ) -> Store:
        """Open (writable: create and lock) the store at `path`. Raises StoreError."""
        path = Path(path).expanduser()
        lock = None
        try:
            if readonly:
                if not path.is_file():
                    raise StoreMissing(f"nothing recorded at {path} (run `arctui record`)")
                conn = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=5
                )
            else:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                lock = WriterLock(path, StoreLocked)
                # 0600 before SQLite sees it; its -wal and -shm files copy this mode.
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
                os.chmod(path, 0o600)
                conn = sqlite3.connect(path, check_same_thread=False, timeout=5)
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # before the first table
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")  # a commit survives kill -9
                # The writer appends and rarely reads: 256 KiB of page cache, not the
                # default 2 MiB that fills as the store grows (recorder_rss.py A/B).
                conn.execute("PRAGMA cache_size = -256")
                with conn:
                    conn.executescript(_SCHEMA)
                    conn.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                    )
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None or int(row[0]) > SCHEMA_VERSION:
                conn.close()
                raise StoreError(f"{path} was written by a newer arctui (schema {row})")
        except StoreError:
            if lock is not None:
                lock.release()
            raise
        except (sqlite3.Error, OSError, ValueError) as exc:
            if lock is not None:
                lock.release()
            if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
                raise StoreError(f"{path} is not a recorder store") from None
            raise _failure(exc, path) from None
        return cls(conn, path, readonly, lock, redact)

    def close(self) -> None:
        """Close the file and release the writer's lock."""
        with self._mutex:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------

    def _write(self, work: Callable[[sqlite3.Connection], None]) -> None:
        if self.readonly:
            raise StoreError(f"{self.path} is open read-only")
        with self._mutex:
            try:
                with self._conn:  # one transaction: all of it or nothing
                    work(self._conn)
            except (sqlite3.Error, OSError) as exc:
                raise _failure(exc, self.path) from None

    def write_frame(self, frame: Frame) -> None:
        """Store one frame (redacted). Raises StoreFull / StoreError; nothing half-written."""
        raw = codec.encode_frame(slim(frame), self._redact)
        key = self._key
        blob = None
        if key is not None and frame.ts - key[1] < KEY_EVERY_S and frame.ts >= key[1]:
            blob = self._comp.pack(raw, key[3])
            count, total = self._group
            if self._first_key or len(blob) > min(key[2] * KEY_GROWTH, total / max(1, count)):
                blob = None  # drifted too far from its keyframe: start a new one
        new_key: tuple[int, float, int, bytes] | None = None

        def work(conn: sqlite3.Connection) -> None:
            nonlocal new_key
            if blob is not None and key is not None:
                conn.execute(
                    "INSERT INTO frames (ts, key_id, raw_size, blob) VALUES (?, ?, ?, ?)",
                    (frame.ts, key[0], len(raw), blob),
                )
                return
            packed = self._comp.pack(raw)
            cur = conn.execute(
                "INSERT INTO frames (ts, key_id, raw_size, blob) VALUES (?, NULL, ?, ?)",
                (frame.ts, len(raw), packed),
            )
            new_key = (int(cur.lastrowid or 0), frame.ts, len(packed), raw)

        self._write(work)
        if new_key is not None:  # only once committed: a failed keyframe is retried
            self._first_key = self._key is None
            self._key = new_key
            self._group = (1, new_key[2])
        elif blob is not None:
            self._group = (self._group[0] + 1, self._group[1] + len(blob))
        self._writes += 1
        if self._writes % RETENTION_EVERY == 0:
            self.enforce_retention()

    def add_events(self, events: Iterable[Event]) -> None:
        """Store events (redacted). Raises StoreFull / StoreError."""
        rows = [(e.ts, e.kind, e.service, event_codec.pack_event(e, self._redact)) for e in events]
        if rows:

            def work(conn: sqlite3.Connection) -> None:
                conn.executemany(
                    "INSERT INTO events (ts, kind, service, blob) VALUES (?, ?, ?, ?)", rows
                )

            self._write(work)

    # --- retention -----------------------------------------------------------------

    def bytes_used(self) -> int:
        """Bytes of live pages (the file's size once freed pages are vacuumed away)."""
        with self._mutex:
            pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
            free = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
            size = self._conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def enforce_retention(
        self, keep_days: float | None = None, max_bytes: int | None = None
    ) -> int:
        """Delete the oldest keyframe groups past the age or size limit; frames deleted."""
        keep_days = self.keep_days if keep_days is None else keep_days
        max_bytes = self.max_bytes if max_bytes is None else max_bytes
        deleted = 0
        with self._mutex:
            span = self.span()
            if span is None:
                return 0
            newest = span[1]
            while True:
                oldest = self.span()
                if oldest is None:
                    break
                too_old = oldest[0] < newest - keep_days * 86400
                if not too_old and self.bytes_used() <= max_bytes:
                    break
                n = self._drop_oldest_group(newest - KEEP_LAST_S)
                if n == 0:
                    break
                deleted += n
            if deleted:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA incremental_vacuum")
        return deleted

    def _drop_oldest_group(self, protect_from: float) -> int:
        conn = self._conn
        first = conn.execute(
            "SELECT id FROM frames WHERE key_id IS NULL ORDER BY id LIMIT 1"
        ).fetchone()
        nxt = None
        if first is not None:
            nxt = conn.execute(
                "SELECT id, ts FROM frames WHERE key_id IS NULL AND id > ? ORDER BY id LIMIT 1",
                (first[0],),
            ).fetchone()
        if nxt is None:
            return 0  # one group left: it holds the newest frames
        last_ts = conn.execute("SELECT MAX(ts) FROM frames WHERE id < ?", (nxt[0],)).fetchone()[0]
        if last_ts is None or last_ts >= protect_from:
            return 0  # the group reaches into the last hour
        cut = conn.execute("SELECT MIN(ts) FROM frames WHERE id >= ?", (nxt[0],)).fetchone()[0]

        def work(c: sqlite3.Connection) -> None:
            c.execute("DELETE FROM frames WHERE id < ?", (nxt[0],))
            c.execute("DELETE FROM events WHERE ts < ?", (cut,))

        before = conn.total_changes
        self._write(work)
        self._keys.clear()
        return max(1, conn.total_changes - before)

    # --- reading -------------------------------------------------------------------

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._mutex:
            try:
                return list(self._conn.execute(sql, args).fetchall())
            except sqlite3.Error as exc:
                raise _failure(exc, self.path) from None

    def _keyframe(self, key_id: int) -> bytes:
        raw = self._keys.get(key_id)
        if raw is None:
            rows = self._query("SELECT blob FROM frames WHERE id = ?", (key_id,))
            if not rows:
                raise StoreError(f"{self.path}: a frame's keyframe is missing")
            raw = self._comp.unpack(bytes(rows[0][0]))
            if len(self._keys) > 4:
                self._keys.clear()
            self._keys[key_id] = raw
        return raw

    def frame_at(self, ts: float) -> Frame | None:
        """The latest frame at or before `ts`, or None (nothing recorded that early)."""
        rows = self._query(
            "SELECT id, key_id, blob FROM frames WHERE ts <= ? ORDER BY ts DESC, id DESC LIMIT 1",
            (ts,),
        )
        if not rows:
            return None
        fid, key_id, blob = rows[0]
        try:
            if key_id is None:
                raw = self._comp.unpack(bytes(blob))
                self._keys.setdefault(int(fid), raw)
            else:
                key = self._keyframe(int(key_id))
                raw = self._comp.unpack(bytes(blob), key)
            return unslim(codec.decode_frame(raw))
        except codec.CodecError as exc:
            raise StoreError(f"{self.path}: {exc}") from None

    def frame_times(self, since: float, until: float) -> list[float]:
        """Every frame's time in [since, until], oldest first."""
        rows = self._query(
            "SELECT ts FROM frames WHERE ts >= ? AND ts <= ? ORDER BY ts, id", (since, until)
        )
        return [float(r[0]) for r in rows]

    def next_frame_time(self, ts: float) -> float | None:
        """The first frame time after `ts`."""
        rows = self._query("SELECT MIN(ts) FROM frames WHERE ts > ?", (ts,))
        return None if rows[0][0] is None else float(rows[0][0])

    def prev_frame_time(self, ts: float) -> float | None:
        """The last frame time before `ts`."""
        rows = self._query("SELECT MAX(ts) FROM frames WHERE ts < ?", (ts,))
        return None if rows[0][0] is None else float(rows[0][0])

    def events(
        self,
        since: float,
        until: float,
        kinds: Iterable[str] | None = None,
        services: Iterable[str] | None = None,
    ) -> list[Event]:
        """Events in [since, until], in time order (then in the order written)."""
        sql = "SELECT ts, kind, service, blob FROM events WHERE ts >= ? AND ts <= ?"
        args: list[object] = [since, until]
        for column, wanted in (("kind", kinds), ("service", services)):
            if wanted is not None:
                values = list(wanted)
                sql += f" AND {column} IN ({','.join('?' * len(values))})"
                args += values
        out = []
        for ts, kind, service, blob in self._query(sql + " ORDER BY ts, id", args):
            try:
                out.append(event_codec.unpack_event(float(ts), kind, service, bytes(blob)))
            except codec.CodecError:
                continue  # one damaged row does not hide the timeline
        return out

    def span(self) -> tuple[float, float] | None:
        """(oldest, newest) frame time, or None when nothing is recorded."""
        rows = self._query("SELECT MIN(ts), MAX(ts) FROM frames")
        lo, hi = rows[0]
        if lo is None or hi is None:
            return None
        return float(lo), float(hi)

    def frame_count(self) -> int:
        """How many frames the store holds."""
        return int(self._query("SELECT COUNT(*) FROM frames")[0][0])

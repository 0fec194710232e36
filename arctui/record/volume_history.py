"""The recorded volume sizes, read from the project's store for the Disk view's growth.

`ops.maintenance` sits below the recorder, so it cannot open the store itself: the entry
layer puts a `RecordedVolumes` on the session (`with_volume_history`) and the Disk view
asks it through the `VolumeHistory` protocol. Nothing is imported or opened until the
first question (a headless `status` pays nothing). Every frame carries the latest
reading, so one frame per `STEP` of the window is decoded (the first at or after each
multiple of `STEP` since the epoch, so the same frames are picked on every question and
each is decoded once: the Disk view asks every minute) plus the newest frame.
Measured on a 3-day demo store (48 KB frames): ~15 ms a decode, ~0.9 s for 60 decodes.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from arctui.session import Session

if TYPE_CHECKING:
    from arctui.record.store import Store

STEP = 3 * 3600.0  # one reading every 3 hours: 56 over a week


class RecordedVolumes:
    """A `VolumeHistory` over one store file (opened read-only for each question)."""

    def __init__(self, project: str, path: Path | None = None, step: float = STEP) -> None:
        self.project = project
        self.path = path
        self.step = step
        self._decoded: dict[float, tuple[float, Mapping[str, int]] | None] = {}
        self._lock = threading.Lock()  # the poller's thread and a headless caller

    def volume_sizes(self, since: float) -> list[tuple[float, Mapping[str, int]]]:
        """Distinct readings since `since`, oldest first. Raises LookupError (no store)."""
        from arctui.record.store import Store, StoreError, StoreMissing, default_path

        path = self.path or default_path(self.project)
        try:
            store = Store.open(path, readonly=True)
        except StoreMissing as exc:
            raise LookupError(str(exc)) from None
        except StoreError as exc:
            raise LookupError(f"the recording cannot be read: {exc}") from None
        try:
            with self._lock:
                return self._readings(store, since)
        except StoreError as exc:
            raise LookupError(f"the recording cannot be read: {exc}") from None
        finally:
            store.close()

    def _readings(self, store: Store, since: float) -> list[tuple[float, Mapping[str, int]]]:
        times = store.frame_times(since, float("inf"))
        if not times:
            return []
        newest, picked = times[-1], set()
        grid = (since // self.step + 1) * self.step
        while grid <= times[-1]:
            i = bisect.bisect_left(times, grid)
            if i < len(times):
                picked.add(times[i])
            grid += self.step
        found: dict[float, Mapping[str, int]] = {}
        for ts in sorted(picked | {newest}):
            if ts in self._decoded:
                reading = self._decoded[ts]
            else:
                frame = store.frame_at(ts)
                vol = None if frame is None else frame.volumes
                reading = None if vol is None else (vol.taken_at, vol.sizes)
                if ts in picked:  # the newest changes every question: not kept
                    self._decoded[ts] = reading
            if reading is not None:
                found[reading[0]] = reading[1]
        for ts in [t for t in self._decoded if t < since]:  # out of the window: forget
            del self._decoded[ts]
        return sorted(found.items())


def with_volume_history(session: Session, store_path: Path | None) -> Session:
    """The session with its recording's volume sizes at hand (`session.volume_history`)."""
    if session.demo or session.replay is not None:
        return session
    # Set once, before anything else sees the session (as `with_tab_sources` does).
    object.__setattr__(session, "volume_history", RecordedVolumes(session.project, store_path))
    return session

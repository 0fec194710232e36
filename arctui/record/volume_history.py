"""The recorded volume sizes, read from the project's store for the Disk view's growth.

`ops.maintenance` sits below the recorder, so it cannot open the store itself: the entry
layer puts a `RecordedVolumes` on the session (`with_volume_history`) and the Disk view
asks it through the `VolumeHistory` protocol. Nothing is imported or opened until the
first question (a headless `status` pays nothing). Every frame carries the latest
reading, so up to `POINTS` frames spread over the window are decoded, one each, and the
distinct readings among them returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from arctui.session import Session

POINTS = 60


class RecordedVolumes:
    """A `VolumeHistory` over one store file (opened read-only for each question)."""

    def __init__(self, project: str, path: Path | None = None, points: int = POINTS) -> None:
        self.project = project
        self.path = path
        self.points = points

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
            times = store.frame_times(since, float("inf"))
            if len(times) > self.points:
                step = (len(times) - 1) / (self.points - 1)
                times = [times[round(i * step)] for i in range(self.points)]
            found: dict[float, Mapping[str, int]] = {}
            for ts in times:
                frame = store.frame_at(ts)
                if frame is not None and frame.volumes is not None:
                    found[frame.volumes.taken_at] = frame.volumes.sizes
            return sorted(found.items())
        except StoreError as exc:
            raise LookupError(f"the recording cannot be read: {exc}") from None
        finally:
            store.close()


def with_volume_history(session: Session, store_path: Path | None) -> Session:
    """The session with its recording's volume sizes at hand (`session.volume_history`)."""
    if session.demo or session.replay is not None:
        return session
    # Set once, before anything else sees the session (as `with_tab_sources` does).
    object.__setattr__(session, "volume_history", RecordedVolumes(session.project, store_path))
    return session

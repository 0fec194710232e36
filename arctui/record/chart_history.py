"""Live Resources charts that reach back as far as the project's recording does.

`StoreHistory` wraps the session's Resources source: everything is the live source's,
except `backfill`, which adds usage samples from the store (evenly spread over its whole
reach, at most `POINTS` of them, one decode each) before the live source's own. The
store is opened read-only on that first read (the poller's thread) and closed again; a
missing or damaged store leaves the charts as they were (5 minutes, live only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arctui.session import Session

POINTS = 120  # a chart is at most ~200 columns wide; more samples would only be merged


class StoreHistory:
    """A `ResourcesSource` whose backfill reads the store first."""

    def __init__(self, source: Any, path: Path, points: int = POINTS) -> None:
        self._source = source
        self.path = path
        self.points = points

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    def backfill(self, seconds: float) -> list[Any]:
        """The store's usage samples over its reach, then the live source's backfill."""
        live = list(self._source.backfill(seconds))
        return sorted(recorded_usage(self.path, self.points) + live, key=lambda s: s.taken_at)


def recorded_usage(path: Path, points: int) -> list[Any]:
    """Up to `points` Resources snapshots spread evenly over the store (oldest first)."""
    from arctui.record.store import Store, StoreError

    try:
        store = Store.open(path, readonly=True)
    except StoreError:
        return []
    try:
        span = store.span()
        if span is None:
            return []
        times = store.frame_times(*span)
        if len(times) > points:
            step = (len(times) - 1) / (points - 1)
            times = [times[round(i * step)] for i in range(points)]
        out = []
        for ts in times:
            frame = store.frame_at(ts)
            if frame is not None and frame.resources is not None:
                out.append(frame.resources)
        return out
    except StoreError:
        return []
    finally:
        store.close()


def with_store_history(session: Session, store_path: Path | None) -> Session:
    """The session with Resources charts backed by its recording, when one exists."""
    from arctui.record.store import default_path

    path = store_path or default_path(session.project)
    if session.resources is None or session.replay is not None or not path.is_file():
        return session
    # Set once, before anything else sees the session (as `with_tab_sources` does).
    object.__setattr__(session, "resources", StoreHistory(session.resources, path))
    return session

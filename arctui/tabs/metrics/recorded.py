"""The flight recorder's Metrics source: RED per service when the stack has a Prometheus.

`RecordedRedSource(session).read()` gives a `RecordedRed` (rate, errors, P95 per service
over `WINDOW`) each sample, from the same reader the tab uses (two queries a sample, and
the histogram's unit once a minute), or None when the stack has no Prometheus: a stack
without one records nothing for Metrics and raises no alarm; discovery is tried again
every `REDISCOVER_S`. A Prometheus that is found but fails raises SourceError, so the
recorder marks the source down with its reason, as for Postgres or Redis. No Textual.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from arctui.sources.prometheus import PrometheusAbsent
from arctui.tabs.metrics.models import RecordedRed

if TYPE_CHECKING:
    from arctui.session import Session

WINDOW = "1m"  # a recorder samples every few seconds: a short window keeps the moment's shape
REDISCOVER_S = 300.0


class RecordedRedSource:
    """One per recorder; `read()` on the recorder's thread."""

    def __init__(
        self,
        session: Session,
        monotonic: Callable[[], float] = time.monotonic,
        window: str = WINDOW,
    ) -> None:
        self.session = session
        self.monotonic = monotonic
        self.window = window
        self._reader: Any = None
        self._absent_until: float | None = None

    def read(self) -> RecordedRed | None:
        """This sample's figures; None without a Prometheus. Raises SourceError."""
        if self._reader is None:
            now = self.monotonic()
            if self._absent_until is not None and now < self._absent_until:
                return None
            from arctui.tabs.metrics.reader import reader_for

            try:
                self._reader = reader_for(self.session, window=self.window)
            except PrometheusAbsent:
                self._absent_until = now + REDISCOVER_S
                return None
        return self._reader.read_red()  # type: ignore[no-any-return]

    def close(self) -> None:
        """Release the client (the recorder rediscovers after a failure)."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

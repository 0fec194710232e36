"""What the Logs tab and `arctui logs` work with: lines, levels, queries (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

# The levels live below the tabs (the doctor reads them too); re-exported here.
from arctui.sources.log_levels import Level

__all__ = ["Level", "LogLine", "LogQuery"]


@dataclass(frozen=True, slots=True)
class LogLine:
    """One log line as shown: cleaned, redacted, with its parsed level."""

    seq: int  # arrival order, breaks ties between equal stamps
    ts_ns: int  # daemon's stamp, unix nanoseconds
    service: str
    source: str  # the tag shown: service, or service#N for one of several replicas
    container: str
    stream: str  # stdout | stderr
    level: Level | None
    text: str  # one line, sanitized (arctui.text.clean) and redacted

    @property
    def key(self) -> tuple[int, int]:
        """Sort key: time order, then arrival."""
        return self.ts_ns, self.seq

    def iso(self, digits: int = 6) -> str:
        """The stamp as RFC 3339 in UTC with `digits` fractional digits."""
        seconds, nanos = divmod(self.ts_ns, 1_000_000_000)
        head = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        frac = f"{nanos:09d}"[:digits]
        return f"{head}.{frac}Z" if digits else f"{head}Z"

    def as_json(self) -> dict[str, object]:
        """The line for `arctui logs --json`."""
        return {
            "ts": self.iso(9),
            "service": self.service,
            "source": self.source,
            "container": self.container,
            "stream": self.stream,
            "level": self.level.name if self.level is not None else None,
            "text": self.text,
        }


@dataclass(frozen=True)
class LogQuery:
    """Which lines: services (empty = all), window, filter and level."""

    services: tuple[str, ...] = ()
    since_ns: int | None = None
    tail: int | None = None
    pattern: str = ""
    regex: bool = True
    case: str = "smart"  # smart | sensitive | insensitive
    level: Level | None = None
    follow: bool = False

"""The Redis client contract: what the Redis tab's reader, scan and actions need from a
server. `sources/redisdb.py` `RedisSource` (a real server) and the tab's `DemoRedis` meet
it; the readers and actions above depend on this, never on a concrete client. No Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import threading

SLOWLOG_COUNT = 128  # entries of SLOWLOG GET read by default


class RedisLike(Protocol):
    """What the reader, the scan and the actions need from a Redis server."""

    @property
    def label(self) -> str:
        """host:port/db."""
        ...

    def info(self) -> dict[str, Any]: ...
    def config_get(self, pattern: str) -> dict[str, str]: ...
    def slowlog(self, count: int = SLOWLOG_COUNT) -> list[Any]: ...
    def dbsize(self) -> int: ...
    def scan(self, cursor: int, match: str | None, count: int) -> tuple[int, list[bytes]]: ...
    def pipeline(
        self,
        commands: Sequence[Sequence[Any]],
        what: str,
        while_waiting: Callable[[], None] | None = None,
    ) -> list[Any]: ...
    def execute(self, *args: Any) -> Any: ...
    def monitor(
        self, on_line: Callable[[bytes], None], stop: threading.Event, limit: float
    ) -> str: ...
    def close(self) -> None: ...

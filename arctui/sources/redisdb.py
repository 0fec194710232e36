"""Connection to a Redis server (found by `sources/redis_discovery.py`), every call with a
timeout.

`RedisSource` wraps redis-py (imported lazily: `arctui status` never loads it) with
socket and connect timeouts and no retries: redis-py's default retries made one `ping()`
against a hung server take 59 s. Every failure becomes a `SourceError` naming what failed
(down, wrong password, ACL, a command renamed away) with the password redacted. The fast
pipeline speaks RESP itself (`sources/redis_resp.py`). No Textual.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from arctui.lazylog import get_logger
from arctui.sources.base import SourceError
from arctui.sources.redis_discovery import RedisTarget, discover_target
from arctui.sources.redis_resp import (
    ProtocolError,
    ReplyError,
    connect,
    pack_commands,
    read_replies,
)

log = get_logger(__name__)

TIMEOUT = 3.0  # seconds for every read; a healthy Redis answers INFO in well under 10 ms
CONNECT_TIMEOUT = 2.0
MAX_CONNECTIONS = 4  # poller + big-key scan + an action + spare


def explain(exc: BaseException, target: RedisTarget, command: str = "") -> SourceError:
    """A redis-py exception as a SourceError: what failed, why, what to do."""
    import redis.exceptions as rx

    where = f"Redis at {target.label}"
    text = str(exc).strip() or type(exc).__name__
    low = text.lower()
    if target.password:
        text = text.replace(target.password, "••••••")
    if isinstance(exc, rx.AuthenticationError) or "wrongpass" in low or "noauth" in low:
        if "noauth" in low or not target.password:
            return SourceError(
                f"{where} requires a password and none was found",
                "set REDIS_PASSWORD in the env file (or REDIS_URL with the password)",
            )
        return SourceError(
            f"{where} refused the password from {target.password_origin or 'the env'} ({text})",
            "check REDIS_PASSWORD (and REDIS_USERNAME for an ACL user)",
        )
    if "without any password configured" in low:
        return SourceError(
            f"{where} has no password set but one was given"
            f" (from {target.password_origin or 'the env'})",
            "remove REDIS_PASSWORD or set requirepass on the server",
        )
    if isinstance(exc, rx.NoPermissionError) or low.startswith("noperm"):
        return SourceError(
            f"{where}: the ACL denies {command or 'this command'} ({text})",
            "grant the command to this user, e.g. ACL SETUSER <user> +@admin",
        )
    if "unknown command" in low or "unknown subcommand" in low:
        return SourceError(
            f"{where}: {command or 'the command'} is disabled or renamed (rename-command) ({text})",
            "this part needs the command; check rename-command in the server's config",
        )
    if isinstance(exc, rx.BusyLoadingError) or "loading" in low:
        return SourceError(
            f"{where} is loading its data set into memory", "wait until loading finishes"
        )
    if isinstance(exc, rx.TimeoutError):
        return SourceError(
            f"{where} did not answer {command or 'in time'} within {TIMEOUT:g} s"
            " (hung, overloaded or blocked by a long command)",
            "check SLOWLOG and the container's CPU; arctui retries with backoff",
        )
    if isinstance(exc, rx.ConnectionError | OSError):
        return SourceError(
            f"cannot connect to {where} ({target.origin}): {text}",
            f"is the redis service running? (arctui status; redis-cli -h {target.host}"
            f" -p {target.port} ping)",
        )
    return SourceError(f"{where}: {command or 'command'} failed: {text}")


class RedisSource:
    """One Redis server: every call has a socket timeout and is never retried."""

    def __init__(
        self,
        target: RedisTarget,
        timeout: float = TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._client: Any = None
        self._lock = threading.Lock()
        self._raw: socket.socket | None = None  # pipeline()'s own connection
        self._raw_lock = threading.Lock()

    @property
    def label(self) -> str:
        """Where the server is (for headers and messages)."""
        return self.target.label

    def client(self) -> Any:
        """The redis-py client (created on first use; redis-py is imported here)."""
        with self._lock:
            if self._client is None:
                self._client = self._new_client()
            return self._client

    def _new_client(self, **extra: Any) -> Any:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        t = self.target
        return redis.Redis(
            host=t.host,
            port=t.port,
            db=t.db,
            username=t.username,
            password=t.password,
            ssl=t.tls,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.connect_timeout,
            retry=Retry(NoBackoff(), 0),
            max_connections=MAX_CONNECTIONS,
            client_name="arctui",
            decode_responses=False,
            **extra,
        )

    def run(self, command: str, fn: Callable[[Any], Any]) -> Any:
        """Call `fn(client)`; any redis-py error becomes a SourceError naming `command`."""
        import redis.exceptions as rx

        try:
            return fn(self.client())
        except (rx.RedisError, OSError) as exc:
            if isinstance(exc, rx.ConnectionError | rx.TimeoutError | OSError):
                self.reset()  # a restarted server: start from a fresh pool next time
            raise explain(exc, self.target, command) from None

    def execute(self, *args: Any) -> Any:
        """One raw command (no response parsing beyond RESP)."""
        name = " ".join(str(a) for a in args[:2] if isinstance(a, str)).upper()
        return self.run(name, lambda c: c.execute_command(*args))

    def info(self) -> dict[str, Any]:
        """INFO (default sections), parsed by redis-py into numbers and dicts."""
        return dict(self.run("INFO", lambda c: c.info()))

    def info_section(self, section: str) -> dict[str, Any]:
        """One INFO section (cheaper to poll)."""
        return dict(self.run(f"INFO {section}", lambda c: c.info(section)))

    def config_get(self, pattern: str) -> dict[str, str]:
        """CONFIG GET pattern as text (raises SourceError when renamed or denied)."""
        raw = self.run("CONFIG GET", lambda c: c.execute_command("CONFIG", "GET", pattern))
        if isinstance(raw, dict):  # RESP3
            items = list(raw.items())
        else:
            items = list(zip(raw[::2], raw[1::2], strict=False))
        return {_text(k): _text(v) for k, v in items}

    def slowlog(self, count: int = 128) -> list[Any]:
        """SLOWLOG GET count, unparsed (arguments stay separate byte strings)."""
        return list(self.run("SLOWLOG GET", lambda c: c.execute_command("SLOWLOG", "GET", count)))

    def dbsize(self) -> int:
        """Keys in the selected database."""
        return int(self.run("DBSIZE", lambda c: c.execute_command("DBSIZE")))

    def scan(self, cursor: int, match: str | None, count: int) -> tuple[int, list[bytes]]:
        """One SCAN step."""
        args: list[Any] = ["SCAN", cursor]
        if match:
            args += ["MATCH", match]
        args += ["COUNT", count]
        (raw,) = self.pipeline([args], "SCAN")
        if isinstance(raw, Exception):
            raise explain(raw, self.target, "SCAN")
        return int(raw[0]), list(raw[1])

    def pipeline(
        self,
        commands: Sequence[Sequence[Any]],
        what: str,
        while_waiting: Callable[[], None] | None = None,
    ) -> list[Any]:
        """Several commands in one round trip; a failed one is a `ReplyError` in the list.

        Packed and parsed here rather than by redis-py's pipeline, which spent ~50 µs of
        Python per command: a big-key scan of a million keys sends three million.
        `while_waiting` runs after the commands are sent, while the server works.
        """
        import redis.exceptions as rx

        with self._raw_lock:  # one raw connection: commands and replies stay paired
            try:
                sock = self._raw or self._raw_connect()
                self._raw = sock
                sock.sendall(pack_commands(commands))
                if while_waiting is not None:
                    while_waiting()
                return read_replies(sock, len(commands))
            except (rx.RedisError, OSError, ProtocolError) as exc:
                self._raw_drop()
                if isinstance(exc, TimeoutError | socket.timeout):
                    exc = rx.TimeoutError(str(exc) or "timed out")
                raise explain(exc, self.target, what) from None
            except BaseException:
                self._raw_drop()  # replies may still be pending: never reuse this socket
                raise

    def _raw_connect(self) -> socket.socket:
        """A connection of arctui's own for `pipeline()` (see `redis_resp.connect`)."""
        return connect(self.target, self.timeout, self.connect_timeout)

    def _raw_drop(self) -> None:
        sock, self._raw = self._raw, None
        if sock is not None:
            try:
                sock.close()
            except OSError as exc:
                log.debug("closing the raw Redis connection: %r", exc)

    def monitor(
        self,
        on_line: Callable[[bytes], None],
        stop: threading.Event,
        limit: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> str:
        """Stream MONITOR lines to `on_line` until `stop` or `limit` seconds; why it ended.

        Runs on its own connection (MONITOR takes it over). The socket is polled every
        0.25 s, so the stop flag is seen even when no command arrives.
        """
        import redis.exceptions as rx

        started = clock()
        try:
            conn = self.client().connection_pool.make_connection()
        except (rx.RedisError, OSError) as exc:
            raise explain(exc, self.target, "MONITOR") from None
        try:
            try:
                conn.connect()
                conn.send_command("MONITOR")
                reply = conn.read_response()
            except (rx.RedisError, OSError) as exc:
                raise explain(exc, self.target, "MONITOR") from None
            if reply not in (b"OK", "OK", True):
                raise SourceError(f"Redis at {self.label}: MONITOR answered {reply!r}")
            while True:
                if stop.is_set():
                    return "stopped"
                if clock() - started >= limit:
                    return f"time limit of {limit:g} s reached"
                try:
                    if not conn.can_read(timeout=0.25):
                        continue  # idle: look at the stop flag and the limit again
                    line = conn.read_response(disable_decoding=True)
                except (rx.RedisError, OSError) as exc:
                    raise explain(exc, self.target, "MONITOR") from None
                if line is None:
                    continue
                on_line(line if isinstance(line, bytes) else str(line).encode())
        finally:
            conn.disconnect()

    def reset(self) -> None:
        """Drop pooled connections (after an error; the next call reconnects)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
                client.connection_pool.disconnect()
            except Exception as exc:  # closing a broken pool must never raise into a poll
                log.info("closing the Redis pool of %s: %r", self.label, exc)
        with self._raw_lock:
            self._raw_drop()

    def close(self) -> None:
        """Release connections."""
        self.reset()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


# Re-exported for the callers that knew them here before the split.
__all__ = [
    "ProtocolError",
    "RedisTarget",
    "ReplyError",
    "discover_target",
    "pack_commands",
    "read_replies",
]

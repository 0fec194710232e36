"""The recorder's log counts: per service, lines and error lines per interval.

On the Docker host, with the json-file driver, the engine's own log files are read at
sample time (`sources/json_logs.py`): the engine does nothing for it. Following every
container through the API (the Logs tab's feed) kept one stream per container open in
dockerd, woken on every line, which cost the engine more than the recorder itself. The
API path stays for everything else: a remote engine, another log driver, a file this
process may not read, the demo. One container that cannot be read from its file moves the
whole counter to the API (from the last count on, so no line is lost or counted twice).
Lines are made by the Logs tab's LineMaker either way: the same cleaning, redaction and
levels.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from arctui.lazylog import get_logger
from arctui.record.frame import LogCounts, ServiceLogCounts
from arctui.sources.base import SourceError
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.models import ContainerInfo
    from arctui.session import Session
    from arctui.sources.docker_logs import LogRecord
    from arctui.sources.json_logs import LogFiles
    from arctui.tabs.logs.models import LogLine

log = get_logger(__name__)

LAST_ERRORS = 3  # error lines kept per service per interval
ERROR_LINE_MAX = 300


class LogCounter:
    """`take(now)`: the lines and error lines per service since the last call."""

    def __init__(self, session: Session, files: bool | None = None) -> None:
        from arctui.tabs.logs.reader import session_maker

        self.session = session
        self._maker = session_maker(session)
        self._since = session.clock()
        self._feed: Any = None
        self._files: LogFiles | None = None
        self.fallback_reason = ""  # why the engine's files are not read (for the tests)
        if files is None:
            engine = session.engine
            files = not session.demo and engine is not None and engine.is_unix_socket
        if files:
            from arctui.sources.json_logs import LogFiles

            self._files = LogFiles()
            self._first = True
        else:
            self._follow(self._since, "not on the engine's host" if not session.demo else "demo")

    @property
    def mode(self) -> str:
        """files | engine"""
        return "files" if self._files is not None else "engine"

    def _follow(self, since: float, reason: str) -> None:
        from arctui.sources.docker_logs import LogWindow
        from arctui.tabs.logs.reader import LogFeed, session_source

        self.fallback_reason = reason
        self._feed = LogFeed(
            session_source(self.session), (), LogWindow(since_ns=int(since * 1e9)), self._maker
        )
        self._feed.start()

    # --- the engine's files ------------------------------------------------------------

    def _containers(self) -> list[ContainerInfo]:
        snap = self.session.reader.last  # the sampler read the stack just before
        if snap is None:
            raise SourceError("the container list could not be read")
        return [c for s in snap.services for c in s.containers]

    def _open_new(self, files: LogFiles, containers: list[ContainerInfo]) -> str | None:
        """Start reading containers not read yet; the reason when one cannot be."""
        from arctui.sources.docker_logs import LogTarget
        from arctui.sources.engine import EngineNotFound
        from arctui.sources.json_logs import NotReadable, log_file

        engine = self.session.engine
        assert engine is not None  # files are read only over a local engine
        for c in containers:
            if c.id in files or c.state == "created":
                continue  # a created container has no log yet (and may be renamed)
            try:
                data = engine.inspect_container(c.id)
            except EngineNotFound:
                continue  # removed since the list was read
            tty = bool((data.get("Config") or {}).get("Tty"))
            target = LogTarget(c.id, c.name, c.service, c.replica, tty=tty)
            try:
                # Present at the first count: from now on; appearing later: all its lines.
                path = log_file(data)
                files.add(target, path, at_end=self._first, since_ns=int(self._since * 1e9))
            except NotReadable as exc:
                return f"{c.name}: {exc}"
        return None

    def _from_files(self, files: LogFiles) -> list[LogLine]:
        containers = self._containers()
        files.keep(c.id for c in containers)
        reason = self._open_new(files, containers)
        self._first = False
        records: list[LogRecord] = files.read()
        if reason is not None:
            log.info("log counts follow the engine from now on: %s", reason)
            files.close()
            self._files = None
            self._follow(self.session.clock(), reason)
        make = self._maker.make
        return [make(r) for r in records]

    # --- both ----------------------------------------------------------------------------

    def take(self, now: float) -> LogCounts:
        """Lines and error lines per service since the last call. Raises SourceError."""
        from arctui.tabs.logs.models import Level

        if self._files is not None:
            lines = self._from_files(self._files)
        else:
            batch = self._feed.take()
            if self._feed.error is not None and not batch.lines:
                raise self._feed.error
            lines = batch.lines
        counts: dict[str, list[Any]] = {}
        for line in lines:
            entry = counts.setdefault(line.service, [0, 0, []])
            entry[0] += 1
            if line.level is not None and line.level >= Level.ERROR:
                entry[1] += 1
                entry[2].append(one_line(line.text, ERROR_LINE_MAX))
        services = {
            name: ServiceLogCounts(n, e, tuple(last[-LAST_ERRORS:]))
            for name, (n, e, last) in sorted(counts.items())
        }
        interval, self._since = max(0.0, now - self._since), now
        return LogCounts(interval, services)

    def close(self) -> None:
        """Stop following (or close the files)."""
        if self._files is not None:
            self._files.close()
        if self._feed is not None:
            with contextlib.suppress(Exception):
                self._feed.stop()

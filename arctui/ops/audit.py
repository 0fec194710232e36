"""The audit log: one JSON line per attempted mutation, in the XDG state dir.

    {"time": "2026-11-27T10:15:02+01:00", "user": "ops@host", "env": "prod",
     "project": "arc-platform", "action": "stop", "scope": "service", "target": "postgres",
     "command": "docker compose -p arc-platform ... stop -t 10 postgres",
     "outcome": "ok", "exit_code": 0, "duration_s": 3.2, "detail": "done"}

Every mutation passes `ops/gate.py`, which writes a "started" line (fsynced) before the
action runs and its outcome after; refused and declined attempts are one line. Entries
come from `build_entry` only: every text field is sanitized and redacted.
The file is created 0600 in a 0700 directory and only ever appended to. No Textual here.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from arctui.config.masking import Redactor, is_secret_key
from arctui.config.settings import state_dir
from arctui.text import clean, safe_text

if TYPE_CHECKING:
    from arctui.session import Session

AUDIT_FILE = "audit.jsonl"
DETAIL_LIMIT = 2000
READ_BLOCK = 64 * 1024


class Mutation(Protocol):
    """What the gate needs of a planned mutation (`ops.lifecycle.Action` is one)."""

    @property
    def verb(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def replicas(self) -> int | None: ...
    @property
    def confirmations(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def shown_command(self) -> str: ...
    @property
    def title(self) -> str: ...


def default_audit_path() -> Path:
    """`$XDG_STATE_HOME/arctui/audit.jsonl`."""
    return state_dir() / AUDIT_FILE


def redactor_for(session: Session) -> Redactor:
    """The session's one redactor: env-file, process and container secrets, patterns."""
    redactor = getattr(session, "redactor", None)
    if isinstance(redactor, Redactor):
        return redactor
    values: list[str] = []  # a session-like object without one (tests, tools)
    if session.env_layers is not None:
        values += session.env_layers.secret_values()
    if session.environ is not None:
        values += [v for k, v in session.environ.items() if v and is_secret_key(k)]
    return Redactor(values)


def whoami() -> str:
    """`user@host` of whoever runs arctui."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def build_entry(
    session: Session,
    action: Mutation,
    *,
    outcome: str,
    exit_code: int | None,
    duration: float,
    detail: str,
    attempt: str = "",
) -> dict[str, Any]:
    """The one audit entry builder: every text field made safe, cleaned and redacted.

    Every field a user or the outside controls (env, project, target, command, the
    error text, even the user name) is encoded safely (`safe_text`), redacted with the
    session's redactor, stripped of terminal escapes (`cat audit.jsonl` must not retitle
    a terminal) and redacted again (a secret split by an escape is whole after cleaning).
    """
    redact = redactor_for(session).redact

    def field(value: object, limit: int = 200) -> str:
        return redact(clean(redact(safe_text(value)), limit))

    return {
        "time": datetime.now().astimezone().isoformat(timespec="seconds"),
        "user": field(whoami()),
        "env": field(session.env),
        # Which engine the action went to (issue 24: a fleet runs one session per engine).
        "engine": field(session.engine_name, 40),
        "project": field(action.project),
        "action": field(action.verb, 80),
        "scope": field(action.scope, 80),
        "target": field(action.target),
        "replicas": action.replicas,
        "command": field(action.shown_command, DETAIL_LIMIT),
        "outcome": field(outcome, 40),
        "exit_code": exit_code,
        "duration_s": round(duration, 3),
        "detail": field(detail, DETAIL_LIMIT),
        "production": bool(session.production),
        "attempt": field(attempt, 40),
    }


def attempts(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per attempt: a `started` line whose outcome followed is dropped.

    A `started` line without an outcome stays: the action may have run and arctui did
    not see it end (killed, power cut), which is what an operator must be told.
    """
    ended = {e.get("attempt") for e in entries if e.get("outcome") != "started"}
    return [
        e
        for e in entries
        if not (e.get("outcome") == "started" and e.get("attempt") and e["attempt"] in ended)
    ]


def _write(fd: int, data: bytes) -> int:
    """One `write` (a seam for the full-disk test where no tmpfs can be mounted)."""
    return os.write(fd, data)


class AuditLog:
    """Appends and reads audit entries."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_audit_path()

    def append(self, entry: dict[str, Any]) -> str | None:
        """Append one entry as a JSON line (0600 file), flushed to disk; an error or None.

        The line is written with one `write` and `fsync`ed before this returns: the gate
        lets a mutation run only after its record is on disk (a full filesystem fails
        here, not after the action). A short write counts as a failure.
        """
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n").encode(
            "utf-8",
            "backslashreplace",  # never raises, even for a field nobody cleaned
        )
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_mode & 0o077:
                    os.fchmod(fd, 0o600)
                written = _write(fd, line)
                if written != len(line):
                    return f"{self.path}: short write ({written} of {len(line)} bytes)"
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            return f"{self.path}: {exc.strerror or exc}"
        return None

    def writable(self) -> str | None:
        """Why an entry could not be appended now, or None: a hint for asking early.

        Opens the file for appending (creating the 0700 directory and the 0600 file) and
        writes nothing. A full filesystem passes this; the gate's "started" record, written
        and fsynced before the action, is what guarantees no record, no action.
        """
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.close(fd)
        except OSError as exc:
            return f"{self.path}: {exc.strerror or exc}"
        return None

    def _tail_lines(self, limit: int) -> list[bytes]:
        with self.path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            end = f.tell()
            data = b""
            while end > 0 and data.count(b"\n") <= limit:
                start = max(0, end - READ_BLOCK)
                f.seek(start)
                data = f.read(end - start) + data
                end = start
        return data.splitlines()[-limit:]

    def read(self, limit: int = 200, raw: bool = False) -> list[dict[str, Any]]:
        """The last `limit` attempts, oldest first (`attempts`: one entry per attempt).

        `raw`: the last `limit` lines, "started" lines included. Unreadable lines are
        skipped. Raises OSError when the log exists but cannot be read (or its directory
        is a file).
        """
        if limit <= 0:
            return []
        try:
            # An attempt that ran is two lines: read twice as many to show `limit` of them.
            lines = self._tail_lines(limit if raw else 2 * limit)
        except FileNotFoundError:
            return []
        entries = list(_parse(lines))
        return entries if raw else attempts(entries)[-limit:]


def _parse(lines: Iterable[bytes]) -> Iterable[dict[str, Any]]:
    for raw in lines:
        try:
            entry = json.loads(raw.decode("utf-8", errors="replace"))
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def _env_at_engine(entry: dict[str, Any]) -> str:
    """`prod` on the default engine, `prod@eu1` on another (entries before issue 24
    name no engine)."""
    env = str(entry.get("env", "?"))[:20]
    engine = str(entry.get("engine") or "local")[:40]
    return env if engine == "local" else f"{env}@{engine}"


def format_entry(entry: dict[str, Any]) -> tuple[str, str]:
    """Two display lines: the summary row and the command (both sanitized)."""
    when = clean(str(entry.get("time", "?")), 40).replace("T", " ")[:19]
    what = f"{entry.get('action', '?')} {entry.get('target', '?')}"
    if entry.get("replicas") is not None:
        what += f"={entry['replicas']}"
    duration = entry.get("duration_s")
    took = f"{duration:.1f}s" if isinstance(duration, int | float) else "-"
    row = "  ".join(
        [
            when,
            clean(str(entry.get("user", "?")), 60),
            clean(_env_at_engine(entry), 60),
            clean(str(entry.get("project", "?")), 40),
            clean(what, 80),
            clean(str(entry.get("outcome", "?")), 12).upper(),
            took,
        ]
    )
    return row.replace("\n", " "), clean(str(entry.get("command", "")), 2000).replace("\n", " ")

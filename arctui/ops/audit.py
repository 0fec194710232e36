"""The audit log: one JSON line per attempted mutation, in the XDG state dir.

    {"time": "2026-11-27T10:15:02+01:00", "user": "ops@host", "env": "prod",
     "project": "arc-platform", "action": "stop", "scope": "service", "target": "postgres",
     "command": "docker compose -p arc-platform ... stop -t 10 postgres",
     "outcome": "ok", "exit_code": 0, "duration_s": 3.2, "detail": "done"}

Confirmed, refused, declined, cancelled and failed attempts alike. Secrets are redacted
from the command and the detail with the env files' secret values plus pattern masking.
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
from typing import TYPE_CHECKING, Any

from arctui.config.masking import Redactor, is_secret_key
from arctui.config.settings import state_dir
from arctui.text import clean

if TYPE_CHECKING:
    from arctui.ops.lifecycle import Action
    from arctui.ops.runner import ActionResult
    from arctui.session import Session

AUDIT_FILE = "audit.jsonl"
DETAIL_LIMIT = 2000
READ_BLOCK = 64 * 1024


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


class AuditLog:
    """Appends and reads audit entries."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_audit_path()

    def entry(self, session: Session, action: Action, result: ActionResult) -> dict[str, Any]:
        """The audit entry for one attempt, secrets redacted."""
        redact = redactor_for(session).redact
        detail = result.message
        if result.outcome == "failed":
            lines = [line for line in result.output if line.strip()][-8:]
            detail = "\n".join([result.message, *lines]) if lines else result.message
        # Every text field is cleaned: `cat audit.jsonl` must not retitle a terminal
        # (`--env $'x\e]0;...'` reaches the entry), and redacted.
        return {
            "time": datetime.now().astimezone().isoformat(timespec="seconds"),
            "user": redact(clean(whoami(), 200)),
            "env": redact(clean(session.env, 200)),
            "project": redact(clean(action.project, 200)),
            "action": action.verb,
            "scope": action.scope,
            "target": redact(clean(action.target, 200)),
            "replicas": action.replicas,
            "command": redact(clean(action.shown_command, DETAIL_LIMIT)),
            "outcome": str(result.outcome),
            "exit_code": result.exit_code,
            "duration_s": round(result.duration, 3),
            "detail": redact(clean(detail, DETAIL_LIMIT)),
            "production": session.production,
        }

    def record(self, session: Session, action: Action, result: ActionResult) -> str | None:
        """Append one line; returns why it could not be written, or None."""
        return self.append(self.entry(session, action, result))

    def append(self, entry: dict[str, Any]) -> str | None:
        """Append one entry as a JSON line (0600 file); returns an error or None."""
        line = json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n"
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_mode & 0o077:
                    os.fchmod(fd, 0o600)
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            return f"{self.path}: {exc.strerror or exc}"
        return None

    def writable(self) -> str | None:
        """Why an entry could not be appended now, or None (checked before anything runs).

        Opens the file for appending (creating the 0700 directory and the 0600 file) and
        writes nothing: a mutation must not run when its audit record cannot be written.
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

    def read(self, limit: int = 200) -> list[dict[str, Any]]:
        """The last `limit` entries, oldest first; unreadable lines are skipped.

        Raises OSError when the log exists but cannot be read (or its directory is a file).
        """
        if limit <= 0:
            return []
        try:
            lines = self._tail_lines(limit)
        except FileNotFoundError:
            return []
        return list(_parse(lines))


def _parse(lines: Iterable[bytes]) -> Iterable[dict[str, Any]]:
    for raw in lines:
        try:
            entry = json.loads(raw.decode("utf-8", errors="replace"))
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


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
            clean(str(entry.get("env", "?")), 20),
            clean(str(entry.get("project", "?")), 40),
            clean(what, 80),
            clean(str(entry.get("outcome", "?")), 12).upper(),
            took,
        ]
    )
    return row.replace("\n", " "), clean(str(entry.get("command", "")), 2000).replace("\n", " ")

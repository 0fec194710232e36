"""Running a confirmed Redis action: `perform_redis` passes the one gate (`ops/gate.py`:
read-only, audit record first, outcome after), re-checks the target just before running
and runs the command over the tab's connection; a BGSAVE is awaited by polling INFO.
The plans (and the operator's decisions) are in actions.py. No Textual here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from arctui.ops.gate import Gate
from arctui.ops.runner import ActionResult, Outcome
from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.session import Session
    from arctui.sources.redis_client import RedisLike
    from arctui.tabs.redis.actions import RedisPlan

BGSAVE_TIMEOUT = 600.0  # seconds to wait for a BGSAVE to finish


def _precheck(plan: RedisPlan, source: RedisLike) -> str | None:
    """Read the target again just before running; why it must not run now, or None."""
    verb = plan.action.verb
    if verb == "redis-bgsave":
        info = source.info()
        if int(info.get("rdb_bgsave_in_progress", 0)):
            return "a BGSAVE is already running: wait for it (the persistence view shows it)"
        if int(info.get("aof_rewrite_in_progress", 0)):
            return "an AOF rewrite is running: Redis would only schedule the BGSAVE; try later"
    if verb == "redis-delete-key":
        raw = plan.args[1]
        now = source.execute("TYPE", raw)
        now = now.decode() if isinstance(now, bytes) else str(now)
        if now == "none":
            return f"the key {plan.action.target} no longer exists: nothing to delete"
        if plan.key_type and now != plan.key_type:
            return f"the key is now a {now}, not the {plan.key_type} you saw: look again"
    return None


def _save_mark(info: dict[str, Any]) -> tuple[int, int, str]:
    """(rdb_saves, rdb_last_save_time, rdb_last_bgsave_status): what moves when a save ends."""
    return (
        int(info.get("rdb_saves", -1)),
        int(info.get("rdb_last_save_time", 0)),
        str(info.get("rdb_last_bgsave_status", "?")),
    )


def _wait_bgsave(
    source: RedisLike,
    before: tuple[int, int, str],
    on_output: Callable[[str], None],
    cancel: threading.Event,
    timeout: float,
    poll: float,
) -> tuple[Outcome, str]:
    """Poll INFO until the BGSAVE ends; its outcome."""
    started = time.monotonic()
    last_note = 0.0
    while True:
        info = source.info()
        in_progress = int(info.get("rdb_bgsave_in_progress", 0))
        saves, saved, status = _save_mark(info)
        elapsed = time.monotonic() - started
        # rdb_saves (7.0+) counts every save; rdb_last_save_time has 1 s resolution.
        moved = (saves > before[0] >= 0) or saved > before[1] or (status != before[2])
        if not in_progress and (moved or elapsed > 5):
            if status != "ok":
                return Outcome.FAILED, "BGSAVE failed (rdb_last_bgsave_status=err): see the log"
            at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(saved))
            return Outcome.OK, f"saved at {at} (rdb_last_save_time {saved})"
        if elapsed - last_note >= 2:
            last_note = elapsed
            on_output(f"BGSAVE in progress … {elapsed:.0f} s")
        if elapsed > timeout:
            return Outcome.FAILED, f"BGSAVE still running after {timeout:.0f} s (not waited for)"
        if cancel.wait(poll):
            return Outcome.CANCELLED, "stopped waiting; the BGSAVE itself goes on in Redis"


def perform_redis(
    session: Session,
    plan: RedisPlan,
    source: RedisLike,
    audit: AuditLog | None,
    on_output: Callable[[str], None] = lambda _line: None,
    cancel: threading.Event | None = None,
    timeout: float = BGSAVE_TIMEOUT,
    poll: float = 0.2,
) -> ActionResult:
    """Check, re-read, run and audit one confirmed Redis action (through the gate)."""
    cancel = cancel or threading.Event()
    action = plan.action
    gate = Gate(session, action, audit)
    started = time.monotonic()
    output: list[str] = []

    def say(line: str) -> None:
        output.append(line)
        on_output(line)

    def work() -> ActionResult:
        ok = Outcome.SIMULATED if action.simulated else Outcome.OK
        try:
            reason = _precheck(plan, source)
            if reason:
                return ActionResult(Outcome.REFUSED, None, 0.0, (), reason)
            before = _save_mark(source.info()) if plan.args[0] == "BGSAVE" else (0, 0, "")
            say(f"> {action.shown_command}")
            reply = source.execute(*plan.args)
            say(_reply_text(reply))
            outcome, message = ok, _reply_text(reply)
            if plan.args[0] == "BGSAVE":
                outcome, message = _wait_bgsave(source, before, say, cancel, timeout, poll)
                if outcome is Outcome.OK:
                    outcome = ok
                say(message)
            elif plan.args[0] == "UNLINK" and reply == 0:
                outcome, message = Outcome.FAILED, "the key was already gone (UNLINK returned 0)"
        except SourceError as exc:
            say(exc.reason)
            return ActionResult(
                Outcome.FAILED, None, time.monotonic() - started, tuple(output), exc.reason
            )
        return ActionResult(outcome, 0, time.monotonic() - started, tuple(output[-40:]), message)

    return gate.run(work, cancel=cancel)


def _reply_text(reply: Any) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    if reply is True:
        return "OK"
    return str(reply)

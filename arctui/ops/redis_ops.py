"""Redis actions: BGSAVE, CONFIG SET maxmemory / maxmemory-policy, delete a key, SLOWLOG RESET.

Same path as the lifecycle actions: `plan_redis_action` describes the action (an
`Action`, so the confirmation modal works unchanged) with the `redis-cli` command an
operator would type; `perform_redis` passes the one gate (`ops/gate.py`: read-only,
audit record first, outcome after), re-checks the target and runs the command over the
tab's connection. No Textual here.

Decisions an on-call operator would make:
- a key is deleted with UNLINK (freed in the background), not DEL: deleting a
  million-element hash with DEL blocks the server for as long as freeing takes;
- BGSAVE is refused while a BGSAVE or an AOF rewrite runs (Redis would refuse or
  postpone it), and its end is awaited by polling INFO (`rdb_bgsave_in_progress`,
  `rdb_last_save_time`, `rdb_last_bgsave_status`), never LASTSAVE (1 s resolution);
- CONFIG SET is not persisted (no CONFIG REWRITE): the compose command line
  (`--maxmemory 512mb`) wins at the next restart, and the confirmation says so;
- a maxmemory below the memory in use is treated as destructive (typed confirmation):
  with `noeviction` every write then fails, with an eviction policy keys are evicted.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arctui import units
from arctui.ops.gate import Gate
from arctui.ops.guards import typed_confirmations
from arctui.ops.lifecycle import Action
from arctui.ops.runner import ActionResult, Outcome
from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.session import Session
    from arctui.tabs.redis.models import BigKey
    from arctui.tabs.redis.reader import RedisLike

VERBS = ("bgsave", "maxmemory", "maxmemory-policy", "delete-key", "slowlog-reset")
POLICIES = (
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
)
BGSAVE_TIMEOUT = 600.0  # seconds to wait for a BGSAVE to finish
TYPED_KEY_LIMIT = 64  # longer keys are confirmed by typing "delete"
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2}
_UNITS |= {"g": 1000**3, "gb": 1024**3}
_MEMORY = re.compile(r"^\s*(\d+)\s*([a-z]*)\s*$", re.IGNORECASE)


class RedisActionError(ValueError):
    """The action cannot be planned (bad value, unknown policy ...)."""


def parse_memory(text: str) -> int:
    """Redis memory notation: `512mb` (MiB), `1gb`, `100k` (1000s), bytes; 0 = no limit."""
    m = _MEMORY.match(text)
    if not m or m.group(2).lower() not in _UNITS:
        raise RedisActionError(f"{text.strip()!r} is not a memory size (e.g. 512mb, 2gb, 0)")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


@dataclass(frozen=True)
class RedisPlan:
    """A planned Redis action: the auditable Action plus the exact command to send."""

    action: Action
    args: tuple[Any, ...]  # the Redis command (raw key bytes for delete)
    key_type: str | None = None  # delete: the key's type when the operator saw it


def _cli_base(source: RedisLike) -> list[str]:
    target = getattr(source, "target", None)
    if target is not None and hasattr(target, "cli_args"):
        return list(target.cli_args())
    return ["redis-cli", "-h", source.label.split(":")[0]]


def plan_redis_action(
    session: Session,
    source: RedisLike,
    verb: str,
    *,
    value: str | None = None,
    key: BigKey | None = None,
    used_memory: int | None = None,
    policy: str | None = None,
) -> RedisPlan:
    """Describe one Redis action. Raises RedisActionError for a bad value."""
    base = _cli_base(source)
    common: dict[str, Any] = {
        "scope": "redis",
        "target": source.label,
        "project": session.project,
        "env": session.env,
        "production": session.production,
        "simulated": session.demo,
    }
    if verb == "bgsave":
        return RedisPlan(
            Action(
                verb="redis-bgsave",
                command=(*base, "BGSAVE"),
                summary=f"Write an RDB snapshot of Redis at {source.label} in the background",
                consequence="Redis forks; with a large data set the fork can pause it briefly.",
                confirmations=typed_confirmations(session),
                **common,
            ),
            ("BGSAVE",),
        )
    if verb == "maxmemory":
        if value is None:
            raise RedisActionError("maxmemory needs a value (e.g. 512mb)")
        size = parse_memory(value)
        below = bool(size and used_memory is not None and size < used_memory)
        consequence = "Not persisted: the server's command line / redis.conf wins at restart."
        if below:
            what = (
                "every write will FAIL with OOM errors"
                if (policy or "noeviction") == "noeviction"
                else f"Redis will evict keys now ({policy}) until it fits"
            )
            consequence = (
                f"{units.size(size)} is below the {units.size(used_memory or 0)} in use:"
                f" {what}. " + consequence
            )
        return RedisPlan(
            Action(
                verb="redis-maxmemory",
                command=(*base, "CONFIG", "SET", "maxmemory", str(size)),
                summary=f"Set maxmemory of Redis at {source.label} to "
                + (units.size(size) if size else "no limit"),
                consequence=consequence,
                destructive=below,
                confirmations=typed_confirmations(
                    session, (("new maxmemory", value.strip()),) if below else ()
                ),
                **common,
            ),
            ("CONFIG", "SET", "maxmemory", str(size)),
        )
    if verb == "maxmemory-policy":
        if value not in POLICIES:
            raise RedisActionError(f"policy must be one of: {', '.join(POLICIES)}")
        return RedisPlan(
            Action(
                verb="redis-maxmemory-policy",
                command=(*base, "CONFIG", "SET", "maxmemory-policy", value),
                summary=f"Set maxmemory-policy of Redis at {source.label} to {value}",
                consequence=(
                    "An eviction policy deletes keys when memory is full; noeviction fails"
                    " writes instead. Not persisted across a restart."
                ),
                confirmations=typed_confirmations(session),
                **common,
            ),
            ("CONFIG", "SET", "maxmemory-policy", value),
        )
    if verb == "delete-key":
        if key is None:
            raise RedisActionError("select a key to delete")
        word = key.key if len(key.key) <= TYPED_KEY_LIMIT else "delete"
        count = f"{key.elements:,} {key.unit}" if key.elements is not None else "?"
        mem = units.size(key.memory) if key.memory is not None else "?"
        return RedisPlan(
            Action(
                verb="redis-delete-key",
                command=(*base, "UNLINK", key.key),
                summary=f"Delete the {key.type} key {key.key} ({count}, {mem})",
                consequence="The key and its value are gone for good (UNLINK: freed in the"
                " background, the server is not blocked).",
                destructive=True,
                confirmations=typed_confirmations(
                    session, (("key name" if word == key.key else "word", word),)
                ),
                **common,
            ),
            ("UNLINK", key.raw),
            key_type=key.type,
        )
    if verb == "slowlog-reset":
        return RedisPlan(
            Action(
                verb="redis-slowlog-reset",
                command=(*base, "SLOWLOG", "RESET"),
                summary=f"Clear the slow log of Redis at {source.label}",
                consequence="The recorded slow commands are lost (copy them first if needed).",
                confirmations=typed_confirmations(session),
                **common,
            ),
            ("SLOWLOG", "RESET"),
        )
    raise RedisActionError(f"unknown Redis action {verb!r}; actions: {', '.join(VERBS)}")


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

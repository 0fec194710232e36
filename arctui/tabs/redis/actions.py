"""Redis actions planned: BGSAVE, CONFIG SET maxmemory / maxmemory-policy, delete a key,
SLOWLOG RESET.

Same path as every tab's actions: `plan_redis_action` describes the action as an `Action`
(so the confirmation modal works unchanged) with the `redis-cli` command an operator
would type; perform.py runs it once confirmed (through the one gate). No Textual here.

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arctui import units
from arctui.ops.guards import typed_confirmations
from arctui.ops.lifecycle import Action

if TYPE_CHECKING:
    from arctui.session import Session
    from arctui.sources.redis_client import RedisLike
    from arctui.tabs.redis.models import BigKey

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

"""What a cancelled action really did, read back from the engine.

Stopping `docker compose` does not undo what the engine already started: at 8 s into
`restart` the daemon has usually restarted the container even though compose was
interrupted. So after a cancel the target is read again and compared with what it was
just before the command ran: nothing changed, part of it, or all of it. No Textual here.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from arctui.models import ContainerInfo
from arctui.ops.runner import ActionResult, Outcome
from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.ops.lifecycle import Action
    from arctui.session import Session

SETTLE_TRIES = 4  # reads, one second apart, while the engine still moves
_MOVING = frozenset({"restarting", "removing", "created"})


def target_containers(session: Session, action: Action) -> dict[str, ContainerInfo] | None:
    """The containers the action targets, by id (None when the engine cannot be read)."""
    try:
        found = session.reader.containers.containers(action.project)
    except SourceError:
        return None
    if action.scope == "service":
        found = [c for c in found if c.service == action.target]
    return {c.id: c for c in found}


def _restarted(before: ContainerInfo, after: ContainerInfo) -> bool:
    return after.state == "running" and (after.started_at or 0) > (before.started_at or 0)


def _done(verb: str, replicas: int | None) -> Callable[[ContainerInfo | None, ContainerInfo], bool]:
    """Whether one container (before, after) shows the verb's effect."""
    if verb in ("start", "unpause", "up"):
        return lambda b, a: a.state == "running"
    if verb in ("stop", "down"):
        return lambda b, a: a.state in ("exited", "dead")
    if verb == "kill":  # a restart policy may already have brought it back
        return lambda b, a: a.state in ("exited", "dead") or (b is not None and _restarted(b, a))
    if verb == "pause":
        return lambda b, a: a.state == "paused"
    if verb == "restart":
        return lambda b, a: b is None or _restarted(b, a)
    return lambda b, a: True


def _changed(before: ContainerInfo, after: ContainerInfo) -> bool:
    return (before.state, before.started_at, before.finished_at) != (
        after.state,
        after.started_at,
        after.finished_at,
    )


def assess(
    action: Action, before: dict[str, ContainerInfo], after: dict[str, ContainerInfo]
) -> tuple[str, str]:
    """('none' | 'partial' | 'done', what the engine shows) for a cancelled action."""
    gone = [cid for cid in before if cid not in after]
    new = [cid for cid in after if cid not in before]
    changed = [cid for cid in before if cid in after and _changed(before[cid], after[cid])]
    if action.verb == "scale" and action.replicas is not None:
        running = sum(c.state == "running" for c in after.values())
        state = "done" if len(after) == action.replicas and running == len(after) else "partial"
        if not (gone or new or changed):
            state = "none"
        return state, f"{len(after)} containers now, {running} running (wanted {action.replicas})"
    if action.verb in ("down", "clean"):
        state = "done" if not after else ("partial" if gone or changed else "none")
        return state, f"{len(after)} of {len(before)} containers left"
    done = _done(action.verb, action.replicas)
    finished = [c for cid, c in after.items() if done(before.get(cid), c)]
    states = ", ".join(sorted({c.state for c in after.values()})) or "no containers"
    if not (gone or new or changed):
        return "none", f"{action.target}: {states}, as before"
    if after and len(finished) == len(after) and not gone:
        return "done", f"{action.target}: {len(finished)} of {len(after)} containers {states}"
    touched = len(gone) + len(new) + len(changed)
    return "partial", f"{action.target}: {touched} of {max(len(before), 1)} changed, now {states}"


def read_back(
    session: Session,
    action: Action,
    before: dict[str, ContainerInfo],
    result: ActionResult,
    sleep: Callable[[float], None] = time.sleep,
) -> ActionResult:
    """A cancelled result, rewritten from what the engine shows now."""
    state, shown = "unknown", "the engine could not be read after the cancel"
    for attempt in range(SETTLE_TRIES):
        after = target_containers(session, action)
        if after is None:
            break
        state, shown = assess(action, before, after)
        moving = any(c.state in _MOVING for c in after.values())
        if state != "partial" and not moving:
            break
        if attempt < SETTLE_TRIES - 1:
            sleep(1.0)
    if state == "done":
        message = f"stop came too late: the engine shows {action.title} done ({shown})"
        return dataclasses.replace(result, outcome=Outcome.OK, message=message)
    if state == "partial":
        message = f"cancelled part-way: {shown} (read back from the engine)"
    elif state == "none":
        message = f"cancelled before it changed anything: {shown} (read back from the engine)"
    else:
        message = f"cancelled; {shown}: check {action.target} before acting again"
    return dataclasses.replace(result, message=message)

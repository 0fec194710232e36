"""What is firing, from the store's alert events (the CLI, the header, the health view).

An incident fires with an `alert` event and ends with an `alert-resolved` one; `delivery`
events are the outcomes of sending it, shown beside it (stores written before that kind
existed hold them as `alert` events carrying `delivery`).

`session_alerts(session)` is what the header and the health view show: the store named by
`--store` (else the project's), as of the session's clock. In a replay that clock is the
moment shown and nothing after it is read, so the alerts are the ones firing then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arctui.record.frame import Event

RECENT_S = 24 * 3600.0
KINDS = ("alert", "alert-resolved", "delivery")


@dataclass
class AlertRecord:
    """One incident as the store tells it."""

    fired: Event
    resolved: Event | None = None
    deliveries: list[Event] = field(default_factory=list)

    @property
    def firing(self) -> bool:
        return self.resolved is None


def read_alert_events(path: Path, now: float, since_s: float = RECENT_S) -> list[Event]:
    """The alert events of the last `since_s` in the store at `path` (read-only)."""
    from arctui.record.store import Store

    if not path.is_file():
        return []
    store = Store.open(path, readonly=True)
    try:
        return store.events(now - since_s, now + 60, kinds=KINDS)
    finally:
        store.close()


def store_of(session: Any) -> Path:
    """The store this run reads: `--store PATH` (session.store_path), else the project's."""
    from arctui.record.store import default_path

    given: Path | None = session.store_path
    return given if given is not None else default_path(session.project)


def session_alerts(session: Any, since_s: float = RECENT_S) -> list[AlertRecord]:
    """The incidents of the last `since_s` as of the session's moment (see the module doc)."""
    now = session.clock()
    replay = session.replay
    if replay is not None:  # the replay's own store (thread-safe), up to the moment shown
        return incidents(replay.store.events(now - since_s, now, kinds=KINDS))
    return incidents(read_alert_events(store_of(session), now, since_s))


def is_delivery(e: Event) -> bool:
    """A delivery outcome (its own kind, or an older store's `alert` with `delivery`)."""
    return e.kind == "delivery" or (e.kind == "alert" and "delivery" in e.data)


def incidents(events: list[Event]) -> list[AlertRecord]:
    """Alert events grouped by incident, oldest first (a repeat after resolving is new)."""
    out: list[AlertRecord] = []
    open_: dict[str, AlertRecord] = {}
    for e in events:
        key = str(e.data.get("incident", ""))
        if is_delivery(e):
            if key in open_:
                open_[key].deliveries.append(e)
            elif out and any(r.fired.data.get("incident") == key for r in out):
                next(
                    r for r in reversed(out) if r.fired.data.get("incident") == key
                ).deliveries.append(e)
            continue
        if e.kind == "alert":
            if key not in open_:  # a repeat ("sent after being held") is the same incident
                open_[key] = AlertRecord(e)
                out.append(open_[key])
        elif e.kind == "alert-resolved" and key in open_:
            open_.pop(key).resolved = e
    return out


def firing(events: list[Event]) -> list[Event]:
    """The `alert` events of incidents not resolved yet."""
    return [r.fired for r in incidents(events) if r.firing]

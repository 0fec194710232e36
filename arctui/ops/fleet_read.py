"""One read on every engine of the fleet at once, each bounded by its own time (issue 24).

Headless `status`, `health` and `logs` read each engine on a thread of its own: an engine
that hangs (a SIGSTOPped dockerd, a dead VPN) delays nobody. Every engine call has its
timeout already (sources/engine.py); on top of that an engine's whole read gets a budget
(a few calls' worth), past which it is reported "unreachable: no answer in N s" and left
behind (its daemon thread ends with its own timeout). A fleet of one reads on the
calling thread, exactly as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from arctui.fleet import engine_notices
from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.session import Session

T = TypeVar("T")
CALLS_PER_READ = 3  # list, inspect, compose's own engine call: a read's worth of timeouts
DEMO_BUDGET = 30.0


@dataclass(frozen=True)
class EngineRead(Generic[T]):
    """One engine's result: the value, or why the engine could not be read."""

    session: Session
    value: T | None = None
    error: str | None = None  # "unreachable: <reason>"
    fix: str = ""
    notices: tuple[str, ...] = ()  # from /info (Swarm ...)

    @property
    def name(self) -> str:
        return self.session.engine_name

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe(self) -> dict[str, object]:
        """The engine as JSON: name, env, production, endpoint, state, error, notices."""
        return {
            "name": self.name,
            "env": self.session.env,
            "production": self.session.production,
            "read_only": self.session.read_only,
            "endpoint": endpoint(self.session),
            "state": "ok" if self.ok else "unreachable",
            "error": self.error,
            "fix": self.fix or None,
            "notices": list(self.notices),
        }


def endpoint(session: Session) -> str:
    """Where the engine is reached, without contacting it (the demo: simulated)."""
    if session.engine is None:
        return "demo (simulated engine)"
    try:
        return session.engine.endpoint
    except Exception:  # resolving a context can fail: the read says why
        return "?"


def budget(session: Session, extra: float = 0.0) -> float:
    """Seconds an engine's whole read may take before it is reported unreachable
    (`extra`: what the read does after the engine answered, health's probes say)."""
    if session.engine is None:
        return DEMO_BUDGET + extra
    return session.engine.timeout * CALLS_PER_READ + 1.0 + extra


def _one(session: Session, read: Callable[[Session], T], notices: bool) -> EngineRead[T]:
    found: list[tuple[str, ...]] = []
    checker = None
    if notices and session.engine is not None:
        # /info on its own thread, beside the read (its ~10 ms overlap the list call).
        checker = threading.Thread(
            target=lambda: found.append(engine_notices(session)),
            name=f"arctui-info-{session.engine_name}",
            daemon=True,
        )
        checker.start()
    try:
        value = read(session)
    except SourceError as exc:
        return EngineRead(session, error=f"unreachable: {exc.reason}", fix=exc.fix)
    if checker is not None:
        checker.join(session.engine.timeout + 1.0 if session.engine else 1.0)
    return EngineRead(session, value, notices=found[0] if found else ())


def read_fleet(
    sessions: tuple[Session, ...],
    read: Callable[[Session], T],
    *,
    notices: bool = True,
    extra: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
) -> list[EngineRead[T]]:
    """`read(session)` on every engine at once; each result within its engine's budget.

    `read` raises SourceError when its engine cannot be read (anything else is a bug
    and is raised here, after every engine ended or ran out of time).
    """
    if len(sessions) == 1:
        return [_one(sessions[0], read, notices)]
    results: dict[int, EngineRead[T]] = {}
    crashed: list[BaseException] = []

    def work(index: int, session: Session) -> None:
        try:
            results[index] = _one(session, read, notices)
        except BaseException as exc:  # raised on the caller's thread below
            crashed.append(exc)

    started = clock()
    threads = [
        threading.Thread(target=work, args=(i, s), name=f"arctui-read-{s.engine_name}", daemon=True)
        for i, s in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    for thread, session in zip(threads, sessions, strict=True):
        thread.join(max(0.0, started + budget(session, extra) - clock()))
    if crashed:
        raise crashed[0]
    out: list[EngineRead[T]] = []
    for i, session in enumerate(sessions):
        if i in results:
            out.append(results[i])
        else:
            waited = budget(session, extra)
            out.append(
                EngineRead(
                    session,
                    error=f"unreachable: no answer in {waited:.0f} s from {endpoint(session)}",
                    fix="the daemon may be hung or the host unreachable",
                )
            )
    return out


class EngineChoiceError(Exception):
    """Which engine an action is for cannot be told (the message says why and what to add)."""


def pick_engine(session: Session, name: str | None, service: str | None) -> Session:
    """The session an action goes to: `--engine NAME`'s, else the only engine that runs
    `service`. Raises EngineChoiceError naming the engines when that is not one engine.

    With several engines a stack-wide action (no service) needs `--engine`: `down` on
    the wrong host is not a default to guess. A fleet of one is its primary, always.
    """
    fleet = session.fleet
    if name is not None:
        chosen = fleet.by_name(name)
        if chosen is None:
            raise EngineChoiceError(
                f"no engine called {name!r} (engines: {', '.join(fleet.names)})"
            )
        return chosen
    if not fleet.multi:
        return session
    names = ", ".join(fleet.names)
    if service is None:
        raise EngineChoiceError(
            f"the stack runs on several engines ({names}): add --engine NAME to say which"
        )
    reads = read_fleet(fleet.all, lambda s: s.reader.read(), notices=False)
    down = [r for r in reads if r.value is None]
    running = [r.name for r in reads if r.value is not None and _has(r.value, service, True)]
    declared = [r.name for r in reads if r.value is not None and _has(r.value, service, False)]
    found = running or declared
    if down and found:
        unknown = ", ".join(f"{r.name} ({r.error})" for r in down)
        raise EngineChoiceError(
            f"{service} runs on {', '.join(found)}, and {unknown} cannot say whether it runs"
            " there too: add --engine NAME to say which"
        )
    if len(found) > 1:
        raise EngineChoiceError(
            f"{service} runs on several engines ({', '.join(found)}): add --engine NAME to say"
            " which"
        )
    chosen = fleet.by_name(found[0]) if found else None
    return chosen or session  # on none: the primary's plan says it has no such service


def _has(snapshot: object, service: str, with_containers: bool) -> bool:
    from arctui.models import StackSnapshot

    assert isinstance(snapshot, StackSnapshot)
    view = snapshot.service(service)
    return view is not None and (bool(view.containers) or not with_containers)


def chosen_engines(session: Session, name: str | None) -> tuple[Session, ...]:
    """`--engine NAME`'s session alone, else every engine (doctor, diagnostics).
    Raises EngineChoiceError for a name no engine has."""
    if name is None:
        return session.fleet.all
    return (pick_engine(session, name, None),)

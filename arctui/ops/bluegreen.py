"""Blue-green, the operations guide's procedure as steps that can each be stopped.

1. `preflight`: can a second copy run next to this one? (container_name, published host
   ports and explicitly named volumes would collide or be shared);
2. `start_action`: `docker compose -p <new> <same env file and -f list> up -d`;
3. `wait_healthy`: poll the engine until every service of the new stack runs, and is
   healthy where it has a health check;
4. `compare`: both stacks side by side (image, state, health);
5. `teardown_action`: the old project's `down` (volumes kept), only after step 3 passed.
No Textual here; every step that changes something is an `Action` run through `perform`.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from arctui.models import ServiceState, StackSnapshot
from arctui.ops.lifecycle import Action, plan_action
from arctui.session import Session
from arctui.sources.base import SourceError
from arctui.stack.reader import StackReader

DEFAULT_NEW_PROJECT = "arc-v2"
_VALID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Preflight:
    """Why the new stack cannot start next to the old one (blockers), and what to know."""

    blockers: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CompareRow:
    """One service in both stacks."""

    service: str
    old_image: str
    old_state: str
    new_image: str
    new_state: str


def new_session(session: Session, new_project: str) -> Session:
    """The same files, env files and environment under another project name."""
    from arctui.sources.compose import ComposeCli

    if session.spec is None:
        reader = StackReader(new_project, session.reader.containers, session.reader.compose)
        return dataclasses.replace(session, project=new_project, reader=reader)
    spec = dataclasses.replace(session.spec, project_name=new_project)
    compose = ComposeCli(spec.compose_args(), cwd=spec.project_dir, env=session.environ)
    watched = tuple(spec.compose_files) + tuple(spec.env_files)
    reader = StackReader(new_project, session.reader.containers, compose, watched)
    return dataclasses.replace(session, project=new_project, spec=spec, reader=reader)


def preflight(session: Session, new: Session) -> Preflight:
    """Read both projects and the rendered config; SourceError if the engine is down."""
    name = new.project
    if not _VALID.match(name):
        return Preflight((f"'{name}' is not a valid compose project name",), ())
    if name == session.project:
        return Preflight((f"the new stack needs another name than {session.project}",), ())
    blockers: list[str] = []
    if new.reader.containers.containers(name):
        blockers.append(f"{name} already has containers: tear it down or choose another name")
    model, error = session.reader.compose_model(force=True)
    if model is None:
        return Preflight((f"the compose config does not render: {error}",), ())
    for service in model.services:
        if service.profiles:
            continue
        if service.container_name:
            blockers.append(
                f"{service.name} sets container_name {service.container_name}: a second copy"
                " cannot be created next to it"
            )
        published = [p.label() for p in service.ports if p.host_port is not None]
        if published:
            blockers.append(f"{service.name} publishes host ports {', '.join(published)}")
    prefix = f"{session.project}_"
    shared = [v for v in model.volumes if not v.startswith(prefix)]
    if shared:
        blockers.append(
            "named volumes would be shared by both stacks (two databases on one data"
            f" directory): {', '.join(shared)}"
        )
    notes = [
        f"{name} starts with its own, empty volumes: data is not copied from {session.project}.",
        "Services on the host network that bind fixed ports will not become healthy while"
        " the old stack holds the ports; the wizard then stops before any teardown.",
        "Switching traffic (Traefik routing) is yours to do before the teardown.",
    ]
    return Preflight(tuple(blockers), tuple(notes))


def start_action(new: Session, snapshot: StackSnapshot | None = None) -> Action:
    """`up -d` of the new project, with the same files and env files."""
    snapshot = snapshot or StackSnapshot(new.project, (), time.time(), "")
    action = plan_action(new, "up", snapshot=snapshot)
    return dataclasses.replace(action, summary=f"Start the new stack {new.project} (blue-green)")


def teardown_action(session: Session, snapshot: StackSnapshot | None = None) -> Action:
    """`down` of the old project (volumes kept), confirmed by typing its name."""
    action = plan_action(session, "down", snapshot=snapshot)
    confirmations = (("old project name", session.project), *action.confirmations)
    return dataclasses.replace(
        action,
        summary=f"Tear down the old stack {session.project} (blue-green; volumes kept)",
        confirmations=confirmations,
    )


def unready(snapshot: StackSnapshot) -> list[str]:
    """Services of the snapshot that are not yet up (and healthy where checked)."""
    waiting = []
    for s in snapshot.services:
        if s.declared is not None and s.declared.profiles and not s.containers:
            continue  # a profile that is not enabled
        if s.state is not ServiceState.RUNNING:
            waiting.append(f"{s.name} ({s.state.value})")
        elif s.health not in (None, "healthy"):
            waiting.append(f"{s.name} ({s.health})")
    return waiting


def wait_healthy(
    new: Session,
    cancel: threading.Event,
    on_progress: Callable[[str], None],
    timeout: float = 300.0,
    poll: float = 1.0,
) -> tuple[bool, str]:
    """Poll until every service of the new stack is up and healthy; (ok, why not)."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            snapshot = new.reader.read()
        except SourceError as exc:
            return False, f"cannot read {new.project}: {exc.reason}"
        waiting = unready(snapshot)
        total = len([s for s in snapshot.services if s.containers])
        if total and not waiting:
            on_progress(f"{new.project}: all {total} services up and healthy")
            return True, ""
        line = f"{new.project}: waiting for {', '.join(waiting) or 'containers'}"
        if line != last:
            on_progress(line)
            last = line
        if time.monotonic() > deadline:
            return False, f"not healthy after {timeout:.0f} s: {', '.join(waiting)}"
        if cancel.wait(poll):
            return False, "stopped by the operator"


def compare(old: StackSnapshot, new: StackSnapshot) -> list[CompareRow]:
    """Both stacks side by side, one row per service of either."""

    def describe(snap: StackSnapshot, name: str) -> tuple[str, str]:
        s = snap.service(name)
        if s is None or not s.containers:
            return "-", "absent"
        state = s.state.value + (f"/{s.health}" if s.health else "")
        return s.image, state

    names = [s.name for s in old.services]
    names += [s.name for s in new.services if s.name not in names]
    rows = []
    for name in names:
        old_image, old_state = describe(old, name)
        new_image, new_state = describe(new, name)
        rows.append(CompareRow(name, old_image, old_state, new_image, new_state))
    return rows

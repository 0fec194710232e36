"""Lifecycle actions on one service or the whole stack: what they are and their commands.

Every action is the `docker compose` command an operator would type for this project
(same `-p`, `--env-file` and `-f` list as the platform's Makefile), so what the
confirmation shows is exactly what runs. The TUI (keys, palette) and the headless
subcommands all go through `plan_action` -> confirmation -> `perform` (ops/perform.py),
which passes the one gate (ops/gate.py: rules, the audit record first, the outcome).
No Textual here.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from arctui.models import ServiceState, ServiceView, StackSnapshot
from arctui.ops.gate import production_rule
from arctui.ops.guards import typed_confirmations
from arctui.ops.plan_warnings import with_warnings

if TYPE_CHECKING:
    from arctui.session import Session

    CleanRefusal = Callable[[Session], str | None]
    CleanBackups = Callable[[Session, StackSnapshot], str]

SERVICE_VERBS = ("start", "stop", "restart", "kill", "pause", "unpause", "scale", "shell")
STACK_VERBS = ("up", "down", "kill", "clean", "restart")
DEFAULT_STOP_TIMEOUT = 10  # compose's own default without stop_grace_period
MAX_REPLICAS = 50

_STACK_SUMMARY = {
    "up": "Start the whole stack (create missing containers)",
    "down": "Stop and remove every container of the stack (volumes are kept)",
    "kill": "Kill every container of the stack (SIGKILL, no graceful shutdown)",
    "clean": "Remove every container AND VOLUME of the stack: all its data is lost",
    "restart": "Restart every container of the stack",
}


# clean (down -v) in production: only with fresh verified backups of every datastore.
# The backups (a layer above) decide: ops/backups/unlock.py registers its check here when
# imported (`guard_clean`); the entry points that plan actions import it. Until it is
# registered a production clean is refused: fail closed.
_CLEAN_GUARD: list[tuple[CleanRefusal, CleanBackups]] = []
CLEAN_UNCHECKED = (
    "clean (down -v) deletes every volume; in production it needs the backups' freshness"
    " check, which is not loaded here: refused"
)


def guard_clean(refusal: CleanRefusal, named: CleanBackups) -> None:
    """Register the production clean's check and the backups its confirmation names."""
    _CLEAN_GUARD[:] = [(refusal, named)]


def _clean_rule(session: Session) -> str | None:
    if not _CLEAN_GUARD:
        return CLEAN_UNCHECKED
    return _CLEAN_GUARD[0][0](session)


production_rule("stack", "clean", _clean_rule)


class ActionError(ValueError):
    """The action cannot be planned (no such service, bad replica count ...)."""


@dataclass(frozen=True)
class Action:
    """One planned mutation: what it targets and the exact command that will run."""

    verb: str
    scope: str  # "service" | "stack"
    target: str  # the service, or the project for stack actions
    project: str
    env: str
    command: tuple[str, ...]
    summary: str
    destructive: bool = False
    production: bool = False
    consequence: str = ""  # what is lost, said plainly
    # (what to type, the exact text) pairs, in the order they are asked
    confirmations: tuple[tuple[str, str], ...] = ()
    expected: str | None = None  # the target's state when the operator looked
    replicas: int | None = None
    cwd: str | None = None
    simulated: bool = False  # demo platform: nothing runs on an engine
    interactive: bool = False  # shell: runs on the terminal, not captured
    display: str | None = None  # shown instead of `command` (arctui's own commands)

    @property
    def shown_command(self) -> str:
        """The command as an operator would type it."""
        return self.display if self.display is not None else shlex.join(self.command)

    @property
    def title(self) -> str:
        """Short label: `stop gateway`, `clean arc-platform`."""
        extra = f"={self.replicas}" if self.verb == "scale" else ""
        return f"{self.verb} {self.target}{extra}"


def state_class(state: ServiceState) -> str:
    """Coarse state for drift checks: a crash loop flipping running/restarting is no drift."""
    if state in (ServiceState.RUNNING, ServiceState.RESTARTING, ServiceState.PARTIAL):
        return "up"
    if state is ServiceState.PAUSED:
        return "paused"
    return "down"


def _stack_expectation(snapshot: StackSnapshot) -> str:
    return f"{sum(len(s.containers) for s in snapshot.services)} containers"


def _base_command(session: Session) -> list[str]:
    if session.spec is not None:
        return ["docker", "compose", *session.spec.compose_args()]
    return ["docker", "compose", "-p", session.project]


def _confirmations(session: Session, destructive: bool) -> tuple[tuple[str, str], ...]:
    return typed_confirmations(session, (("project name", session.project),) if destructive else ())


def _stop_timeout(service: ServiceView, timeout: int | None) -> int:
    if timeout is not None:
        if timeout < 0:  # never quietly turned into `-t 0`, an immediate SIGKILL
            raise ActionError(f"stop timeout must be 0 seconds or more, not {timeout}")
        return int(timeout)
    grace = service.declared.stop_grace_period if service.declared else None
    return DEFAULT_STOP_TIMEOUT if grace is None else math.ceil(grace)


def plan_action(
    session: Session,
    verb: str,
    target: str | None = None,
    *,
    snapshot: StackSnapshot | None = None,
    replicas: int | None = None,
    timeout: int | None = None,
    wait: bool = False,
) -> Action:
    """Describe `verb` on a service (target) or the stack (no target). Raises ActionError.

    `snapshot` is what the operator is looking at (the UI passes its own, so planning
    never blocks); without one the stack is read now (SourceError if it cannot be).
    """
    if snapshot is None:
        snapshot = session.reader.read()
    base = _base_command(session)
    common = {
        "project": session.project,
        "env": session.env,
        "production": session.production,
        "cwd": str(session.spec.working_dir) if session.spec else None,
        "simulated": session.demo,
    }
    if target is None:
        if verb not in STACK_VERBS:
            raise ActionError(f"'{verb}' needs a service; stack actions: {', '.join(STACK_VERBS)}")
        args = {"up": ["up", "-d"], "clean": ["down", "-v"]}.get(verb, [verb])
        if verb == "up" and wait:
            args.append("--wait")
        destructive = verb in ("kill", "clean")
        consequence = ""
        if verb == "clean":
            volumes = sorted(
                {
                    m.source
                    for s in snapshot.services
                    for c in s.containers
                    for m in c.mounts
                    if m.type == "volume"
                }
            )
            named = ", ".join(volumes) if volumes else "every volume the compose files declare"
            consequence = f"Volumes removed (data loss): {named}."
            if session.production and not session.demo and _CLEAN_GUARD:
                consequence += " " + _CLEAN_GUARD[0][1](session, snapshot)
        elif verb == "kill":
            consequence = "No graceful shutdown: unflushed writes can be lost."
        return Action(
            verb=verb,
            scope="stack",
            target=session.project,
            command=(*base, *args),
            summary=_STACK_SUMMARY[verb],
            destructive=destructive,
            consequence=with_warnings(consequence, snapshot, verb, None),
            confirmations=_confirmations(session, destructive),
            expected=_stack_expectation(snapshot),
            **common,  # type: ignore[arg-type]
        )

    if verb not in SERVICE_VERBS:
        raise ActionError(f"unknown service action '{verb}'; one of: {', '.join(SERVICE_VERBS)}")
    service = snapshot.service(target)
    if service is None:
        names = ", ".join(s.name for s in snapshot.services) or "none"
        raise ActionError(f"no service called '{target}' in {session.project} (services: {names})")
    destructive = False
    consequence = ""
    summary = f"{verb.title()} service {target}"
    if verb in ("stop", "restart"):
        seconds = _stop_timeout(service, timeout)
        args = [verb, "-t", str(seconds), target]
        summary += f" (graceful: stop signal, then SIGKILL after {seconds} s)"
    elif verb == "kill":
        args = ["kill", target]
        destructive = True
        consequence = "SIGKILL: no graceful shutdown; unflushed writes can be lost."
    elif verb == "scale":
        if replicas is None or not 0 <= replicas <= MAX_REPLICAS:
            raise ActionError(f"replicas must be a number from 0 to {MAX_REPLICAS}")
        declared = service.declared
        if replicas > 1 and declared is not None and declared.container_name:
            raise ActionError(
                f"{target} sets container_name ({declared.container_name}): compose cannot run"
                " more than one replica of it"
            )
        args = ["up", "-d", "--no-deps", "--no-recreate", "--scale", f"{target}={replicas}"]
        args.append(target)
        summary = f"Scale service {target} from {len(service.containers)} to {replicas} replicas"
        if replicas == 0:
            destructive = True
            consequence = "Every container of the service is removed."
    elif verb == "shell":
        running = [c for c in service.containers if c.state == "running"]
        if not running:
            raise ActionError(f"{target} has no running container to open a shell in")
        return Action(
            verb=verb,
            scope="service",
            target=target,
            command=("docker", "exec", "-it", running[0].name, "sh"),
            summary=f"Open a shell in {running[0].name}",
            confirmations=_confirmations(session, False),
            expected=state_class(service.state),
            interactive=True,
            **common,  # type: ignore[arg-type]
        )
    else:
        args = [verb, target]
    return Action(
        verb=verb,
        scope="service",
        target=target,
        command=(*base, *args),
        summary=summary,
        destructive=destructive,
        consequence=with_warnings(consequence, snapshot, verb, target),  # ⇄, ?, no render
        confirmations=_confirmations(session, destructive),
        expected=state_class(service.state),
        replicas=replicas,
        **common,  # type: ignore[arg-type]
    )

"""Update one service's image, with a health-gated rollback.

`plan_update` describes it (an `UpdateAction`: the lifecycle's `Action` with the image
reference, the image id it runs now and the registry's digest); `perform_update` runs
it through the one gate:

1. `docker compose ... pull SERVICE` (the project's files and env files);
2. the tag's image id read again: unchanged means nothing to recreate (done);
3. `docker compose ... up -d --no-deps SERVICE` recreates that one service;
4. every container of it must be healthy within its health-check window
   (`health_wait.py`);
5. if not: `docker tag <previous id> <reference>` and `up -d --no-deps --force-recreate`
   put the previous image back, by itself; the result (and the audit outcome) say so.

"Test in dev first": the audit log's successful updates record the digest
(`digest sha256:...`); in production an update of a digest that never ran healthy in
another environment is refused unless the environment name was typed for it (the
production rule below; the modal always asks for it, `--yes` alone does not give it).
No Textual.
"""

from __future__ import annotations

import dataclasses
import shlex
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from arctui.ops.gate import Gate, production_action_rule
from arctui.ops.guards import typed_confirmations
from arctui.ops.lifecycle import Action, ActionError
from arctui.ops.maintenance.health_wait import ServiceReads, wait_healthy
from arctui.ops.runner import ActionResult, Outcome, run_action
from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.models import StackSnapshot
    from arctui.ops.audit import AuditLog, Mutation
    from arctui.ops.maintenance.images import ImagesChecker
    from arctui.session import Session

VERB = "update"
AUDIT_LOOKBACK = 5000  # attempts read for "ran healthy elsewhere"
Runner = Callable[..., ActionResult]


@dataclass(frozen=True)
class UpdateAction(Action):
    """An update of one service's image: the lifecycle's fields plus the image's."""

    ref: str = ""  # the reference compose pulls (`127.0.0.1:15000/app:1`)
    old_image: str = ""  # the image id the service runs now (the rollback target)
    remote_digest: str = ""  # what the registry served for the tag when planned
    tested_in: tuple[str, ...] = ()  # "dev (2026-12-01 10:00)": healthy there
    untested_ok: bool = False  # the environment name was typed for an untested digest
    pull: tuple[str, ...] = ()
    up: tuple[str, ...] = ()


def healthy_elsewhere(
    audit: AuditLog, env: str, ref: str, digest: str, limit: int = AUDIT_LOOKBACK
) -> tuple[str, ...]:
    """The environments (and when) where `digest` of `ref` was updated to and healthy."""
    if not digest:
        return ()
    try:
        entries = audit.read(limit)
    except OSError:
        return ()
    seen: dict[str, str] = {}
    needle = f"digest {digest}"
    for e in entries:
        if e.get("action") != VERB or e.get("outcome") != "ok" or e.get("env") == env:
            continue
        detail = str(e.get("detail", ""))
        if needle in detail and f" {ref} " in detail:
            seen[str(e.get("env"))] = str(e.get("time", ""))[:16].replace("T", " ")
    return tuple(f"{k} ({v})" for k, v in seen.items())


def _untested_rule(session: Session, action: Mutation) -> str | None:
    if not isinstance(action, UpdateAction) or action.tested_in or action.untested_ok:
        return None
    digest = action.remote_digest[:19] or "the new digest"
    return (
        f"test in dev first: {digest} of {action.ref} never ran healthy in another"
        " environment (audit log); type the environment name to update anyway"
        " (headless: --yes --confirm-env ENV)"
    )


production_action_rule("service", VERB, _untested_rule)


def _compose(session: Session) -> list[str]:
    if session.spec is not None:
        return ["docker", "compose", *session.spec.compose_args()]
    return ["docker", "compose", "-p", session.project]


def plan_update(
    session: Session,
    service: str,
    checker: ImagesChecker,
    audit: AuditLog,
    *,
    snapshot: StackSnapshot | None = None,
    force: bool = False,
) -> UpdateAction:
    """Describe the update of `service`. Raises ActionError (nothing to update, why)."""
    if session.demo:
        raise ActionError("the demo platform has no registry: nothing to update")
    snapshot = snapshot or session.reader.read()
    view = snapshot.service(service)
    if view is None:
        names = ", ".join(s.name for s in snapshot.services) or "none"
        raise ActionError(f"no service called '{service}' in {session.project} (services: {names})")
    report = checker.read(snapshot, force=force)
    if report.error:
        raise ActionError(f"cannot read the images: {report.error}")
    row = report.row(service)
    if row is None or not row.image:
        raise ActionError(f"{service} declares no image to update")
    if row.status == "pinned":
        raise ActionError(f"{service} is pinned by digest ({row.image}): change the compose file")
    if not row.running_id:
        raise ActionError(f"{service} has no container running: start it first")
    if not row.remote_digest:
        raise ActionError(f"cannot update {service}: {row.reason or 'registry digest unknown'}")
    if row.status == "up to date":
        raise ActionError(f"{service} already runs {row.remote_digest[:19]}: nothing to update")
    base = _compose(session)
    pull = (*base, "pull", service)
    up = (*base, "up", "-d", "--no-deps", service)
    tested = healthy_elsewhere(audit, session.env, row.image, row.remote_digest)
    display = (
        f"{shlex.join(pull)} && {shlex.join(up)}"
        f"  (if not healthy: docker tag {row.running_id[:19]} {row.image}, up --force-recreate)"
    )
    consequence = (
        f"{service} is recreated (a short outage) with {row.remote_digest[:19]}; if it is not"
        f" healthy within its health-check window it goes back to {row.running_id[:19]}."
    )
    if session.production:
        consequence += (
            f" Ran healthy in {', '.join(tested)}."
            if tested
            else " NOT TESTED: this digest never ran healthy in another environment."
        )
    return UpdateAction(
        verb=VERB,
        scope="service",
        target=service,
        project=session.project,
        env=session.env,
        command=pull,
        summary=f"Update the image of {service} ({row.image})",
        production=session.production,
        consequence=consequence,
        confirmations=typed_confirmations(session),
        expected="up",
        cwd=str(session.spec.working_dir) if session.spec else None,
        simulated=session.demo,
        display=display,
        ref=row.image,
        old_image=row.running_id,
        remote_digest=row.remote_digest,
        tested_in=tested,
        pull=pull,
        up=up,
    )


def confirmed(action: UpdateAction) -> UpdateAction:
    """The action after its typed confirmation was checked (the modal, the prompt)."""
    typed_env = any(what == "environment name" for what, _ in action.confirmations)
    return dataclasses.replace(action, untested_ok=action.untested_ok or typed_env)


class EngineReads:
    """The engine reads of an update, through the session's one client."""

    def __init__(self, session: Session) -> None:
        if session.engine is None:
            raise SourceError("no Docker engine in this session")
        self.engine = session.engine

    def image(self, ref: str) -> dict[str, Any] | None:
        from arctui.sources.engine import EngineNotFound

        try:
            data = self.engine.get_json(f"/images/{quote(ref, safe='')}/json")
        except EngineNotFound:
            return None
        return data if isinstance(data, dict) else None

    def service_containers(self, project: str, service: str) -> list[dict[str, Any]]:
        from arctui.sources.engine import EngineNotFound

        labels = [f"com.docker.compose.project={project}", f"com.docker.compose.service={service}"]
        rows = self.engine.containers(all=True, filters={"label": labels}) or ()
        out = []
        for row in rows:
            try:
                out.append(self.engine.inspect_container(str(row.get("Id", ""))))
            except EngineNotFound:
                continue  # removed between the list and the inspect (a recreate)
        return out


def _precheck(reads: ServiceReads, action: UpdateAction) -> str | None:
    try:
        running = {c.get("Image") for c in reads.service_containers(action.project, action.target)}
    except SourceError as exc:
        return f"cannot re-check {action.target} before updating: {exc.reason}"
    if action.old_image not in running:
        return (
            f"{action.target} changed since you looked: it no longer runs"
            f" {action.old_image[:19]}. Look again before deciding."
        )
    return None


def perform_update(
    session: Session,
    action: UpdateAction,
    on_output: Callable[[str], None],
    cancel: threading.Event,
    audit: AuditLog | None,
    *,
    runner: Runner = run_action,
    reads: ServiceReads | None = None,
) -> ActionResult:
    """Pull, recreate, wait for health, roll back if not; through the gate, audited."""
    from arctui.ops.audit import redactor_for

    redact = redactor_for(session).redact
    gate = Gate(session, action, audit)

    def say(line: str) -> None:
        on_output(redact(line))

    if action.simulated:
        return gate.refuse("the demo platform has no registry: nothing to update")
    try:
        engine = reads or EngineReads(session)
    except SourceError as exc:
        return gate.refuse(exc.reason)
    steps = _Steps(session, action, engine, say, cancel, runner)
    return gate.run(steps.run, precheck=lambda: _precheck(engine, action), cancel=cancel)


class _Steps:
    """The update's steps, each a command run like the lifecycle's."""

    def __init__(
        self,
        session: Session,
        action: UpdateAction,
        reads: ServiceReads,
        say: Callable[[str], None],
        cancel: threading.Event,
        runner: Runner,
    ) -> None:
        self.session, self.action, self.reads = session, action, reads
        self.say, self.cancel, self.runner = say, cancel, runner
        self.started = time.monotonic()
        self.output: list[str] = []

    def _out(self, line: str) -> None:
        self.output.append(line)
        self.say(line)

    def _cmd(self, argv: Sequence[str], cancel: threading.Event | None = None) -> ActionResult:
        self._out(f"$ {shlex.join(argv)}")
        return self.runner(
            argv, self._out, cancel or self.cancel, self.action.cwd, self.session.environ
        )

    def _result(self, outcome: Outcome, message: str, code: int | None = None) -> ActionResult:
        took = time.monotonic() - self.started
        return ActionResult(outcome, code, took, tuple(self.output[-40:]), message)

    def run(self) -> ActionResult:
        a = self.action
        pulled = self._cmd(a.pull)
        if not pulled.ok:
            what = "cancelled" if pulled.outcome is Outcome.CANCELLED else "pull failed"
            return self._result(
                pulled.outcome, f"{what}: {pulled.message}; nothing changed", pulled.exit_code
            )
        new_id = str((self.reads.image(a.ref) or {}).get("Id") or "")
        if not new_id or new_id == a.old_image:
            return self._result(
                Outcome.OK, f"{a.target} already runs the registry's image: nothing recreated", 0
            )
        digest = self._digest(new_id)
        up = self._cmd(a.up)
        if up.outcome is Outcome.CANCELLED:
            return self._rollback(new_id, "cancelled during the recreate", Outcome.CANCELLED)
        if not up.ok:
            return self._rollback(new_id, f"recreate failed: {up.message}")
        self._out(f"waiting for {a.target} to be healthy (its health-check window) ...")
        verdict = wait_healthy(self.reads, a.project, a.target, new_id, self.cancel)
        if not verdict.healthy:
            outcome = Outcome.CANCELLED if self.cancel.is_set() else Outcome.FAILED
            return self._rollback(new_id, f"{new_id[:19]} {verdict.detail}", outcome)
        return self._result(
            Outcome.OK,
            f"updated {a.target}: {a.ref} digest {digest or '?'} image {new_id[:19]}:"
            f" {verdict.detail}",
            0,
        )

    def _digest(self, image_id: str) -> str:
        """The pulled image's repo digest for the reference's name (what is recorded)."""
        from arctui.ops.maintenance.images import repo_digest
        from arctui.sources.registry import parse_reference

        try:
            name = parse_reference(self.action.ref).name
            image = self.reads.image(image_id) or {}
        except (ValueError, SourceError):
            return self.action.remote_digest
        found = repo_digest([str(d) for d in image.get("RepoDigests") or ()], name)
        return found or self.action.remote_digest

    def _rollback(self, new_id: str, why: str, outcome: Outcome = Outcome.FAILED) -> ActionResult:
        """Put the previous image back under the tag and recreate; say how it ended."""
        a = self.action
        self._out(f"rolling back {a.target} to {a.old_image[:19]}: {why}")
        never = threading.Event()  # the rollback itself is not cancellable
        tagged = self._cmd(("docker", "tag", a.old_image, a.ref), never)
        if not tagged.ok:
            return self._result(
                Outcome.FAILED, f"{why}; ROLLBACK FAILED (docker tag: {tagged.message})", 1
            )
        back = self._cmd((*a.up[:-1], "--force-recreate", a.target), never)
        if not back.ok:
            return self._result(
                Outcome.FAILED, f"{why}; ROLLBACK FAILED (recreate: {back.message})", 1
            )
        verdict = wait_healthy(self.reads, a.project, a.target, a.old_image, never)
        state = verdict.detail if verdict.healthy else f"but it is not healthy: {verdict.detail}"
        return self._result(
            outcome,
            f"{why}; rolled back: {a.target} runs its previous image {a.old_image[:19]}"
            f" again ({state})",
            1,
        )

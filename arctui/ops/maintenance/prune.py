"""Prune what nobody uses: dangling images, stopped containers OUTSIDE the project, build cache.

The commands are the docker CLI's own prune commands, shown and run exactly as listed:

    docker container prune --force --filter label!=com.docker.compose.project=<project>
    docker image prune --force
    docker builder prune --force

Never the project's containers (the `label!=` filter, applied by the engine itself), never
a volume (no volume prune is offered: the project's data lives there). `--filter label=K[=V]`
narrows every command to what carries that label; the builder's cache has no labels, so a
label filter leaves the build cache alone.

The dry run computes what the engine would remove with the same rules: containers that are
not running (created, exited, dead; paused and restarting ones count as running), dangling
top-level images that no remaining container uses, unused build cache records that are not
shared or internal. Running re-reads that list first and refuses when it changed since the
operator looked. Every run passes the gate. No Textual here.
"""

from __future__ import annotations

import re
import shlex
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from arctui.ops.gate import Gate
from arctui.ops.guards import typed_confirmations
from arctui.ops.lifecycle import Action
from arctui.ops.runner import ActionResult, Outcome, run_action
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.session import Session

PROJECT_LABEL = "com.docker.compose.project"
STOPPED = frozenset({"created", "exited", "dead"})  # what the engine's container prune takes
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*(=[^\s]*)?$")

Runner = Callable[..., ActionResult]


class PruneError(ValueError):
    """A prune that cannot be planned (a malformed label filter)."""


@dataclass(frozen=True)
class Item:
    """One thing that would be removed."""

    id: str
    name: str
    size: int


@dataclass(frozen=True)
class Candidates:
    """What a prune would remove now."""

    containers: tuple[Item, ...] = ()
    images: tuple[Item, ...] = ()
    build_cache: tuple[Item, ...] = ()
    build_cache_note: str = ""  # why the build cache is left alone, if it is

    @property
    def bytes(self) -> int:
        """Space the prune would give back (layers shared with kept images excepted)."""
        return sum(i.size for i in (*self.containers, *self.images, *self.build_cache))

    def ids(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """The ids of each kind, for comparing two readings."""
        return (
            frozenset(i.id for i in self.containers),
            frozenset(i.id for i in self.images),
            frozenset(i.id for i in self.build_cache),
        )

    def to_json(self) -> dict[str, Any]:
        """As plain data (`arctui prune --dry-run --json`)."""

        def items(xs: tuple[Item, ...]) -> list[dict[str, Any]]:
            return [{"id": i.id, "name": i.name, "size_bytes": i.size} for i in xs]

        return {
            "containers": items(self.containers),
            "images": items(self.images),
            "build_cache": items(self.build_cache),
            "build_cache_note": self.build_cache_note,
            "reclaimable_bytes": self.bytes,
        }


@dataclass(frozen=True)
class PrunePlan:
    """The gated action, the commands it runs in order, and what they would remove."""

    action: Action
    commands: tuple[tuple[str, ...], ...]
    labels: tuple[str, ...]
    candidates: Candidates


def check_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """`KEY` or `KEY=VALUE` label filters; PruneError for anything else."""
    out = []
    for label in labels:
        text = label.strip()
        if not _LABEL.match(text) or text.split("=", 1)[0] == PROJECT_LABEL:
            raise PruneError(
                f"label filter {one_line(text, 60)!r}: use KEY or KEY=VALUE (no spaces),"
                f" not the project label"
            )
        out.append(text)
    return tuple(out)


def has_label(labels: Mapping[str, str] | None, spec: str) -> bool:
    """Whether `labels` match one `KEY` or `KEY=VALUE` filter, as the engine matches them."""
    key, eq, value = spec.partition("=")
    labels = labels or {}
    if key not in labels:
        return False
    return not eq or labels[key] == value


def commands(project: str, labels: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The prune commands, in the order they run (containers first: their images follow)."""
    narrow = [a for label in labels for a in ("--filter", f"label={label}")]
    out: list[tuple[str, ...]] = [
        (
            "docker",
            "container",
            "prune",
            "--force",
            "--filter",
            f"label!={PROJECT_LABEL}={project}",
            *narrow,
        ),
        ("docker", "image", "prune", "--force", *narrow),
    ]
    if not labels:
        out.append(("docker", "builder", "prune", "--force"))
    return tuple(out)


def candidates(engine: Any, project: str, labels: Sequence[str]) -> Candidates:
    """What the commands would remove now (the dry run). Raises SourceError."""
    every = list(engine.get_json("/containers/json", {"all": True, "size": True}) or ())
    gone = []
    kept_images = set()
    for c in every:
        own = c.get("Labels") or {}
        doomed = (
            c.get("State") in STOPPED
            and own.get(PROJECT_LABEL) != project
            and all(has_label(own, spec) for spec in labels)
        )
        if doomed:
            name = ",".join(n.lstrip("/") for n in c.get("Names") or ()) or str(c.get("Id"))[:12]
            gone.append(Item(str(c.get("Id")), one_line(name, 120), int(c.get("SizeRw") or 0)))
        else:
            kept_images.add(str(c.get("ImageID") or ""))
    filters: dict[str, list[str]] = {"dangling": ["true"]}
    if labels:
        filters["label"] = list(labels)
    images = []
    for img in engine.get_json("/images/json", {"filters": filters}) or ():
        if str(img.get("Id")) in kept_images:
            continue  # a container that stays still uses it: the engine keeps it
        if not all(has_label(img.get("Labels"), spec) for spec in labels):
            continue
        images.append(Item(str(img.get("Id")), "<none>", int(img.get("Size") or 0)))
    cache: list[Item] = []
    note = "left alone: build cache records carry no labels" if labels else ""
    if not labels:
        df = engine.df(timeout=30.0) or {}
        for b in df.get("BuildCache") or ():
            internal = b.get("Type") in ("internal", "frontend")
            if b.get("InUse") or b.get("Shared") or internal:
                continue
            what = one_line(str(b.get("Description") or b.get("Type") or ""), 80)
            cache.append(Item(str(b.get("ID")), what, int(b.get("Size") or 0)))
    key = lambda i: i.name  # noqa: E731
    return Candidates(
        tuple(sorted(gone, key=key)), tuple(images), tuple(sorted(cache, key=key)), note
    )


def plan_prune(
    session: Session, labels: Sequence[str] = (), found: Candidates | None = None
) -> PrunePlan:
    """Describe the prune; `found` is the dry run the operator saw (read now when None)."""
    labels = check_labels(labels)
    if found is None:
        if session.engine is None:
            found = Candidates()
        else:
            found = candidates(session.engine, session.project, labels)
    cmds = commands(session.project, labels)
    shown = " && ".join(shlex.join(c) for c in cmds)
    what = "dangling images, stopped containers outside the project"
    if not labels:
        what += ", build cache"
    else:
        what += f" (only those labelled {', '.join(labels)})"
    consequence = (
        f"Removes {len(found.containers)} containers, {len(found.images)} images and"
        f" {len(found.build_cache)} build cache records. Never the project's containers"
        " or any volume."
    )
    action = Action(
        verb="prune",
        scope="engine",
        target=session.project + "".join(f" label={label}" for label in labels),
        project=session.project,
        env=session.env,
        command=cmds[0],
        summary=f"Prune {what}",
        consequence=consequence,
        production=session.production,
        confirmations=typed_confirmations(session),
        cwd=str(session.spec.project_dir) if session.spec else None,
        simulated=session.demo,
        display=shown,
    )
    return PrunePlan(action, cmds, labels, found)


def changed(before: Candidates, now: Candidates) -> str | None:
    """Why the prune must not run: what it would remove is not what the operator saw."""
    if before.ids() == now.ids():
        return None
    return (
        "what the prune would remove changed since you looked"
        f" ({len(before.containers) + len(before.images) + len(before.build_cache)} items then,"
        f" {len(now.containers) + len(now.images) + len(now.build_cache)} now):"
        " look at the dry run again"
    )


def perform_prune(
    session: Session,
    plan: PrunePlan,
    on_output: Callable[[str], None],
    cancel: threading.Event,
    audit: AuditLog | None,
    *,
    run: Runner = run_action,
    recheck: bool = True,
) -> ActionResult:
    """Through the gate: re-read the candidates, then run each command in order."""
    from arctui.ops.audit import redactor_for
    from arctui.sources.base import SourceError

    redact = redactor_for(session).redact

    def output(line: str) -> None:
        on_output(redact(line))

    def precheck() -> str | None:
        if not recheck or session.engine is None:
            return None
        try:
            now = candidates(session.engine, session.project, plan.labels)
        except SourceError as exc:
            return f"cannot re-read what would be pruned: {exc.reason}"
        return changed(plan.candidates, now)

    def work() -> ActionResult:
        if plan.action.simulated:
            lines = [f"would run: {shlex.join(c)}" for c in plan.commands]
            for line in lines:
                output(line)
            message = "demo platform: simulated, nothing ran on a Docker engine"
            return ActionResult(Outcome.SIMULATED, 0, 0.0, (*lines, message), message)
        tail: list[str] = []
        total = 0.0
        for cmd in plan.commands:
            output(f"$ {shlex.join(cmd)}")
            result = run(cmd, output, cancel, plan.action.cwd, session.environ)
            tail += list(result.output)
            total += result.duration
            if not result.ok:
                return replace(result, duration=total, output=tuple(tail[-40:]))
        return ActionResult(Outcome.OK, 0, total, tuple(tail[-40:]), "pruned")

    return Gate(session, plan.action, audit).run(work, precheck=precheck, cancel=cancel)

"""The runbook: the platform Makefile's targets and the operator's own commands, gated.

Targets come from `make -pRrq` (make's database; `-q` runs no recipe, and the goal asked
for is one no Makefile has, so not even `+` lines run; `$(shell ...)` in the Makefile's
variables is evaluated as by any `make`), with the help of `## text` comments (after the
target on its line, or on the line above). Without `make`, the `##` comments alone.

`arctui run TARGET [VAR=value ...]` runs `make -C <dir> -f <Makefile> TARGET VAR=value`.
make hands variable values to `/bin/sh` inside its recipes, so a value may hold only
characters no shell treats specially; anything else is refused, never quoted into a recipe
arctui cannot see. A target whose recipe removes data (`down -v`, `rm -rf`, `prune`,
`restore`, `drop`) needs the typed project name. Every run is a mutation: arctui cannot know
what a recipe does, so read-only mode refuses it.

Custom commands (settings `commands:`) run without a shell; `$SERVICE`, `$CONTAINER` and
`$ENV` are replaced in each word (shell-quoted in a shell's `-c` script). A `dangerous` one
is refused in read-only mode and needs its typed name (and the environment's in
production); the others only read, so they run in read-only mode too (still audited).
Output streams through `ops/runner.py` (own process group, cancellable). No Textual here.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from arctui.config.custom_commands import VARIABLES, CustomCommand
from arctui.ops.gate import Gate
from arctui.ops.guards import typed_confirmations
from arctui.ops.lifecycle import Action
from arctui.ops.runner import ActionResult, Outcome, run_action
from arctui.sources.procs import run_captured
from arctui.text import one_line

if TYPE_CHECKING:
    from arctui.models import StackSnapshot
    from arctui.ops.audit import AuditLog
    from arctui.session import Session

MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
MAKE_TIMEOUT = 15.0
NO_GOAL = "__arctui_list_targets__"  # a goal nothing defines: make runs no recipe at all
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.,:/@%+=-]*$")  # nothing /bin/sh treats specially
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # service and container names
_TARGET_LINE = re.compile(r"^([A-Za-z0-9][^:=#\s]*(?:\s+[^:=#\s]+)*)\s*::?(?!=)(.*)$")
_DANGER = re.compile(
    r"down\s+(-\w*v|--volumes)|volume\s+rm|\brm\s+-\w*[rf]|\bprune\b|\brestore\b|\bdrop\b",
    re.IGNORECASE,
)
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})

Runner = Callable[..., ActionResult]


class RunError(ValueError):
    """The run cannot be planned (no such target, a bad variable)."""


@dataclass(frozen=True)
class Target:
    """One Makefile target."""

    name: str
    help: str = ""
    recipe: tuple[str, ...] = ()  # as make's database prints it (unexpanded)
    line: int = 0  # where the Makefile defines it (0: unknown, an included file)

    @property
    def dangerous(self) -> bool:
        """Whether the recipe removes data (volumes, files, a restore)."""
        return any(_DANGER.search(step) for step in self.recipe)


@dataclass(frozen=True)
class Runbook:
    """What can be run: the Makefile's targets and the custom commands."""

    makefile: Path | None
    targets: tuple[Target, ...] = ()
    commands: tuple[CustomCommand, ...] = ()
    note: str = ""  # why the targets are missing or came from the comments only

    def target(self, name: str) -> Target | None:
        """The target with this name."""
        return next((t for t in self.targets if t.name == name), None)

    def command(self, name: str) -> CustomCommand | None:
        """The custom command with this name."""
        return next((c for c in self.commands if c.name == name), None)


@dataclass(frozen=True)
class RunPlan:
    """A planned run: the gated action and whether it changes anything."""

    action: Action
    mutates: bool = True


def find_makefile(directory: Path | None) -> Path | None:
    """The Makefile make would read in `directory`."""
    if directory is None:
        return None
    for name in MAKEFILES:
        path = directory / name
        if path.is_file():
            return path
    return None


def help_comments(text: str) -> dict[str, tuple[str, int]]:
    """`target: ... ## help` and `## help` on the line above: name -> (help, line)."""
    out: dict[str, tuple[str, int]] = {}
    above = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.startswith("##"):
            above = line.lstrip("#").strip()
            continue
        if line.startswith("\t"):
            continue  # a recipe line
        if not line or line.startswith("#"):
            above = ""
            continue
        body, _, comment = line.partition("##")
        m = _TARGET_LINE.match(body.split("#", 1)[0].rstrip())
        if m and not m.group(2).lstrip().startswith("="):
            text_help = comment.strip() or above
            for name in m.group(1).split():
                if not name.startswith(".") and "%" not in name and "$" not in name:
                    out.setdefault(name, (one_line(text_help, 200), number))
        above = ""
    return out


def parse_database(db: str) -> dict[str, tuple[str, ...]]:
    """Target name -> recipe lines, from `make -p`'s "# Files" section."""
    start = db.find("\n# Files\n")
    end = db.find("\n# files hash-table stats", start)
    if start < 0:
        return {}
    section = db[start : end if end > 0 else None]
    out: dict[str, tuple[str, ...]] = {}
    for block in section.split("\n\n"):
        lines = block.strip("\n").splitlines()
        if not lines or lines[0].startswith("# Not a target"):
            continue
        m = _TARGET_LINE.match(lines[0])
        if not m or lines[0].startswith("#"):
            continue
        recipe = tuple(one_line(x[1:], 400) for x in lines[1:] if x.startswith("\t"))
        if not recipe and not m.group(2).strip():
            continue  # only named (in .PHONY, say): nothing would run
        for name in m.group(1).split():
            if name.startswith(".") or "%" in name or "$" in name or name == NO_GOAL:
                continue
            out[name] = recipe
    return out


def read_runbook(
    project_dir: Path | None,
    commands: Sequence[CustomCommand] = (),
    environ: Mapping[str, str] | None = None,
) -> Runbook:
    """The Makefile's targets (make's database, else the comments) and the custom commands."""
    makefile = find_makefile(project_dir)
    if makefile is None:
        where = str(project_dir) if project_dir else "no project directory (demo)"
        return Runbook(None, (), tuple(commands), f"no Makefile in {where}")
    try:
        text = makefile.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return Runbook(makefile, (), tuple(commands), f"cannot read {makefile}: {exc.strerror}")
    helps = help_comments(text)
    note = ""
    try:
        proc = run_captured(
            ["make", "-pRrq", "-C", str(makefile.parent), "-f", makefile.name, NO_GOAL],
            MAKE_TIMEOUT,
            env=environ,
        )
        recipes = parse_database(proc.stdout)
        if not recipes:
            note = "make printed no targets: the ## comments only"
    except (OSError, subprocess.TimeoutExpired) as exc:
        recipes = {}
        note = f"make could not list the targets ({one_line(str(exc), 120)}): the ## comments only"
    names = set(recipes) | set(helps) if recipes else set(helps)
    targets = [
        Target(n, helps.get(n, ("", 0))[0], recipes.get(n, ()), helps.get(n, ("", 0))[1])
        for n in names
    ]
    targets.sort(key=lambda t: (t.line == 0, t.line, t.name))
    return Runbook(makefile, tuple(targets), tuple(commands), note)


def parse_assignments(words: Sequence[str]) -> dict[str, str]:
    """`VAR=value` words; RunError for anything else or a value a shell would interpret."""
    out: dict[str, str] = {}
    for word in words:
        name, eq, value = word.partition("=")
        if not eq or not _VAR_NAME.match(name):
            raise RunError(f"{one_line(word, 60)!r}: variables are given as NAME=value")
        if not _SAFE_VALUE.match(value):
            raise RunError(
                f"the value of {name} has characters a shell would interpret (spaces, quotes,"
                " ; | & $ ` < > ...): make hands it to /bin/sh, so it is refused"
            )
        out[name] = value
    return out


def _make_action(
    session: Session, book: Runbook, target: Target, variables: Mapping[str, str]
) -> Action:
    makefile = book.makefile or Path("Makefile")  # the demo's: simulated, never run
    command = (
        "make",
        "-C",
        str(makefile.parent),
        "-f",
        makefile.name,
        target.name,
        *(f"{k}={v}" for k, v in variables.items()),
    )
    recipe = "; ".join(target.recipe[:6]) or "(no recipe shown by make)"
    consequence = f"Recipe: {recipe}"
    extra: tuple[tuple[str, str], ...] = ()
    if target.dangerous:
        consequence = "This recipe removes data. " + consequence
        extra = (("project name", session.project),)
    return Action(
        verb="run",
        scope="stack",
        target=f"make {target.name}",
        project=session.project,
        env=session.env,
        command=command,
        summary=f"Run make {target.name}" + (f": {target.help}" if target.help else ""),
        destructive=target.dangerous,
        production=session.production,
        consequence=one_line(consequence, 600),
        confirmations=typed_confirmations(session, extra),
        cwd=str(makefile.parent),
        simulated=session.demo,
    )


def _substitute(word: str, values: Mapping[str, str], shell_script: bool) -> str:
    def one(m: re.Match[str]) -> str:
        value = values[m.group(1) or m.group(2)]
        return shlex.quote(value) if shell_script else value

    names = "|".join(VARIABLES)
    return re.sub(rf"\$(?:\{{({names})\}}|({names})\b)", one, word)


def custom_argv(command: CustomCommand, values: Mapping[str, str]) -> tuple[str, ...]:
    """The command's words with the variables replaced (quoted in a shell's `-c` script)."""
    out = []
    for i, word in enumerate(command.argv):
        shell = i >= 2 and os.path.basename(command.argv[i - 2]) in SHELLS
        script = shell and command.argv[i - 1] == "-c"
        out.append(_substitute(word, values, script))
    return tuple(out)


def _custom_values(
    session: Session, command: CustomCommand, service: str | None, snapshot: StackSnapshot | None
) -> dict[str, str]:
    values = {"ENV": session.env}
    if command.scope == "service":
        if not service:
            raise RunError(f"{command.name} runs on a service: give SERVICE=name")
        if not _SAFE_NAME.match(service):
            raise RunError(f"{one_line(service, 60)!r} is not a service name")
        values["SERVICE"] = service
        if "CONTAINER" in command.variables:
            if snapshot is None:
                snapshot = session.reader.read()
            found = snapshot.service(service)
            if found is None:
                raise RunError(f"no service called {service!r} in {session.project}")
            running = [c for c in found.containers if c.state == "running"]
            if not running:
                raise RunError(f"{service} has no running container for $CONTAINER")
            values["CONTAINER"] = running[0].name
    for name, value in values.items():
        if name not in command.variables:
            continue  # only what the command uses is checked (and put into it)
        if name != "ENV" and not _SAFE_NAME.match(value):
            raise RunError(f"{name} {one_line(value, 60)!r} is not a plain name: refused")
        if name == "ENV" and not _SAFE_VALUE.match(value):
            raise RunError("the environment name has characters a shell would interpret: refused")
    return values


def _custom_action(
    session: Session,
    command: CustomCommand,
    variables: Mapping[str, str],
    snapshot: StackSnapshot | None,
) -> Action:
    unknown = set(variables) - {"SERVICE"}
    if unknown:
        raise RunError(f"{command.name} takes only SERVICE=name, not {sorted(unknown)[0]}")
    values = _custom_values(session, command, variables.get("SERVICE"), snapshot)
    argv = custom_argv(command, values)
    extra = (("command name", command.name),) if command.dangerous else ()
    return Action(
        verb="run-command",
        scope="service" if command.scope == "service" else "stack",
        target=f"{command.name}" + (f" {values['SERVICE']}" if "SERVICE" in values else ""),
        project=session.project,
        env=session.env,
        command=argv,
        summary=f"Run {command.name}" + (f": {command.help}" if command.help else ""),
        destructive=command.dangerous,
        production=session.production,
        consequence="Marked dangerous in the settings." if command.dangerous else "",
        confirmations=typed_confirmations(session, extra) if command.dangerous else (),
        cwd=str(session.spec.project_dir) if session.spec else None,
        simulated=session.demo,
    )


def plan_run(
    session: Session,
    book: Runbook,
    name: str,
    words: Sequence[str] = (),
    snapshot: StackSnapshot | None = None,
) -> RunPlan:
    """Plan a Makefile target or a custom command by name. Raises RunError."""
    variables = parse_assignments(words)
    command = book.command(name)
    if command is not None:
        action = _custom_action(session, command, variables, snapshot)
        return RunPlan(action, mutates=command.dangerous)
    target = book.target(name)
    if target is None:
        known = [t.name for t in book.targets] + [c.name for c in book.commands]
        listed = ", ".join(known[:30]) or "none"
        raise RunError(f"no target or command called {one_line(name, 60)!r} (known: {listed})")
    return RunPlan(_make_action(session, book, target, variables))


def perform_run(
    session: Session,
    plan: RunPlan,
    on_output: Callable[[str], None],
    cancel: threading.Event,
    audit: AuditLog | None,
    *,
    run: Runner = run_action,
) -> ActionResult:
    """Through the gate (read-only refuses what mutates), streaming the output, redacted."""
    from arctui.ops.audit import redactor_for

    redact = redactor_for(session).redact
    action = plan.action

    def output(line: str) -> None:
        on_output(redact(line))

    def work() -> ActionResult:
        if action.simulated:
            line = f"would run: {action.shown_command}"
            output(line)
            message = "demo platform: simulated, nothing ran"
            return ActionResult(Outcome.SIMULATED, 0, 0.0, (line, message), message)
        return run(action.command, output, cancel, action.cwd, session.environ)

    gate = Gate(session, action, audit, mutates=plan.mutates)
    return gate.run(work, cancel=cancel)

"""Findings of the troubleshooting wizards: what was checked, what was found, with the
evidence, and the fixes each would offer (pure values; the TUI turns a fix into an
action behind the normal confirmation, `arctui doctor` prints it). No Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

OK, FOUND, SKIPPED, INFO = "ok", "finding", "skipped", "info"


@dataclass(frozen=True)
class Fix:
    """A remedy the guide names.

    kind: `lifecycle` (a compose verb on a service: restart, start), `command` (an exact
    command run like a lifecycle action, e.g. a migration), `pg-setting` (ALTER SYSTEM
    through the Postgres tab's action), `advice` (a change the operator makes in a file:
    arctui does not edit compose or env files).
    """

    label: str
    kind: str
    target: str = ""  # the service (lifecycle, command) or the setting's name
    verb: str = ""  # lifecycle verb
    command: tuple[str, ...] = ()  # the exact command (kind=command)
    value: str = ""  # pg-setting value

    @property
    def runnable(self) -> bool:
        """Whether arctui can run it (behind a confirmation)."""
        return self.kind != "advice"

    def to_json(self) -> dict[str, Any]:
        """The fix as JSON."""
        return {
            "label": self.label,
            "kind": self.kind,
            "target": self.target,
            "verb": self.verb,
            "command": list(self.command),
            "value": self.value,
        }


@dataclass(frozen=True)
class Finding:
    """One problem found, with evidence (log lines, numbers, config lines) and fixes."""

    wizard: str
    check: str  # a stable id: crash-loop, oom-killed, migration-error, ...
    severity: str  # error | warning
    title: str
    service: str = ""
    evidence: tuple[str, ...] = ()
    fixes: tuple[Fix, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON."""
        return {
            "wizard": self.wizard,
            "check": self.check,
            "severity": self.severity,
            "title": self.title,
            "service": self.service,
            "evidence": list(self.evidence),
            "fixes": [f.to_json() for f in self.fixes],
        }


@dataclass(frozen=True)
class Step:
    """One check a wizard ran, in order: its status and a short detail."""

    name: str
    status: str  # ok | finding | skipped | info
    detail: str = ""


class StepLog(list[Step]):
    """A wizard's steps as it runs them: each appended step is also reported (the TUI
    shows a wizard's checks one by one as they finish, not all at the end)."""

    def __init__(self, report: Callable[[Step], None] | None = None) -> None:
        super().__init__()
        self._report = report

    def append(self, step: Step) -> None:
        super().append(step)
        if self._report is not None:
            self._report(step)


@dataclass(frozen=True)
class WizardResult:
    """What one wizard did and found."""

    id: str
    title: str
    steps: tuple[Step, ...] = ()
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # the wizard could not run (engine down ...)

    def to_json(self) -> dict[str, Any]:
        """The wizard's result as JSON."""
        return {
            "id": self.id,
            "title": self.title,
            "error": self.error,
            "steps": [{"name": s.name, "status": s.status, "detail": s.detail} for s in self.steps],
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class DoctorReport:
    """Every wizard's result."""

    project: str
    env: str
    taken_at: float
    results: tuple[WizardResult, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        """All findings, errors first."""
        found = [f for r in self.results for f in r.findings]
        return tuple(sorted(found, key=lambda f: f.severity != "error"))

    def to_json(self) -> dict[str, Any]:
        """The documented JSON of `arctui doctor --json` (schema 1)."""
        return {
            "schema": 1,
            "project": self.project,
            "env": self.env,
            "taken_at": round(self.taken_at, 3),
            "findings": len(self.findings),
            "wizards": [r.to_json() for r in self.results],
        }

    def lines(self) -> list[str]:
        """The text report: per wizard its steps, then each finding with evidence and fixes."""
        out: list[str] = []
        for r in self.results:
            out.append(f"== {r.title}")
            out += [step_line(s) for s in r.steps]
            out += result_lines(r)
            out.append("")
        n = len(self.findings)
        out.append(f"{self.project}: {n} finding{'s' if n != 1 else ''}")
        return out


_MARKS = {OK: "ok  ", FOUND: "FIND", SKIPPED: "skip", INFO: "info"}


def step_line(s: Step) -> str:
    """`   [ok  ] OOM kills: none on record`."""
    return f"   [{_MARKS.get(s.status, s.status)}] {s.name}" + (f": {s.detail}" if s.detail else "")


def result_lines(r: WizardResult) -> list[str]:
    """What a wizard ended with: its error, or its findings with evidence and fixes."""
    out = [f"   could not run: {r.error}"] if r.error else []
    for f in r.findings:
        where = f" ({f.service})" if f.service else ""
        out.append(f"   {f.severity.upper()}{where}: {f.title}")
        out += [f"      | {e}" for e in f.evidence]
        for fix in f.fixes:
            how = f": {' '.join(fix.command)}" if fix.command else ""
            tag = "fix" if fix.runnable else "advice"
            out.append(f"      -> {tag}: {fix.label}{how}")
    return out

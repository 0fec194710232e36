"""The troubleshooting wizards (the guide's five scenarios) and the security check.

Each wizard is a module with `ID`, `TITLE` and `run(ctx) -> WizardResult`: pure
findings with evidence and the fixes it would offer; nothing here changes anything.
`run_doctor` runs them all headless (`arctui doctor`); the TUI runs one at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from arctui.ops.doctor.context import DoctorContext
from arctui.ops.doctor.models import DoctorReport, WizardResult
from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.session import Session


@dataclass(frozen=True)
class Wizard:
    """One wizard: id, title and the module path of its checks."""

    id: str
    title: str
    module: str

    def runner(self) -> Callable[[DoctorContext], WizardResult]:
        """The wizard's `run` (imported when used)."""
        import importlib

        return importlib.import_module(self.module).run  # type: ignore[no-any-return]


WIZARDS: tuple[Wizard, ...] = (
    Wizard("startup", "Services hang on startup / restart loop", "arctui.ops.doctor.startup"),
    Wizard("memory", "High memory usage / OOM kills", "arctui.ops.doctor.memory"),
    Wizard("migrations", "Database migrations fail", "arctui.ops.doctor.migrations"),
    Wizard("connectivity", "Connectivity between services", "arctui.ops.doctor.connectivity"),
    Wizard("logs", "Logs not appearing in Grafana", "arctui.ops.doctor.logs_pipeline"),
    Wizard("security", "Security check", "arctui.ops.doctor.security"),
)


def run_wizard(wizard: Wizard, ctx: DoctorContext) -> WizardResult:
    """One wizard; an unreadable engine or a bug in a check is its error, not a crash."""
    try:
        return wizard.runner()(ctx)
    except SourceError as exc:
        return WizardResult(wizard.id, wizard.title, error=exc.reason)
    except Exception as exc:  # one broken check must not hide the others' findings
        return WizardResult(wizard.id, wizard.title, error=f"{type(exc).__name__}: {exc}")


def run_doctor(
    session: Session,
    only: tuple[str, ...] = (),
    ctx: DoctorContext | None = None,
    on_start: Callable[[Wizard], None] | None = None,
    on_result: Callable[[WizardResult], None] | None = None,
) -> DoctorReport:
    """Run every wizard (or `only` those) against the session's stack; `on_start` and
    `on_result` hear each wizard begin and end (the text report prints as it goes)."""
    ctx = ctx or DoctorContext(session)
    results: list[WizardResult] = []
    try:
        for wizard in WIZARDS:
            if only and wizard.id not in only:
                continue
            if on_start is not None:
                on_start(wizard)
            results.append(run_wizard(wizard, ctx))
            if on_result is not None:
                on_result(results[-1])
    finally:
        with contextlib.suppress(Exception):
            ctx.close()
    return DoctorReport(session.project, session.env, session.clock(), tuple(results))

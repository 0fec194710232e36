"""Wizard 3: database migrations fail (Kratos, Unleash, Infisical).

Postgres's health, the databases that exist, the migration errors in the services' logs
(and a database their DSN names that does not exist), then the migration command for
that service, run like a lifecycle action (confirmation, audit, read-only refusal).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from arctui.ops.doctor.context import DoctorContext
from arctui.ops.doctor.models import FOUND, INFO, OK, SKIPPED, Finding, Fix, Step, WizardResult
from arctui.ops.lifecycle import _base_command  # the project's exact compose command

ID, TITLE = "migrations", "Database migrations fail"
MIGRATING_ROLES = ("kratos", "unleash", "infisical")
LOG_TAIL = 200
_ERROR = re.compile(
    r"migrat\w*\W.*(?:fail|error)|(?:fail|error)\w*\W.*migrat|SQLSTATE|relation \S+ does not exist"
    r"|database \S+ does not exist|password authentication failed|no pg_hba\.conf entry",
    re.IGNORECASE,
)
_DSN_KEYS = ("DSN", "DATABASE_URL", "DB_CONNECTION_URI", "DATABASE_URI", "POSTGRES_URL")
# What each service runs to migrate; None = it migrates when it starts (restart it).
_MIGRATE: dict[str, tuple[str, ...] | None] = {
    "kratos": ("migrate", "sql", "-e", "--yes"),
    "unleash": None,
    "infisical": ("npm", "run", "migration:latest"),
}


def migration_fix(ctx: DoctorContext, service: str, role: str) -> Fix:
    """Run this service's migrations: `compose run --rm <svc> <migrate>`, or a restart."""
    args = _MIGRATE.get(role)
    if args is None:
        return Fix(
            f"Restart {service} (it runs its migrations at start)", "lifecycle", service, "restart"
        )
    command = (*_base_command(ctx.session), "run", "--rm", service, *args)
    return Fix(f"Run {service}'s migrations", "command", service, "migrate", command)


def _database_of(env: dict[str, str]) -> str | None:
    for key in _DSN_KEYS:
        value = env.get(key, "")
        if value.startswith(("postgres://", "postgresql://", "cockroach://")):
            name = urlsplit(value).path.lstrip("/")
            return name or None
    return None


def run(ctx: DoctorContext) -> WizardResult:
    """Postgres health, databases, migration errors, the migration command."""
    steps = ctx.step_log(ID)
    findings: list[Finding] = []
    snapshot = ctx.snapshot
    pg = [e for e in ctx.health.services if e.role == "postgres"]
    if not pg:
        steps.append(Step("Postgres health", SKIPPED, "no service with role postgres"))
    for e in pg:
        detail = e.probe.target + ": " + e.probe.output if e.probe else e.reason
        steps.append(Step(f"Postgres health ({e.service})", OK if e.ok else FOUND, detail))
        if not e.ok:
            findings.append(
                Finding(
                    ID,
                    "postgres-down",
                    "error",
                    f"{e.line()}",
                    e.service,
                    (detail,),
                    (
                        Fix(
                            f"Start {e.service}",
                            "lifecycle",
                            e.service,
                            "start" if e.verdict == "down" else "restart",
                        ),
                    ),
                )
            )
    databases: set[str] | None = None
    if pg and all(e.ok for e in pg):
        rows = ctx.postgres_query(
            "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1"
        )
        if isinstance(rows, str):
            steps.append(Step("databases", SKIPPED, rows))
        else:
            databases = {str(r[0]) for r in rows}
            steps.append(Step("databases", INFO, ", ".join(sorted(databases))))

    def crashing(name: str) -> bool:
        entry = ctx.health.service(name)
        return entry is not None and not entry.ok and entry.restarts > 0

    # The three the guide names, and any crash-looping service (apps migrate at start too).
    candidates = [s for s in snapshot.services if s.role in MIGRATING_ROLES or crashing(s.name)]
    if not candidates:
        steps.append(Step("services that migrate", SKIPPED, "no Kratos, Unleash or Infisical"))
    for view in candidates:
        role = view.role if view.role in MIGRATING_ROLES else ""
        lines = ctx.logs(view.name, LOG_TAIL)
        errors = [line for line in lines if _ERROR.search(line)]
        env = dict(view.containers[0].env) if view.containers else {}
        if not env and view.declared is not None:
            env = dict(view.declared.environment)
        wanted = _database_of(env)
        evidence = [f"log: {line}" for line in errors[-6:]]
        missing_db = databases is not None and wanted is not None and wanted not in databases
        if missing_db:
            evidence.insert(
                0,
                f"its DSN names database {wanted}, which does not exist"
                f" (databases: {', '.join(sorted(databases or ()))})",
            )
        if not errors and not missing_db:
            if role:
                steps.append(
                    Step(
                        f"{view.name}: migration errors in the last {LOG_TAIL} log lines",
                        OK,
                        "none",
                    )
                )
            continue
        steps.append(
            Step(f"{view.name}: migration errors in the logs", FOUND, f"{len(errors)} lines")
        )
        fixes = []
        if missing_db and wanted:
            fixes.append(
                Fix(
                    f"Create database {wanted} (CREATE DATABASE, as the Postgres admin),"
                    " then run the migrations",
                    "advice",
                    view.name,
                )
            )
        fixes.append(migration_fix(ctx, view.name, role or "unleash"))
        findings.append(
            Finding(
                ID,
                "migration-error",
                "error",
                f"{view.name}: migrations fail"
                if errors
                else f"{view.name}: its database {wanted} does not exist",
                view.name,
                tuple(evidence),
                tuple(fixes),
            )
        )
    return WizardResult(ID, TITLE, tuple(steps), tuple(findings))

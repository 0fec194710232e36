"""The guide's security check: placeholders, tracked env files, exposed internals, weak
passwords, TLS.

- secrets still set to `CHANGE_ME...` placeholders (env files, and running containers);
- `.env` files tracked by git (templates like `.env.example` are meant to be);
- internal services (Postgres, Redis) published on all interfaces;
- weak or default passwords (a short list of defaults, or under 12 characters) in
  secret-named variables. Values are never printed: only the variable and its file;
- TLS off where the guide wants it on (production): Postgres SSL mode, the gateway
  without a 443 entry point.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from arctui.config.masking import is_secret_key
from arctui.ops.doctor.context import DoctorContext
from arctui.ops.doctor.models import FOUND, INFO, OK, SKIPPED, Finding, Fix, Step, WizardResult
from arctui.sources.procs import run_captured

ID, TITLE = "security", "Security check"
INTERNAL_ROLES = ("postgres", "redis")
MIN_PASSWORD = 12
WEAK = frozenset(
    (
        "admin",
        "password",
        "postgres",
        "changeme",
        "secret",
        "123456",
        "12345678",
        "arc",
        "root",
        "test",
        "redis",
        "guest",
        "default",
        "letmein",
        "qwerty",
        "pass",
        "passw0rd",
        "password1",
        "grafana",
        "unleash",
        "kratos",
    )
)
_ALL_INTERFACES = ("", "0.0.0.0", "::")
_TEMPLATES = (".example", ".sample", ".template", ".dist")
_SSL_ON = ("require", "verify-ca", "verify-full")


def placeholder(value: str) -> bool:
    """A template value nobody replaced."""
    up = value.upper()
    return "CHANGE_ME" in up or "CHANGEME" in up


def weak(key: str, value: str) -> bool:
    """A password-like value that is a known default or too short (placeholders aside)."""
    if not value or placeholder(value) or "${" in value:
        return False
    if not any(w in key.upper() for w in ("PASSWORD", "PASSWD", "SECRET")):
        return False
    return value.lower() in WEAK or len(value) < MIN_PASSWORD


def tracked_by_git(path: Path) -> bool | None:
    """Whether git tracks the file (None: no git, not a repository, or it timed out)."""
    try:
        proc = run_captured(  # a timeout kills git's whole process group
            ["git", "-C", str(path.parent), "ls-files", "--error-unmatch", "--", path.name],
            5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode == 0:
        return True
    return False if "did not match" in proc.stderr else None


def run(ctx: DoctorContext) -> WizardResult:
    """Every check of the guide's security section."""
    steps = ctx.step_log(ID)
    findings: list[Finding] = []
    layers = ctx.session.env_layers
    values = []
    if layers is not None:
        values = [*layers.values.values()]
        for scoped in layers.per_service.values():
            values += list(scoped.values())
    # Placeholders and weak passwords in the env files.
    holders = sorted({(v.key, v.source) for v in values if placeholder(v.value)})
    weak_ones = sorted(
        {(v.key, v.source) for v in values if is_secret_key(v.key) and weak(v.key, v.value)}
    )
    for c in (c for s in ctx.snapshot.services for c in s.containers if c.state == "running"):
        holders += [(k, f"container {c.name}") for k, v in c.env if placeholder(v)]
    steps.append(Step("CHANGE_ME placeholders", FOUND if holders else OK, f"{len(holders)} values"))
    if holders:
        findings.append(
            Finding(
                ID,
                "placeholder",
                "error",
                f"{len(holders)} secrets still hold a CHANGE_ME placeholder",
                "",
                tuple(f"{k} in {src}" for k, src in holders[:20]),
                (
                    Fix(
                        "Set real values (a generator: openssl rand -base64 32), then"
                        " recreate the services that read them",
                        "advice",
                    ),
                ),
            )
        )
    steps.append(
        Step(
            "weak or default password values",
            FOUND if weak_ones else OK,
            f"{len(weak_ones)} values",
        )
    )
    if weak_ones:
        findings.append(
            Finding(
                ID,
                "weak-password",
                "error" if ctx.session.production else "warning",
                f"{len(weak_ones)} passwords are defaults or shorter than"
                f" {MIN_PASSWORD} characters",
                "",
                tuple(f"{k} in {src}" for k, src in weak_ones[:20]),
                (
                    Fix(
                        "Use long random secrets; for Postgres also ALTER ROLE ... WITH"
                        " PASSWORD (the env value only applies at the first initdb)",
                        "advice",
                    ),
                ),
            )
        )
    # Env files tracked by git.
    files = list(layers.files) if layers is not None else []
    if layers is not None:
        files += [p for group in layers.scope_files.values() for p in group]
    checked, tracked = 0, []
    for path in dict.fromkeys(files):
        if path.name.endswith(_TEMPLATES) or not path.is_file():
            continue
        state = tracked_by_git(path)
        checked += state is not None
        if state:
            tracked.append(str(path))
    if checked:
        steps.append(
            Step(".env files tracked by git", FOUND if tracked else OK, f"{checked} checked")
        )
    else:
        steps.append(Step(".env files tracked by git", SKIPPED, "no env file in a git repository"))
    if tracked:
        findings.append(
            Finding(
                ID,
                "env-in-git",
                "error",
                f"{len(tracked)} env files are tracked by git (secrets in the history)",
                "",
                tuple(tracked),
                (
                    Fix(
                        "git rm --cached the file, add it to .gitignore, and rotate"
                        " every secret it held",
                        "advice",
                    ),
                ),
            )
        )
    # Internal services on all interfaces.
    exposed = []
    for s in ctx.snapshot.services:
        if s.role not in INTERNAL_ROLES:
            continue
        for c in s.containers:
            exposed += [
                f"{c.name}: {p.label()} (all interfaces)"
                for p in c.ports
                if p.host_port is not None and p.host_ip in _ALL_INTERFACES
            ]
    steps.append(
        Step(
            "Postgres/Redis published on all interfaces",
            FOUND if exposed else OK,
            f"{len(exposed)} ports",
        )
    )
    if exposed:
        findings.append(
            Finding(
                ID,
                "exposed-internal",
                "error" if ctx.session.production else "warning",
                "internal services are published on all interfaces",
                "",
                tuple(exposed),
                (
                    Fix(
                        "Remove the ports: mapping (services reach them on arc_net), or"
                        " bind to 127.0.0.1:PORT:PORT",
                        "advice",
                    ),
                ),
            )
        )
    # TLS where the guide wants it.
    if not ctx.session.production:
        steps.append(
            Step("TLS (production only)", INFO, f"env {ctx.session.env} is not production")
        )
        return WizardResult(ID, TITLE, tuple(steps), tuple(findings))
    mode = (ctx.env_value("POSTGRES_SSL_MODE") or ctx.env_value("PGSSLMODE") or "").lower()
    if mode not in _SSL_ON:
        findings.append(
            Finding(
                ID,
                "postgres-tls",
                "warning",
                "Postgres connections are not required to use TLS",
                "",
                (f"POSTGRES_SSL_MODE is {mode or 'not set'}",),
                (Fix("Set POSTGRES_SSL_MODE=require (the guide's Database Security)", "advice"),),
            )
        )
    steps.append(Step("Postgres SSL mode", OK if mode in _SSL_ON else FOUND, mode or "not set"))
    for s in ctx.snapshot.services:
        if s.role != "traefik" or not s.containers:
            continue
        ports = {p.container_port for c in s.containers for p in c.ports if p.host_port}
        if 443 not in ports:
            findings.append(
                Finding(
                    ID,
                    "gateway-tls",
                    "warning",
                    f"{s.name} serves no TLS entry point (443)",
                    s.name,
                    (f"published: {', '.join(map(str, sorted(ports))) or 'none'}",),
                    (
                        Fix(
                            "Add the websecure entry point (:443, certResolver) to"
                            " traefik.yml and publish 443",
                            "advice",
                            s.name,
                        ),
                    ),
                )
            )
        steps.append(Step(f"{s.name}: TLS entry point", OK if 443 in ports else FOUND))
    return WizardResult(ID, TITLE, tuple(steps), tuple(findings))

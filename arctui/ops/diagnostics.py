"""The guide's diagnostics bundle, written as one redacted `.tar.gz`.

Members (under `arc-diagnostics/`): services, resource usage, every service's logs
(bounded), volumes, networks, Postgres databases, Redis INFO, the health report, the
doctor's findings, the effective compose configuration, the env values (masked), and
arctui's version and settings. Each member is built in memory and passes the session's
redactor (env-file and container secrets, DSN passwords, tokens) plus a private-key
filter; `REDACTION.txt` says what was masked where. A final pass re-checks every member
for any known secret and refuses to keep a bundle holding one.

The file is created with mode 0600 (O_EXCL on a temporary name, then renamed), never
through a symlink (O_NOFOLLOW; an existing symlink at the path is refused), and the
archive holds regular files only: nothing on disk is read through a link.
Sources that cannot be read leave a member saying why instead of failing the bundle.
No Textual.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import re
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui import __version__
from arctui.config.masking import MASK
from arctui.output import table
from arctui.sources.base import SourceError
from arctui.sources.procs import run_captured
from arctui.text import clean

if TYPE_CHECKING:
    from arctui.ops.health.models import HealthReport
    from arctui.session import Session

ROOT = "arc-diagnostics"
MAX_LOG_LINES = 500
MAX_MEMBER = 8 * 1024 * 1024
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?P<kind>[A-Z0-9 ]*PRIVATE KEY)-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)


class DiagnosticsError(Exception):
    """The bundle could not be written (the path, the disk, a secret that slipped)."""


@dataclass
class Redaction:
    """What was masked in one member."""

    known: int = 0  # env-file / container secret values
    patterns: int = 0  # URL passwords, KEY=value secrets, bearer tokens
    private_keys: int = 0


@dataclass
class BundleResult:
    """Where the bundle went and what it holds."""

    path: Path
    size: int = 0
    members: list[str] = field(default_factory=list)
    redactions: dict[str, Redaction] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # members that say "could not read"
    # Members arctui itself failed to build (an error of ours, not a source that is down):
    # the bundle is written without them and the exit code says so.
    failed: list[str] = field(default_factory=list)

    def report_lines(self) -> list[str]:
        """The redaction report (also the bundle's REDACTION.txt)."""
        total = Redaction()
        for r in self.redactions.values():
            total.known += r.known
            total.patterns += r.patterns
            total.private_keys += r.private_keys
        out = [
            f"redacted: {total.known} known secret values (env files, containers' environment),"
            f" {total.patterns} by pattern (URL passwords, KEY=value secrets, tokens),"
            f" {total.private_keys} private keys; each replaced by {MASK}",
        ]
        for name, r in sorted(self.redactions.items()):
            if r.known or r.patterns or r.private_keys:
                out.append(
                    f"  {name}: {r.known} known, {r.patterns} by pattern, {r.private_keys} keys"
                )
        out += [f"not read: {p}" for p in self.problems]
        return out

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON."""
        return {
            "path": str(self.path),
            "size": self.size,
            "members": self.members,
            "redactions": {k: asdict(v) for k, v in sorted(self.redactions.items())},
            "problems": self.problems,
            "failed": self.failed,
        }


def _jsonable(value: Any) -> Any:
    # Field by field, not asdict(): asdict deep-copies, and the settings hold read-only
    # mappings (MappingProxyType) that cannot be copied.
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


class _Builder:
    """Collects members, each redacted and counted."""

    def __init__(self, session: Session, prefix: str = "") -> None:
        self.session = session
        self.prefix = prefix  # `ENGINE/`: an engine's folder in a bundle of several
        self.members: dict[str, bytes] = {}
        self.redactions: dict[str, Redaction] = {}
        self.problems: list[str] = []
        self.failed: list[str] = []

    def add(self, name: str, text: str) -> None:
        name = self.prefix + name
        r = Redaction()
        text, r.private_keys = _PRIVATE_KEY.subn(
            lambda m: f"-----BEGIN {m['kind']}----- {MASK} -----END {m['kind']}-----", text
        )
        redactor = self.session.redactor
        before = text.count(MASK)
        known = redactor.redact_known(text)
        r.known = known.count(MASK) - before
        full = redactor.redact(known)
        r.patterns = full.count(MASK) - before - r.known
        # The sanitizer last (escapes, controls), then the redactor once more: a secret
        # split by an escape sequence is whole again once the escape is gone.
        final = redactor.redact(clean(full, MAX_MEMBER))
        self.members[f"{ROOT}/{name}"] = final.encode("utf-8")
        self.redactions[name] = r

    def section(self, name: str, build: Callable[[], str]) -> None:
        """Add a member; a source that cannot be read leaves a member saying why."""
        try:
            text = build()
        except SourceError as exc:
            text = f"could not read: {exc.reason}\n" + (f"fix: {exc.fix}\n" if exc.fix else "")
            self.problems.append(f"{self.prefix}{name}: {exc.reason}")
        except Exception as exc:  # a bundle with a hole beats no bundle when paged
            text = f"could not read: {type(exc).__name__}: {exc}\n"
            self.problems.append(f"{self.prefix}{name}: {type(exc).__name__}: {exc}")
            self.failed.append(f"{self.prefix}{name}: {type(exc).__name__}: {exc}")
        self.add(name, text)


def _table(rows: list[dict[str, Any]], cols: tuple[str, ...]) -> str:
    # output.table redacts and cleans each cell before padding (a mask keeps the columns)
    cells = [[c.upper() for c in cols]]
    cells += [["-" if r.get(c) is None else str(r.get(c)) for c in cols] for r in rows]
    return "\n".join(table(cells)) + "\n"


def _services(session: Session) -> str:
    from arctui.stack.report import status_rows

    rows = status_rows(session.reader.read())
    return (
        _table(rows, ("service", "role", "state", "health", "restarts", "exit", "image"))
        + "\n"
        + json.dumps(rows, indent=2, default=str)
        + "\n"
    )


def _resources(session: Session) -> str:
    if session.resources is None:
        raise SourceError("no resource source in this session")
    snap = session.resources.read()
    mib = 1024 * 1024
    rows = [
        {
            "name": c.name,
            "state": c.state,
            "cpu%": None if c.cpu_pct is None else f"{c.cpu_pct:.1f}",
            "mem": None if c.mem is None else f"{c.mem / mib:.1f}MiB",
            "limit": None if c.mem_limit is None else f"{c.mem_limit / mib:.0f}MiB",
            "mem%": None if c.mem_pct is None else f"{c.mem_pct:.0f}",
            "pids": c.pids,
            "restarts": c.restarts,
            "oom": c.oom_killed,
        }
        for c in snap.containers
    ]
    ooms = "\n".join(
        f"oom {time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(o.time))}Z {o.name}"
        for o in snap.oom_events
    )
    return (
        f"read via {snap.mode}\n"
        + _table(rows, tuple(rows[0]) if rows else ("name",))
        + ooms
        + "\n"
    )


def _logs(session: Session, service: str, lines: int) -> str:
    from arctui.ops.log_source import log_source
    from arctui.sources.docker_logs import LogWindow

    source = log_source(session)
    try:
        records = source.history([service], LogWindow(tail=lines))
    finally:
        with contextlib.suppress(Exception):
            source.close()
    out = []
    for r in records:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(r.ts_ns / 1e9))
        cut = f" [+{r.cut} bytes cut]" if r.cut else ""
        out.append(f"{stamp}Z {r.target.name} {r.stream}: {r.data.decode('utf-8', 'replace')}{cut}")
    return "\n".join(out) + ("\n" if out else "(no log lines)\n")


def _engine_inventory(session: Session, what: str) -> str:
    if session.demo:
        return "demo platform: no engine\n"
    if session.engine is None:
        raise SourceError("no Docker engine in this session")
    if what == "volumes":
        label = {"label": [f"com.docker.compose.project={session.project}"]}
        rows = [
            {"name": v.get("Name"), "driver": v.get("Driver"), "mountpoint": v.get("Mountpoint")}
            for v in session.engine.volumes(filters=label)
        ]
        return _table(rows, ("name", "driver", "mountpoint"))
    rows = [
        {
            "name": n.get("Name"),
            "driver": n.get("Driver"),
            "scope": n.get("Scope"),
            "internal": n.get("Internal"),
        }
        for n in session.engine.networks()
    ]
    return _table(rows, ("name", "driver", "scope", "internal"))


def _postgres(session: Session) -> str:
    from arctui.ops.doctor.context import DoctorContext

    rows = DoctorContext(session).postgres_query(
        "SELECT datname, pg_get_userbyid(datdba), pg_encoding_to_char(encoding),"
        " pg_size_pretty(pg_database_size(datname)) FROM pg_database ORDER BY 1"
    )
    if isinstance(rows, str):
        raise SourceError(rows)
    dicts = [
        dict(zip(("name", "owner", "encoding", "size"), map(str, r), strict=False)) for r in rows
    ]
    return _table(dicts, ("name", "owner", "encoding", "size"))


def _redis(session: Session) -> str:
    # The registry names the Redis tab's source factory: ops never imports a tab.
    from arctui.tabs import tab

    factory = tab("redis").load_source()
    if factory is None:
        raise SourceError("the Redis tab names no source")
    source, origin = factory(session)
    try:
        info = source.info()
    finally:
        with contextlib.suppress(Exception):
            source.close()
    return f"# {origin}\n" + "\n".join(f"{k}:{v}" for k, v in info.items()) + "\n"


def _compose_config(session: Session) -> str:
    if session.spec is None:
        return "demo platform: no compose files\n"
    argv = ["docker", "compose", *session.spec.compose_args(), "config"]
    try:
        proc = run_captured(argv, 60, cwd=session.spec.project_dir, env=session.environ)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError(f"docker compose config: {exc}") from None
    head = f"# {' '.join(argv)} (exit {proc.returncode})\n"
    return head + proc.stdout + (f"\n# stderr:\n{proc.stderr}" if proc.stderr else "")


def _env(session: Session) -> str:
    if session.env_layers is None:
        return "demo platform: no env files\n"
    from arctui.ops.envinfo import env_rows

    base = session.spec.project_dir if session.spec else None
    rows = [vars(r) for r in env_rows(session.env_layers, base)]
    return json.dumps(rows, indent=2, default=str) + "\n"


def _arctui(session: Session) -> str:
    info = {
        "arctui": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "project": session.project,
        "env": session.env,
        "production": session.production,
        "read_only": session.read_only,
        "demo": session.demo,
        "engine": session.reader.containers.endpoint,
        "compose_args": list(session.spec.compose_args()) if session.spec else [],
        "settings": _jsonable(session.settings),
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(session.clock())),
    }
    return json.dumps(info, indent=2, default=str) + "\n"


def build_members(
    session: Session,
    log_lines: int = MAX_LOG_LINES,
    health: HealthReport | None = None,
    extra: Mapping[str, Callable[[], str]] | None = None,
    prefix: str = "",
) -> _Builder:
    """Every member, redacted (not yet written); `extra` members come from layers above
    (the flight recorder's last hour, passed in by the entry point); `prefix`: the
    engine's folder in a bundle of several engines."""
    from arctui.ops.doctor import run_doctor
    from arctui.ops.doctor.context import DoctorContext
    from arctui.ops.health.report import build_report

    b = _Builder(session, prefix)
    b.section("arctui.json", lambda: _arctui(session))
    b.section("services.txt", lambda: _services(session))
    snapshot = session.reader.last
    if health is None and snapshot is not None:
        health = build_report(session, snapshot)
    report = health
    b.section(
        "health.json",
        lambda: json.dumps((report or build_report(session)).to_json(), indent=2) + "\n",
    )
    ctx = DoctorContext(session, snapshot, report=report)
    b.section("doctor.txt", lambda: "\n".join(run_doctor(session, ctx=ctx).lines()) + "\n")
    b.section("resources.txt", lambda: _resources(session))
    for view in snapshot.services if snapshot is not None else ():
        if view.containers and log_lines > 0:
            member = f"logs/{_safe_name(view.name)}.log"
            b.section(member, partial(_logs, session, view.name, log_lines))
    b.section("volumes.txt", lambda: _engine_inventory(session, "volumes"))
    b.section("networks.txt", lambda: _engine_inventory(session, "networks"))
    b.section("postgres_dbs.txt", lambda: _postgres(session))
    b.section("redis_info.txt", lambda: _redis(session))
    b.section("compose-config.yml", lambda: _compose_config(session))
    b.section("env.json", lambda: _env(session))
    for name, build in (extra or {}).items():
        b.section(name, build)
    return b


def _fleet_members(
    engines: Sequence[Session], log_lines: int, extra: Mapping[str, Callable[[], str]] | None
) -> tuple[_Builder, list[tuple[str, str]]]:
    """Every engine's members in its folder, built at once; an engine that does not
    answer its first read gets a folder saying why (its other reads would only wait)."""
    import threading

    from arctui.ops.fleet_read import read_fleet

    reads = read_fleet(tuple(engines), lambda s: s.reader.read(), notices=False)
    out = _Builder(engines[0])
    built: dict[str, _Builder] = {}
    notes: list[tuple[str, str]] = []

    def build(member: Session) -> None:
        where = f"{_safe_name(member.engine_name)}/"
        try:
            built[member.engine_name] = build_members(member, log_lines, prefix=where)
        except Exception as exc:  # a bug of ours: the other engines' folders still go in
            b = built[member.engine_name] = _Builder(member, where)
            b.add("error.txt", f"could not build: {exc!r}\n")
            b.failed.append(f"{where}: {exc!r}")

    threads = []
    for r in reads:
        if r.error is not None:
            where = f"{_safe_name(r.name)}/"
            notes.append((where, r.error))
            b = _Builder(r.session, where)
            b.add("unreachable.txt", f"engine {r.name} could not be read: {r.error}\n{r.fix}\n")
            b.section("arctui.json", partial(_arctui, r.session))
            built[r.name] = b
            continue
        threads.append(threading.Thread(target=build, args=(r.session,), daemon=True))
        threads[-1].start()
    for t in threads:
        t.join()  # every engine call has its own timeout: each build ends
    for r in reads:  # in the fleet's order
        b = built[r.name]
        out.members.update(b.members)
        out.redactions.update(b.redactions)
        out.problems += b.problems
        out.failed += b.failed
    for name, make in (extra or {}).items():
        out.section(name, make)
    return out, notes


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name)[:100] or "_"


def _open_new(path: Path) -> tuple[int, Path]:
    """A new file beside `path` (0600, never through a symlink) and its temporary name."""
    if path.is_symlink():
        raise DiagnosticsError(f"{path} is a symlink: refusing to write through it")
    if path.exists() and not path.is_file():
        raise DiagnosticsError(f"{path} exists and is not a regular file")
    parent = path.parent
    if not parent.is_dir():
        raise DiagnosticsError(f"{parent} is not a directory")
    tmp = parent / f".{path.name}.{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, 0o600)
    except OSError as exc:
        raise DiagnosticsError(f"cannot create {tmp}: {exc.strerror}") from None
    os.fchmod(fd, 0o600)  # whatever the umask
    return fd, tmp


def write_bundle(
    session: Session,
    path: Path,
    log_lines: int = MAX_LOG_LINES,
    health: HealthReport | None = None,
    extra: Mapping[str, Callable[[], str]] | None = None,
    engines: Sequence[Session] = (),
) -> BundleResult:
    """Read everything, redact it, write the `.tar.gz` (0600). Raises DiagnosticsError.

    `engines`: several engines' sessions, each its own folder `arc-diagnostics/NAME/`
    (read at once, each within its own time; `extra` once, at the top)."""
    if len(engines) > 1:
        b, notes = _fleet_members(engines, min(log_lines, 100_000), extra)
    else:
        notes = []
        try:
            session.reader.read()  # fresh state, and the containers' secrets learnt first
        except SourceError as exc:
            notes = [("", exc.reason)]
        b = build_members(session, min(log_lines, 100_000), health, extra)
    result = BundleResult(path=path, redactions=b.redactions, problems=b.problems, failed=b.failed)
    for where, note in notes:
        if not any(p.startswith(f"{where}services.txt") for p in b.problems):
            result.problems.append(f"{where}engine: {note}")
    result.redactions["REDACTION.txt"] = Redaction()
    b.add("REDACTION.txt", "\n".join(result.report_lines()) + "\n")
    redactors = {id(s.redactor): s.redactor for s in (session, *engines)}.values()
    for name, data in b.members.items():  # the last line of defence
        text = data.decode("utf-8")
        if any(r.redact_known(text) != text for r in redactors):
            raise DiagnosticsError(f"{name} still holds a known secret: bundle not written")
    fd, tmp = _open_new(path)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            now = session.clock()
            for name, data in b.members.items():
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode, info.type = (
                    len(data),
                    int(now),
                    0o600,
                    tarfile.REGTYPE,
                )
                tar.addfile(info, io.BytesIO(data))
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise DiagnosticsError(f"cannot write {path}: {exc.strerror or exc}") from None
    result.members = sorted(b.members)
    result.size = path.stat().st_size
    return result

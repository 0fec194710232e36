"""Every mutation kind through the one gate (ops/gate.py), in every way it can go wrong.

Each kind runs through its real entry point (perform, perform_redis, perform_pg, the
backups' operations) with a recording fake at the point where the action itself would
happen: the command runner, the Redis connection, the Postgres simulation, the backup
directory's lock. Every kind must give the same refusal, or the same record shape, and
a refusal must leave the recorder empty.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import arctui.ops.audit as audit_mod
from arctui.ops import bluegreen as bg
from arctui.ops.audit import AuditLog, default_audit_path
from arctui.ops.backups import run as backups
from arctui.ops.backups.common import BackupError
from arctui.ops.backups.settings import backup_settings
from arctui.ops.gate import Gate
from arctui.ops.guards import typed_confirmations
from arctui.ops.lifecycle import Action, plan_action
from arctui.ops.perform import perform
from arctui.ops.runner import ActionResult, Outcome
from arctui.session import Session
from arctui.tabs.postgres.actions import plan_pg_action
from arctui.tabs.postgres.perform import perform_pg
from arctui.tabs.redis.actions import plan_redis_action
from arctui.tabs.redis.demo import DemoRedis
from arctui.tabs.redis.perform import perform_redis
from tests.unit.test_lifecycle import make_session

SECRET = "s3cr3t-Gate-Value-9071"
# ESC sequences (CSI, OSC title), the 8-bit CSI, a bidi override, an undecodable byte
# (how Python holds argv byte 0xff) and a secret value.
HOSTILE = f"x\x1b[31m\x1b]0;pwned\x07\x9b2J\u202eevil\udcff{SECRET}"
KEYS = {
    "time", "user", "env", "project", "action", "scope", "target", "replicas", "command",
    "outcome", "exit_code", "duration_s", "detail", "production", "attempt", "engine",
}  # fmt: skip


class Recorder:
    """What reached the point where the action itself happens."""

    def __init__(self, message: str = "done") -> None:
        self.calls: list[Any] = []
        self.message = message

    def __bool__(self) -> bool:
        return bool(self.calls)


class RecordingRedis(DemoRedis):
    """The demo server; the planned command (not the re-checks) is recorded."""

    def __init__(self, rec: Recorder, label: str) -> None:
        super().__init__()
        self.rec, self._label = rec, label

    @property
    def label(self) -> str:  # type: ignore[override]
        return self._label

    def execute(self, *args: Any) -> Any:
        if args and args[0] in ("SLOWLOG", "CONFIG"):
            self.rec.calls.append(args)
        return super().execute(*args)


def _lifecycle(s: Session, audit: AuditLog | None, action: Action) -> ActionResult:
    return perform(s, action, lambda _: None, threading.Event(), audit)


def _doctor_fix(s: Session, target: str) -> Action:
    """What the doctor's 'run a migration' fix builds (ui/screens/wizard.offer_command)."""
    return Action(
        verb="migrate",
        scope="service",
        target=target,
        project=s.project,
        env=s.env,
        command=("docker", "compose", "run", "--rm", target, "migrate"),
        summary="run the migration",
        confirmations=typed_confirmations(s),
    )


def _backup_ctx(s: Session, audit: AuditLog | None, rec: Recorder, tmp: Path) -> Any:
    settings = dataclasses.replace(backup_settings(s), directory=tmp / "backups")
    ctx = backups.Context.of(s, audit=audit, settings=settings)

    @contextlib.contextmanager
    def locked() -> Iterator[None]:
        rec.calls.append("backup work")  # the operation starts here, under the lock
        raise BackupError(rec.message)
        yield  # pragma: no cover

    ctx.store.locked = locked  # type: ignore[method-assign]
    return ctx


Run = Callable[[Session, "AuditLog | None", Recorder, Path, str], Any]


def _k_restart(s, audit, rec, tmp, text):
    a = plan_action(s, "restart", "raymond")
    return _lifecycle(s, audit, dataclasses.replace(a, command=(*a.command, text)))


def _k_scale(s, audit, rec, tmp, text):
    a = plan_action(s, "scale", "raymond", replicas=3)
    return _lifecycle(s, audit, dataclasses.replace(a, command=(*a.command, text)))


def _k_clean(s, audit, rec, tmp, text):
    a = plan_action(s, "clean")
    return _lifecycle(s, audit, dataclasses.replace(a, command=(*a.command, text)))


def _k_bluegreen(s, audit, rec, tmp, text):
    new = bg.new_session(dataclasses.replace(s, spec=None), f"green-{text}")
    return _lifecycle(new, audit, bg.start_action(new))


def _k_doctor_fix(s, audit, rec, tmp, text):
    return _lifecycle(s, audit, _doctor_fix(s, text))


def _k_redis(s, audit, rec, tmp, text):
    source = RecordingRedis(rec, f"redis:{text}")
    plan = plan_redis_action(s, source, "slowlog-reset")
    return perform_redis(s, plan, source, audit)


def _k_redis_config(s, audit, rec, tmp, text):
    source = RecordingRedis(rec, f"redis:{text}")
    plan = plan_redis_action(s, source, "maxmemory-policy", value="allkeys-lru")
    return perform_redis(s, plan, source, audit)


def _pg(verb: str, **kw: Any) -> Run:
    def run(s, audit, rec, tmp, text):
        plan = plan_pg_action(s, None, verb, label=f"pg {text}", **kw)

        def simulate(p: Any) -> list[str]:
            rec.calls.append(p.action.verb)
            return [rec.message]

        return perform_pg(s, plan, None, audit, simulate=simulate)

    return run


def _backup(op: str) -> Run:
    def run(s, audit, rec, tmp, text):
        ctx = _backup_ctx(s, audit, rec, tmp)
        calls = {
            "backup": lambda: backups.backup(ctx, "postgres"),
            "verify": lambda: backups.verify(ctx, f"id-{text}"),
            "prune": lambda: backups.prune(ctx),
            "delete": lambda: backups.delete(ctx, f"id-{text}"),
            "restore": lambda: backups.restore(ctx, f"id-{text}"),
            "drill": lambda: backups.drill(ctx),
        }
        return calls[op]()

    return run


class _StillOld:
    """The engine reads of an image update: the service still runs the planned image."""

    def image(self, ref: str) -> dict[str, Any] | None:
        return None

    def service_containers(self, project: str, service: str) -> list[dict[str, Any]]:
        return [{"Image": "sha256:old"}]


def _k_image_update(s, audit, rec, tmp, text):
    from arctui.ops.maintenance.update import UpdateAction, perform_update

    pull = ("docker", "compose", "-p", s.project, "pull", text)
    action = UpdateAction(
        verb="update",
        scope="service",
        target=text,
        project=s.project,
        env=s.env,
        command=pull,
        summary=f"update {text}",
        confirmations=typed_confirmations(s),
        ref=f"127.0.0.1:15000/app:{text}",
        old_image="sha256:old",
        remote_digest="sha256:new",
        pull=pull,
        up=("docker", "compose", "-p", s.project, "up", "-d", "--no-deps", text),
    )

    def runner(command, on_output, cancel, cwd=None, env=None):
        rec.calls.append(tuple(command))
        return ActionResult(Outcome.FAILED, 1, 0.01, (rec.message,), rec.message)

    return perform_update(
        s, action, lambda _: None, threading.Event(), audit, runner=runner, reads=_StillOld()
    )


def _recording(rec: Recorder) -> Callable[..., ActionResult]:
    """A command runner that records the command and fails with the recorder's message."""

    def run(command, on_output, cancel, cwd=None, env=None):
        rec.calls.append(tuple(command))
        return ActionResult(Outcome.FAILED, 1, 0.01, (rec.message,), rec.message)

    return run


def _k_prune(s, audit, rec, tmp, text):
    from arctui.ops.maintenance.prune import Candidates, perform_prune, plan_prune

    plan = plan_prune(s, (f"arctui.gate-test={text}",), Candidates())
    return perform_prune(s, plan, lambda _: None, threading.Event(), audit, run=_recording(rec))


def _runbook(make: bool) -> Run:
    def run(s, audit, rec, tmp, text):
        from arctui.config.custom_commands import CustomCommand
        from arctui.ops.maintenance.runbook import Runbook, Target, perform_run, plan_run

        if make:
            book, name = Runbook(tmp / "Makefile", (Target(f"t{text}"),)), f"t{text}"
        else:
            wipe = CustomCommand("wipe", ("echo", text), dangerous=True)
            book, name = Runbook(None, (), (wipe,)), "wipe"
        plan = plan_run(s, book, name)
        return perform_run(s, plan, lambda _: None, threading.Event(), audit, run=_recording(rec))

    return run


def _k_alert_test(s, audit, rec, tmp, text):
    from arctui.alerts.cli import perform_alert_test
    from arctui.alerts.cli import test_message as message_of
    from arctui.alerts.delivery import Delivery

    def send(url: str, title: str, body: str, kind: str) -> tuple[bool, str]:
        rec.calls.append(url)  # where Apprise would send
        return False, rec.message

    url = f"json://arctui:{SECRET}@127.0.0.1:9/{text}"
    delivery = Delivery([url], s.redactor, send=send, attempts=1)
    return perform_alert_test(s, delivery, url, message_of(s), audit)


KINDS: dict[str, Run] = {
    "restart": _k_restart,
    "scale": _k_scale,
    "clean": _k_clean,
    "bluegreen": _k_bluegreen,
    "doctor-fix": _k_doctor_fix,
    "redis-slowlog-reset": _k_redis,
    "redis-config-set": _k_redis_config,
    "pg-cancel": _pg("cancel", pids=[4242]),
    "pg-vacuum": _pg("vacuum", table=("public", "orders")),
    "backup": _backup("backup"),
    "backup-verify": _backup("verify"),
    "backup-prune": _backup("prune"),
    "backup-delete": _backup("delete"),
    "restore": _backup("restore"),
    "drill": _backup("drill"),
    "image-update": _k_image_update,
    "prune": _k_prune,
    "run-make-target": _runbook(make=True),
    "run-dangerous-command": _runbook(make=False),
    "alert-test": _k_alert_test,
}
READS = {"backup-verify"}  # only reads the backup (records a verdict): runs in read-only


@pytest.fixture
def fake_runner(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """The lifecycle's command runner, recording instead of running."""
    rec = Recorder()

    def run_action(command, on_output, cancel, cwd=None, env=None):
        rec.calls.append(tuple(command))
        return ActionResult(Outcome.FAILED, 1, 0.01, (rec.message,), rec.message)

    monkeypatch.setattr("arctui.ops.perform.run_action", run_action)
    return rec


def _session(tmp: Path, **kw: Any) -> Session:
    s = make_session(tmp, **kw)
    return dataclasses.replace(s, environ={"PATH": "/usr/bin:/bin", "API_TOKEN": SECRET})


def _go(kind: str, s: Session, audit: AuditLog | None, rec: Recorder, tmp: Path, text="t"):
    result = KINDS[kind](s, audit, rec, tmp, text)
    return result.outcome, result.message


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("kind", KINDS)
def test_read_only_refuses_every_kind_before_it_runs(tmp_path, kind, fake_runner):
    s = _session(tmp_path, read_only=True)
    audit = AuditLog(tmp_path / "audit.jsonl")
    outcome, message = _go(kind, s, audit, fake_runner, tmp_path)
    if kind in READS:
        assert fake_runner and outcome is not Outcome.REFUSED
        return
    assert outcome is Outcome.REFUSED and message.startswith("read-only mode: ")
    assert not fake_runner
    [entry] = _lines(audit.path)
    assert set(entry) == KEYS and entry["outcome"] == "refused"


@pytest.mark.parametrize("kind", KINDS)
def test_unwritable_audit_log_refuses_every_kind(tmp_path, kind, fake_runner):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    audit = AuditLog(blocked / "audit.jsonl")  # a file where the directory must be
    outcome, message = _go(kind, _session(tmp_path), audit, fake_runner, tmp_path)
    assert outcome is Outcome.REFUSED
    assert message.startswith("nothing ran: the audit log cannot be written (")
    assert not fake_runner


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on a full filesystem: a real 512 KiB tmpfs, else writes that fail."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        (mnt / "audit.jsonl").touch()  # opening works; it is the write that fails
        if mounted:
            with contextlib.suppress(OSError), (mnt / "filler").open("wb", buffering=0) as f:
                while True:
                    f.write(b"\0" * 4096)
        else:

            def no_space(fd: int, data: bytes) -> int:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            monkeypatch.setattr(audit_mod, "_write", no_space)
        yield mnt
    finally:
        if mounted:
            subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.parametrize("kind", KINDS)
def test_full_filesystem_refuses_every_kind(tmp_path, kind, fake_runner, full_disk):
    audit = AuditLog(full_disk / "audit.jsonl")
    assert audit.writable() is None  # the old pre-check passed on a full disk
    outcome, message = _go(kind, _session(tmp_path), audit, fake_runner, tmp_path)
    assert outcome is Outcome.REFUSED and "No space left on device" in message
    assert message.startswith("nothing ran: the audit log cannot be written (")
    assert not fake_runner
    assert audit.path.read_bytes() == b""


@pytest.mark.parametrize("kind", KINDS)
def test_no_audit_log_means_the_default_one(tmp_path, kind, fake_runner):
    _go(kind, _session(tmp_path), None, fake_runner, tmp_path)
    assert fake_runner  # it ran, and it is recorded where an operator looks
    started, ended = _lines(default_audit_path())
    assert (started["outcome"], started["attempt"]) == ("started", ended["attempt"])


@pytest.mark.parametrize("kind", KINDS)
def test_no_audit_log_and_no_state_dir_refuses(tmp_path, kind, fake_runner, monkeypatch):
    (tmp_path / "notadir").write_text("x")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "notadir"))
    outcome, message = _go(kind, _session(tmp_path), None, fake_runner, tmp_path)
    assert outcome is Outcome.REFUSED and "audit log cannot be written" in message
    assert not fake_runner


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_text_in_every_field_gives_the_same_safe_record(tmp_path, kind, fake_runner):
    fake_runner.message = f"failed: {HOSTILE}"  # error text from the outside
    s = _session(tmp_path, env=f"dev{HOSTILE}")
    audit = AuditLog(tmp_path / "audit.jsonl")
    outcome, message = _go(kind, s, audit, fake_runner, tmp_path, text=HOSTILE)
    assert fake_runner, message
    raw = audit.path.read_bytes()
    text = raw.decode("utf-8")  # strict: no surrogate reached the file
    for bad in ("\x1b", "\x9b", "\x07", "\u202e", SECRET):
        assert bad not in text, (kind, bad)
    assert SECRET not in message
    started, ended = _lines(audit.path)
    assert set(started) == set(ended) == KEYS
    assert started["outcome"] == "started" and started["attempt"] == ended["attempt"]
    assert "\\xff" in ended["env"] and "<U+202E>" in ended["env"]
    fields = ended["target"] + ended["command"] + ended["detail"]
    assert "\\xff" in fields  # the hostile target, argv or error text, shown safely
    if outcome is Outcome.FAILED:
        assert "failed: x" in ended["detail"]


def test_typed_confirmation_is_checked_by_the_gate(tmp_path):
    s = _session(tmp_path, production=True, env="prod")
    action = plan_action(s, "kill", "raymond")
    gate = Gate(s, action, AuditLog(tmp_path / "audit.jsonl"))
    assert gate.typed_mismatch(["arc-platform", "prod"]) is None
    assert "not the environment name" in (gate.typed_mismatch(["arc-platform", "dev"]) or "")
    assert "nothing" in (gate.typed_mismatch([]) or "")


def test_an_unexpected_error_is_recorded_then_raised(tmp_path):
    s = _session(tmp_path)
    audit = AuditLog(tmp_path / "audit.jsonl")

    def boom() -> ActionResult:
        raise RuntimeError(f"bug {HOSTILE}")

    with pytest.raises(RuntimeError):
        Gate(s, plan_action(s, "restart", "raymond"), audit).run(boom)
    _started, ended = _lines(audit.path)
    assert ended["outcome"] == "failed" and "unexpected error" in ended["detail"]
    assert SECRET not in audit.path.read_text()


def test_an_attempt_that_never_ended_stays_visible_as_started(tmp_path):
    s = _session(tmp_path)
    audit = AuditLog(tmp_path / "audit.jsonl")
    gate = Gate(s, plan_action(s, "restart", "raymond"), audit)
    assert gate.open() is None  # recorded; then arctui is killed before the outcome
    Gate(s, plan_action(s, "stop", "raymond"), audit).refuse("declined")
    assert [e["outcome"] for e in audit.read()] == ["started", "refused"]

"""Maintenance against real parts: the engine's prune, a real Makefile, the real stack.

Prune runs with a label filter unique to this test (other engineers' containers on this
machine are never candidates) on a compose project of its own. The calendar's "last done"
follows a backup, a drill, a VACUUM ANALYZE and a security check taken through their real
paths on the shared stack (which is only read: the drill restores into scratch).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from arctui.config.backups import BackupSettings
from arctui.config.settings import Settings
from arctui.ops.audit import AuditLog
from arctui.ops.maintenance.calendar import SecretHistory, read_calendar
from arctui.ops.maintenance.prune import candidates, perform_prune, plan_prune
from arctui.ops.maintenance.runbook import perform_run, plan_run
from arctui.ops.maintenance.tasks import security_audit
from arctui.ops.runner import Outcome
from arctui.session import real_session
from arctui.tabs.maintenance.reader import runbook_of
from tests.integration.stack import BUSYBOX_IMAGE, RunningStack
from tests.integration.test_backups_live import stack_session

LABEL = "arctui.maintenance-test"


def docker(*args: str, check: bool = True, stdin: str | None = None) -> str:
    proc = subprocess.run(
        ["docker", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {proc.stderr}")
    return proc.stdout.strip()


def exists(kind: str, ref: str) -> bool:
    return (
        subprocess.run(
            ["docker", kind, "inspect", ref], capture_output=True, timeout=30, check=False
        ).returncode
        == 0
    )


@pytest.fixture(scope="module")
def own_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A compose project with a stopped container and a volume, an outside stopped
    container and a dangling image, all labelled with this run's token."""
    token = uuid.uuid4().hex[:10]
    project = f"arctui-mt-{token}"
    root = tmp_path_factory.mktemp("prune")
    compose = root / "docker-compose.yml"
    compose.write_text(
        f"""
services:
  keeper:
    image: {BUSYBOX_IMAGE}
    command: ["true"]
    network_mode: host
    labels: {{"{LABEL}": "{token}"}}
    volumes: ["data:/data"]
volumes:
  data:
    labels: {{"{LABEL}": "{token}"}}
"""
    )
    base = ["compose", "-p", project, "-f", str(compose)]
    tag = f"arctui-mt-img:{token}"
    made: dict[str, str] = {"project": project, "token": token, "dir": str(root), "tag": tag}
    try:
        docker(*base, "create")
        made["keeper"] = docker(*base, "ps", "-a", "-q")
        made["volume"] = f"{project}_data"
        made["outside"] = docker(
            "create", "--label", f"{LABEL}={token}", "--network", "host", BUSYBOX_IMAGE, "true"
        )
        for value in ("1", "2"):  # the second build leaves the first one dangling
            docker(
                "build", "-q", "-t", tag, "--label", f"{LABEL}={token}", "-",
                stdin=f"FROM {BUSYBOX_IMAGE}\nENV ARCTUI_MT={value}-{token}\n",
            )  # fmt: skip
            made[f"image{value}"] = docker("image", "inspect", "-f", "{{.Id}}", tag)
        yield made
    finally:
        subprocess.run(["docker", *base, "down", "-v"], capture_output=True, timeout=120)
        for ref in (made.get("outside"), made.get("image1"), made.get("image2")):
            if ref:
                subprocess.run(["docker", "rm", ref], capture_output=True, timeout=30)
                subprocess.run(["docker", "rmi", ref], capture_output=True, timeout=30)


def test_prune_never_touches_the_projects_containers_or_volumes(own_project, tmp_path) -> None:
    p = own_project
    label = f"{LABEL}={p['token']}"
    session = real_session(
        Path(p["dir"]), None, [], p["project"], Settings(), environ=dict(os.environ)
    )
    assert session.engine is not None
    found = candidates(session.engine, p["project"], [label])
    assert [c.id for c in found.containers] == [p["outside"]]  # not the project's keeper
    assert [i.id for i in found.images] == [p["image1"]]  # dangling; the tagged one stays
    assert found.build_cache == () and "no labels" in found.build_cache_note

    plan = plan_prune(session, [label])
    assert f"label!=com.docker.compose.project={p['project']}" in plan.action.shown_command
    audit = AuditLog(tmp_path / "audit.jsonl")
    lines: list[str] = []
    result = perform_prune(session, plan, lines.append, threading.Event(), audit)
    assert result.outcome is Outcome.OK, (result.message, lines)

    assert not exists("container", p["outside"]) and not exists("image", p["image1"])
    assert exists("container", p["keeper"]) and exists("volume", p["volume"])
    assert exists("image", p["image2"])
    # The dry run named exactly what the engine removed.
    deleted = {x for x in lines if len(x) == 64 and all(c in "0123456789abcdef" for c in x)}
    assert deleted == {p["outside"]}
    assert any(p["image1"] in x for x in lines)
    started, ended = audit.read(raw=True)
    assert (started["outcome"], ended["outcome"], ended["action"]) == ("started", "ok", "prune")
    session.close()


MAKEFILE = """\
ENV_FILE ?= .env
NAME ?= nobody
.PHONY: hello logs clean

hello: ## Say hello to NAME
\t@echo "hello $(NAME)"
\t@echo "$(NAME)" > {out}

## Remove everything (data loss)
clean:
\tdocker compose -p arctui-mt-nothing down -v
"""


def platform_checkout(root: Path, out: Path) -> Path:
    """A directory shaped like the platform: Makefile at the root, compose files below."""
    (root / "deployments" / "docker").mkdir(parents=True)
    for part in ("base", "core"):
        (root / "deployments" / "docker" / f"docker-compose.{part}.yml").write_text(
            "services: {}\n"
        )
    (root / "Makefile").write_text(MAKEFILE.format(out=out))
    (root / ".env").write_text("LOG_LEVEL=info\n")
    return root


def test_a_real_makefile_is_listed_and_runs_audited(tmp_path) -> None:
    out = tmp_path / "said.txt"
    root = platform_checkout(tmp_path / "platform", out)
    session = real_session(
        root, None, [], "arctui-mt-runbook", Settings(), environ=dict(os.environ)
    )
    book = runbook_of(session)
    assert book.makefile == root / "Makefile" and not book.note
    assert [(t.name, t.help) for t in book.targets] == [
        ("hello", "Say hello to NAME"),
        ("clean", "Remove everything (data loss)"),
    ]
    assert book.target("clean").dangerous  # type: ignore[union-attr]
    plan = plan_run(session, book, "hello", ["NAME=world"])
    audit = AuditLog(tmp_path / "audit.jsonl")
    lines: list[str] = []
    result = perform_run(session, plan, lines.append, threading.Event(), audit)
    assert result.outcome is Outcome.OK, (result.message, lines)
    assert "hello world" in lines and out.read_text() == "world\n"
    _started, ended = audit.read(raw=True)
    assert ended["outcome"] == "ok" and ended["action"] == "run"
    assert ended["command"].endswith("-f Makefile hello NAME=world")
    session.close()


def _arctui(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arctui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_a_dangerous_custom_command_is_refused_in_read_only_mode(tmp_path) -> None:
    marker = tmp_path / "wiped"
    root = platform_checkout(tmp_path / "platform", tmp_path / "x")
    config = tmp_path / "config" / "arctui"
    config.mkdir(parents=True)
    (config / "settings.yaml").write_text(
        "commands:\n"
        f"  - {{name: wipe, command: 'touch {marker}', dangerous: true}}\n"
        f"  - {{name: look, command: 'echo looked $ENV'}}\n"
    )
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    base = ["--project-dir", str(root), "-p", "arctui-mt-cmd", "--read-only"]
    refused = _arctui([*base, "run", "wipe", "--yes"], env)
    assert refused.returncode == 2, refused.stderr
    assert "read-only mode" in refused.stderr and not marker.exists()
    audit = [
        json.loads(x) for x in (tmp_path / "state/arctui/audit.jsonl").read_text().splitlines()
    ]
    assert [(e["action"], e["target"], e["outcome"]) for e in audit] == [
        ("run-command", "wipe", "refused")
    ]
    # A command not marked dangerous only reads: it runs in read-only mode, audited.
    looked = _arctui([*base, "run", "look", "--yes"], env)
    assert looked.returncode == 0, looked.stderr
    assert "looked default" in looked.stdout
    # Without read-only the dangerous one runs (and is audited too).
    ran = _arctui([*base[:-1], "run", "wipe", "--yes"], env)
    assert ran.returncode == 0, ran.stderr
    assert marker.exists()


def test_the_calendar_follows_what_was_done(test_stack: RunningStack, tmp_path) -> None:
    from arctui.ops.backups import run as ops
    from arctui.ops.backups.settings import backup_settings
    from arctui.tabs.postgres.actions import plan_pg_action
    from arctui.tabs.postgres.perform import perform_pg
    from arctui.tabs.postgres.reader import reader_for

    base = stack_session(test_stack)
    settings = Settings(backups=BackupSettings(tmp_path / "backups"))
    session = real_session(
        base.spec.project_dir,  # type: ignore[union-attr]
        None,
        [str(p) for p in base.spec.compose_files],  # type: ignore[union-attr]
        base.project,
        settings,
        environ=base.environ,
    )
    base.close()
    audit = AuditLog(tmp_path / "audit.jsonl")
    history = SecretHistory(tmp_path / "secrets.json")

    def states() -> dict[str, object]:
        return {s.task.id: s for s in read_calendar(session, audit, history)}

    before = states()
    for task_id in ("backup", "drill", "vacuum", "security"):
        assert before[task_id].last_done is None, task_id  # type: ignore[attr-defined]
    t0 = time.time() - 1
    ctx = ops.Context.of(session, audit=audit, settings=backup_settings(session))
    for kind in ("postgres", "redis"):
        taken = ops.backup(ctx, kind)
        assert taken.ok, taken.message
    after_backup = states()
    assert after_backup["backup"].last_done >= t0  # type: ignore[attr-defined]
    assert after_backup["drill"].last_done is None  # type: ignore[attr-defined]
    drilled = ops.drill(ctx)
    assert drilled.ok, drilled.message
    reader = reader_for(session)
    try:
        reader.read()
        plan = plan_pg_action(session, reader.target, "vacuum", label="postgres")
        vacuum = perform_pg(session, plan, reader.connection, audit)
        assert vacuum.outcome is Outcome.OK, vacuum.message
    finally:
        reader.close()
    result, wizard = security_audit(session, audit)
    assert result.ok and wizard is not None and wizard.error is None
    after = states()
    for task_id in ("backup", "drill", "vacuum", "security"):
        state = after[task_id]
        assert state.last_done is not None and state.last_done >= t0, task_id  # type: ignore[attr-defined]
        assert state.status == "ok"  # type: ignore[attr-defined]
    with contextlib.suppress(Exception):
        session.close()


def test_volume_sizes_are_recorded_and_disk_shows_their_growth(own_project, tmp_path) -> None:
    """The recorder's sampler measures the project's real volume (as the engine does),
    every `volumes_every` only, the store keeps it in every frame, and the Disk report's
    growth and days left come from those readings."""
    from arctui.ops.maintenance.disk import read_disk
    from arctui.ops.maintenance.volumes import measure_volumes
    from arctui.record.sampler import Sampler
    from arctui.record.store import Store
    from arctui.record.volume_history import RecordedVolumes

    p = own_project
    session = real_session(
        Path(p["dir"]), None, [], p["project"], Settings(), environ=dict(os.environ)
    )
    assert session.engine is not None
    mount = Path(docker("volume", "inspect", "-f", "{{.Mountpoint}}", p["volume"]))
    (mount / "first.bin").write_bytes(os.urandom(300_001))
    os.link(mount / "first.bin", mount / "same.bin")  # a hard link: counted once
    how, sizes = measure_volumes(session) or ("", {})
    df = session.engine.df(timeout=60)  # the engine's own walk, byte for byte
    engine_sizes = {v["Name"]: v["UsageData"]["Size"] for v in df["Volumes"]}
    assert how == "walk" and sizes == {p["volume"]: 300_001}
    assert engine_sizes[p["volume"]] == sizes[p["volume"]]

    t0 = time.time() - 5 * 3600
    now = [t0]
    sampler = Sampler(session, tmp_path / "audit.jsonl", doctor_every=0, clock=lambda: now[0])
    store = Store.open(tmp_path / "rec.db")
    seen = []
    try:
        for at, grow in ((0, 0), (60, 1 << 20), (7200, 0), (14400, 1 << 20)):
            if grow:  # written before the sample at `at`
                (mount / f"grow-{at}.bin").write_bytes(os.urandom(grow))
            now[0] = t0 + at
            frame, _ = sampler.sample()
            assert frame.volumes is not None
            seen.append((frame.volumes.taken_at - t0, frame.volumes.sizes[p["volume"]]))
            store.write_frame(frame)
    finally:
        sampler.close()
        store.close()
    base = 300_001
    # The sample at 60 s carried the first reading (the 1 MiB written then is not in it).
    assert seen == [(0, base), (0, base), (7200, base + (1 << 20)), (14400, base + (2 << 20))]

    history = RecordedVolumes(p["project"], tmp_path / "rec.db", step=60.0)  # every frame
    assert [(ts - t0, dict(s)) for ts, s in history.volume_sizes(t0 - 1)] == [
        (0, {p["volume"]: base}),
        (7200, {p["volume"]: base + (1 << 20)}),
        (14400, {p["volume"]: base + (2 << 20)}),
    ]
    engine = session.engine
    report = read_disk(engine, p["project"], lambda: t0 + 14400, True, history)
    (row,) = [v for v in report.volumes if v.name == p["volume"]]
    # Least squares over the three readings (0, 1 MiB, 2 MiB over 4 h): 1 MiB per 2 h.
    assert row.growth is not None and abs(row.growth.per_day - 12 * (1 << 20)) < 1e-3
    free = report.root.free
    assert free is not None and row.days_left is not None
    assert abs(row.days_left - free / (12 * (1 << 20))) < 1e-6
    assert "(3 readings)" in report.growth
    missing = RecordedVolumes(p["project"], tmp_path / "none.db")
    assert (
        "not recorded (nothing recorded at"
        in read_disk(engine, p["project"], time.time, True, missing).growth
    )
    session.close()

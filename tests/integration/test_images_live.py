"""Image updates against real parts: Debian's docker-registry on 127.0.0.1:15000, images
built here FROM scratch with busybox and pushed to it, and a compose project of its own
(`arctui-images`, tests/stack/images-update/) apart from the shared test stack.

One module fixture starts the registry (temp root, stopped by its pid), builds the
images (good v1 and v2, and `bad` whose health check fails), pushes v1 and brings the
project up. The tests run in file order: each push moves the same tag `:1`. Everything
is removed at the end by project, by our own image names and by the registry's pid.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from arctui.config.settings import Settings
from arctui.ops.audit import AuditLog
from arctui.ops.gate import Gate
from arctui.ops.maintenance.images import ImagesChecker
from arctui.ops.maintenance.update import (
    confirmed,
    healthy_elsewhere,
    perform_update,
    plan_update,
)
from arctui.ops.runner import Outcome
from arctui.session import Session, real_session

REPO = Path(__file__).resolve().parents[2]
PROJECT_DIR = REPO / "tests" / "stack" / "images-update"
PROJECT = "arctui-images"
REGISTRY = "127.0.0.1:15000"
REF = f"{REGISTRY}/arctui-images/web:1"
CACHE_REF = f"{REGISTRY}/arctui-images/redis:latest"
LOCAL = "arctui-images/web"  # our own local names: v1, v2, bad
DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ARG VARIANT
RUN ["/bin/sh", "-c", "mkdir -p /www && echo $VARIANT > /www/version"]
# `bad` has no /health: its health check fails
RUN ["/bin/sh", "-c", "[ $VARIANT = bad ] || echo ok > /www/health"]
ENV PATH=/bin
"""


def _sh(*argv: str, timeout: float = 120, check: bool = True) -> str:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stdout}{done.stderr}")
    return done.stdout


def _push(local: str, back: str | None = None) -> str:
    """Tag `local` as REF, push it; the digest the registry reports (read independently).

    `back`: tag REF locally as that image again, as on a host that never pulled the push.
    """
    _sh("docker", "tag", local, REF)
    out = _sh("docker", "push", REF)
    if back is not None:
        _sh("docker", "tag", back, REF)
    found = re.search(r"digest: (sha256:[0-9a-f]{64})", out)
    assert found, out
    return found.group(1)


def _image_id(name: str) -> str:
    return _sh("docker", "image", "inspect", "-f", "{{.Id}}", name).strip()


def _web_container_image() -> str:
    ids = _sh(
        "docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}",
        "--filter", "label=com.docker.compose.service=web",
    ).split()  # fmt: skip
    assert len(ids) == 1, ids
    return _sh("docker", "inspect", "-f", "{{.Image}}", ids[0]).strip()


def _compose(*args: str, env: dict[str, str] | None = None) -> str:
    return _sh(
        "docker", "compose", "-p", PROJECT, "--project-directory", str(PROJECT_DIR),
        "-f", str(PROJECT_DIR / "docker-compose.yml"), *args, timeout=180,
    )  # fmt: skip


@dataclass
class Live:
    session: Session
    audit: AuditLog
    state: Path
    registry: subprocess.Popen[bytes]
    ids: dict[str, str] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**os.environ, "XDG_STATE_HOME": str(self.state), "XDG_CACHE_HOME": str(self.state)}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "arctui", "--project-dir", str(PROJECT_DIR)]
        argv += ["-f", "docker-compose.yml", *args]
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=180,
            env=self.env(),
            stdin=subprocess.DEVNULL,
        )


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _wait_registry(proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("docker-registry did not answer within 30 s")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if shutil.which("docker-registry") is None:
        _unavailable("docker-registry missing (apt-get install docker-registry)")
    if not os.access("/bin/busybox", os.X_OK):
        _unavailable("/bin/busybox missing (apt-get install busybox-static)")
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        _unavailable("no Docker engine")
    tmp = tmp_path_factory.mktemp("images")
    (tmp / "root").mkdir()
    (tmp / "config.yml").write_text(
        "version: 0.1\nlog: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp / 'root'}}}}}\n"
        f"http: {{addr: {REGISTRY}}}\n"
    )
    log = (tmp / "registry.log").open("wb")
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(tmp / "config.yml")],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    state = tmp / "state"
    names: list[str] = []
    try:
        _wait_registry(proc)
        ctx = tmp / "ctx"
        ctx.mkdir()
        shutil.copy("/bin/busybox", ctx / "busybox")
        (ctx / "Dockerfile").write_text(DOCKERFILE)
        live = Live(
            session=None,
            audit=AuditLog(state / "arctui" / "audit.jsonl"),
            state=state,
            registry=proc,
        )  # type: ignore[arg-type]
        for variant in ("v1", "v2", "bad"):
            name = f"{LOCAL}:{variant}"
            names.append(name)
            _sh(
                "docker", "build", "-q", "--label", "arctui-images=1", "--build-arg",
                f"VARIANT={variant}", "-t", name, str(ctx), timeout=300,
            )  # fmt: skip
            live.ids[variant] = _image_id(name)
        names += [REF, CACHE_REF]
        live.digests["v1"] = _push(f"{LOCAL}:v1")
        _sh("docker", "tag", f"{LOCAL}:v1", CACHE_REF)
        _sh("docker", "push", CACHE_REF)
        _compose("up", "-d", "--wait")
        environ = {**live.env(), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        live.session = real_session(
            PROJECT_DIR, None, ["docker-compose.yml"], None, Settings(), environ=environ
        )
        yield live
    finally:
        with_errors = []
        for step in (
            lambda: _compose("down", "-v", "--remove-orphans", "-t", "1"),
            lambda: _sh("docker", "rmi", *names, check=False),
            _remove_digest_refs,
        ):
            try:
                step()
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                with_errors.append(exc)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the registry we started, by its pid
            proc.wait(timeout=10)
        log.close()
        assert not with_errors, with_errors


def _remove_digest_refs() -> None:
    """`127.0.0.1:15000/arctui-images/...@sha256:..`: what pulls and pushes leave behind."""
    out = _sh("docker", "images", "--digests", "--format", "{{.Repository}}@{{.Digest}}")
    prefix = f"{REGISTRY}/arctui-images/"
    refs = sorted({r for r in out.split() if r.startswith(prefix) and "@sha256:" in r})
    if refs:
        _sh("docker", "rmi", *refs, check=False)


def _records(live: Live, verb: str = "update") -> list[dict[str, Any]]:
    return [e for e in live.audit.read(200, raw=True) if e.get("action") == verb]


def test_a_new_push_under_the_same_tag_shows_update_available(live: Live):
    checker = ImagesChecker(live.session)
    report = checker.read(force=True)
    web, cache = report.row("web"), report.row("cache")
    assert web is not None and cache is not None, report
    assert web.status == "up to date", web
    assert (web.running_id, web.local_digest) == (live.ids["v1"], live.digests["v1"])
    assert cache.floating and cache.datastore and cache.flagged  # redis on `latest`
    assert not web.flagged
    live.digests["v2"] = _push(f"{LOCAL}:v2", back=f"{LOCAL}:v1")
    assert live.digests["v2"] != live.digests["v1"]
    cached = checker.read().row("web")
    assert cached is not None and cached.cached and cached.status == "up to date"
    fresh = checker.read(force=True).row("web")
    assert fresh is not None and not fresh.cached
    assert fresh.status == "update available" and fresh.update_available
    assert fresh.remote_digest == live.digests["v2"]
    out = live.cli("images", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["service"]: r for r in json.loads(out.stdout)["rows"]}
    assert rows["web"]["update_available"] and rows["cache"]["flagged"]


def test_read_only_refuses_the_update_and_nothing_is_pulled(live: Live):
    ro = dataclasses.replace(live.session, read_only=True)
    action = plan_update(ro, "web", ImagesChecker(ro), live.audit)
    result = perform_update(ro, action, lambda _: None, threading.Event(), live.audit)
    assert result.outcome is Outcome.REFUSED and result.message.startswith("read-only mode")
    assert _image_id(REF) == live.ids["v1"]  # nothing was pulled ...
    assert _web_container_image() == live.ids["v1"]  # ... and nothing was recreated
    assert [e["outcome"] for e in _records(live)] == ["refused"]


def test_an_unhealthy_update_is_rolled_back_to_the_previous_image(live: Live):
    live.digests["bad"] = _push(f"{LOCAL}:bad", back=f"{LOCAL}:v1")
    done = live.cli("update", "web", "--yes")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rolled back" in done.stderr and "Traceback" not in done.stderr
    assert "unhealthy" in done.stderr or "not healthy" in done.stderr
    assert _web_container_image() == live.ids["v1"]  # the old image runs again
    assert _image_id(REF) == live.ids["v1"]  # and the tag points at it again
    started, ended = _records(live)[-2:]
    assert started["outcome"] == "started" and started["attempt"] == ended["attempt"]
    assert ended["outcome"] == "failed" and "rolled back" in ended["detail"]
    assert ended["exit_code"] == 1


def test_a_good_update_lands_and_is_audited(live: Live):
    _push(f"{LOCAL}:v2", back=f"{LOCAL}:v1")  # the same content again: the same digest
    action = plan_update(live.session, "web", ImagesChecker(live.session), live.audit)
    assert action.remote_digest == live.digests["v2"] and action.old_image == live.ids["v1"]
    lines: list[str] = []
    result = perform_update(live.session, action, lines.append, threading.Event(), live.audit)
    assert result.outcome is Outcome.OK, (result.message, lines)
    assert _web_container_image() == live.ids["v2"]
    started, ended = _records(live)[-2:]
    assert (started["outcome"], ended["outcome"]) == ("started", "ok")
    assert f"digest {live.digests['v2']}" in ended["detail"] and "healthy" in ended["detail"]
    assert any(line.startswith("$ docker compose") and " pull web" in line for line in lines)


def test_production_asks_the_typed_name_for_a_digest_unhealthy_elsewhere(live: Live):
    env = live.session.env
    assert healthy_elsewhere(live.audit, "prod", REF, live.digests["v2"])[0].startswith(env)
    assert healthy_elsewhere(live.audit, "prod", REF, live.digests["bad"]) == ()
    _push(f"{LOCAL}:bad", back=f"{LOCAL}:v2")  # never healthy anywhere
    prod = dataclasses.replace(live.session, production=True, env="prod")
    action = plan_update(prod, "web", ImagesChecker(prod), live.audit)
    assert "NOT TESTED" in action.consequence
    assert action.confirmations == (("environment name", "prod"),)
    reason = Gate(prod, action, live.audit).rules() or ""
    assert reason.startswith("test in dev first")
    assert Gate(prod, confirmed(action), live.audit).rules() is None
    # Headless: --yes and the production flag are not the typed name.
    blind = live.cli("--env", "prod", "update", "web", "--yes", "--i-know-this-is-production")
    assert blind.returncode == 2, blind.stdout + blind.stderr
    assert "REFUSED: test in dev first" in blind.stderr and "--confirm-env" in blind.stderr
    assert _records(live)[-1]["outcome"] == "refused"
    assert _web_container_image() == live.ids["v2"]  # nothing was updated


def test_the_registry_down_gives_a_reason_not_a_traceback(live: Live):
    os.killpg(live.registry.pid, signal.SIGTERM)
    live.registry.wait(timeout=10)
    shown = live.cli("images")
    assert shown.returncode == 0, shown.stderr
    assert "127.0.0.1:15000 unreachable: connection refused" in shown.stdout
    assert "Traceback" not in shown.stdout + shown.stderr
    refused = live.cli("update", "web", "--yes")
    assert refused.returncode == 2, refused.stderr
    assert "connection refused" in refused.stderr and "Traceback" not in refused.stderr
    assert _web_container_image() == live.ids["v2"]

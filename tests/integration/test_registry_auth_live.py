"""Credential helpers against a real registry: Debian's docker-registry with htpasswd
auth on 127.0.0.1:15001, and helper programs this test writes (executables on PATH that
print the JSON the docker CLI's helpers print).

The module fixture starts the registry (its own temp root and port, stopped by its pid),
logs in with a throwaway DOCKER_CONFIG, pushes the test busybox image under our own name
and removes that tag at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from arctui.ops.maintenance.images import ImagesChecker
from arctui.session import demo_session
from arctui.sources.registry import RegistryClient, load_docker_auth, parse_reference
from tests.integration.stack import BUSYBOX_IMAGE

REGISTRY = "127.0.0.1:15001"
USER, PASSWORD = "ops", "Reg-Helper-s3cret-42"
REF = f"{REGISTRY}/arctui-cred/app:1"


@dataclass
class Reg:
    digest: str
    tmp: Path


def _sh(*argv: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    proc = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, timeout=120, env=env, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {proc.stderr}")
    return proc.stdout.strip()


def _wait(proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=2)
        except urllib.error.HTTPError as exc:
            if exc.code == 401:  # up, and asking for a login
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("docker-registry did not answer within 30 s")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reg]:
    if shutil.which("docker-registry") is None:
        pytest.skip("docker-registry missing (apt-get install docker-registry)")
    with warnings.catch_warnings():  # bcrypt for htpasswd via glibc's libxcrypt
        warnings.simplefilter("ignore", DeprecationWarning)  # crypt goes in 3.13
        import crypt

    tmp = tmp_path_factory.mktemp("regauth")
    hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH))
    (tmp / "htpasswd").write_text(f"{USER}:{hashed}\n")
    (tmp / "config.yml").write_text(
        "version: 0.1\nlog: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp / 'root'}}}}}\n"
        f"http: {{addr: {REGISTRY}}}\n"
        f"auth: {{htpasswd: {{realm: arctui-test, path: {tmp / 'htpasswd'}}}}}\n"
    )
    log = (tmp / "registry.log").open("wb")
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(tmp / "config.yml")],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    cli = {**os.environ, "DOCKER_CONFIG": str(tmp / "pusher")}  # a throwaway login
    pinned = ""
    try:
        _wait(proc)
        _sh("docker", "login", REGISTRY, "-u", USER, "--password-stdin", env=cli, stdin=PASSWORD)
        _sh("docker", "tag", BUSYBOX_IMAGE, REF)
        _sh("docker", "push", REF, env=cli)
        digests = _sh("docker", "image", "inspect", "-f", "{{json .RepoDigests}}", REF)
        (pinned,) = [d for d in json.loads(digests) if d.startswith(f"{REGISTRY}/")]
        yield Reg(pinned.split("@", 1)[1], tmp)
    finally:
        for ref in (REF, pinned):  # our own names only: the busybox image stays
            if ref:
                subprocess.run(["docker", "rmi", ref], capture_output=True, timeout=60)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the registry we started, by its pid
            proc.wait(timeout=10)
        log.close()


def helper(bin_dir: Path, name: str, body: str) -> Path:
    """`docker-credential-<name>`: an executable shell script in `bin_dir`."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / f"docker-credential-{name}"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def config(tmp: Path, data: dict[str, object]) -> Path:
    tmp.mkdir(exist_ok=True)
    (tmp / "config.json").write_text(json.dumps(data))
    return tmp


def test_a_cred_helpers_secret_opens_the_registry_and_is_masked(
    registry: Reg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = tmp_path / "asked"
    helper(
        tmp_path / "bin",
        "arctuitest",
        f'[ "$1" = get ] || exit 2\ncat > {asked}\nprintf \'{{"ServerURL":"%s",'
        f'"Username":"{USER}","Secret":"{PASSWORD}"}}\' "$(cat {asked})"\n',
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_CONFIG", str(config(tmp_path / "cfg", {
        "auths": {REGISTRY: {}},  # what `docker login` leaves with a helper: no secret
        "credHelpers": {REGISTRY: "arctuitest"},
    })))  # fmt: skip
    session = demo_session()
    assert PASSWORD in session.redactor.redact(f"x {PASSWORD} y")  # not known before
    checker = ImagesChecker(session)
    answer = checker.client.digest(parse_reference(REF))
    assert (answer.digest, answer.reason) == (registry.digest, "")
    assert asked.read_text() == REGISTRY  # the registry host on stdin, as docker asks
    masked = session.redactor.redact(f"token {PASSWORD} leaked")
    assert PASSWORD not in masked and "leaked" in masked
    # The helper ran once: the second question (forced past the cache) reuses its answer.
    asked.unlink()
    assert checker.client.digest(parse_reference(REF), force=True).digest == registry.digest
    assert not asked.exists()


def test_without_the_helpers_secret_the_registry_refuses(
    registry: Reg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = parse_reference(REF)
    anonymous = RegistryClient(load_docker_auth({"DOCKER_CONFIG": str(tmp_path / "none")}))
    assert anonymous.digest(ref).reason == f"{REGISTRY}: needs a login (none in the Docker config)"
    helper(tmp_path / "bin", "empty", 'echo "credentials not found in native keychain"\nexit 1\n')
    helper(tmp_path / "bin", "hangs", "exec sleep 60\n")
    env = {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    cfg = config(tmp_path / "cfg", {"credsStore": "empty"})
    store = RegistryClient(load_docker_auth({"DOCKER_CONFIG": str(cfg)}), environ=env)
    assert (
        store.digest(ref).reason == f"{REGISTRY}: needs a login (credential helper empty has none)"
    )
    cfg = config(tmp_path / "cfg2", {"credsStore": "empty", "credHelpers": {REGISTRY: "hangs"}})
    hung = RegistryClient(
        load_docker_auth({"DOCKER_CONFIG": str(cfg)}), environ=env, helper_timeout=0.5
    )
    reason = hung.digest(ref).reason
    assert "docker-credential-hangs did not answer within 0.5 s" in reason
    missing = config(tmp_path / "cfg3", {"credsStore": "nowhere"})
    gone = RegistryClient(load_docker_auth({"DOCKER_CONFIG": str(missing)}), environ=env)
    assert "docker-credential-nowhere is not on PATH" in gone.digest(ref).reason

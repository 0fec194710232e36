"""The registry client: references, Docker config credentials, which registries get plain
HTTP, token auth and failures, against a small registry stand-in on loopback."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from arctui.sources.registry import (
    DockerAuth,
    RegistryClient,
    insecure_from_info,
    is_loopback,
    load_docker_auth,
    parse_reference,
)

DIGEST = "sha256:" + "ab" * 32
TOKEN = "tok-9d1e"


@pytest.mark.parametrize(
    ("ref", "registry", "repository", "tag", "floating"),
    [
        ("redis", "docker.io", "library/redis", None, True),
        ("redis:7", "docker.io", "library/redis", "7", False),
        ("org/app:latest", "docker.io", "org/app", "latest", True),
        ("127.0.0.1:15000/a/b:1", "127.0.0.1:15000", "a/b", "1", False),
        ("localhost/app", "localhost", "app", None, True),
        ("reg.example.com/x/y:2.1-rc", "reg.example.com", "x/y", "2.1-rc", False),
    ],
)
def test_references_split_as_the_engine_splits_them(ref, registry, repository, tag, floating):
    r = parse_reference(ref)
    assert (r.registry, r.repository, r.tag, r.floating) == (registry, repository, tag, floating)


def test_a_digest_pin_is_not_floating_and_names_match_repo_digests():
    r = parse_reference(f"redis@{DIGEST}")
    assert r.digest == DIGEST and not r.floating and r.name == "redis"
    assert parse_reference("127.0.0.1:15000/a/b:1").name == "127.0.0.1:15000/a/b"


@pytest.mark.parametrize("bad", ["", "UPPER/case", "a/b:bad tag", f"x@sha256:{'z' * 64}", "a//b"])
def test_malformed_references_are_refused(bad):
    with pytest.raises(ValueError):
        parse_reference(bad)


def test_docker_config_auths_and_a_helper_note(tmp_path: Path):
    cfg = tmp_path / "config.json"
    auth = base64.b64encode(b"ops:pa55-word-Xy").decode()
    cfg.write_text(
        json.dumps(
            {
                "auths": {
                    "https://index.docker.io/v1/": {"auth": auth},
                    "reg.example.com:5000": {"username": "u", "password": "p-long-enough"},
                },
                "credsStore": "desktop",
            }
        )
    )
    found = load_docker_auth({"DOCKER_CONFIG": str(tmp_path)})
    assert found.logins == {
        "docker.io": ("ops", "pa55-word-Xy"),
        "reg.example.com:5000": ("u", "p-long-enough"),
    }
    # credsStore names the helper of every registry; credHelpers would win per registry.
    assert found.store == "desktop" and found.helper_for("reg.example.com:5000") == "desktop"
    assert found.note == ""
    assert "pa55-word-Xy" in found.secrets() and auth in found.secrets()


def test_cred_helpers_win_per_registry_and_path_names_are_refused(tmp_path: Path):
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "credsStore": "../../bin/sh",
                "credHelpers": {"https://reg.example.com/v1/": "ecr-login", "x.io": "a/b"},
            }
        )
    )
    found = load_docker_auth({"DOCKER_CONFIG": str(tmp_path)})
    assert found.helpers == {"reg.example.com": "ecr-login"} and found.store == ""
    assert found.helper_for("reg.example.com") == "ecr-login"
    assert found.helper_for("x.io") is None  # refused, not run
    assert "not run (not program names): ../../bin/sh, a/b" in found.note


def test_an_unreadable_docker_config_is_a_note_not_an_error(tmp_path: Path):
    (tmp_path / "config.json").write_text("{not json")
    found = load_docker_auth({"DOCKER_CONFIG": str(tmp_path)})
    assert found.logins == {} and "anonymous" in found.note
    assert load_docker_auth({"HOME": str(tmp_path / "none")}).logins == {}


def test_plain_http_only_for_registries_the_engine_treats_as_insecure():
    info = {
        "RegistryConfig": {
            "InsecureRegistryCIDRs": ["127.0.0.0/8", "10.9.0.0/16"],
            "IndexConfigs": {
                "docker.io": {"Secure": True},
                "reg.lan:5000": {"Secure": False},
            },
        }
    }
    names, cidrs = insecure_from_info(info)
    client = RegistryClient(insecure=names, insecure_cidrs=cidrs)
    assert is_loopback("127.0.0.1:15000") and is_loopback("localhost:5000")
    assert is_loopback("[::1]:5000") and not is_loopback("10.9.1.1:5000")
    assert client.is_insecure("127.0.0.1:15000") and client.is_insecure("reg.lan:5000")
    assert client.is_insecure("10.9.3.4:5000")
    assert not client.is_insecure("docker.io") and not client.is_insecure("reg.example.com")
    assert not client.is_insecure("10.8.0.1:5000")
    assert not RegistryClient().is_insecure("10.9.3.4:5000")  # not without the engine's list


class _Registry(BaseHTTPRequestHandler):
    """A registry stand-in: Bearer challenge, token realm, manifests with a digest."""

    mode = "bearer"
    seen: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _note(self) -> None:
        self.seen.append({"path": self.path, "auth": self.headers.get("Authorization", "")})

    def do_GET(self) -> None:  # the token realm
        self._note()
        body = json.dumps({"token": TOKEN}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._note()
        port = self.server.server_address[1]
        if self.mode == "hang":
            threading.Event().wait(3)
            return
        if self.mode == "basic" and not self.headers.get("Authorization", "").startswith("Basic"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="r"')
            self.end_headers()
            return
        if self.mode == "bearer" and self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            challenge = (
                f'Bearer realm="http://127.0.0.1:{port}/token",service="reg",'
                'scope="repository:a/b:pull"'
            )
            self.send_header("WWW-Authenticate", challenge)
            self.end_headers()
            return
        if "missing" in self.path:
            self.send_response(404)
            self.end_headers()
            return
        accept = self.headers.get("Accept", "")
        ok = "application/vnd.oci.image.index.v1+json" in accept
        self.send_response(200)
        self.send_header("Docker-Content-Digest", DIGEST if ok else "sha256:wrong")
        self.end_headers()


@pytest.fixture
def registry() -> Iterator[tuple[str, type[_Registry]]]:
    handler = type("Handler", (_Registry,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_bearer_challenge_is_answered_with_a_token_and_the_login(registry):
    host, handler = registry
    login = DockerAuth({host: ("ops", "secret-pw-1")})
    answer = RegistryClient(login).digest(parse_reference(f"{host}/a/b:1"))
    assert answer.digest == DIGEST, answer.reason
    first, token, retry = handler.seen
    assert first["auth"] == "" and retry["auth"] == f"Bearer {TOKEN}"
    assert token["path"].startswith("/token?") and "service=reg" in token["path"]
    assert token["auth"] == "Basic " + base64.b64encode(b"ops:secret-pw-1").decode()


def test_basic_auth_needs_a_login(registry):
    host, handler = registry
    handler.mode = "basic"
    anonymous = RegistryClient().digest(parse_reference(f"{host}/a/b:1"))
    assert anonymous.digest is None and "needs a login" in anonymous.reason
    logged = RegistryClient(DockerAuth({host: ("u", "pw")})).digest(
        parse_reference(f"{host}/a/b:1")
    )
    assert logged.digest == DIGEST


def test_answers_are_cached_for_the_ttl_and_failures_briefly(registry):
    host, handler = registry
    handler.mode = "open"
    now = [1000.0]
    client = RegistryClient(ttl=60, fail_ttl=5, clock=lambda: now[0])
    ref, missing = parse_reference(f"{host}/a/b:1"), parse_reference(f"{host}/a/missing:1")
    assert not client.digest(ref).cached and client.digest(ref).cached
    assert "not in the registry (404)" in client.digest(missing).reason
    asked = len(handler.seen)
    now[0] += 10
    assert client.digest(ref).cached  # within the TTL: no request
    assert not client.digest(missing).cached  # the failure is asked again
    assert not client.digest(ref, force=True).cached
    assert len(handler.seen) == asked + 2


def test_a_registry_that_does_not_answer_times_out_with_a_reason(registry):
    host, handler = registry
    handler.mode = "hang"
    answer = RegistryClient(timeout=0.3).digest(parse_reference(f"{host}/a/b:1"))
    assert answer.digest is None and "did not answer in time" in answer.reason


def test_nothing_listening_is_connection_refused():
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    answer = RegistryClient().digest(parse_reference(f"127.0.0.1:{port}/a/b:1"))
    assert answer.digest is None
    assert answer.reason == f"registry 127.0.0.1:{port} unreachable: connection refused"

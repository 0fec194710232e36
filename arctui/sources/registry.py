"""A container registry's answer to "which digest does this tag point at now?".

One HEAD on `/v2/<name>/manifests/<tag>` with the manifest types the engine pulls (v2 and
OCI, single and multi-platform), read from `Docker-Content-Digest`. Credentials come
from the Docker config as the docker CLI reads them: the registry's `credHelpers` entry,
else `credsStore`, else `auths` (base64 `user:password`). A helper is run only when the
registry answers 401, once per registry per client, and its secret is handed to the
session's redactor (`learn`) before anything can print it. A 401 with a `Bearer` challenge is
answered with a token from the realm. Plain HTTP is used only for the registries the
engine itself treats as insecure: loopback and the engine's insecure registries (from
`/info`); everything else is HTTPS with verification. Every request has a timeout;
answers are cached (a found digest for `ttl`, a failure for `fail_ttl`); a registry that
cannot be reached gives a reason, never an exception. No Textual, no policy.
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from arctui.sources.cred_helpers import HUB_SERVER, HelperError, helper_get, valid_name
from arctui.text import one_line

MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)
DOCKER_HUB = "docker.io"
_HUB_API = "registry-1.docker.io"
_HUB_AUTH_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io")
DEFAULT_TIMEOUT = 5.0
DEFAULT_TTL = 3600.0  # a found digest: registries change tags rarely; `refresh` forces
FAIL_TTL = 60.0  # a failure: retried soon, but not on every repaint
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
_TOKEN_LIMIT = 1 << 20


@dataclass(frozen=True)
class ImageRef:
    """An image reference split the way the engine splits it."""

    registry: str  # host[:port]; docker.io for Docker Hub
    repository: str  # library/redis, org/app
    tag: str | None  # None when the reference names no tag (the engine uses `latest`)
    digest: str | None = None  # pinned: name@sha256:...

    @property
    def floating(self) -> bool:
        """`latest` or no tag, and not pinned: what runs changes under the same name."""
        return self.digest is None and self.tag in (None, "latest")

    @property
    def effective_tag(self) -> str:
        """The tag the engine pulls: `latest` when none is given."""
        return self.tag or "latest"

    @property
    def name(self) -> str:
        """The repository as RepoDigests spell it (`127.0.0.1:15000/app`, `redis`)."""
        if self.registry == DOCKER_HUB:
            return self.repository.removeprefix("library/")
        return f"{self.registry}/{self.repository}"


def parse_reference(ref: str) -> ImageRef:
    """Split `[registry/]name[:tag][@digest]`. Raises ValueError on a malformed one."""
    text = ref.strip()
    rest, _, digest = text.partition("@")
    if digest and not _DIGEST.match(digest):
        raise ValueError(f"not a sha256 digest: {one_line(digest, 80)!r}")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = DOCKER_HUB, rest
    tag: str | None = None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, _, tag = path.rpartition(":")
        if not _TAG.match(tag):
            raise ValueError(f"not a valid tag: {one_line(tag, 80)!r}")
    if not path or not all(_COMPONENT.match(part) for part in path.split("/")):
        raise ValueError(f"not a valid image name: {one_line(ref, 120)!r}")
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    return ImageRef(registry, path, tag, digest or None)


def _host_of(registry: str) -> str:
    """`127.0.0.1:15000` -> `127.0.0.1`, `[::1]:5000` -> `::1`, `reg.example` as is."""
    if registry.startswith("["):
        return registry[1:].split("]", 1)[0]
    return registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry


def is_loopback(registry: str) -> bool:
    """A registry on this host's loopback (the engine treats 127.0.0.0/8 as insecure)."""
    host = _host_of(registry)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_from_info(info: Mapping[str, Any]) -> tuple[set[str], list[str]]:
    """The engine's insecure registries (names) and CIDRs, from its `/info`."""
    config = info.get("RegistryConfig") or {}
    names = {
        str(name)
        for name, entry in (config.get("IndexConfigs") or {}).items()
        if isinstance(entry, Mapping) and entry.get("Secure") is False
    }
    cidrs = [str(c) for c in config.get("InsecureRegistryCIDRs") or ()]
    return names, cidrs


def _auth_key(key: str) -> str:
    """A Docker config `auths` key as a registry name (`https://host/v1/` -> `host`)."""
    if "://" in key:
        key = urlsplit(key).netloc
    key = key.split("/", 1)[0]
    return DOCKER_HUB if key in _HUB_AUTH_KEYS or key == "index.docker.io" else key


def docker_config_path(environ: Mapping[str, str]) -> Path:
    """`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`."""
    base = environ.get("DOCKER_CONFIG")
    if base:
        return Path(base) / "config.json"
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".docker" / "config.json"


@dataclass(frozen=True)
class DockerAuth:
    """What the Docker config offers: user/password per registry, and what is not used."""

    logins: Mapping[str, tuple[str, str]]
    note: str = ""  # the file unreadable, a helper name refused
    helpers: Mapping[str, str] = dataclasses.field(default_factory=dict)  # registry -> name
    store: str = ""  # credsStore: the helper of every other registry

    def helper_for(self, registry: str) -> str | None:
        """The credential helper the docker CLI would ask for `registry`, if any."""
        return self.helpers.get(registry) or self.store or None

    def secrets(self) -> list[str]:
        """The passwords and their base64 forms (for the session's redactor)."""
        out = []
        for user, password in self.logins.values():
            out += [password, base64.b64encode(f"{user}:{password}".encode()).decode()]
        return [s for s in out if s]


def load_docker_auth(environ: Mapping[str, str] | None = None) -> DockerAuth:
    """The `auths` of the Docker config; never raises (an unreadable file is a note)."""
    env = os.environ if environ is None else environ
    path = docker_config_path(env)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DockerAuth({})
    except (OSError, ValueError) as exc:
        return DockerAuth({}, f"{path} not read ({one_line(str(exc), 120)}): anonymous")
    if not isinstance(data, dict):
        return DockerAuth({}, f"{path} is not a JSON object: anonymous")
    logins: dict[str, tuple[str, str]] = {}
    for key, entry in (data.get("auths") or {}).items():
        if not isinstance(entry, dict):
            continue
        user, password = str(entry.get("username") or ""), str(entry.get("password") or "")
        if entry.get("auth"):
            try:
                decoded = base64.b64decode(str(entry["auth"])).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                continue
            user, _, password = decoded.partition(":")
        if user:
            logins[_auth_key(str(key))] = (user, password)
    refused = []
    store = str(data.get("credsStore") or "")
    if store and not valid_name(store):
        refused.append(store)
        store = ""
    helpers: dict[str, str] = {}
    configured = data.get("credHelpers")
    for key, name in configured.items() if isinstance(configured, dict) else ():
        if valid_name(str(name)):
            helpers[_auth_key(str(key))] = str(name)
        else:
            refused.append(str(name))
    note = ""
    if refused:
        names = ", ".join(one_line(n, 40) for n in refused)
        note = f"{path}: credential helper names not run (not program names): {names}"
    return DockerAuth(logins, one_line(note, 300), helpers, store)


@dataclass(frozen=True)
class RemoteDigest:
    """The registry's digest for a tag now, or why it is not known."""

    digest: str | None
    reason: str = ""  # set when digest is None: unreachable, not found, denied ...
    checked_at: float = 0.0  # wall clock of the request
    cached: bool = False
    elapsed: float = 0.0  # seconds the request took (0 when cached)


class RegistryError(Exception):
    """A registry request failed; the message is for the operator."""


class RegistryClient:
    """HEADs manifests with timeouts and a cache (thread-safe; one per session)."""

    def __init__(
        self,
        auth: DockerAuth | None = None,
        *,
        insecure: Iterable[str] = (),
        insecure_cidrs: Iterable[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        ttl: float = DEFAULT_TTL,
        fail_ttl: float = FAIL_TTL,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        environ: Mapping[str, str] | None = None,
        learn: Callable[[list[str]], object] | None = None,
        helper_timeout: float | None = None,
    ) -> None:
        self.auth = auth or DockerAuth({})
        self.environ = environ  # the PATH credential helpers are found on
        self.learn = learn  # the session's redactor learns each helper's secret
        self.helper_timeout = helper_timeout
        self._logins: dict[str, tuple[str, str] | None] = {}
        self._login_lock = threading.Lock()
        self.insecure = set(insecure)
        self.cidrs = []
        for cidr in insecure_cidrs:
            try:
                self.cidrs.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                continue
        self.timeout, self.ttl, self.fail_ttl = timeout, ttl, fail_ttl
        self._clock, self._wall = clock, wall
        self._cache: dict[tuple[str, str, str], tuple[float, RemoteDigest]] = {}
        self._lock = threading.Lock()

    # Which scheme -----------------------------------------------------------------
    def is_insecure(self, registry: str) -> bool:
        """Whether the engine would talk plain HTTP to it (loopback, its insecure list)."""
        if is_loopback(registry) or registry in self.insecure:
            return True
        try:
            ip = ipaddress.ip_address(_host_of(registry))
        except ValueError:
            return False  # a host name: only the engine's IndexConfigs name it insecure
        return any(ip in net for net in self.cidrs)

    # The one question -------------------------------------------------------------
    def digest(self, ref: ImageRef, force: bool = False) -> RemoteDigest:
        """The digest the registry serves for `ref`'s tag (cached), or why not."""
        key = (ref.registry, ref.repository, ref.effective_tag)
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and not force:
            stored, answer = hit
            if now - stored < (self.ttl if answer.digest else self.fail_ttl):
                return RemoteDigest(answer.digest, answer.reason, answer.checked_at, True)
        started, wall = time.monotonic(), self._wall()
        try:
            found: str | None = self._head(ref)
            reason = ""
        except RegistryError as exc:
            found, reason = None, str(exc)
        answer = RemoteDigest(found, reason, wall, False, time.monotonic() - started)
        with self._lock:
            self._cache[key] = (self._clock(), answer)
        return answer

    def forget(self) -> None:
        """Drop every cached answer (the next question asks the registries)."""
        with self._lock:
            self._cache.clear()

    # Credentials ------------------------------------------------------------------
    def login(self, registry: str) -> tuple[str, str] | None:
        """(user, secret) for `registry`: its helper's answer (asked once), else `auths`.
        Raises RegistryError when the helper fails."""
        helper = self.auth.helper_for(registry)
        if helper is None:
            return self.auth.logins.get(registry)
        with self._login_lock:  # one helper run per registry, even from two threads
            if registry in self._logins:
                return self._logins[registry]
            server = HUB_SERVER if registry == DOCKER_HUB else registry
            kw = {} if self.helper_timeout is None else {"timeout": self.helper_timeout}
            try:
                found = helper_get(helper, server, self.environ, **kw)
            except HelperError as exc:
                raise RegistryError(f"{registry}: {exc}") from None
            if found is not None and self.learn is not None:
                basic = base64.b64encode(f"{found[0]}:{found[1]}".encode()).decode()
                self.learn([found[1], basic])
            self._logins[registry] = found
            return found

    # HTTP -------------------------------------------------------------------------
    def _connection(self, host: str, secure: bool) -> http.client.HTTPConnection:
        if secure:
            return http.client.HTTPSConnection(
                host, timeout=self.timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(host, timeout=self.timeout)

    def _request(
        self, secure: bool, host: str, method: str, path: str, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        conn = self._connection(host, secure)
        try:
            conn.request(method, path, headers=dict(headers))
            res = conn.getresponse()
            body = b"" if method == "HEAD" else res.read(_TOKEN_LIMIT)
            return res.status, {k.lower(): v for k, v in res.getheaders()}, body
        except (OSError, http.client.HTTPException) as exc:
            raise RegistryError(_network_reason(host, exc)) from exc
        finally:
            conn.close()

    def _head(self, ref: ImageRef) -> str:
        host = _HUB_API if ref.registry == DOCKER_HUB else ref.registry
        secure = not self.is_insecure(ref.registry)
        path = f"/v2/{ref.repository}/manifests/{ref.effective_tag}"
        headers = {"Accept": ", ".join(MANIFEST_TYPES), "User-Agent": "arctui"}
        login = None if self.auth.helper_for(ref.registry) else self.auth.logins.get(ref.registry)
        status, got, _ = self._request(secure, host, "HEAD", path, headers)
        if status == 401:
            login = self.login(ref.registry)
            challenge = got.get("www-authenticate", "")
            headers["Authorization"] = self._authorize(challenge, ref, login, secure, host)
            status, got, _ = self._request(secure, host, "HEAD", path, headers)
        where = f"{ref.registry}/{ref.repository}:{ref.effective_tag}"
        if status == 200:
            digest = got.get("docker-content-digest", "").strip()
            if not _DIGEST.match(digest):
                raise RegistryError(f"{ref.registry} gave no valid Docker-Content-Digest")
            return digest
        if status == 404:
            raise RegistryError(f"{where}: not in the registry (404)")
        if status in (401, 403):
            who = "as " + login[0] if login else f"anonymously ({self._none(ref.registry)})"
            raise RegistryError(f"{where}: access denied {who} (HTTP {status})")
        if status == 429:
            raise RegistryError(f"{ref.registry}: rate limited (HTTP 429); try again later")
        raise RegistryError(f"{where}: the registry answered HTTP {status}")

    def _none(self, registry: str) -> str:
        """Where a login was looked for and not found."""
        helper = self.auth.helper_for(registry)
        return f"credential helper {helper} has none" if helper else "none in the Docker config"

    def _authorize(
        self,
        challenge: str,
        ref: ImageRef,
        login: tuple[str, str] | None,
        secure: bool,
        host: str,
    ) -> str:
        """The Authorization header answering a 401's challenge (Basic or Bearer)."""
        basic = ""
        if login is not None:
            basic = "Basic " + base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()
        scheme = challenge.split(" ", 1)[0].lower()
        if scheme == "basic":
            if not basic:
                raise RegistryError(f"{ref.registry}: needs a login ({self._none(ref.registry)})")
            return basic
        if scheme != "bearer":
            raise RegistryError(f"{ref.registry}: unsupported authentication {scheme or '?'}")
        params = dict(_CHALLENGE.findall(challenge))
        realm = urlsplit(params.get("realm", ""))
        if realm.scheme not in ("https", "http") or not realm.netloc:
            raise RegistryError(f"{ref.registry}: no token realm in its challenge")
        if realm.scheme == "http" and not self.is_insecure(realm.netloc):
            raise RegistryError(f"{ref.registry}: token realm over plain HTTP refused")
        query = {"scope": params.get("scope") or f"repository:{ref.repository}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        headers = {"User-Agent": "arctui"}
        # The password goes only to the registry itself or over verified HTTPS.
        if basic and (realm.scheme == "https" or realm.netloc == host):
            headers["Authorization"] = basic
        path = (realm.path or "/") + "?" + urlencode(query)
        status, _, body = self._request(realm.scheme == "https", realm.netloc, "GET", path, headers)
        if status != 200:
            raise RegistryError(f"{ref.registry}: the token service answered HTTP {status}")
        try:
            data = json.loads(body)
            token = str(data.get("token") or data.get("access_token") or "")
        except (ValueError, AttributeError):
            token = ""
        if not token:
            raise RegistryError(f"{ref.registry}: the token service gave no token")
        return f"Bearer {token}"


def _network_reason(host: str, exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"registry {host} did not answer in time (timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return f"registry {host} unreachable: connection refused"
    if isinstance(exc, socket.gaierror):
        return f"registry {host}: name not resolved (offline?)"
    if isinstance(exc, ssl.SSLError):
        return f"registry {host}: TLS failed ({one_line(str(exc), 120)})"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"registry {host} unreachable: {one_line(text, 160)}"

"""Images: per service, what runs, its tag and digest, and whether the registry has newer.

What runs comes from the engine's container list (`ImageID`) and image list (`RepoTags`,
`RepoDigests`): two requests for the whole stack. What the registry has comes from one
HEAD per distinct reference (`sources/registry.py`, in parallel, cached). A service is
"update available" when the registry's digest for its tag is none of the running
image's repo digests. Floating tags (`latest`, no tag) on datastores are flagged: a pull
can change the major version under a database's files. No Textual.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from arctui.sources.base import SourceError
from arctui.sources.registry import (
    ImageRef,
    RegistryClient,
    RemoteDigest,
    insecure_from_info,
    load_docker_auth,
    parse_reference,
)

if TYPE_CHECKING:
    from arctui.models import StackSnapshot
    from arctui.session import Session

# Roles that keep state in their volumes (from the role catalog): a floating tag there
# is flagged.
DATASTORE_ROLES = frozenset({"postgres", "redis", "pulsar", "nats"})
PARALLEL_HEADS = 8
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"

# status values
UP_TO_DATE = "up to date"
UPDATE = "update available"
RECREATE = "pulled, not running"  # the tag moved locally; the container runs the old one
PINNED = "pinned"
UNKNOWN = "unknown"
NO_IMAGE = "no image"
LOCAL = "local build"  # no repo digest at all: built here, never pulled or pushed


@dataclass(frozen=True)
class ImageRow:
    """One service's image, and what the registry says about its tag."""

    service: str
    role: str
    image: str  # the reference compose uses (`127.0.0.1:15000/app:1`)
    tag: str  # '' when none (the engine uses latest)
    registry: str
    running_id: str = ""  # image id of the running container ('' when none runs)
    local_digest: str = ""  # the running image's repo digest for this name
    tag_id: str = ""  # the image id the tag points at locally now
    remote_digest: str = ""
    status: str = UNKNOWN
    reason: str = ""  # why the status is unknown, or what to do
    floating: bool = False
    datastore: bool = False
    cached: bool = False

    @property
    def flagged(self) -> bool:
        """A floating tag on a datastore."""
        return self.floating and self.datastore

    @property
    def update_available(self) -> bool:
        """Whether `update` would change what runs."""
        return self.status in (UPDATE, RECREATE)


@dataclass(frozen=True)
class ImagesReport:
    """Every service's image row, read at one moment."""

    project: str
    rows: tuple[ImageRow, ...]
    checked_at: float
    elapsed: float = 0.0  # seconds the whole check took
    note: str = ""  # the Docker config's credential helpers, the demo ...
    error: str = ""  # the engine could not be read: nothing else is known

    def row(self, service: str) -> ImageRow | None:
        """The row of `service`, if any."""
        return next((r for r in self.rows if r.service == service), None)

    def as_json(self) -> dict[str, Any]:
        """The report for `arctui images --json`."""
        data = asdict(self)
        for row, out in zip(self.rows, data["rows"], strict=True):
            out["update_available"] = row.update_available
            out["flagged"] = row.flagged
        return data


def repo_digest(digests: list[str], name: str) -> str:
    """The `sha256:..` of `name@sha256:..` among an image's RepoDigests, or ''."""
    for entry in digests:
        repo, _, digest = entry.partition("@")
        if repo == name:
            return digest
    return ""


def _tagged(images: list[dict[str, Any]], ref: ImageRef) -> dict[str, Any] | None:
    wanted = f"{ref.name}:{ref.effective_tag}"
    return next((i for i in images if wanted in (i.get("RepoTags") or ())), None)


def _local_only(engine: _Engine, service: str, ref: ImageRef) -> bool:
    """Neither the running image nor the tag's has a repo digest for this name: no
    registry was ever asked for it (built here, or re-tagged from another name)."""
    running = engine.images.get(engine.running.get(service, "")) or {}
    tagged = _tagged(engine.listed, ref) or {}
    if not running and not tagged:
        return False  # not on this host at all: the registry is the only place to look
    digests = [*(running.get("RepoDigests") or ()), *(tagged.get("RepoDigests") or ())]
    return not repo_digest([str(d) for d in digests], ref.name)


@dataclass
class _Engine:
    """The two engine reads of a check."""

    running: dict[str, str] = field(default_factory=dict)  # service -> running ImageID
    images: dict[str, dict[str, Any]] = field(default_factory=dict)  # Id -> image
    listed: list[dict[str, Any]] = field(default_factory=list)


def _read_engine(session: Session) -> _Engine:
    engine = session.engine
    assert engine is not None
    filters = {"label": [f"{PROJECT_LABEL}={session.project}"]}
    out = _Engine()
    for row in engine.containers(all=True, filters=filters) or ():
        labels = row.get("Labels") or {}
        service = str(labels.get(SERVICE_LABEL, ""))
        # A running replica wins over a stopped one left behind.
        if service and (service not in out.running or row.get("State") == "running"):
            out.running[service] = str(row.get("ImageID", ""))
    out.listed = list(engine.get_json("/images/json") or ())
    out.images = {str(i.get("Id", "")): i for i in out.listed}
    return out


class ImagesChecker:
    """Builds `ImagesReport`s for one session; owns the registry client and its cache."""

    def __init__(self, session: Session, client: RegistryClient | None = None) -> None:
        self.session = session
        self._client = client
        self.note = ""

    @property
    def client(self) -> RegistryClient:
        """The registry client, made on first use with the engine's insecure registries."""
        if self._client is None:
            environ = self.session.environ
            auth = load_docker_auth(environ)
            self.session.redactor.learn(auth.secrets())
            self.note = auth.note
            names: set[str] = set()
            cidrs: list[str] = []
            if self.session.engine is not None:
                # Unreadable: loopback stays insecure; other registries get HTTPS.
                with contextlib.suppress(SourceError):
                    names, cidrs = insecure_from_info(self.session.engine.info() or {})
            self._client = RegistryClient(
                auth,
                insecure=names,
                insecure_cidrs=cidrs,
                environ=environ,  # the PATH its credential helpers are found on
                learn=self.session.redactor.learn,  # a helper's secret, masked everywhere
            )
        return self._client

    def read(self, snapshot: StackSnapshot | None = None, force: bool = False) -> ImagesReport:
        """Check every service of the stack; `force` asks the registries again."""
        started, now = time.monotonic(), self.session.clock()
        snapshot = snapshot or self.session.reader.latest()
        if self.session.engine is None:
            rows = tuple(self._row(s.name, s.role, s.image, None, {}) for s in snapshot.services)
            note = "the demo platform has no registry: nothing was checked"
            return ImagesReport(self.session.project, rows, now, 0.0, note)
        try:
            engine = _read_engine(self.session)
        except SourceError as exc:
            return ImagesReport(self.session.project, (), now, 0.0, "", exc.reason)
        client = self.client
        wanted: dict[str, tuple[str, str, ImageRef | str]] = {}
        for service in snapshot.services:
            declared = service.declared.image if service.declared else ""
            image = declared or service.image
            try:
                wanted[service.name] = (service.role, image, parse_reference(image))
            except ValueError as exc:
                wanted[service.name] = (service.role, image, str(exc))
        refs = list(
            {
                r
                for service, (_, _, r) in wanted.items()
                if isinstance(r, ImageRef) and not r.digest and not _local_only(engine, service, r)
            }
        )
        with ThreadPoolExecutor(max_workers=PARALLEL_HEADS) as pool:
            found = pool.map(lambda r: client.digest(r, force), refs)
            answers = dict(zip(refs, found, strict=True))
        out: list[ImageRow] = []
        for name, (role, image, ref) in wanted.items():
            if isinstance(ref, str):
                out.append(ImageRow(name, role, image, "", "", status=NO_IMAGE, reason=ref))
                continue
            out.append(self._row(name, role, image, ref, answers, engine))
        return ImagesReport(
            self.session.project, tuple(out), now, time.monotonic() - started, self.note
        )

    def _row(
        self,
        service: str,
        role: str,
        image: str,
        ref: ImageRef | None,
        answers: dict[ImageRef, RemoteDigest],
        engine: _Engine | None = None,
    ) -> ImageRow:
        if ref is None:  # the demo: what the reference says, nothing else
            try:
                ref = parse_reference(image)
            except ValueError as exc:
                return ImageRow(service, role, image, "", "", status=NO_IMAGE, reason=str(exc))
            base = ImageRow(service, role, image, ref.tag or "", ref.registry)
            return _flags(base, ref, role, reason="not checked (demo)")
        engine = engine or _Engine()
        running_id = engine.running.get(service, "")
        running = engine.images.get(running_id) or {}
        local = repo_digest(list(running.get("RepoDigests") or ()), ref.name)
        tagged = _tagged(engine.listed, ref) or {}
        base = ImageRow(
            service,
            role,
            image,
            ref.tag or "",
            ref.registry,
            running_id=running_id,
            local_digest=local,
            tag_id=str(tagged.get("Id", "")),
        )
        if ref.digest:
            return _flags(base, ref, role, status=PINNED, reason="pinned by digest: no update")
        if _local_only(engine, service, ref):
            reason = "built on this host, never pulled from a registry: nothing to compare"
            return _flags(base, ref, role, status=LOCAL, reason=reason)
        answer = answers[ref]
        if answer.digest is None:
            return _flags(
                base, ref, role, status=UNKNOWN, reason=answer.reason, cached=answer.cached
            )
        tag_digests = list(tagged.get("RepoDigests") or ())
        if not running_id:
            status, reason = UNKNOWN, "no container runs it"
        elif local == answer.digest:
            status, reason = UP_TO_DATE, ""
        elif repo_digest(tag_digests, ref.name) == answer.digest:
            status, reason = RECREATE, "the newest image is pulled; the container runs an older one"
        else:
            status, reason = UPDATE, ""
        return _flags(
            base,
            ref,
            role,
            status=status,
            reason=reason,
            remote=answer.digest,
            cached=answer.cached,
        )


def _flags(
    row: ImageRow,
    ref: ImageRef,
    role: str,
    *,
    status: str = UNKNOWN,
    reason: str = "",
    remote: str = "",
    cached: bool = False,
) -> ImageRow:
    datastore = role in DATASTORE_ROLES
    floating = ref.floating
    if floating and datastore:
        pin = "floating tag on a datastore: pin a version"
        reason = f"{reason}; {pin}" if reason else pin
    return ImageRow(
        **{
            **asdict(row),
            "status": status,
            "reason": reason,
            "remote_digest": remote,
            "floating": floating,
            "datastore": datastore,
            "cached": cached,
        }
    )

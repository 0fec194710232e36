"""The images check: which status each service gets from the engine's two lists and the
registry's answer, and floating tags on datastores."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from arctui.config.masking import Redactor
from arctui.models import ContainerInfo, DeclaredService, ServiceView, StackSnapshot
from arctui.ops.maintenance.images import ImagesChecker
from arctui.sources.base import SourceError
from arctui.sources.registry import ImageRef, RegistryClient, RemoteDigest

A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64
OLD, NEW = "sha256:" + "1" * 64, "sha256:" + "2" * 64
R = "127.0.0.1:15000"


class FakeRegistry(RegistryClient):
    def __init__(self, answers: dict[str, str | None]) -> None:
        super().__init__()
        self.answers = answers
        self.asked: list[str] = []

    def digest(self, ref: ImageRef, force: bool = False) -> RemoteDigest:
        self.asked.append(ref.name)
        found = self.answers.get(ref.name)
        return RemoteDigest(found, "" if found else f"registry {ref.registry} down", 1.0)


class FakeEngine:
    def __init__(self, running: dict[str, str], images: list[dict[str, Any]]) -> None:
        self.running, self.images = running, images

    def containers(self, all: bool = False, filters: Any = None) -> list[dict[str, Any]]:
        return [
            {"Labels": {"com.docker.compose.service": s}, "ImageID": i, "State": "running"}
            for s, i in self.running.items()
        ]

    def get_json(self, path: str) -> Any:
        if path != "/images/json":
            raise AssertionError(path)
        return self.images

    def info(self) -> Any:
        return {}


def _session(engine: Any, services: list[tuple[str, str, str]]) -> Any:
    views = tuple(
        ServiceView(
            name,
            role,
            (ContainerInfo("c" + name, name, "p", name, image, "running"),),
            DeclaredService(name, image=image),
        )
        for name, role, image in services
    )
    snap = StackSnapshot("p", views, 0.0, "unix://")
    reader = SimpleNamespace(latest=lambda: snap)
    return SimpleNamespace(
        engine=engine,
        reader=reader,
        project="p",
        clock=lambda: 5.0,
        environ={"HOME": "/nonexistent"},
        redactor=Redactor(),
    )


def test_each_status_from_the_engine_and_the_registry():
    images = [
        {"Id": OLD, "RepoTags": [f"{R}/web:1"], "RepoDigests": [f"{R}/web@{A}"]},
        {"Id": "sha256:" + "3" * 64, "RepoTags": [f"{R}/api:1"], "RepoDigests": [f"{R}/api@{A}"]},
        {"Id": NEW, "RepoTags": [f"{R}/job:1"], "RepoDigests": [f"{R}/job@{B}"]},
        {"Id": "sha256:" + "4" * 64, "RepoTags": ["built:local"], "RepoDigests": []},
        {
            "Id": "sha256:" + "5" * 64,
            "RepoTags": [f"{R}/pg:latest"],
            "RepoDigests": [f"{R}/pg@{A}"],
        },
    ]
    running = {
        "web": OLD,
        "api": "sha256:" + "3" * 64,
        "job": OLD,  # the tag moved to NEW locally; the container still runs OLD
        "local": "sha256:" + "4" * 64,
        "db": "sha256:" + "5" * 64,
        "down": OLD,
    }
    images[0]["RepoTags"].append(f"{R}/down:1")
    images[0]["RepoDigests"].append(f"{R}/down@{A}")
    session = _session(
        FakeEngine(running, images),
        [
            ("web", "app", f"{R}/web:1"),
            ("api", "app", f"{R}/api:1"),
            ("job", "app", f"{R}/job:1"),
            ("local", "app", "built:local"),
            ("db", "postgres", f"{R}/pg"),
            ("pin", "redis", f"{R}/cache@{A}"),
            ("down", "app", f"{R}/down:1"),
        ],
    )
    registry = FakeRegistry({f"{R}/web": B, f"{R}/api": A, f"{R}/job": B, f"{R}/pg": A})
    report = ImagesChecker(session, registry).read()
    status = {r.service: r.status for r in report.rows}
    assert status == {
        "web": "update available",
        "api": "up to date",
        "job": "pulled, not running",
        "local": "local build",
        "db": "up to date",
        "pin": "pinned",
        "down": "unknown",
    }
    rows = {r.service: r for r in report.rows}
    assert rows["web"].update_available and rows["job"].update_available
    assert not rows["api"].update_available
    assert rows["db"].flagged and "floating tag on a datastore" in rows["db"].reason
    assert not rows["pin"].flagged and not rows["web"].flagged
    assert "registry 127.0.0.1:15000 down" in rows["down"].reason
    assert "built:local" not in registry.asked and f"{R}/cache" not in registry.asked
    assert sorted(registry.asked) == sorted(set(registry.asked))  # one HEAD per reference
    data = report.as_json()
    assert data["rows"][0]["update_available"] is True


def test_an_unreadable_engine_is_the_report_error():
    class Down(FakeEngine):
        def containers(self, all: bool = False, filters: Any = None) -> list[dict[str, Any]]:
            raise SourceError("cannot reach the Docker engine")

    session = _session(Down({}, []), [("web", "app", f"{R}/web:1")])
    report = ImagesChecker(session, FakeRegistry({})).read()
    assert report.rows == () and report.error == "cannot reach the Docker engine"

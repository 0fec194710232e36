"""Engine containers merged with compose declarations; StackReader's compose caching."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from arctui.models import (
    ComposeModel,
    ContainerInfo,
    DeclaredService,
    ServiceState,
)
from arctui.sources.base import EngineEvent, SourceError
from arctui.stack.catalog import parse_catalog
from arctui.stack.model import build_services
from arctui.stack.reader import StackReader


def ctr(name: str, service: str, state: str = "running", replica: int = 1, **kw) -> ContainerInfo:
    kw.setdefault("image", "img:1")
    return ContainerInfo(
        id=f"id-{name}",
        name=name,
        project="arc-platform",
        service=service,
        state=state,
        replica=replica,
        **kw,
    )


COMPOSE = ComposeModel(
    project="arc-platform",
    services=(
        DeclaredService(
            "postgres",
            image="postgres:16",
            container_name="arc-oracle-sql",
            labels={"arc.service.tech": "postgresql"},
        ),
        DeclaredService("api", image="arc/api:1", depends_on=("postgres", "redis")),
        DeclaredService("redis", image="redis:7", depends_on=()),
        DeclaredService("debug", image="busybox", container_name="arc-debug"),
    ),
)


# --- build_services --------------------------------------------------------------------------


def test_replicas_grouped_and_sorted_by_number() -> None:
    containers = [
        ctr("arc-platform-api-3", "api", replica=3),
        ctr("arc-platform-api-1", "api", replica=1),
        ctr("arc-platform-api-2", "api", state="exited", replica=2, exit_code=1),
    ]
    (api,) = [s for s in build_services(containers, COMPOSE) if s.name == "api"]
    assert [c.name for c in api.containers] == [
        "arc-platform-api-1",
        "arc-platform-api-2",
        "arc-platform-api-3",
    ]
    assert api.state is ServiceState.PARTIAL


def test_declared_order_then_orphans_sorted() -> None:
    containers = [
        ctr("zz-sidecar", ""),  # no compose service label: grouped by its name
        ctr("arc-oracle-sql", "postgres"),
        ctr("arc-platform-old-1", "old"),
    ]
    names = [s.name for s in build_services(containers, COMPOSE)]
    assert names == ["postgres", "api", "redis", "debug", "old", "zz-sidecar"]


def test_declared_but_absent_is_not_created() -> None:
    views = {s.name: s for s in build_services([ctr("arc-oracle-sql", "postgres")], COMPOSE)}
    debug = views["debug"]
    assert debug.state is ServiceState.NOT_CREATED
    assert debug.containers == ()
    assert debug.declared == COMPOSE.service("debug")
    assert debug.image == "busybox"
    assert views["postgres"].state is ServiceState.RUNNING


def test_orphan_containers_are_listed_without_declaration() -> None:
    views = {s.name: s for s in build_services([ctr("arc-platform-old-1", "old")], COMPOSE)}
    old = views["old"]
    assert old.declared is None
    assert old.depends_on == ()
    assert [c.name for c in old.containers] == ["arc-platform-old-1"]


def test_without_compose_only_containers() -> None:
    views = build_services([ctr("b", "redis"), ctr("a", "postgres")], None)
    assert [s.name for s in views] == ["postgres", "redis"]
    assert all(s.declared is None for s in views)


def test_depends_on_carried_from_declaration() -> None:
    views = {s.name: s for s in build_services([], COMPOSE)}
    assert views["api"].depends_on == ("postgres", "redis")
    assert views["redis"].depends_on == ()


def test_roles_from_container_labels_then_declaration() -> None:
    containers = [
        # engine label overrides: this `postgres` container says it is redis
        ctr("arc-oracle-sql", "postgres", labels={"arc.service.tech": "redis"}),
        ctr("arc-platform-api-1", "api"),
    ]
    views = {s.name: s for s in build_services(containers, COMPOSE)}
    assert views["postgres"].role == "redis"
    assert views["redis"].role == "redis"  # absent: from the declared image
    assert views["debug"].role == "other"
    assert views["api"].role == "app"  # by service name


def test_role_of_absent_service_uses_declared_labels_and_container_name() -> None:
    compose = ComposeModel(
        "p",
        services=(
            DeclaredService("db", labels={"arc.service.tech": "postgresql"}),
            DeclaredService("x", container_name="arc-sonic-cache"),
        ),
    )
    views = {s.name: s for s in build_services([], compose)}
    assert views["db"].role == "postgres"
    assert views["x"].role == "redis"


def test_custom_catalog_is_used() -> None:
    catalog = parse_catalog({"roles": {"mongo": {"images": ["mongo"]}}, "fallback": "misc"})
    views = build_services(
        [ctr("m", "m", image="mongo:7"), ctr("p", "p", image="postgres")], None, catalog
    )
    assert [(s.name, s.role) for s in views] == [("m", "mongo"), ("p", "misc")]


# --- StackReader ------------------------------------------------------------------------------


class FakeEngine:
    """ContainerSource double."""

    endpoint = "unix:///fake.sock"

    def __init__(self, containers: list[ContainerInfo]) -> None:
        self.items = containers
        self.projects: list[str] = []
        self.fail: SourceError | None = None

    def containers(self, project: str, known=None) -> list[ContainerInfo]:
        self.projects.append(project)
        if self.fail:
            raise self.fail
        return list(self.items)

    def follow_events(
        self,
        project: str,
        on_event: Callable[[EngineEvent], None],
        stop: threading.Event,
        since: float | None = None,
    ) -> None:
        return None

    def close(self) -> None:
        return None


class CountingCompose:
    """ComposeSource double that counts renders."""

    def __init__(self, model: ComposeModel | None = COMPOSE, error: str | None = None) -> None:
        self.calls = 0
        self.model_value = model
        self.error = error

    def model(self) -> ComposeModel:
        self.calls += 1
        if self.error:
            raise SourceError(self.error, "fix it")
        assert self.model_value is not None
        return self.model_value


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    compose_file = tmp_path / "docker-compose.yml"
    env_file = tmp_path / ".env"
    compose_file.write_text("services: {}\n")
    env_file.write_text("A=1\n")
    for path in (compose_file, env_file):
        os.utime(path, (1_000_000, 1_000_000))
    return compose_file, env_file


def bump(path: Path, mtime: float) -> None:
    os.utime(path, (mtime, mtime))


def test_reader_snapshot(files) -> None:
    engine = FakeEngine([ctr("arc-oracle-sql", "postgres")])
    reader = StackReader(
        "arc-platform", engine, CountingCompose(), watched_files=files, clock=lambda: 1234.5
    )
    snap = reader.read()
    assert engine.projects == ["arc-platform"]
    assert snap.project == "arc-platform"
    assert snap.taken_at == 1234.5
    assert snap.endpoint == "unix:///fake.sock"
    assert snap.compose_error is None
    assert [s.name for s in snap.services] == ["postgres", "api", "redis", "debug"]


def test_compose_rendered_only_when_a_watched_file_changes(files) -> None:
    compose_file, env_file = files
    compose = CountingCompose()
    reader = StackReader("p", FakeEngine([]), compose, watched_files=files)
    reader.read()
    reader.read()
    reader.read()
    assert compose.calls == 1
    bump(env_file, 1_000_100)
    reader.read()
    reader.read()
    assert compose.calls == 2
    bump(compose_file, 1_000_200)
    reader.read()
    assert compose.calls == 3
    reader.read(force_compose=True)
    assert compose.calls == 4
    reader.read()
    assert compose.calls == 4


def test_a_watched_file_appearing_or_vanishing_counts_as_change(tmp_path, files) -> None:
    later = tmp_path / ".env.prod"
    compose = CountingCompose()
    reader = StackReader("p", FakeEngine([]), compose, watched_files=(*files, later))
    reader.read()
    reader.read()
    assert compose.calls == 1
    later.write_text("X=1\n")
    reader.read()
    assert compose.calls == 2
    later.unlink()
    reader.read()
    assert compose.calls == 3


def test_compose_failure_keeps_engine_containers(files) -> None:
    compose = CountingCompose(error="compose config does not render: X must be set")
    engine = FakeEngine([ctr("arc-oracle-sql", "postgres"), ctr("arc-sonic-cache", "redis")])
    reader = StackReader("p", engine, compose, watched_files=files)
    snap = reader.read()
    assert snap.compose_error == "compose config does not render: X must be set"
    assert [s.name for s in snap.services] == ["postgres", "redis"]
    assert [s.role for s in snap.services] == ["postgres", "redis"]
    assert all(s.declared is None for s in snap.services)
    # The failure is remembered, not retried every poll ...
    reader.read()
    assert compose.calls == 1
    # ... until the files change, and a fixed config clears the error.
    compose.error = None
    bump(files[0], 2_000_000)
    snap = reader.read()
    assert compose.calls == 2
    assert snap.compose_error is None
    assert [s.name for s in snap.services] == ["postgres", "api", "redis", "debug"]


def test_no_compose_source(files) -> None:
    reader = StackReader("p", FakeEngine([ctr("a", "a")]), None, watched_files=files)
    assert reader.compose_model() == (None, None)
    snap = reader.read()
    assert snap.compose_error is None
    assert [s.name for s in snap.services] == ["a"]


def test_engine_failure_propagates(files) -> None:
    engine = FakeEngine([])
    engine.fail = SourceError("no Docker engine answers at unix:///fake.sock", "start it")
    reader = StackReader("p", engine, CountingCompose(), watched_files=files)
    with pytest.raises(SourceError, match="no Docker engine answers"):
        reader.read()

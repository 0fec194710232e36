"""Aggregates on ServiceView and PortBinding labels."""

from __future__ import annotations

import dataclasses

import pytest

from arctui.models import (
    ComposeModel,
    ContainerInfo,
    DeclaredService,
    PortBinding,
    ServiceState,
    ServiceView,
    StackSnapshot,
)


def ctr(state: str = "running", health: str | None = None, restarts: int = 0, **kw):
    kw.setdefault("name", "c")
    return ContainerInfo(
        id="f" * 64,
        project="arc-platform",
        service="svc",
        image=kw.pop("image", "img:1"),
        state=state,
        health=health,
        restart_count=restarts,
        **kw,
    )


def view(*containers: ContainerInfo, declared: DeclaredService | None = None) -> ServiceView:
    return ServiceView(name="svc", role="other", containers=containers, declared=declared)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ((), ServiceState.NOT_CREATED),
        (("running",), ServiceState.RUNNING),
        (("running", "running", "running"), ServiceState.RUNNING),
        (("restarting",), ServiceState.RESTARTING),
        (("running", "restarting"), ServiceState.RESTARTING),
        (("exited", "restarting"), ServiceState.RESTARTING),
        (("running", "exited"), ServiceState.PARTIAL),
        (("running", "created"), ServiceState.PARTIAL),
        (("running", "paused"), ServiceState.PARTIAL),
        (("paused",), ServiceState.PAUSED),
        (("paused", "paused"), ServiceState.PAUSED),
        (("exited",), ServiceState.STOPPED),
        (("created",), ServiceState.STOPPED),
        (("dead",), ServiceState.STOPPED),
        (("exited", "dead", "created"), ServiceState.STOPPED),
    ],
)
def test_state_aggregation(states: tuple[str, ...], expected: ServiceState) -> None:
    assert view(*(ctr(s) for s in states)).state is expected


def test_state_values_are_what_the_cli_prints() -> None:
    assert ServiceState.NOT_CREATED.value == "not created"
    assert str(ServiceState.PARTIAL) == "partial"


@pytest.mark.parametrize(
    ("healths", "expected"),
    [
        ((), None),
        ((None, None), None),
        (("healthy",), "healthy"),
        (("healthy", None), "healthy"),
        (("healthy", "starting"), "starting"),
        (("starting", "unhealthy", "healthy"), "unhealthy"),
        ((None, "unhealthy"), "unhealthy"),
    ],
)
def test_health_is_worst_of_replicas(healths, expected) -> None:
    assert view(*(ctr(health=h) for h in healths)).health == expected


def test_restart_count_is_summed() -> None:
    assert view(ctr(restarts=3), ctr(restarts=0), ctr(restarts=4)).restart_count == 7
    assert view().restart_count == 0


def test_image_from_container_else_declared() -> None:
    declared = DeclaredService("svc", image="postgres:16")
    assert view(ctr(image="postgres:15"), declared=declared).image == "postgres:15"
    assert view(declared=declared).image == "postgres:16"
    assert view().image == ""


def test_short_id() -> None:
    assert ctr().short_id == "f" * 12


def test_values_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctr().state = "exited"  # type: ignore[misc]


def test_lookups_by_name() -> None:
    model = ComposeModel("p", services=(DeclaredService("a"), DeclaredService("b")))
    assert model.service("b") == DeclaredService("b")
    assert model.service("zz") is None
    snapshot = StackSnapshot("p", (ServiceView("a", "other"),), taken_at=0.0, endpoint="x")
    assert snapshot.service("a") is not None
    assert snapshot.service("b") is None


@pytest.mark.parametrize(
    ("port", "label"),
    [
        (PortBinding(5432, host_port=5432), "5432"),
        (PortBinding(5432, host_ip="0.0.0.0", host_port=5432), "5432"),
        (PortBinding(5432, host_ip="::", host_port=5432), "5432"),
        (PortBinding(8080, host_port=8082), "8082->8080"),
        (PortBinding(6379, host_ip="127.0.0.1", host_port=6379), "127.0.0.1:6379"),
        (PortBinding(8080, host_ip="127.0.0.1", host_port=3001), "127.0.0.1:3001->8080"),
        (PortBinding(53, "udp", host_port=53), "53/udp"),
        (PortBinding(53, "udp", host_port=5353), "5353->53/udp"),
        (PortBinding(5432), "(5432)"),
        (PortBinding(53, "udp"), "(53/udp)"),
    ],
)
def test_port_label(port: PortBinding, label: str) -> None:
    assert port.label() == label


def test_port_label_ipv6_host_is_bracketed() -> None:
    assert PortBinding(6379, host_ip="::1", host_port=6379).label() == "[::1]:6379"

"""The Resources tab and its reader against real containers on the real engine.

Each test makes its own short-lived busybox containers (host network, a label of this run,
labelled as a compose project of their own so the reader finds them) and removes them in
a `finally`. Both ways of reading are covered: cgroups (the default on the Docker host)
and the Engine API fallback.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container

from arctui.config.settings import Settings
from arctui.session import Session
from arctui.sources.docker_engine import DockerSource
from arctui.stack.reader import StackReader
from arctui.tabs.resources.models import ContainerStats, ResourcesSnapshot
from arctui.tabs.resources.reader import ResourcesReader, real_reader
from arctui.tabs.resources.view.tab import ResourcesTab
from arctui.ui.app import ArcApp
from tests.integration import stack
from tests.ui.conftest import wait_for

RUN = uuid.uuid4().hex[:8]
PROJECT = f"arctui-restest-{RUN}"
LABEL = "arctui-restest"
MODES = ("cgroup", "api")
M = 2**20


@pytest.fixture(scope="module")
def dc() -> Iterator[docker.DockerClient]:
    """A Docker client, with the busybox image built; skip (fail in CI) without an engine."""
    try:
        stack.ensure_engine()
        stack.check_host()
        stack.build_images()
    except RuntimeError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no engine: {exc}")
        pytest.skip(f"no engine: {exc}")
    client = stack.client()
    try:
        yield client
    finally:
        for c in client.containers.list(all=True, filters={"label": f"{LABEL}={RUN}"}):
            c.remove(force=True)
        client.close()


@pytest.fixture
def make(dc: docker.DockerClient) -> Iterator[Callable[..., Container]]:
    """Start a container of this run; every one is removed at the end of the test."""
    made: list[Container] = []

    def run(service: str, command: str | list[str], **kw) -> Container:
        container = dc.containers.run(
            stack.BUSYBOX_IMAGE,
            command,
            detach=True,
            network_mode="host",
            name=f"{PROJECT}-{service}-{uuid.uuid4().hex[:4]}",
            labels={
                LABEL: RUN,
                "com.docker.compose.project": PROJECT,
                "com.docker.compose.service": service,
            },
            **kw,
        )
        made.append(container)
        return container

    try:
        yield run
    finally:
        for container in made:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


def row(snap: ResourcesSnapshot, container: Container) -> ContainerStats | None:
    return snap.container(str(container.id))


def poll(
    reader: ResourcesReader,
    done: Callable[[ResourcesSnapshot], bool],
    timeout: float,
    every: float = 0.5,
) -> tuple[ResourcesSnapshot, float]:
    """Read until `done(snapshot)`; returns it and the seconds it took."""
    start = time.monotonic()
    while True:
        snap = reader.read()
        if done(snap):
            return snap, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not reached in {timeout} s; last: {snap.containers}")
        time.sleep(every)


def cgroup_cpu_seconds(container: Container) -> float:
    """The container's CPU time from its own cgroup, read independently of arctui."""
    container.reload()
    pid = container.attrs["State"]["Pid"]
    lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(","):  # cgroup v1
            usage = Path("/sys/fs/cgroup/cpuacct") / path.lstrip("/") / "cpuacct.usage"
            return int(usage.read_text()) / 1e9
    for line in lines:
        if line.startswith("0::"):  # cgroup v2
            stat = Path("/sys/fs/cgroup") / line[3:].lstrip("/") / "cpu.stat"
            fields = dict(x.split() for x in stat.read_text().splitlines())
            return int(fields["usage_usec"]) / 1e6
    raise AssertionError(f"no cpu cgroup for pid {pid}")


def agrees(shown: float, truth: float) -> bool:
    """arctui's CPU % against the independent figure: 15 points or 25 %, whichever is wider."""
    return abs(shown - truth) <= max(15.0, 0.25 * truth)


@pytest.mark.parametrize("mode", MODES)
def test_cpu_burner_matches_its_own_cgroup_counter(make, mode: str) -> None:
    """On a busy machine the burner may get less than a core: compare, don't threshold."""
    burner = make("burner", ["sh", "-c", "while :; do :; done"])
    reader = real_reader(PROJECT, mode=mode)
    try:
        snap, _ = poll(reader, lambda s: (r := row(s, burner)) is not None and r.cpu_pct, 10)
        results = []
        for _ in range(3):  # the figure of one read against the counter over its window
            t0, u0 = time.monotonic(), cgroup_cpu_seconds(burner)
            reader.read()
            time.sleep(1.0)
            snap = reader.read()
            t1, u1 = time.monotonic(), cgroup_cpu_seconds(burner)
            r = row(snap, burner)
            assert r is not None and r.cpu_pct is not None
            truth = (u1 - u0) / (t1 - t0) * 100
            results.append((r.cpu_pct, truth))
            if agrees(r.cpu_pct, truth):
                break
        assert any(agrees(shown, truth) for shown, truth in results), f"{mode}: {results}"
        assert snap.mode == ("engine API" if mode == "api" else f"cgroup v{snap.mode[-1]}")
        r = row(snap, burner)
        assert r is not None and r.host_network and r.net_rx is None  # host network: "host"
        assert r.pids is not None and r.pids >= 1
        assert snap.host.ncpu >= 1
    finally:
        reader.close()


@pytest.mark.parametrize("mode", MODES)
def test_memory_shows_against_its_limit(make, mode: str) -> None:
    # /dev/shm is tmpfs: its pages are charged to the container and cannot be reclaimed,
    # unlike the page cache a `docker stats`-like reading must leave out.
    filler = make(
        "filler",
        ["sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=56 2>/dev/null; sleep 600"],
        mem_limit="64m",
        memswap_limit="64m",
    )
    reader = real_reader(PROJECT, mode=mode)
    try:
        snap, _ = poll(reader, lambda s: (((r := row(s, filler)) and r.mem) or 0) >= 50 * M, 15)
        r = row(snap, filler)
        assert r is not None and r.mem_limit == 64 * M
        assert r.mem_pct is not None and 80 <= r.mem_pct <= 100
        assert r.mem_warning  # flagged: above 80 % of its limit
        stats = filler.stats(stream=False, one_shot=True)["memory_stats"]
        assert abs((r.mem or 0) - stats["usage"]) < 8 * M  # agrees with the engine
    finally:
        reader.close()


def test_oom_killed_container_is_marked_and_listed(make) -> None:
    reader = real_reader(PROJECT)
    stop = threading.Event()
    follower = threading.Thread(target=reader.follow_events, args=(lambda a: None, stop))
    follower.start()
    try:
        time.sleep(0.3)  # subscribed before the kills happen
        # The main process itself is killed: the container exits 137, OOMKilled.
        killed = make(
            "hog",
            ["/dev/zero"],
            entrypoint="tail",
            mem_limit="32m",
            memswap_limit="32m",
        )
        # Only a child is killed: the container lives on; the `oom` event is the evidence.
        survivor = make(
            "survivor",
            ["sh", "-c", "sleep 1; tail /dev/zero; sleep 600"],
            mem_limit="32m",
            memswap_limit="32m",
        )

        def both_marked(s: ResourcesSnapshot) -> bool:
            a, b = row(s, killed), row(s, survivor)
            return bool(a and b and a.oom_killed and b.oom_killed and not a.running)

        snap, _ = poll(reader, both_marked, 20)
        listed = {e.container_id for e in snap.oom_events}
        assert {killed.id, survivor.id} <= listed
        survivor_row = row(snap, survivor)
        assert survivor_row is not None and survivor_row.running
        names = {e.name for e in snap.oom_events}
        assert killed.name in names and survivor.name in names
    finally:
        stop.set()
        reader.close()
        follower.join(10)


@pytest.mark.parametrize("mode", MODES)
def test_container_removed_while_read_disappears(make, mode: str) -> None:
    doomed = make("doomed", ["sh", "-c", "while :; do sleep 1; done"])
    stays = make("stays", ["sh", "-c", "while :; do sleep 1; done"])
    reader = real_reader(PROJECT, mode=mode)
    try:
        poll(reader, lambda s: row(s, doomed) is not None and row(s, stays) is not None, 10)
        doomed.remove(force=True)
        snap = reader.read()  # no events followed: the reader re-lists, or finds it gone
        assert row(snap, doomed) is None and row(snap, stays) is not None
    finally:
        reader.close()


def live_app(mode: str = "auto") -> ArcApp:
    session = Session(
        env="test",
        production=False,
        project=PROJECT,
        settings=Settings(),
        reader=StackReader(PROJECT, DockerSource(), None),
        read_only=True,
        resources=real_reader(PROJECT, mode=mode),
    )
    return ArcApp(session)


def cell(tab: ResourcesTab, container: Container, column: str) -> str:
    return tab.table.cell(str(container.id), column).plain


async def test_tab_shows_burner_then_drops_it_when_removed(make) -> None:
    burner = make("burner", ["sh", "-c", "while :; do :; done"])
    idle = make("idle", ["sh", "-c", "while :; do sleep 1; done"])
    app = live_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("2")
        tab = app.query_one(ResourcesTab)

        def shown_cpu() -> float | None:
            try:
                return float(cell(tab, burner, "cpu"))
            except Exception:
                return None

        # The tab shows the burner's figure; it agrees with the cgroup over a few seconds.
        # A rate needs two readings: the first one shows 0.0 until the second arrives.
        await wait_for(pilot, lambda: (shown_cpu() or 0.0) > 0.0, timeout=10)
        t0, u0 = time.monotonic(), cgroup_cpu_seconds(burner)
        samples = []
        for _ in range(4):
            await pilot.pause(1.0)
            samples.append(shown_cpu() or 0.0)
        truth = (cgroup_cpu_seconds(burner) - u0) / (time.monotonic() - t0) * 100
        assert agrees(sum(samples) / len(samples), truth), (samples, truth)
        assert cell(tab, burner, "rx") == "host"
        assert "cgroup" in (tab.snapshot.mode if tab.snapshot else "")
        burner.remove(force=True)
        await wait_for(pilot, lambda: tab.table.row_count == 1, timeout=5)
        assert tab.table.row_keys == [idle.id]
        assert tab.failure is None
        assert app.is_running

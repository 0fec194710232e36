"""`arctui agent` and its source (issue 24): the wire format, the agent source over a
process that stands in for `ssh host arctui agent`, the API fallback, and the command
running without a compose project."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from arctui.cli import main
from arctui.tabs.resources.models import ContainerStats, HostStats, OomEvent, ResourcesSnapshot
from arctui.tabs.resources.remote import AgentResources
from arctui.tabs.resources.wire import WireError, decode, encode


def _snapshot(taken_at: float = 1000.0, mode: str = "cgroup v2") -> ResourcesSnapshot:
    row = ContainerStats(
        id="a" * 64,
        name="app-web-1",
        service="web",
        state="running",
        cpu=0.25,
        mem=10 << 20,
        mem_limit=1 << 30,
        pids=3,
        sampled_at=taken_at - 0.1,
    )
    db = ContainerStats(id="b" * 64, name="app-db-1", service="db", state="exited")
    return ResourcesSnapshot(
        project="app",
        containers=(row, db),
        host=HostStats(ncpu=4, cpu=12.5, mem_total=8 << 30, docker_root="/var/lib/docker"),
        taken_at=taken_at,
        mode=mode,
        oom_events=(OomEvent(990.0, "b" * 64, "app-db-1", "db"),),
    )


def test_wire_round_trip() -> None:
    snap = _snapshot()
    assert decode(encode(snap)) == snap
    assert "\n" not in encode(snap)


def _body(snap: ResourcesSnapshot) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(encode(snap))
    return data


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["snapshot"]["containers"][0].update(cpu="lots"),
        lambda d: d["snapshot"]["containers"][0].update(pids=True),  # a bool is no count
        lambda d: d["snapshot"]["containers"][0].update(mem=[1]),
        lambda d: d["snapshot"]["host"].update(ncpu=None),
        lambda d: d["snapshot"].update(containers={}),
        lambda d: d["snapshot"]["containers"][0].pop("id"),
        lambda d: d.update(v=2),
    ],
)
def test_wire_refuses_what_is_not_a_snapshot(spoil: Any) -> None:
    data = _body(_snapshot())
    spoil(data)
    with pytest.raises(WireError):
        decode(json.dumps(data))


def test_wire_refuses_non_finite_numbers() -> None:
    line = encode(_snapshot()).replace('"cpu":0.25', '"cpu":NaN')
    with pytest.raises(WireError):
        decode(line)


def test_wire_ignores_unknown_keys_and_caps_text() -> None:
    data = _body(_snapshot())
    data["snapshot"]["containers"][0]["future_field"] = 1
    data["snapshot"]["containers"][0]["name"] = "x" * 10_000
    snap = decode(json.dumps(data))
    assert len(snap.containers[0].name) == 512


class FakeHost:
    """Stands in for SshHost: `popen` runs a local command instead of one over SSH."""

    url = "ssh://fake"
    timeout = 5.0

    def __init__(self, script: str) -> None:
        self.script = script
        self.argv: list[str] = []

    def popen(self, argv: Sequence[str], cwd: str | None = None) -> subprocess.Popen[bytes]:
        self.argv = list(argv)
        return subprocess.Popen(
            [sys.executable, "-c", self.script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )


class FakeApi:
    """The API fallback: a ResourcesReader's surface."""

    def __init__(self) -> None:
        self.reads = 0
        self.closed = False
        self.events = type("E", (), {"drain": staticmethod(lambda: [])})()

    def read(self) -> ResourcesSnapshot:
        self.reads += 1
        return _snapshot(time.time(), mode="engine API")

    def close(self) -> None:
        self.closed = True


def _source(script: str, **kw: Any) -> tuple[AgentResources, FakeHost, FakeApi]:
    host, api = FakeHost(script), FakeApi()
    source = AgentResources("app", host, api, **kw)  # type: ignore[arg-type]
    return source, host, api


def _agent_script(lines: int, taken_at: float) -> str:
    line = encode(_snapshot(taken_at))
    return (
        "import sys, time\n"
        f"for _ in range({lines}):\n"
        f"    print({line!r}, flush=True)\n"
        "    time.sleep(0.05)\n"
        "time.sleep(30)\n"
    )


def test_agent_lines_are_the_figures_on_this_clock() -> None:
    skewed = time.time() - 3600  # the remote clock is an hour behind
    source, host, api = _source(_agent_script(3, skewed))
    try:
        before = time.time()
        snap = source.read()
        assert host.argv == ["arctui", "agent", "-p", "app", "--interval", "1"]
        assert snap.mode == "agent: cgroup v2"
        assert api.reads == 0
        assert snap.taken_at >= before  # received now, not an hour ago
        web = snap.container("a" * 64)
        assert web is not None and web.cpu == 0.25
        assert web.sampled_at is not None and abs(snap.taken_at - 0.1 - web.sampled_at) < 1e-6
    finally:
        source.close()
    assert api.closed


def test_declared_limits_are_applied_here() -> None:
    declared = {"web": (512 << 20, 0.5)}
    source, _, _ = _source(_agent_script(1, time.time()), declared=lambda: declared)
    try:
        web = source.read().container("a" * 64)
    finally:
        source.close()
    assert web is not None and web.declared_mem_limit == 512 << 20
    assert web.declared_cpu_limit == 0.5


def test_no_agent_on_the_host_falls_back_to_the_api_and_says_so() -> None:
    script = "import sys; sys.stderr.write('sh: 1: arctui: not found\\n'); sys.exit(127)"
    source, _, api = _source(script)
    try:
        snap = source.read()
        deadline = time.monotonic() + 10
        while "no arctui agent" not in snap.mode and time.monotonic() < deadline:
            snap = source.read()
        assert snap.mode == "engine API (no arctui agent on the host)"
        assert "arctui: not found" in source.reason
        assert api.reads >= 1
        starts = source.starts
        source.read()
        assert source.starts == starts  # not tried again: it is not installed
    finally:
        source.close()


def test_garbage_from_the_agent_falls_back() -> None:
    source, _, api = _source("print('hello', flush=True)\nimport time; time.sleep(30)")
    try:
        deadline = time.monotonic() + 10
        snap = source.read()
        while "not understood" not in snap.mode and time.monotonic() < deadline:
            snap = source.read()
        assert snap.mode == "engine API (agent output not understood)" and api.reads >= 1
    finally:
        source.close()


def test_close_stops_the_agent_process() -> None:
    source, _, _ = _source(_agent_script(1, time.time()))
    source.read()
    proc = source._proc
    assert proc is not None and proc.poll() is None
    source.close()
    assert proc.poll() is not None


def test_agent_command_runs_without_a_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no compose file here
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    done: list[int] = []
    worker = threading.Thread(
        target=lambda: done.append(main(["agent", "-p", "app", "--count", "1"])), daemon=True
    )
    worker.start()
    worker.join(60)
    out, err = capsys.readouterr()
    assert done == [0], err
    line = json.loads(out.splitlines()[0])
    assert line["v"] == 1 and "no Docker engine answers" in line["error"]
    assert "compose file" not in err


def test_agent_line_shape_matches_the_wire() -> None:
    line = encode(dataclasses.replace(_snapshot(), containers=()))
    assert decode(line).containers == ()


def _session(docker_host: str, environ: dict[str, str]) -> Any:
    """What `session_source` reads of a Session: not a demo, a reader, an engine."""
    from types import SimpleNamespace

    from arctui.sources.engine import EngineClient

    reader = SimpleNamespace(project="app", compose_model=lambda: (None, None))
    engine = EngineClient({"DOCKER_HOST": docker_host})
    return SimpleNamespace(demo=False, reader=reader, environ=environ, engine=engine, events=None)


def test_an_ssh_engine_reads_its_figures_from_the_agent_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default fleet_ssh_bench measured: on the host, the agent costs a fraction of the
    engine's one-shot stats (the API fallback), so an ssh:// engine starts the agent and
    uses the API only when the agent cannot run there, or when told (`ARCTUI_STATS_SOURCE`)."""
    from arctui.sources.ssh import SshHost
    from arctui.tabs.resources.reader import ResourcesReader
    from arctui.tabs.resources.source import session_source

    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    made = []
    try:
        remote = session_source(_session("ssh://deploy@stage", {}))
        made.append(remote)
        assert isinstance(remote, AgentResources)
        assert remote.host is SshHost.for_url("ssh://deploy@stage")
        assert isinstance(remote.fallback, ResourcesReader)  # the API when it cannot run
        assert remote.argv()[-4:] == ["-p", "app", "--interval", "1"]
        told = session_source(_session("ssh://deploy@stage", {"ARCTUI_STATS_SOURCE": "api"}))
        made.append(told)
        assert isinstance(told, ResourcesReader)
        local = session_source(_session(f"unix://{tmp_path}/docker.sock", {}))
        made.append(local)
        assert isinstance(local, ResourcesReader)  # cgroups here: no agent, no ssh
    finally:
        for source in made:
            source.close()
        for host in list(SshHost._registry.values()):
            host.close()

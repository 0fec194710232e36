"""`docker exec`, volumes and networks through the session's engine client, on the real
engine, against the docker CLI's own answers; on both transports, and with no SDK import
on the local socket (the first-frame rule).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from arctui.ops.health.probes import ExecRunner
from arctui.sources.base import SourceError
from arctui.sources.engine import EngineClient
from tests.integration.stack import GATEWAY_CONTAINER, PROJECT_LABEL, RunningStack

# stdout and stderr both written, and an exit code that is neither 0 nor 1.
COMMAND = ["sh", "-c", "echo out-1; echo err-1 >&2; echo out-2; exit 3"]


def _sdk() -> EngineClient:
    client = EngineClient({})
    client.local_socket = lambda: None  # type: ignore[method-assign]
    client._resolved = ({"base_url": "unix:///var/run/docker.sock"}, "sdk")
    return client


def _docker(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["docker", *args], capture_output=True, timeout=60, check=False)


@pytest.fixture(params=["unix", "sdk"])
def client(request: pytest.FixtureRequest, test_stack: RunningStack):
    engine = EngineClient({}) if request.param == "unix" else _sdk()
    yield engine
    engine.close()


def test_exec_output_and_exit_code_match_docker_exec(
    test_stack: RunningStack, client: EngineClient
) -> None:
    cli = _docker("exec", GATEWAY_CONTAINER, *COMMAND)
    exec_id = client.exec_create(GATEWAY_CONTAINER, COMMAND)
    frames = client.exec_start(exec_id, timeout=20)
    code = client.exec_inspect(exec_id)["ExitCode"]
    assert code == cli.returncode
    assert b"".join(d for s, d in frames if s == "stdout") == cli.stdout
    assert b"".join(d for s, d in frames if s == "stderr") == cli.stderr

    runner_code, out = ExecRunner(client, timeout=20).run(GATEWAY_CONTAINER, COMMAND)
    assert runner_code == cli.returncode
    # The runner gives both streams as one text, each stream in its own order.
    lines = out.splitlines()
    assert [x for x in lines if x.startswith("out")] == cli.stdout.decode().splitlines()
    assert [x for x in lines if x.startswith("err")] == cli.stderr.decode().splitlines()


def test_a_missing_program_gives_docker_execs_exit_code(
    test_stack: RunningStack, client: EngineClient
) -> None:
    cli = _docker("exec", GATEWAY_CONTAINER, "arctui-no-such-program")
    code, out = ExecRunner(client, timeout=20).run(GATEWAY_CONTAINER, ["arctui-no-such-program"])
    assert cli.returncode != 0 and code == cli.returncode
    assert "arctui-no-such-program" in out


def test_exec_start_ends_at_its_timeout(test_stack: RunningStack, client: EngineClient) -> None:
    sleep = 30
    started = time.monotonic()
    with pytest.raises(SourceError):
        ExecRunner(client, timeout=1).run(GATEWAY_CONTAINER, ["sleep", str(sleep)])
    assert time.monotonic() - started < sleep / 2  # the command itself would take 30 s


def test_volumes_and_networks_match_the_cli(test_stack: RunningStack, client: EngineClient) -> None:
    label = f"{PROJECT_LABEL}={test_stack.project}"
    fmt = "{{json .}}"
    cli_volumes = _docker("volume", "ls", "--filter", f"label={label}", "--format", fmt)
    want = sorted(json.loads(x)["Name"] for x in cli_volumes.stdout.splitlines())
    assert want, "the test stack has named volumes"
    assert sorted(v["Name"] for v in client.volumes(filters={"label": [label]})) == want

    cli_networks = _docker("network", "ls", "--no-trunc", "--format", fmt)
    rows = [json.loads(x) for x in cli_networks.stdout.splitlines()]
    want_nets = sorted((r["ID"], r["Name"], r["Driver"]) for r in rows)
    got = sorted((n["Id"], n["Name"], n["Driver"]) for n in client.networks())
    assert got == want_nets


def test_exec_volumes_and_networks_never_import_the_sdk_on_the_local_socket(
    test_stack: RunningStack,
) -> None:
    code = (
        "import sys\n"
        "from arctui.ops.health.probes import ExecRunner\n"
        "from arctui.sources.engine import EngineClient\n"
        "c = EngineClient({})\n"
        f"print(ExecRunner(c, 20).run({GATEWAY_CONTAINER!r}, ['true'])[0])\n"
        "c.volumes(); c.networks()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'requests')))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["0", "[]"]

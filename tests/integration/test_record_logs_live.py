"""The recorder's log counts read from the engine's json-file logs match the counts
followed through the Engine API, line for line, on real containers.

A private compose project (`arctui-test-reclogs`, the stack's busybox image, host network)
whose writers wait for a trigger file, then write known lines: info and error lines on
both streams, a 40 KB line (split by the engine over several json objects), a TTY
service, and a service with a 2 KB `max-size` that rotates several times between two
counts (the engine's own follower loses lines there; the files do not). A service
started after the first count is read from its first line.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from arctui.config.settings import Settings
from arctui.record.frame import LogCounts
from arctui.record.log_counts import LogCounter
from arctui.session import Session
from arctui.sources.docker_engine import DockerSource
from arctui.sources.engine import EngineClient
from arctui.stack.reader import StackReader
from tests.integration.stack import BUSYBOX_IMAGE, RunningStack

PROJECT = "arctui-test-reclogs"

WRITER = r"""trap 'exit 0' TERM INT
while [ ! -e /trigger/go ]; do sleep 0.1; done
i=0
while [ $i -lt $N ]; do
  echo "info line $i of $SVC"
  echo "ERROR: failure $i of $SVC" >&2
  i=$((i+1))
done
head -c 40000 /dev/zero | tr '\0' 'y'; echo
touch /trigger/done-$SVC
while true; do sleep 5 & wait; done
"""


def _service(name: str, n: int, **extra: object) -> str:
    lines = [
        f"  {name}:",
        f"    image: {BUSYBOX_IMAGE}",
        "    network_mode: host",
        "    command: ['sh', '/trigger/writer.sh']",
        "    stop_grace_period: 1s",
        f"    environment: {{N: '{n}', SVC: '{name}'}}",
        "    volumes: ['./:/trigger']",
    ]
    lines += [f"    {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines)


ROTATE = "{driver: json-file, options: {max-size: 2k, max-file: '9'}}"
COMPOSE = "\n".join(
    [
        "services:",
        _service("plain", 30),
        _service("console", 10, tty="true"),
        # 60 lines of ~30 bytes each as json objects: ~8 KB, four rotations at 2 KB
        _service(
            "rotating", 30, logging="{driver: json-file, options: {max-size: 2k, max-file: '9'}}"
        ),
        _service("late", 5, profiles="[late]"),
    ]
)
# Lines each service writes: N info, N errors, the long line.
EXPECTED = {"plain": (61, 30), "console": (21, 10), "rotating": (61, 30), "late": (11, 5)}


def _compose(directory: Path, *args: str) -> None:
    proc = subprocess.run(
        ["docker", "compose", "-p", PROJECT, "-f", str(directory / "docker-compose.yml"), *args],
        cwd=directory, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"compose {' '.join(args)}: {proc.stdout}\n{proc.stderr}")


@pytest.fixture(scope="module")
def project(test_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("reclogs")
    (directory / "docker-compose.yml").write_text(COMPOSE)
    (directory / "writer.sh").write_text(WRITER)
    _compose(directory, "down", "-v", "-t", "1", "--remove-orphans")
    try:
        _compose(directory, "up", "-d")
        yield directory
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            _compose(directory, "--profile", "late", "down", "-v", "-t", "1", "--remove-orphans")


def _session() -> Session:
    return Session(
        env="test",
        production=False,
        project=PROJECT,
        settings=Settings(),
        reader=StackReader(PROJECT, DockerSource(), None),
        read_only=True,
        engine=EngineClient(),
    )


STEADY = ("plain", "console", "late")  # not rotating


def _got(total: dict[str, list], services: tuple[str, ...] = tuple(EXPECTED)) -> dict:
    return {s: tuple(total.get(s, [0, 0])[:2]) for s in services}


def _add(total: dict[str, list], counts: LogCounts) -> None:
    for name, c in counts.services.items():
        entry = total.setdefault(name, [0, 0, []])
        entry[0] += c.lines
        entry[1] += c.errors
        entry[2] += list(c.last_errors)


def test_file_counts_match_the_engine_stream(project: Path) -> None:
    session = _session()
    session.reader.read()
    files, engine = LogCounter(session, files=True), LogCounter(session, files=False)
    try:
        assert files.mode == "files" and engine.mode == "engine"
        time.sleep(1.0)  # the engine path's streams are open (its window starts at now)
        totals: dict[str, dict[str, list]] = {"files": {}, "engine": {}}
        for name, counter in (("files", files), ("engine", engine)):
            _add(totals[name], counter.take(time.time()))  # first count: nothing yet
        (project / "go").touch()
        _compose(project, "--profile", "late", "up", "-d", "late")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            time.sleep(1.0)
            session.reader.read()  # the sampler reads the stack before the logs
            for name, counter in (("files", files), ("engine", engine)):
                _add(totals[name], counter.take(time.time()))
            done = all((project / f"done-{s}").exists() for s in EXPECTED)
            if (
                done
                and _got(totals["files"]) == EXPECTED
                and _got(totals["engine"], STEADY) == {s: EXPECTED[s] for s in STEADY}
            ):
                break
        assert files.mode == "files", files.fallback_reason
        # What the writers wrote, exactly, from the files; the engine's stream agrees where
        # it can (it loses lines when the file rotates several times under a follower).
        assert _got(totals["files"]) == EXPECTED
        assert _got(totals["engine"], STEADY) == {s: EXPECTED[s] for s in STEADY}
        assert totals["files"]["plain"][2][-1] == "ERROR: failure 29 of plain"
        assert totals["files"]["console"][2][-1] == totals["engine"]["console"][2][-1]
    finally:
        files.close()
        engine.close()
        session.close()

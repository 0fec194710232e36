"""The gate against the real test stack: no audit record on disk, no action.

The state dir sits on a full 512 KiB tmpfs: the audit log opens, the write fails.
Headless `restart gateway --yes` must refuse, exit non-zero and leave the container
alone (its StartedAt is read from the engine before and after).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.stack import GATEWAY_CONTAINER, RunningStack, compose_env, wait_settled


@pytest.fixture
def full_state_dir(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "state"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode(errors='replace')}")
    try:
        (mnt / "arctui").mkdir(mode=0o700)
        (mnt / "arctui" / "audit.jsonl").touch(mode=0o600)  # opening it works
        with contextlib.suppress(OSError), (mnt / "filler").open("wb", buffering=0) as f:
            while True:
                f.write(b"\0" * 4096)
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_headless_restart_on_a_full_disk_refuses_and_changes_nothing(
    test_stack: RunningStack, full_state_dir: Path
):
    container = test_stack.client.containers.get(GATEWAY_CONTAINER)
    before = container.attrs["State"]["StartedAt"]
    argv = [sys.executable, "-m", "arctui", "--project-dir", str(test_stack.stack_dir)]
    argv += ["-f", str(test_stack.compose_file), "-p", test_stack.project]
    argv += ["restart", "gateway", "--yes"]
    env = {**compose_env(), "XDG_STATE_HOME": str(full_state_dir)}
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL
    )
    container.reload()
    after = container.attrs["State"]["StartedAt"]
    if after != before:  # the bug: put the stack back for the other tests
        wait_settled(test_stack.client, timeout=90)
    assert done.returncode == 2, done.stderr
    assert "REFUSED" in done.stderr and "No space left on device" in done.stderr
    assert "Traceback" not in done.stderr
    assert after == before
    assert (full_state_dir / "arctui" / "audit.jsonl").read_bytes() == b""

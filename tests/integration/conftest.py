"""Pytest plumbing for the integration tests: the real Docker test stack, session-wide."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration import stack
from tests.integration.extra_engines import (  # noqa: F401  (session fixture, its timings)
    extra_engines,
    pytest_terminal_summary,
)
from tests.integration.faults import faults  # noqa: F401  (session fixture)
from tests.integration.sshd import sshd  # noqa: F401  (session fixture)
from tests.integration.stack import RunningStack

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration with `integration`."""
    for item in items:
        if _HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def _stack_lock() -> Iterator[None]:
    """One test run at a time owns the stack: its names and loopback ports are fixed."""
    with open("/tmp/arctui-test-stack.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def test_stack(_stack_lock: None) -> Iterator[RunningStack]:
    """Build images, bring the stack up and settled, yield it; `down -v` at session end.

    No engine or host packages: skip (fail when CI=true).
    ARCTUI_KEEP_STACK=1 leaves the stack running.
    """
    try:
        stack.ensure_engine()
        stack.check_host()
    except RuntimeError as exc:
        reason = f"integration stack unavailable: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)

    timings: dict[str, float] = {}
    started = time.monotonic()
    stack.build_images()
    timings["build"] = time.monotonic() - started
    try:
        timings["up"] = stack.up()
    except BaseException:
        if os.environ.get("ARCTUI_KEEP_STACK") != "1":
            with contextlib.suppress(RuntimeError):
                stack.down()
        raise

    client = stack.client()
    try:
        yield RunningStack(client=client, timings=timings)
    finally:
        client.close()
        if os.environ.get("ARCTUI_KEEP_STACK") != "1":
            stack.down()

"""Headless commands that Ctrl-C stops cleanly: the work runs on a thread, the main thread
waits for it and turns each Ctrl-C into a request to stop.

Python delivers SIGINT to the main thread only. A command that ran its work there would
be torn out of it mid-step (a traceback, a child process left running, an audit record
without its outcome); here the work sees a cancel flag, stops its process group, and
returns its result as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL = 0.2  # seconds between two looks at the worker: a Ctrl-C is answered within this


def run_interruptible(
    work: Callable[[], T], on_interrupt: Callable[[], None], *, name: str = "arctui-work"
) -> T:
    """Run `work` on a thread and return what it returns (or raise what it raised).

    Every Ctrl-C while it runs calls `on_interrupt` (say so, set the work's cancel flag);
    the work is expected to end soon after, and this waits for it.
    """
    box: list[T] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def target() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # re-raised on the main thread
            errors.append(exc)
        finally:
            done.set()

    # Wait on our own flag, not on `join()`/`is_alive()`: a Ctrl-C landing inside `join()`
    # was seen to leave the thread looking finished while it still ran (Python 3.11).
    # The start is inside the loop too: a Ctrl-C can land while `start()` waits, and then
    # the worker would run on with nobody to cancel it.
    worker = threading.Thread(target=target, name=name)
    started = False
    while not done.is_set():
        try:
            if not started:
                started = True
                worker.start()
            done.wait(POLL)
        except KeyboardInterrupt:
            on_interrupt()
    if errors:
        raise errors[0]
    return box[0]

"""The one writer of a store: an exclusive flock on `<store>.lock` holding the owner's pid,
so a second recorder refuses with the reason (who holds it). Readers take no lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class WriterLock:
    """An exclusive flock on `<store>.lock`, holding the owner's pid; `locked` (the
    store's StoreLocked) is raised, with the holder's pid, when another has it."""

    def __init__(self, path: Path, locked: type[Exception]) -> None:
        self.path = path.with_name(path.name + ".lock")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise locked(
                f"another recorder (pid {holder}) is recording into {path}; "
                "stop it first, or give this one another --store"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

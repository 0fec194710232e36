"""Giving freed native memory back to the system, for a recorder that runs for days.

Measured with benchmarks/recorder_rss.py (A/B in benchmarks/README.md): the recorder's
Python heap is flat, but its RSS grew ~0.14 MiB a minute in glibc's heaps, the main one
and the reader threads' arenas alike: memory freed inside them is kept by malloc.
`malloc_trim(0)` hands the free pages back (~1 ms on this heap, once a minute). Other C
libraries (musl) have no such call: then it does nothing.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

TRIM_EVERY_S = 60.0


def _load_trim() -> Callable[[], None]:
    # The process's own symbols (libc among them): find_library("c") would run
    # `ldconfig -p` in a subprocess (~12 ms) to find the same library.
    try:
        call = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        call = None
    if call is None:
        return lambda: None
    call.argtypes = [ctypes.c_size_t]
    call.restype = ctypes.c_int

    def trim() -> None:
        call(0)

    return trim


trim = _load_trim()

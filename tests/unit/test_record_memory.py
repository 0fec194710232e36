"""The recorder hands freed native memory back (memory.trim, glibc's malloc_trim)."""

from __future__ import annotations

import subprocess
import sys

# In a child: mallopt changes the whole process's allocator, not this test's alone.
CHILD = """
import ctypes, ctypes.util, sys
from arctui.record import memory

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: the blocks below come from the heap
blocks = [libc.malloc(64 * 1024) for _ in range(512)]  # 32 MiB
for b in blocks:
    ctypes.memset(b, 1, 64 * 1024)
for b in blocks[:-1]:  # the top block held: free() alone cannot shrink the heap
    libc.free(b)
before = rss()
if sys.argv[1] == "trim":
    memory.trim()
print(before - rss())
"""


def _freed_kib(how: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, how], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_trim_gives_freed_heap_pages_back() -> None:
    assert _freed_kib("trim") > 16 * 1024  # of the 32 MiB freed
    assert _freed_kib("none") < 4 * 1024  # free() alone kept them

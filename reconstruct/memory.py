"""The process's memory allocator, set for a tracker that makes the same large arrays every
frame.

glibc serves an allocation of 128 KiB or more (a 640x480 frame is 900 KiB) by mapping fresh
pages and unmaps them when it is freed, and it hands freed heap memory back above 128 KiB:
every frame then pays page faults on memory it had a moment ago. Raising both thresholds
keeps that memory in the process (its peak stays what it was). Measured on the clean quick
clip, one core: 250 -> 267 fps of CPU time (docs/evaluation.md, Speed).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # bytes: smaller blocks come from the heap (glibc's 64-bit maximum)
TRIM_THRESHOLD = 1 << 30  # bytes of free heap top kept before any is handed back


def keep_freed_memory() -> bool:
    """Keep freed memory for reuse (glibc on Linux; elsewhere nothing). True if set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))

"""The C allocator's thresholds for a process that decodes photos.

A screen-size decode of a 12 MP photo makes buffers of 9 to 12 MB (Pillow's pixels, their copy
for Qt) and frees them when the next photo comes. With glibc's defaults each such buffer is
mapped fresh from the kernel and returned to it when freed, so every decode paid for faulting
in and zeroing its memory again, a large part of a first view's decode. Keeping
buffers under 32 MB on the heap, and up to 64 MB of freed memory in the process before it is
given back, lets the next photo reuse the last one's pages (benchmarks/media_bench.py, first
view). Elsewhere than glibc this does nothing."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
MMAP_ABOVE = 32 << 20  # buffers larger than this (a full-resolution 12 MP decode is 48 MB) still get their own mapping
TRIM_ABOVE = 64 << 20

_set: bool | None = None  # once tried: whether the thresholds took


def reuse_freed_memory() -> bool:
    """Set the thresholds, once per process; whether they took (glibc on Linux only)."""
    global _set
    if _set is None:
        _set = _set_thresholds()
    return _set


def _set_thresholds() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt: their defaults stand
        return False
    if mallopt(M_MMAP_THRESHOLD, MMAP_ABOVE) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_ABOVE) == 1:
        return True
    log.info("the C allocator's thresholds could not be set; each decode faults its memory in afresh")
    return False

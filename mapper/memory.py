"""Keeping a build's memory down: hand freed heap back to the system between stages."""

from __future__ import annotations

import contextlib
import ctypes
import gc

__all__ = ["release_memory"]


def release_memory() -> None:
    """Collect garbage and hand the heap's free pages back to the system.

    glibc keeps freed memory in the process (a stage that made and dropped many polygons
    stays as large as its peak), and the maps stage forks its pool from the build's process:
    a child starts with the parent's resident pages. ``malloc_trim`` is glibc's; elsewhere
    only the collection runs.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)

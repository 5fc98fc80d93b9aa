"""Hand the C allocator's free memory back to the system after each daemon job.

A job's text (notes read, rendered, sanitised, hashed) lives in large strings that CPython takes
from malloc, not from its own small-object pools. glibc keeps what they free inside its heaps, and
a heap gives memory back only from its top, so each job leaves the process a little larger than
the last busy one: measured in bench/soak.py, the live heap stayed flat while the free space held
by malloc grew (docs/RELIABILITY.md, Soak). `malloc_trim(0)` releases those free pages (it costs
a few milliseconds, once per job). Elsewhere than glibc there is no such call and this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable


def _find_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
        return None
    if trim is not None:
        trim.argtypes = [ctypes.c_size_t]
        trim.restype = ctypes.c_int
    return trim


_trim = _find_trim()


def release_free_memory() -> None:
    if _trim is not None:
        _trim(0)

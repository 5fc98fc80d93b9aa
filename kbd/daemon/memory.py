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

M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
DAEMON_ARENAS = 2


def _libc_function(name: str, *argtypes: type) -> Callable[..., int] | None:
    library = ctypes.util.find_library("c")
    try:
        function = getattr(ctypes.CDLL(library), name) if library else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
        return None
    if function is not None:
        function.argtypes = list(argtypes)
        function.restype = ctypes.c_int
    return function


_trim = _libc_function("malloc_trim", ctypes.c_size_t)
_mallopt = _libc_function("mallopt", ctypes.c_int, ctypes.c_int)


def release_free_memory() -> None:
    if _trim is not None:
        _trim(0)


def limit_arenas() -> None:
    """Cap glibc's malloc arenas for the long-running daemon. glibc gives each new thread its own
    heap (up to 8 per core); the writer's and the scheduler's threads each kept free pages in
    theirs, which malloc_trim does not return from a non-main heap's middle — the soak's growth sat
    there (per-thread heaps 12 → 26 MB). Two arenas cost nothing measurable for a daemon whose
    threads mostly wait on I/O. Call before the daemon starts its threads."""
    if _mallopt is not None:
        _mallopt(M_ARENA_MAX, DAEMON_ARENAS)

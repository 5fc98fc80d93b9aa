"""Ctrl-C for a command the daemon runs on behalf of the CLI.

In-process, Ctrl-C is a KeyboardInterrupt wherever the command happens to be. A command handed to
`kbd run` runs on the daemon's worker thread, where no signal can reach it; the CLI's Ctrl-C sets
this thread's event instead, and the command stops at its next safe point: loops take `current()`
as their stop event, and `checkpoint()` turns a set event into the same KeyboardInterrupt (so the
command ends exactly as an interrupted in-process run does, nothing half-written).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


def current() -> threading.Event:
    """The event a Ctrl-C of this thread's command sets; a fresh, never-set one outside a handed-over command."""
    event = getattr(_local, "event", None)
    return event if event is not None else threading.Event()


def checkpoint() -> None:
    """A safe point: stop here (KeyboardInterrupt) if the command was interrupted."""
    event = getattr(_local, "event", None)
    if event is not None and event.is_set():
        raise KeyboardInterrupt


@contextmanager
def scope(event: threading.Event) -> Iterator[None]:
    """Run the body as a command whose Ctrl-C is `event`."""
    _local.event = event
    try:
        yield
    finally:
        _local.event = None

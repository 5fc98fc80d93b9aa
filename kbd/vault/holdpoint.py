"""Named points where a test can hold a kbd process still, so that it is killed exactly there.

Crash tests must kill kbd in the middle of its work on any machine, however slow or loaded.
Killing after a guessed delay kills too early on a slow machine and too late on a fast one; a
hold point makes the moment an event the test waits for. With `KBD_HOLD_AT=POINT:N:MARKER` in
its environment, the N-th time a process reaches POINT it creates the file MARKER and then
waits until it is killed. Without the variable, `reach` is a counter increment and nothing else.

Points: "temp-written" (a new version is fsynced under its temp name; the note itself is
untouched) and "installed" (the new version is in place; the ledger does not know it yet).
"""

from __future__ import annotations

import os
import threading

POINTS = ("temp-written", "installed")
_ENV = "KBD_HOLD_AT"
_lock = threading.Lock()
_counts: dict[str, int] = {}


def _parse(value: str) -> tuple[str, int, str] | None:
    point, _, rest = value.partition(":")
    count, _, marker = rest.partition(":")
    if point not in POINTS or not count.isdigit() or not marker:
        return None
    return point, int(count), marker


_HOLD = _parse(os.environ.get(_ENV, ""))


def hold_env(point: str, count: int, marker: str) -> dict[str, str]:
    """The environment entry that holds a kbd process at the `count`-th `point` (for tests)."""
    if point not in POINTS or count < 1:
        raise ValueError(f"no hold point {point}:{count}")
    return {_ENV: f"{point}:{count}:{marker}"}


def reach(point: str) -> None:
    if _HOLD is None or _HOLD[0] != point:
        return
    with _lock:
        _counts[point] = _counts.get(point, 0) + 1
        if _counts[point] != _HOLD[1]:
            return
    with open(_HOLD[2], "w", encoding="utf-8") as marker:
        marker.write(f"{os.getpid()}\n")
    threading.Event().wait()  # until the test kills this process

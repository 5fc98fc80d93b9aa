"""Waiting for events, never for time.

A test that needs kbd to reach a state waits for the sign of that state (a file, a log line, a
state row, a hold point) by looking again until it is there. The timeout is a safety net for a
kbd that never gets there, not a guess at how fast the machine is: it is generous on purpose,
so that a loaded machine (8 copies of the suite on 2 cores) only makes a test slower.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

SAFETY_NET = 600.0


def wait_for(condition: Callable[[], object], what: str = "", timeout: float = SAFETY_NET) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:.0f} s still waiting for {what or condition}")
        time.sleep(0.02)


def held_or_exited(proc: subprocess.Popen, marker: Path, what: str = "") -> bool:
    """Wait until `proc` reaches its hold point (True) or exits without reaching it (False)."""
    wait_for(lambda: marker.exists() or proc.poll() is not None, what=what or f"hold point {marker.name}")
    return marker.exists()


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def log_lines(log: Path, needle: str) -> int:
    """How many lines of kbd's log contain `needle` (0 while the log does not exist yet)."""
    try:
        return sum(needle in line for line in log.read_text(encoding="utf-8", errors="replace").splitlines())
    except FileNotFoundError:
        return 0


def daemon_log_lines(root: Path, needle: str) -> int:
    """How many lines of a vault's daemon log, rotated files included, contain `needle`."""
    return sum(log_lines(path, needle) for path in (root / ".kbd").glob("kbd.log*"))


def drain(root: Path) -> None:
    """Wait until the daemon running on the vault at `root` has handled every file event that
    happened before this call, and has finished every run those events asked for.

    Touching the config is an event the daemon answers with a "config reloaded" log line, on its
    single worker thread, in the order events arrive. The first touch may share a batch with
    earlier events (and its line can precede the runs they queue); a second touch, made after the
    first was answered, comes after those runs in the worker's queue. No sleep, on any machine.
    """
    config = root / "kbd/config.yaml"
    for _ in range(2):
        before = daemon_log_lines(root, "config reloaded")
        config.write_bytes(config.read_bytes())
        wait_for(lambda before=before: daemon_log_lines(root, "config reloaded") > before,
                 what="the config touch to be handled")

"""Issue 8, class 4: a SIGKILLed `kbd compile` leaves none of its pool processes behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.clippings import make_clipping
from tests.conftest import FIXED_EPOCH, Vault


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def test_killing_kbd_compile_leaves_no_pool_process_behind(vault: Vault) -> None:
    for i in range(60):
        c = make_clipping(i, words=3000)
        vault.clip(c.filename, c.text)
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "compile", str(vault.root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_group(proc.pid)) < 3:  # kbd, the fork server and at least one worker
            assert proc.poll() is None, "the compile ended before its pool started"
            assert time.monotonic() < deadline, "no worker pool appeared"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # kbd alone, as the OOM killer or `kill -9 PID` would
        proc.wait()
        deadline = time.monotonic() + 10
        while _group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group(proc.pid) == [], "pool processes outlived kbd"
    finally:
        for pid in _group(proc.pid):
            os.kill(pid, signal.SIGKILL)

"""Issue 8, class 4: a SIGKILLed `kbd compile` leaves none of its pool processes behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from bench.daemon_kill import group
from tests.clippings import make_clipping
from tests.conftest import FIXED_EPOCH, Vault


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
        while len(group(proc.pid)) < 3:  # kbd, the fork server and at least one worker
            assert proc.poll() is None, "the compile ended before its pool started"
            assert time.monotonic() < deadline, "no worker pool appeared"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # kbd alone, as the OOM killer or `kill -9 PID` would
        proc.wait()
        deadline = time.monotonic() + 10
        while group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group(proc.pid) == [], "pool processes outlived kbd"
    finally:
        for pid in group(proc.pid):
            os.kill(pid, signal.SIGKILL)

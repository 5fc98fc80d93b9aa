"""Issue 8, class 4: a SIGKILLed `kbd compile` leaves none of its pool processes behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from bench.daemon_kill import group
from tests.clippings import make_clipping
from tests.conftest import FIXED_EPOCH, Vault
from tests.events import wait_for


def test_killing_kbd_compile_leaves_no_pool_process_behind(vault: Vault) -> None:
    for i in range(60):
        c = make_clipping(i, words=3000)
        vault.clip(c.filename, c.text)
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "compile", str(vault.root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        # kbd, the fork server and at least one worker
        wait_for(lambda: len(group(proc.pid)) >= 3 or proc.poll() is not None, what="the worker pool")
        assert proc.poll() is None, "the compile ended before its pool started"
        os.kill(proc.pid, signal.SIGKILL)  # kbd alone, as the OOM killer or `kill -9 PID` would
        proc.wait()
        wait_for(lambda: not group(proc.pid), what="the pool processes to end with kbd")
    finally:
        for pid in group(proc.pid):
            os.kill(pid, signal.SIGKILL)

"""The process pool a compile summarises and renders in, whose workers die with kbd."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor


def worker_pool(configured: int, jobs: int, initializer: Callable[..., None] | None, initargs: tuple[object, ...]
                ) -> ProcessPoolExecutor:
    """A pool of `configured` workers (0: one per CPU), no more than `jobs`, each started by `start_worker`."""
    workers = configured or os.cpu_count() or 1
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=max(1, min(workers, jobs)), initializer=start_worker,
                               initargs=(os.getpid(), initializer, initargs),
                               mp_context=multiprocessing.get_context(method))


PR_SET_PDEATHSIG = 1


def start_worker(kbd_pid: int, initializer: Callable[..., None] | None, initargs: tuple[object, ...]) -> None:
    """Pool worker start-up: die with kbd. A SIGKILLed `kbd compile` cannot shut its pool down,
    and its workers would otherwise live on without a parent. On Linux the kernel kills the
    worker when its parent (the pool's fork server, which itself exits when kbd dies) goes
    (prctl PR_SET_PDEATHSIG); everywhere, a watcher thread ends the worker within a second of
    its parent or kbd disappearing."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if not _alive(kbd_pid) or os.getppid() != parent:  # died before the prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != parent or not _alive(kbd_pid):
                os._exit(1)

    threading.Thread(target=watch, name="kbd-die-with-parent", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

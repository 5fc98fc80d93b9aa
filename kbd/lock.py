"""One kbd process per vault: an advisory lock on `.kbd/lock` that dies with its process."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

# Locks this process holds: real path → (thread, depth). The daemon's worker thread runs commands
# handed over by the CLI (kbd/daemon/socket_server.py) under the lock it already holds; a second
# flock on a new descriptor would refuse it, so the holding thread may enter again.
_held: dict[str, tuple[int, int]] = {}


class VaultBusy(Exception):
    pass


class VaultLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "lock"
        self._fd: int | None = None

    def __enter__(self) -> VaultLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._key = os.path.realpath(self.path)
        thread, depth = _held.get(self._key, (0, 0))
        if depth and thread == threading.get_ident():
            _held[self._key] = (thread, depth + 1)
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise VaultBusy(f"another kbd process (pid {holder}) is working on this vault; "
                            "wait for it to finish or stop it") from None
        # The kernel drops the lock when the process dies, so a crashed holder leaves no stale lock.
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        _held[self._key] = (threading.get_ident(), 1)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        thread, depth = _held.get(self._key, (0, 0))
        if depth > 1:
            _held[self._key] = (thread, depth - 1)
            return
        _held.pop(self._key, None)
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

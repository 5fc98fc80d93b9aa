"""File events → debounced vault-relative paths.

Editors save in many ways (in place, temp file + rename, backup rename); all of them end as a
burst of events on a few paths. Each path must be quiet for the debounce period before it is
reported, once. Nothing here polls: the debounce thread sleeps until the next deadline.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from kbd.vault.layout import is_conflict_copy, is_ignored_name

log = logging.getLogger("kbd.watch")


def is_ignored_path(rel: str) -> bool:
    """.obsidian/, .kbd/, .git/, dot-files, editor temp files and sync conflict copies."""
    parts = rel.split("/")
    return any(p.startswith(".") for p in parts) or is_ignored_name(parts[-1]) or is_conflict_copy(parts[-1])


class Debouncer:
    def __init__(self, quiet_seconds: float, emit: Callable[[set[str]], None]) -> None:
        self.quiet = quiet_seconds
        self.emit = emit
        self._due: dict[str, float] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="kbd-debounce", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def touch(self, rel: str) -> None:
        with self._cond:
            self._due[rel] = time.monotonic() + self.quiet
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and not self._due:
                    self._cond.wait()
                if self._stopped:
                    return
                now = time.monotonic()
                ready = {p for p, due in self._due.items() if due <= now}
                if not ready:
                    self._cond.wait(timeout=min(self._due.values()) - now)
                    continue
                for p in ready:
                    del self._due[p]
            try:
                self.emit(ready)
            except Exception:  # the daemon must keep watching whatever one batch does
                log.exception("handling changed files failed")


class _Handler(FileSystemEventHandler):
    def __init__(self, root: str, debouncer: Debouncer) -> None:
        self.root = root
        self.debouncer = debouncer

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return  # a folder's mtime moves with every file in it; the file's own event says what changed
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if not path:
                continue
            path = os.fsdecode(path)
            rel = os.path.relpath(path, self.root).replace(os.sep, "/")
            if rel.startswith("..") or rel == "." or is_ignored_path(rel):
                continue
            self.debouncer.touch(rel)


class VaultWatcher:
    def __init__(self, root: Path, debounce_seconds: float, on_paths: Callable[[set[str]], None],
                 force_polling: bool = False) -> None:
        self.root = root
        self.debouncer = Debouncer(debounce_seconds, on_paths)
        self.force_polling = force_polling
        self.observer: Observer | PollingObserver | None = None
        self.mode = ""

    def start(self) -> str:
        """Start watching; returns how ("native events", or "polling" and why)."""
        self.debouncer.start()
        handler = _Handler(str(self.root), self.debouncer)
        if not self.force_polling:
            try:
                observer = Observer()
                observer.schedule(handler, str(self.root), recursive=True)
                observer.start()
                self.observer, self.mode = observer, "native file events"
                return self.mode
            except OSError as exc:
                # Typically inotify's watch limit (ENOSPC); polling is slower but misses nothing.
                self.mode = (f"polling every 2 s, because the OS refused file events ({exc.strerror or exc}); "
                             "raise fs.inotify.max_user_watches to go back to events")
                log.warning("watching %s by %s", self.root, self.mode)
        else:
            self.mode = "polling every 2 s (daemon.watcher: polling)"
        observer = PollingObserver(timeout=2)
        observer.schedule(handler, str(self.root), recursive=True)
        observer.start()
        self.observer = observer
        return self.mode

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
        self.debouncer.stop()

"""Logging: `.kbd/kbd.log` (rotated) for the record, stderr for what needs attention now."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kbd.vault.layout import STATE_DIR

_kept = False


@contextmanager
def logging_kept() -> Iterator[None]:
    """A command the daemon runs for the CLI logs through the daemon's setup: its own
    `setup_logging` call changes nothing meanwhile."""
    global _kept
    _kept = True
    try:
        yield
    finally:
        _kept = False


def setup_logging(vault: Path | None, verbose: bool | None = False) -> None:
    """verbose: True prints info to stderr; False only warnings; None (the daemon) info, with times."""
    if _kept:
        return
    root = logging.getLogger("kbd")
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.WARNING if verbose is False else logging.INFO)
    stderr.setFormatter(logging.Formatter("%(asctime)s kbd: %(message)s" if verbose is None else "kbd: %(message)s",
                                          "%H:%M:%S"))
    root.addHandler(stderr)
    if vault is not None and (vault / STATE_DIR).is_dir():
        file_handler = LogFile(vault / STATE_DIR / "kbd.log")
        file_handler.setLevel(logging.INFO)
        root.addHandler(file_handler)


class LogFile(logging.Handler):
    """`.kbd/kbd.log`, rotated at 2 MB (three kept), opened with the first record: a command that
    logs nothing (most `kbd search` calls) neither opens it nor loads logging.handlers, whose
    import (with socket) was a tenth of a search's start-up."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path.absolute()  # the daemon runs a handed-over command in the client's folder
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:  # called under the handler's lock
        if self._file is None:
            from logging.handlers import RotatingFileHandler

            try:
                self._file = RotatingFileHandler(self.path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
                self._file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            except OSError as exc:  # said once; the command goes on, its messages still reach stderr
                print(f"kbd: cannot write the log {self.path} ({exc.strerror or exc}); going on without it",
                      file=sys.stderr)
                self._file = logging.NullHandler()
        self._file.emit(record)

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._file is not None:
                self._file.close()
                self._file = None
        super().close()

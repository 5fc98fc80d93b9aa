"""Logging: `.kbd/kbd.log` (rotated) for the record, stderr for what needs attention now."""

from __future__ import annotations

import logging
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
        from logging.handlers import RotatingFileHandler  # with socket: only a command writing the log needs it

        file_handler = RotatingFileHandler(
            vault / STATE_DIR / "kbd.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        file_handler.setLevel(logging.INFO)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(file_handler)

"""The whoosh index in `.kbd/search/`: schema, the one writer, self-healing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kbd.config import Config


def ensure_index(root: Path, config: Config, progress: Callable[[int, int], None] | None = None) -> None:
    raise NotImplementedError

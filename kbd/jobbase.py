"""What a job gets and gives back (JobContext → JobResult), beneath the features that declare jobs
(kbd/<feature>/jobs.py, registered with kbd/configbase.py) and the table that runs them
(kbd/jobs.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a command that only reads (`kbd search`) need not load sqlite3
    from kbd.config import Config
    from kbd.state import State
    from kbd.vault.layout import VaultLayout


@dataclass(frozen=True)
class JobContext:
    layout: VaultLayout
    config: Config
    state: State
    stop: threading.Event
    changed: frozenset[str] | None = None  # paths a watcher reported; None: look at the whole vault


@dataclass(frozen=True)
class JobResult:
    summary: str
    failed: bool = False

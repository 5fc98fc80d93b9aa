"""Building a whole index: every note, on both cores (kbd.search.parallel), stoppable at any moment.

Small vaults are built in-process: two worker processes cost more to start than they save.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from whoosh.index import FileIndex

from kbd.config import Config
from kbd.isolation import contain
from kbd.search.notes import NoteFields, read_note
from kbd.search.schema import document
from kbd.vault.layout import VaultLayout

log = logging.getLogger("kbd.search")

BUILD_LIMIT_MB = 96  # each writer's in-memory posting pool before it spills to disk
PARALLEL_FROM = 2_000  # notes: below this a build runs in-process
PROCS = 2
Progress = Callable[[int, int], None]  # notes done, notes in total
Stop = Callable[[], bool]


class BuildStopped(Exception):
    """The build was asked to stop (the daemon is shutting down); nothing was committed."""


def fill(ix: FileIndex, layout: VaultLayout, config: Config, notes: list[str],
         prepared: dict[str, NoteFields], progress: Progress | None, stop: Stop | None) -> int:
    """Index `notes` into the empty index `ix` and commit; returns how many were given."""
    total = len(notes)
    if progress:
        progress(0, total)
    parallel = total >= PARALLEL_FROM and PROCS > 1
    if parallel:
        from kbd.search.parallel import NoteMpWriter  # multiprocessing: imported only by a large build

        writer: Any = NoteMpWriter(ix, layout, config, PROCS, BUILD_LIMIT_MB)
    else:
        writer = ix.writer(limitmb=BUILD_LIMIT_MB)
    try:
        for done, rel in enumerate(notes, start=1):
            if stop is not None and stop():
                raise BuildStopped
            fields = prepared.get(rel)
            if fields is not None:
                writer.add_document(**document(fields))
            elif parallel:
                writer.add_path(rel)
            else:
                read = contain("index", rel, read_note, layout, config, rel)
                if isinstance(read, NoteFields):  # a note that fails is left out (and logged), alone
                    writer.add_document(**document(read))
            if progress and (done % 50 == 0 or done == total):
                progress(done, total)
        while parallel and writer.jobqueue.qsize() > 0:  # the workers' backlog, still stoppable
            if stop is not None and stop():
                raise BuildStopped
            time.sleep(0.05)
    except BaseException:
        writer.kill() if parallel else writer.cancel()
        raise
    writer.commit()
    return total

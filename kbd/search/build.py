"""Building a whole index: every note, on both cores, stoppable at any moment.

whoosh's multiprocessing writer (`MpWriter`) farms batches of documents out to worker processes,
each writing its own segment. kbd hands the workers note *paths* instead of parsed documents, so
reading and parsing the notes (most of a build's time) runs in the workers too, not only the
analysis. Small vaults are built in-process: two processes cost more to start than they save.
"""

from __future__ import annotations

import logging
import pickle
import signal
import time
from collections.abc import Callable
from typing import Any

from whoosh.index import FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

from kbd.config import Config
from kbd.search.notes import NoteFields, read_note
from kbd.search.schema import document
from kbd.vault.layout import VaultLayout

log = logging.getLogger("kbd.search")

BUILD_LIMIT_MB = 96  # each writer's in-memory posting pool before it spills to disk
PARALLEL_FROM = 2_000  # notes: below this a build runs in-process
PROCS = 2
_ADD, _READ = 0, 1  # job-file codes: a prepared document, a note path to read
Progress = Callable[[int, int], None]  # notes done, notes in total
Stop = Callable[[], bool]


class BuildStopped(Exception):
    """The build was asked to stop (the daemon is shutting down); nothing was committed."""


class _NoteTask(SubWriterTask):
    """A worker process: reads, parses and indexes the notes whose paths it is sent."""

    layout: VaultLayout
    config: Config

    def run(self) -> None:
        # Forked from a daemon whose SIGTERM handler only sets a flag: a worker must die of it (its
        # parent ends it that way when it exits), and Ctrl-C is the parent's to handle.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        super().run()

    def _process_file(self, filename: str, doc_count: int) -> None:
        writer = self.writer
        storage = writer.temp_storage()
        with storage.open_file(filename).raw_file() as fh:
            for _ in range(doc_count):
                code, args = pickle.load(fh)
                if code == _READ:
                    fields = read_note(self.layout, self.config, args)
                    if fields is not None:
                        writer.add_document(**document(fields))
                else:
                    writer.add_document(**args)
        storage.delete_file(filename)


class _NoteMpWriter(MpWriter):
    def __init__(self, ix: FileIndex, layout: VaultLayout, config: Config, procs: int) -> None:
        # multisegment: each worker's segment goes into the index as it is; merging them would be
        # a single-core pass over every posting at the end, which no search needs.
        super().__init__(ix, procs=procs, batchsize=50, multisegment=True, limitmb=BUILD_LIMIT_MB)
        self.layout, self.config = layout, config

    def _new_task(self) -> _NoteTask:
        task = _NoteTask(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                         self.multisegment)
        task.layout, task.config = self.layout, self.config
        task.daemon = True  # a worker never outlives the process that started it
        self.tasks.append(task)
        task.start()
        return task

    def add_path(self, rel: str) -> None:
        self.docbuffer.append((_READ, rel))
        if len(self.docbuffer) >= self.batchsize:
            self._enqueue()
        self._added_sub = True

    def kill(self) -> None:
        """Stop at once: whoosh's cancel only flags the parent's copy of each worker."""
        for task in self.tasks:
            task.kill()
            task.join()
        self.tasks = []
        SegmentWriter.cancel(self)


def fill(ix: FileIndex, layout: VaultLayout, config: Config, notes: list[str],
         prepared: dict[str, NoteFields], progress: Progress | None, stop: Stop | None) -> int:
    """Index `notes` into the empty index `ix` and commit; returns how many were given."""
    total = len(notes)
    if progress:
        progress(0, total)
    parallel = total >= PARALLEL_FROM and PROCS > 1
    writer: Any = _NoteMpWriter(ix, layout, config, PROCS) if parallel else ix.writer(limitmb=BUILD_LIMIT_MB)
    try:
        for done, rel in enumerate(notes, start=1):
            if stop is not None and stop():
                raise BuildStopped
            fields = prepared.get(rel)
            if fields is not None:
                _add(writer, document(fields), parallel)
            elif parallel:
                writer.add_path(rel)
            else:
                read = read_note(layout, config, rel)
                if read is not None:
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


def _add(writer: Any, doc: dict[str, object], parallel: bool) -> None:
    if parallel:
        writer.docbuffer.append((_ADD, doc))
        if len(writer.docbuffer) >= writer.batchsize:
            writer._enqueue()
        writer._added_sub = True
    else:
        writer.add_document(**doc)

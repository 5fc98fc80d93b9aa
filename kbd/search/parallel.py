"""whoosh's multiprocessing writer, fed note paths: a build on both cores.

`MpWriter` farms batches of documents out to worker processes, each writing its own segment. kbd
hands the workers note *paths* instead of parsed documents, so reading and parsing the notes (most
of a build's time) runs in the workers too, not only the analysis. Uses whoosh's private hooks
(`_new_task`, `_process_file`, `docbuffer`): whoosh 2.7.4 is pinned and no longer released.
"""

from __future__ import annotations

import pickle
import signal

from whoosh.index import FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

from kbd.config import Config
from kbd.isolation import contain
from kbd.search.notes import NoteFields, read_note
from kbd.search.schema import document
from kbd.vault.layout import VaultLayout

_ADD, _READ = 0, 1  # job-file codes: a prepared document, a note path to read


class NoteTask(SubWriterTask):
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
                    fields = contain("index", args, read_note, self.layout, self.config, args)
                    if isinstance(fields, NoteFields):  # a note that fails is left out (and logged), alone
                        writer.add_document(**document(fields))
                else:
                    writer.add_document(**args)
        storage.delete_file(filename)


class NoteMpWriter(MpWriter):
    def __init__(self, ix: FileIndex, layout: VaultLayout, config: Config, procs: int, limitmb: int) -> None:
        # multisegment: each worker's segment goes into the index as it is; merging them would be
        # a single-core pass over every posting at the end, which no search needs.
        super().__init__(ix, procs=procs, batchsize=50, multisegment=True, limitmb=limitmb)
        self.layout, self.config = layout, config

    def _new_task(self) -> NoteTask:
        task = NoteTask(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
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

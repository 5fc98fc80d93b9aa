"""`kbd compile`: enqueue what changed, drain the queue, render and write what it touched."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kbd import clock, interrupt
from kbd.compile.backfill import collect, outstanding, submit
from kbd.compile.concepts import reconcile_concepts
from kbd.compile.contained import render_batch, render_isolated
from kbd.compile.images import localise_images, summarise_with_images
from kbd.compile.ingest import (
    IngestOutcome,
    NameBook,
    commit_move,
    commit_rejection,
    commit_summary,
    init_worker,
    remove_source,
    summarise_file,
)
from kbd.compile.model import Rendered, WikiModel
from kbd.compile.redo import CURRENT_META, count_out_of_date, out_of_date
from kbd.compile.report import CompileOptions, CompileReport
from kbd.compile.scan import Candidate, scan_raw
from kbd.compile.stale import mark_stale
from kbd.compile.workers import worker_pool
from kbd.config import Config
from kbd.engines import make_engine, make_offline_engine
from kbd.engines.provenance import MadeBy, current_made_by
from kbd.engines.skills import SkillError
from kbd.isolation import NoteFailure, contain, settle
from kbd.lock import VaultLock
from kbd.state import Job, State
from kbd.vault.layout import VaultLayout
from kbd.vault.write import Outcome, VaultWriter, WriteRefused

if TYPE_CHECKING:  # whoosh loads only when a compile gets as far as the index
    from kbd.search import NoteFields

__all__ = ["CompileOptions", "CompileReport", "Compiler", "Progress", "compile_vault", "open_state"]
log = logging.getLogger("kbd.compile")
Progress = Callable[[str, int, int, str], None]  # phase, done, total, current item
WRITE_BATCH = 200  # notes rendered and written per batch: one fsync per folder, two commits
PARALLEL_THRESHOLD = 4
PARALLEL_RENDER_THRESHOLD = 2 * WRITE_BATCH  # fewer ingests than this run in-process: a pool costs more than it saves


def open_state(layout: VaultLayout) -> State:
    return State(layout.state_dir / "state.db")


def compile_vault(root: Path, config: Config, progress: Progress | None = None,
                  options: CompileOptions | None = None) -> CompileReport:
    layout = VaultLayout.from_config(root, config)
    with VaultLock(layout.state_dir):
        state = open_state(layout)
        try:
            report = Compiler(layout, config, state, progress, stop=interrupt.current(), options=options).run()
            interrupt.checkpoint()  # a handed-over compile stopped by Ctrl-C ends as an in-process one does
            return report
        finally:
            state.close()


class Compiler:
    """One compile. The caller holds the vault lock and owns `state`.

    `stop`, when set (SIGTERM to the daemon), ends the run after the job in hand: what is left
    stays queued in state.db and the next run picks it up.
    """

    def __init__(self, layout: VaultLayout, config: Config, state: State, progress: Progress | None = None,
                 stop: threading.Event | None = None, only: Collection[str] | None = None,
                 options: CompileOptions | None = None) -> None:
        self.stop = stop or threading.Event()
        self.only = only
        self.options = options or CompileOptions()
        self.layout = layout
        self.config = config
        self.state = state
        self.writer = VaultWriter(layout, state)
        self.progress = progress or (lambda *_: None)
        self.report = CompileReport()
        self.written: set[str] = set()  # notes this run wrote or deleted, for the search index
        self.searchable: dict[str, NoteFields] = {}  # clippings' index fields from this run's parse
        self.now = clock.stamp(clock.now())
        self.source_names = NameBook([r[0] for r in state.db.execute("SELECT note_name FROM sources")])
        self.concept_names = NameBook([r[0] for r in state.db.execute("SELECT note_name FROM concepts")])
        # Writes refused (a symlink or FIFO where a note goes): path → [reason, render-queue key].
        self.refused: dict[str, list[str]] = json.loads(state.get_meta("refused_writes") or "{}")

    def run(self) -> CompileReport:
        run_id = self.state.db.execute("INSERT INTO runs(kind, started) VALUES('compile', ?)",
                                       (clock.stamp(clock.now()),)).lastrowid
        self.run_id = f"compile:{run_id}"
        self.state.requeue_interrupted()
        if self.only is None:
            self.writer.remove_stray_temp_files()
        # A run for watcher-reported paths looks at just those: the daemon's start-up and periodic
        # reconcile runs look at everything, and the writer never replaces an edited note anyway.
        if self.refused:
            with self.state.transaction():  # try them again: the user may have fixed what was in the way
                self.state.mark_dirty(key for _, key in self.refused.values() if key)
        edited = self.writer.check_user_edits(self.only)
        if edited:
            self.state.mark_dirty(["status"])
            self.report.kept_user_edits.extend(edited)
        current = self._note_engine()
        self._enqueue()
        if self.options.redo and current is not None:
            self._enqueue_redo(current)
        held = self._batches()
        self._drain(held)
        if self.stop.is_set():
            self.state.requeue_interrupted()
            self.report.stopped = True
            self._update_search_index()
            return self.report
        self.report.retired = reconcile_concepts(self.state, self.config.compile.concept_min_sources,
                                                 self.concept_names, self.now)[1]
        self._render()
        # Answers citing a note this run (or the user) changed: marked stale from the ledgers' hashes.
        if mark_stale(self.layout, self.state):
            self._render()
        self.state.prune_done_jobs()
        db = self.state.db
        self.report.sources = db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
        self.report.concepts = db.execute("SELECT COUNT(*) FROM concepts").fetchone()[0]
        self.report.skipped = db.execute("SELECT COUNT(*) FROM files WHERE status='rejected'").fetchone()[0]
        if current is not None:
            self.report.out_of_date = count_out_of_date(self.state, self.layout, current)
        db.execute("UPDATE runs SET finished=?, summary=? WHERE id=?",
                   (clock.stamp(clock.now()), json.dumps(self.report.__dict__, default=_jsonable), run_id))
        log.debug("compile: %d ingested, %d removed, %d moved, %d failed, %d written, %d deleted",
                 self.report.ingested, self.report.removed, self.report.moved, self.report.failed,
                 self.report.written, self.report.deleted)
        self._update_search_index()
        return self.report

    def _update_search_index(self) -> None:
        """Index exactly what this run saw change or wrote; a full run compares the whole vault,
        which also catches the user's own notes. A vault with no index yet gets it built here, so
        the first search never waits for it (a stop ends that build)."""
        from kbd.search import update_index  # whoosh loads only when a compile gets this far

        update_index(self.layout.root, self.config, None if self.only is None else {*self.only, *self.written},
                     prepared=self.searchable, stop=self.stop.is_set)
        if "status" in self.state.dirty():  # a note the index could not read is named now, not next run
            self._render()

    # -- events → jobs ----------------------------------------------------------------------
    def _enqueue(self) -> None:
        self.progress("scan", 0, 0, self.layout.raw)
        scan = scan_raw(self.layout, self.state, self.config.compile.max_note_bytes, self.only)
        by_sha = {c.sha256: c for c in scan.changed}
        moves: list[tuple[str, Candidate]] = []
        for old in list(scan.gone):
            row = self.state.db.execute("SELECT sha256 FROM sources WHERE raw_path=?", (old,)).fetchone()
            target = by_sha.get(row["sha256"]) if row else None
            if target and not self.state.db.execute("SELECT 1 FROM sources WHERE raw_path=?",
                                                    (target.path,)).fetchone():
                moves.append((old, target))
                scan.gone.remove(old)
                scan.changed.remove(target)
                del by_sha[target.sha256]
        with self.state.transaction():
            for c in scan.touched:
                self.state.db.execute("UPDATE files SET size=?, mtime_ns=? WHERE path=?", (c.size, c.mtime_ns, c.path))
            for path in scan.forgotten:
                self.state.db.execute("DELETE FROM files WHERE path=?", (path,))
                self.state.mark_dirty(["status"])
            for rejection in scan.ignored:
                commit_rejection(self.state, rejection, 0, 0, self.source_names, self.now)
            for rejection, size, mtime_ns in scan.rejected:
                if commit_rejection(self.state, rejection, size, mtime_ns, self.source_names, self.now):
                    log.warning("skipped %s: %s", rejection.path, rejection.reason)
                    self.report.newly_skipped += 1
            for old, target in moves:
                self.state.enqueue("move", f"move:{old}->{target.path}",
                                   {"from": old, "to": target.path, "size": target.size,
                                    "mtime_ns": target.mtime_ns}, self.now)
            for path in scan.gone:
                self.state.enqueue("remove", f"remove:{path}", {"path": path}, self.now)
            current = {c.path: c.sha256 for c in scan.changed}
            for job in self.state.pending_jobs("ingest"):
                if job.payload["path"] in current and current[job.payload["path"]] != job.payload["sha256"]:
                    self.state.drop_jobs([job.id])  # superseded by a newer version of the file
            for c in scan.changed:
                self.state.enqueue("ingest", f"ingest:{c.path}@{c.sha256}", {"path": c.path, "sha256": c.sha256},
                                   self.now)

    def _note_engine(self) -> MadeBy | None:
        """What the configured engine records; kept in state.db for Status.md, which counts the
        summaries an older engine made."""
        try:
            current = current_made_by(self.config, self.layout.root)
        except (SkillError, OSError, UnicodeDecodeError) as exc:
            log.warning("cannot tell which notes are out of date: %s", exc)
            return None
        if self.state.get_meta(CURRENT_META) != current.key():
            with self.state.transaction():
                self.state.set_meta(CURRENT_META, current.key())
                self.state.mark_dirty(["status"])
        return current

    def _enqueue_redo(self, current: MadeBy) -> None:
        """`--redo`: summaries an older engine made (or all of them) go back into the queue, as
        many as `--limit` allows; the spending caps still apply to every call they make."""
        queued = {j.payload["path"] if j.kind != "move" else j.payload["from"] for j in self.state.pending_jobs()}
        todo = [s for s in out_of_date(self.state, self.layout, current, everything=self.options.redo == "all")
                if s.raw_path not in queued]
        if self.options.limit is not None:
            todo = todo[:self.options.limit]
        with self.state.transaction():
            for item in todo:
                self.state.enqueue("ingest", f"ingest:{item.raw_path}@{item.sha256}",
                                   {"path": item.raw_path, "sha256": item.sha256, "redo": True}, self.now)

    def _batches(self) -> set[int]:
        """Collect the batches that have ended (runs over the whole vault: not on every file event);
        with `--batch`, send the queued summaries as a new batch. The ids of jobs not to run now."""
        report = self.report.batches
        if self.only is None and outstanding(self.state):
            self.progress("batches", 0, 0, "checking sent batches")
            collect(self.state, self.layout, self.config, self.run_id, report)
        if self.options.batch:
            self.progress("batches", 0, 0, "sending a batch")
            submit(self.state, self.layout, self.config, self.state.pending_jobs("ingest"), self.run_id, self.now,
                   report)
        for problem in report.problems:
            log.warning("%s", problem)
        return report.held

    # -- jobs → engine → state --------------------------------------------------------------
    def _drain(self, held: Collection[int] = ()) -> None:
        jobs = [j for j in self.state.pending_jobs() if j.id not in held]
        for job in (j for j in jobs if j.kind in ("move", "remove")):
            with self.state.transaction():
                if job.kind == "move":
                    p = job.payload
                    commit_move(self.state, p["from"], p["to"], p["size"], p["mtime_ns"], self.source_names,
                                self.now)
                    self.report.moved += 1
                else:
                    if remove_source(self.state, job.payload["path"], self.source_names, self.now,
                                     "was deleted; its summary was removed"):
                        self.report.removed += 1
                    self.state.db.execute("DELETE FROM files WHERE path=?", (job.payload["path"],))
                self.state.job_done(job.id, self.now)
        # Removing or changing a source whose clipping had copies queues those copies again (the
        # first becomes the source): rounds go on until no ingest queued during this run is left.
        seen: set[int] = set()
        while not self.stop.is_set():
            ingests = sorted((j for j in self.state.pending_jobs("ingest") if j.id not in seen),
                             key=lambda j: j.payload["path"])
            if not ingests:
                break
            seen.update(j.id for j in ingests)
            self._ingest(ingests)

    def _ingest(self, ingests: list[Job]) -> None:
        outcomes = self._summarise(ingests)
        try:
            for done, (job, outcome) in enumerate(outcomes, start=1):
                self.progress("compile", done, len(ingests), job.payload["path"])
                outcome = localise_images(outcome, self.layout, self.config.images, self.writer,
                                          self.config.compile.max_note_bytes)
                committed = contain("summarise", job.payload["path"], self._commit_one, job, outcome)
                if isinstance(committed, NoteFailure):  # rolled back; the job fails, retried when the clipping changes
                    with self.state.transaction():
                        self.state.job_failed(job.id, committed.reason, self.now)
                        self.state.mark_dirty(["status"])
                    self.report.failed += 1
                if self.stop.is_set():
                    break
        finally:
            outcomes.close()

    def _summarise(self, jobs: list[Job]) -> Iterator[tuple[Job, IngestOutcome]]:
        root, limit = str(self.layout.root), self.config.compile.max_note_bytes
        with self.state.transaction():
            for job in jobs:
                self.state.job_started(job.id, self.now)
        if self.config.models:
            yield from self._summarise_with_model(jobs, root, limit)
            return
        if len(jobs) < PARALLEL_THRESHOLD:
            init_worker(self.config)
            for job in jobs:
                yield job, summarise_file(root, job.payload["path"], limit)
            return
        pool = self._pool(len(jobs), init_worker, (self.config,))
        try:
            outcomes = pool.map(summarise_file, [root] * len(jobs), [j.payload["path"] for j in jobs],
                                [limit] * len(jobs), chunksize=2)
            yield from zip(jobs, outcomes, strict=True)
        finally:
            # On a stop, notes not yet started are dropped here and stay queued for the next run.
            pool.shutdown(wait=True, cancel_futures=True)

    def _summarise_with_model(self, jobs: list[Job], root: str, limit: int
                              ) -> Iterator[tuple[Job, IngestOutcome]]:
        """Model calls wait on the network, not the CPU: threads, as many as the model allows."""
        if not jobs:
            return
        known = {r[0]: r[1] for r in self.state.db.execute("SELECT key, note_name FROM concepts")}
        engine = make_engine(self.config, self.layout.root, self.state.path, self.run_id, known)
        fallback = make_offline_engine(self.config)  # writes, marked, what the model could not
        pool = ThreadPoolExecutor(max_workers=self.config.models["worker"].max_concurrency)
        try:
            outcomes = pool.map(lambda job: summarise_with_images(self.layout, self.config, job.payload["path"],
                                                                  engine, fallback), jobs)
            yield from zip(jobs, outcomes, strict=True)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            engine.close()

    def _commit_one(self, job: Job, outcome: IngestOutcome) -> None:
        with self.state.transaction():
            self._commit(job, outcome)

    def _commit(self, job: Job, outcome: IngestOutcome) -> None:
        if outcome.paused:
            if not self.report.paused:
                log.warning("model calls paused: %s", outcome.paused)
            self.state.job_paused(job.id, outcome.paused, self.now)
            self.state.mark_dirty(["status"])
            self.report.paused += 1
            return
        if outcome.error:
            log.error("failed %s: %s", outcome.path, outcome.error)
            self.state.job_failed(job.id, outcome.error, self.now)
            self.state.mark_dirty(["status"])
            self.report.failed += 1
            return
        if outcome.rejection:
            if commit_rejection(self.state, outcome.rejection, outcome.size, outcome.mtime_ns, self.source_names,
                                self.now):
                log.warning("skipped %s: %s", outcome.path, outcome.rejection.reason)
                self.report.newly_skipped += 1
        elif outcome.summary is not None:
            if outcome.search is not None:
                self.searchable[outcome.path] = outcome.search
            for warning in outcome.warnings:
                log.warning("%s: %s", outcome.path, warning)
            redo = bool(job.payload.get("redo"))
            if commit_summary(self.state, outcome, self.source_names, self.now, redo=redo):
                self.report.ingested += 1
                self.report.redone += redo
            else:
                self.report.duplicates += 1
            self.report.engine_calls += 1
        self.state.job_done(job.id, self.now)

    # -- state → render → write -------------------------------------------------------------
    def _render(self) -> None:
        dirty = self.state.dirty()
        if not dirty or self.stop.is_set():
            return
        model = WikiModel(self.state, self.layout, self.config.compile.max_concepts_per_source, self.writer.as_written)
        if "orphans" in dirty:
            # Only removals, renames and retired concepts leave notes nothing generates any more.
            with self.state.transaction():  # sub-pages of retired concepts go with them
                self.state.db.execute("DELETE FROM pages WHERE owner LIKE 'concept:%' AND substr(owner, 9) NOT IN "
                                      "(SELECT key FROM concepts)")
            desired = model.desired_paths()
            for record in self.state.outputs():
                if record.path not in desired and not record.user_edited:
                    self._apply(record.path, self._delete(record.path))
            with self.state.transaction():
                self.state.clear_dirty(["orphans"])
            dirty.remove("orphans")
        # Index and log after the notes they list, the status note last of all: it reports what
        # the writes before it found (a user edit is discovered only when kbd tries to write).
        while dirty:
            phases = [[n for n in dirty if n not in ("index", "log", "status")],
                      [n for n in dirty if n in ("index", "log")], [n for n in dirty if n == "status"]]
            for phase in phases:
                self._render_phase(model, phase)
            dirty = self.state.dirty()

    def _render_phase(self, model: WikiModel, notes: list[str]) -> None:
        queued = set(notes)
        # A full re-render of a source already covers its related list.
        batches = [[n for n in notes[i:i + WRITE_BATCH]
                    if not (n.startswith("related:") and f"source:{n[8:]}" in queued)]
                   for i in range(0, len(notes), WRITE_BATCH)]
        cleared = [notes[i:i + WRITE_BATCH] for i in range(0, len(notes), WRITE_BATCH)]
        if len(notes) < PARALLEL_RENDER_THRESHOLD:
            rendered = ([r for r in (render_isolated(model, n) for n in batch) if r is not None] for batch in batches)
            self._write_batches(rendered, cleared)
            return
        # Many notes (a cold compile): worker processes render the next batches from their own
        # read-only connections while this process writes the previous one.
        state_path = str(self.state.path)
        with self._pool(len(batches), None, ()) as pool:
            rendered = pool.map(render_batch, [state_path] * len(batches), [self.layout] * len(batches),
                                [model.max_concepts] * len(batches), batches)
            self._write_batches(rendered, cleared)

    def _write_batches(self, rendered_batches: Iterable[list[Rendered | NoteFailure]], cleared: list[list[str]]
                       ) -> None:
        done = 0
        total = sum(map(len, cleared))
        for results, batch in zip(rendered_batches, cleared, strict=True):
            done += len(batch)
            self.progress("write", done, total, "notes")
            # A note that failed to render keeps its last good version on disk and is recorded
            # (kbd/isolation.py); it is rendered again when something queues it again.
            failures = [r for r in results if isinstance(r, NoteFailure)]
            rendered = [r for r in results if isinstance(r, Rendered)]
            writes = [(r.path, r.text) for r in rendered] + [page for r in rendered for page in r.pages]
            outcomes = self.writer.write_many(writes)
            stale: list[str] = []
            with self.state.transaction():
                self.state.clear_dirty(batch)
                if settle(self.state, failures, [f"render:{n}" for n in batch], self.now) and "status" in batch:
                    self.state.clear_dirty(["status"])  # the status note's own failure: no loop
                self.report.failed += len(failures)
                for r in rendered:
                    if r.source_id is not None:
                        self.state.db.execute("UPDATE sources SET related=? WHERE id=?", (r.related_json, r.source_id))
                    self.state.db.executemany("UPDATE log_entries SET rendered=?, rendered_for=? WHERE id=?",
                                              [(text, made_for, i) for i, text, made_for in r.log_entries])
                    if r.owner is not None:
                        stale += self._record_pages(r.owner, [path for path, _ in r.pages] + r.kept_pages)
            keys = [r.key for r in rendered] + [r.key for r in rendered for _ in r.pages]
            for (path, _), outcome, key in zip(writes, outcomes, keys, strict=True):
                self._apply(path, outcome, key)
            for path in stale:
                self._apply(path, self._delete(path))

    def _record_pages(self, owner: str, paths: list[str]) -> list[str]:
        """Record the sub-pages `owner` has now; returns the ones it no longer has (to delete)."""
        db = self.state.db
        old = {r[0] for r in db.execute("SELECT path FROM pages WHERE owner=?", (owner,))}
        db.execute("DELETE FROM pages WHERE owner=?", (owner,))
        db.executemany("INSERT OR REPLACE INTO pages(path, owner) VALUES(?, ?)", [(p, owner) for p in paths])
        return sorted(old - set(paths))

    def _delete(self, path: str) -> Outcome:
        try:
            return self.writer.delete(path)
        except WriteRefused as exc:
            self.writer.refused[path] = str(exc)
            return Outcome.REFUSED

    def _save_refused(self) -> None:
        with self.state.transaction():
            self.state.set_meta("refused_writes", json.dumps(self.refused, ensure_ascii=False))
            self.state.mark_dirty(["status"])

    def _pool(self, jobs: int, initializer: Callable[..., None] | None, initargs: tuple[object, ...]
              ) -> ProcessPoolExecutor:
        return worker_pool(self.config.compile.workers, jobs, initializer, initargs)

    def _apply(self, path: str, outcome: Outcome, key: str = "") -> None:
        if outcome is not Outcome.REFUSED and path in self.refused:
            del self.refused[path]
            self._save_refused()
        if outcome in (Outcome.WRITTEN, Outcome.DELETED):
            self.written.add(path)
        if outcome is Outcome.WRITTEN:
            self.report.written += 1
        elif outcome is Outcome.DELETED:
            self.report.deleted += 1
        elif outcome is Outcome.REFUSED:
            reason = self.writer.refused.get(path, "refused")
            if path not in self.report.refused:
                log.error("did not write %s: %s", path, reason)
                self.report.refused.append(path)
            if self.refused.get(path) != [reason, key]:
                self.refused[path] = [reason, key]
                self._save_refused()
        elif outcome is Outcome.KEPT_USER_EDIT:
            if path not in self.report.kept_user_edits:
                log.warning("kept your edits to %s; kbd no longer updates it (kbd adopt hands it back)", path)
                self.report.kept_user_edits.append(path)
                if path != self.layout.status_note:
                    self.state.mark_dirty(["status"])


def _jsonable(value: object) -> object:
    """Report fields for the runs table: dataclasses as objects, sets as lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return list(value)  # type: ignore[call-overload]

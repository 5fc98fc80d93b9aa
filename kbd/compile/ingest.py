"""Ingest one raw note: read and summarise it (in a worker process), then commit the outcome.

`summarise_file` is pure with respect to the vault (it only reads) and runs in a process pool.
`commit_*` run in the parent, each in one transaction that also queues the notes to re-render,
so a crash between any two steps leaves a state the next run completes exactly once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from kbd.compile.aliases import canonical_mentions
from kbd.compile.duplicates import text_key, url_key
from kbd.compile.related import series_siblings
from kbd.config import Config
from kbd.engines import make_engine
from kbd.engines.base import Engine, SourceInput, SourceSummary
from kbd.engines.errors import NOTE_FAILURES, BudgetExceeded, ModelError
from kbd.engines.text import article_fingerprint
from kbd.images.fetch import FetchedImages
from kbd.isolation import NoteFailure, contain
from kbd.papers.read import is_pdf, read_pdf
from kbd.state import State
from kbd.vault.layout import clean_title, safe_note_name, unique_name
from kbd.vault.note import ClipperMeta, RawNote, Rejection, read_raw_note

if TYPE_CHECKING:
    from kbd.search import NoteFields


@dataclass(frozen=True)
class IngestOutcome:
    path: str
    size: int
    mtime_ns: int  # the change stamp (fsread.change_stamp) of the version read; 0: look again next scan
    sha256: str | None = None
    title: str | None = None
    title_from: str = "frontmatter"
    meta: ClipperMeta | None = None
    warnings: list[str] = field(default_factory=list)
    summary: SourceSummary | None = None
    engine: str = ""
    made_by: str = ""  # MadeBy.key() of the engine that wrote the summary
    rejection: Rejection | None = None
    error: str | None = None
    paused: str | None = None  # a spending cap was reached: the job waits for the next run
    url_key: str | None = None  # identity of the article, to find copies (kbd.compile.duplicates)
    text_key: str | None = None
    article: str | None = None  # what makes two clippings one article for counting (see article_identity)
    images: list[tuple[str, str]] = field(default_factory=list)  # (raw/assets/… copy, caption), kbd/compile/images.py
    search: NoteFields | None = None  # the clipping's search-index fields, from this same parse
    prefetched: FetchedImages | None = None  # downloaded before the summary, for a vision model to describe


_worker_engine: Engine | None = None


def init_worker(config: Config) -> None:
    global _worker_engine
    _worker_engine = make_engine(config)


def summarise_file(root: str, rel: str, max_bytes: int, engine: Engine | None = None,
                   fallback: Engine | None = None, images: tuple[tuple[str, str], ...] = ()) -> IngestOutcome:
    """Read, check, parse and summarise one raw note (with `images`, the (caption, description) of
    each of its images, for the summary's input). Never raises. A note the model cannot write
    (its output never matched the schema, was cut short, refused, too long for its context) is
    written by `fallback`, the offline engine, and marked so; `kbd compile --redo` tries the model
    again, since what made it is not the configured engine."""
    engine = engine or _worker_engine
    assert engine is not None, "init_worker() was not called"
    read: list[int] = [0, 0]  # size and stamp of the bytes read, for the outcome of a failure too
    result = contain("summarise", rel, _summarise, root, rel, max_bytes, engine, fallback, read, images)
    if isinstance(result, NoteFailure):  # an engine bug fails this clipping's job, not the run
        return IngestOutcome(rel, read[0], read[1], error=f"internal error: {result.reason}")
    return result


def _summarise(root: str, rel: str, max_bytes: int, engine: Engine, fallback: Engine | None,
               read: list[int], images: tuple[tuple[str, str], ...]) -> IngestOutcome:
    # The size and stamp recorded are those of the very bytes summarised (read_raw_note takes
    # them from the descriptor it read), never of a path looked at before or after.
    size = stamp = 0
    try:
        # A PDF is read in a capped worker process and parsed as a paper's markdown (kbd/papers).
        note = read_pdf(Path(root), rel, max_bytes) if is_pdf(rel) else read_raw_note(Path(root), rel, max_bytes)
        if isinstance(note, Rejection):
            return IngestOutcome(rel, note.size, note.stamp, rejection=note)
        size, stamp = read[:] = note.size, note.stamp
        source = SourceInput(note.title, note.document, note.meta, label=rel, images=images)
        name, made_by, warnings = engine.name, engine.made_by.key(), list(note.warnings)
        try:
            summary = engine.summarize_source(source)
        except NOTE_FAILURES as exc:
            if fallback is None:
                raise
            summary = fallback.summarize_source(source)
            name = f"{fallback.name} (model failed: {exc.short})"
            made_by = replace(fallback.made_by, engine=name).key()
            warnings.append(f"{engine.name} could not write this summary ({exc}); the offline engine wrote it, "
                            "`kbd compile --redo` asks the model again")
        stem = PurePosixPath(rel).stem
        title_from = "filename" if note.title == clean_title(stem) and note.meta.title is None else "content"
        return IngestOutcome(rel, size, stamp, sha256=note.sha256, title=note.title,
                             title_from=title_from, meta=note.meta, warnings=warnings,
                             summary=summary, engine=name, made_by=made_by,
                             url_key=url_key(note.meta.source), text_key=text_key(note.document.plain_text()),
                             article=article_identity(article_fingerprint(note.document), note.meta.source),
                             search=_search_fields(note))
    except BudgetExceeded as exc:
        return IngestOutcome(rel, size, stamp, paused=str(exc))
    except ModelError as exc:
        return IngestOutcome(rel, size, stamp, error=str(exc))


def _search_fields(note: RawNote) -> NoteFields | None:
    from kbd.search import parsed_note_fields  # in the worker: whoosh loads once per process

    if note.searchable is None or not note.stamp:
        return None  # a version too recent to trust: the index reads the file itself
    return parsed_note_fields(note.path, "raw", note.properties, note.searchable, size=note.size, stamp=note.stamp)


def article_identity(fingerprint: str | None, url: str | None) -> str | None:
    """Its main text's fingerprint (page furniture ignored, so two clippings of one article from
    different pages meet even where `text_key` differs); for a text too short to tell, its URL;
    else None (every such clipping counts on its own)."""
    if fingerprint:
        return "text:" + fingerprint
    key = url_key(url)
    return "url:" + key if key else None


class NameBook:
    """Note names in use in one folder, unique ignoring case; loaded once per run."""

    def __init__(self, names: list[str]) -> None:
        self.taken = {n.casefold() for n in names}

    def claim(self, title: str) -> str:
        return unique_name(safe_note_name(title), self.taken)

    def release(self, name: str) -> None:
        self.taken.discard(name.casefold())


def add_log_entry(state: State, time: str, kind: str, title: str, source_id: int | None, detail: str = "") -> None:
    """One entry for log.md (kbd/compile/model.py renders it)."""
    state.db.execute("INSERT INTO log_entries(time, kind, title, source_id, detail) VALUES(?, ?, ?, ?, ?)",
                     (time, kind, title, source_id, detail))


def _set_file(state: State, path: str, size: int, mtime_ns: int, sha: str | None, status: str,
              reason: str | None) -> None:
    state.db.execute(
        "INSERT INTO files(path, size, mtime_ns, sha256, status, reason) VALUES(?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, "
        "sha256=excluded.sha256, status=excluded.status, reason=excluded.reason",
        (path, size, mtime_ns, sha, status, reason))


def _source_keys(state: State, source_id: int) -> set[str]:
    return {r[0] for r in state.db.execute("SELECT key FROM source_concepts WHERE source_id=?", (source_id,))}


def _original(state: State, outcome: IngestOutcome) -> tuple[int, str, str] | None:
    """The source this clipping is a copy of (id, its clipping, why), if any; never itself."""
    for column, value, why in (("url_key", outcome.url_key, "same URL"), ("text_key", outcome.text_key, "same text")):
        if value is None:
            continue
        row = state.db.execute(f"SELECT id, raw_path FROM sources WHERE {column}=? AND raw_path<>? ORDER BY id LIMIT 1",
                               (value, outcome.path)).fetchone()
        if row is not None:
            return row["id"], row["raw_path"], why
    return None


def release_copies(state: State, source_id: int, now: str) -> None:
    """Detach the copies of a source (it changed or went away): each is compiled again and either
    rejoins an original or becomes a source of its own."""
    for row in state.db.execute("SELECT raw_path, sha256 FROM copies WHERE source_id=? ORDER BY raw_path",
                                (source_id,)).fetchall():
        state.db.execute("DELETE FROM copies WHERE raw_path=?", (row["raw_path"],))
        state.db.execute("DELETE FROM files WHERE path=?", (row["raw_path"],))
        key = f"ingest:{row['raw_path']}@{row['sha256']}"
        # A fresh job (not the finished one re-armed), so a compile already under way runs it too.
        state.db.execute("DELETE FROM jobs WHERE dedupe_key=? AND state IN ('done', 'failed')", (key,))
        state.enqueue("ingest", key, {"path": row["raw_path"], "sha256": row["sha256"]}, now)


def _forget_copy(state: State, raw_path: str) -> int | None:
    """Detach `raw_path` if it is a copy; returns the source it belonged to."""
    row = state.db.execute("SELECT source_id FROM copies WHERE raw_path=?", (raw_path,)).fetchone()
    if row is None:
        return None
    state.db.execute("DELETE FROM copies WHERE raw_path=?", (raw_path,))
    state.mark_dirty([f"source:{row['source_id']}", "status"])
    return int(row["source_id"])


def commit_summary(state: State, outcome: IngestOutcome, names: NameBook, now: str, redo: bool = False) -> bool:
    """Store a summary; returns False when the clipping is a copy of a source already there (it
    then joins that source instead of becoming one). `redo` marks a summary made again by a newer
    engine (the clipping is unchanged)."""
    assert outcome.summary is not None and outcome.meta is not None and outcome.title is not None
    summary, meta = outcome.summary, outcome.meta
    _forget_copy(state, outcome.path)
    original = _original(state, outcome)
    if original is not None:
        _commit_copy(state, outcome, names, now, *original)
        return False
    row = state.db.execute("SELECT id, note_name, title, sha256 FROM sources WHERE raw_path=?",
                           (outcome.path,)).fetchone()
    record = {"summary": summary.to_json(), "meta": meta.__dict__, "title_from": outcome.title_from}
    if outcome.images:
        record["images"] = outcome.images
    result = json.dumps(record, sort_keys=True, ensure_ascii=False)
    old_keys: set[str] = set()
    if row is None:
        name = names.claim(outcome.title)
        cur = state.db.execute(
            "INSERT INTO sources(raw_path, sha256, note_name, title, description, result, engine, generated, "
            "warnings, made_by, url_key, text_key, article) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (outcome.path, outcome.sha256, name, outcome.title, summary.description, result, outcome.engine, now,
             json.dumps(outcome.warnings), outcome.made_by, outcome.url_key, outcome.text_key, outcome.article))
        source_id = cur.lastrowid
        kind = "ingest"
    else:
        source_id = row["id"]
        name = row["note_name"]
        if outcome.title != row["title"]:
            names.release(name)
            name = names.claim(outcome.title)
            state.mark_dirty(["orphans"])  # the note under its old name
        old_keys = _source_keys(state, source_id)
        if row["sha256"] != outcome.sha256:  # not for a redo: the clipping, and so its copies, are unchanged
            release_copies(state, source_id, now)  # they may no longer be copies of what it is now
        state.db.execute(
            "UPDATE sources SET sha256=?, note_name=?, title=?, description=?, result=?, engine=?, generated=?, "
            "warnings=?, made_by=?, url_key=?, text_key=?, article=? WHERE id=?",
            (outcome.sha256, name, outcome.title, summary.description, result, outcome.engine, now,
             json.dumps(outcome.warnings), outcome.made_by, outcome.url_key, outcome.text_key, outcome.article,
             source_id))
        state.db.execute("DELETE FROM source_concepts WHERE source_id=?", (source_id,))
        kind = "redo" if redo else "update"
    mentions = canonical_mentions(state, summary.concepts)
    state.db.executemany(
        "INSERT INTO source_concepts(source_id, key, name, score, sentence, rank, marked, once, shown) "
        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(source_id, c.key, c.name, c.score, c.sentence, rank, c.marked, c.once, c.shown)
         for rank, c in enumerate(mentions)])
    _set_file(state, outcome.path, outcome.size, outcome.mtime_ns, outcome.sha256, "ok", None)
    add_log_entry(state, now, kind, outcome.title, source_id, outcome.path)
    new_keys = {c.key for c in mentions}
    # The other parts of a multi-part article list this one among their related sources.
    state.mark_dirty(f"related:{s}" for s in series_siblings(state, source_id, outcome.title))
    state.mark_dirty([f"source:{source_id}", "index", "log", "status",
                      *(f"concept:{k}" for k in old_keys | new_keys)])
    state.set_meta("last_change", now)
    return True


def _commit_copy(state: State, outcome: IngestOutcome, names: NameBook, now: str, source_id: int, original: str,
                 why: str) -> None:
    # A clipping that was a source of its own until now hands its summary over to the original.
    remove_source(state, outcome.path, names, now, f"is now a copy of {original}", log=False)
    state.db.execute("INSERT OR REPLACE INTO copies(raw_path, source_id, sha256, why) VALUES(?, ?, ?, ?)",
                     (outcome.path, source_id, outcome.sha256, why))
    _set_file(state, outcome.path, outcome.size, outcome.mtime_ns, outcome.sha256, "ok", None)
    add_log_entry(state, now, "duplicate", outcome.title or outcome.path, source_id,
                  f"{outcome.path} is a copy of {original} ({why}): one source note links both, and it counts once")
    state.mark_dirty([f"source:{source_id}", "log", "status"])
    state.set_meta("last_change", now)


def remove_source(state: State, raw_path: str, names: NameBook, now: str, why: str, log: bool = True) -> bool:
    """Remove the summary of `raw_path` (or detach it, if it is a copy). Its copies, if it had any,
    are compiled again: the first becomes the source. Returns whether a summary was removed."""
    copy_of = _forget_copy(state, raw_path)
    if copy_of is not None and log:
        add_log_entry(state, now, "remove", raw_path, copy_of, f"{raw_path} {why}; it was a copy, the summary stays")
        state.mark_dirty(["log"])
    row = state.db.execute("SELECT id, note_name, title FROM sources WHERE raw_path=?", (raw_path,)).fetchone()
    if row is None:
        return False
    heir = state.db.execute("SELECT MIN(raw_path) FROM copies WHERE source_id=?", (row["id"],)).fetchone()[0]
    if heir is not None:
        why += f"; its copy {heir} takes over"
    release_copies(state, row["id"], now)
    keys = _source_keys(state, row["id"])
    state.mark_dirty(f"related:{s}" for s in series_siblings(state, row["id"], row["title"]))
    state.db.execute("DELETE FROM sources WHERE id=?", (row["id"],))
    names.release(row["note_name"])
    if log:
        add_log_entry(state, now, "remove", row["title"], None, f"{raw_path} {why}")
    state.mark_dirty(["index", "log", "status", "orphans", *(f"concept:{k}" for k in keys)])
    state.set_meta("last_change", now)
    return True


def commit_rejection(state: State, rejection: Rejection, size: int, mtime_ns: int, names: NameBook,
                     now: str) -> bool:
    """Record a skipped file; True when it is newly skipped or for a new reason."""
    before = state.db.execute("SELECT status, reason FROM files WHERE path=?", (rejection.path,)).fetchone()
    remove_source(state, rejection.path, names, now, "was removed from the wiki: " + rejection.reason)
    _set_file(state, rejection.path, size, mtime_ns, None, rejection.kind, rejection.reason)
    new = before is None or before["status"] != rejection.kind or before["reason"] != rejection.reason
    if rejection.kind == "rejected" and new:
        add_log_entry(state, now, "skip", rejection.path, None, rejection.reason)
        state.mark_dirty(["log"])
    state.mark_dirty(["status"])
    return new


def commit_move(state: State, old: str, new: str, size: int, mtime_ns: int, names: NameBook, now: str) -> None:
    row = state.db.execute("SELECT id, note_name, title, sha256, result FROM sources WHERE raw_path=?",
                           (old,)).fetchone()
    if row is None:
        return
    title, name = row["title"], row["note_name"]
    if json.loads(row["result"]).get("title_from") == "filename":
        title = clean_title(PurePosixPath(new).stem) or title
        if title != row["title"]:
            names.release(name)
            name = names.claim(title)
            state.mark_dirty(["orphans"])
    state.db.execute("UPDATE sources SET raw_path=?, title=?, note_name=? WHERE id=?", (new, title, name, row["id"]))
    state.db.execute("DELETE FROM files WHERE path=?", (old,))
    _set_file(state, new, size, mtime_ns, row["sha256"], "ok", None)
    add_log_entry(state, now, "move", title, row["id"], f"{old} → {new}")
    keys = _source_keys(state, row["id"])
    state.mark_dirty([f"source:{row['id']}", "index", "log", "status", *(f"concept:{k}" for k in keys)])
    state.set_meta("last_change", now)

"""Ingest one raw note: read and summarise it (in a worker process), then commit the outcome.

`summarise_file` is pure with respect to the vault (it only reads) and runs in a process pool.
`commit_*` run in the parent, each in one transaction that also queues the notes to re-render,
so a crash between any two steps leaves a state the next run completes exactly once.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kbd.config import Config
from kbd.engines import make_engine
from kbd.engines.base import Engine, SourceInput, SourceSummary
from kbd.engines.errors import BudgetExceeded, ModelError
from kbd.state import State
from kbd.vault.layout import clean_title, safe_note_name, unique_name
from kbd.vault.note import ClipperMeta, Rejection, read_raw_note


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
    rejection: Rejection | None = None
    error: str | None = None
    paused: str | None = None  # a spending cap was reached: the job waits for the next run


_worker_engine: Engine | None = None


def init_worker(config: Config) -> None:
    global _worker_engine
    _worker_engine = make_engine(config)


def summarise_file(root: str, rel: str, max_bytes: int, engine: Engine | None = None) -> IngestOutcome:
    """Read, check, parse and summarise one raw note. Never raises."""
    engine = engine or _worker_engine
    assert engine is not None, "init_worker() was not called"
    # The size and stamp recorded are those of the very bytes summarised (read_raw_note takes
    # them from the descriptor it read), never of a path looked at before or after.
    size = stamp = 0
    try:
        note = read_raw_note(Path(root), rel, max_bytes)
        if isinstance(note, Rejection):
            return IngestOutcome(rel, note.size, note.stamp, rejection=note)
        size, stamp = note.size, note.stamp
        summary = engine.summarize_source(SourceInput(note.title, note.document, note.meta, label=rel))
        stem = PurePosixPath(rel).stem
        title_from = "filename" if note.title == clean_title(stem) and note.meta.title is None else "content"
        return IngestOutcome(rel, size, stamp, sha256=note.sha256, title=note.title,
                             title_from=title_from, meta=note.meta, warnings=note.warnings,
                             summary=summary, engine=engine.name)
    except BudgetExceeded as exc:
        return IngestOutcome(rel, size, stamp, paused=str(exc))
    except ModelError as exc:
        return IngestOutcome(rel, size, stamp, error=str(exc))
    except Exception as exc:  # an engine bug must fail one job, not the run
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return IngestOutcome(rel, size, stamp, error=f"internal error: {detail}")


class NameBook:
    """Note names in use in one folder, unique ignoring case; loaded once per run."""

    def __init__(self, names: list[str]) -> None:
        self.taken = {n.casefold() for n in names}

    def claim(self, title: str) -> str:
        return unique_name(safe_note_name(title), self.taken)

    def release(self, name: str) -> None:
        self.taken.discard(name.casefold())


def _log(state: State, time: str, kind: str, title: str, source_id: int | None, detail: str = "") -> None:
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


def commit_summary(state: State, outcome: IngestOutcome, names: NameBook, now: str) -> None:
    assert outcome.summary is not None and outcome.meta is not None and outcome.title is not None
    summary, meta = outcome.summary, outcome.meta
    row = state.db.execute("SELECT id, note_name, title FROM sources WHERE raw_path=?", (outcome.path,)).fetchone()
    result = json.dumps({"summary": summary.to_json(), "meta": meta.__dict__, "title_from": outcome.title_from},
                        sort_keys=True, ensure_ascii=False)
    old_keys: set[str] = set()
    if row is None:
        name = names.claim(outcome.title)
        cur = state.db.execute(
            "INSERT INTO sources(raw_path, sha256, note_name, title, description, result, engine, generated, "
            "warnings) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (outcome.path, outcome.sha256, name, outcome.title, summary.description, result, outcome.engine, now,
             json.dumps(outcome.warnings)))
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
        state.db.execute(
            "UPDATE sources SET sha256=?, note_name=?, title=?, description=?, result=?, engine=?, generated=?, "
            "warnings=? WHERE id=?",
            (outcome.sha256, name, outcome.title, summary.description, result, outcome.engine, now,
             json.dumps(outcome.warnings), source_id))
        state.db.execute("DELETE FROM source_concepts WHERE source_id=?", (source_id,))
        kind = "update"
    state.db.executemany(
        "INSERT INTO source_concepts(source_id, key, name, score, sentence, rank) VALUES(?, ?, ?, ?, ?, ?)",
        [(source_id, c.key, c.name, c.score, c.sentence, rank) for rank, c in enumerate(summary.concepts)])
    _set_file(state, outcome.path, outcome.size, outcome.mtime_ns, outcome.sha256, "ok", None)
    _log(state, now, kind, outcome.title, source_id, outcome.path)
    new_keys = {c.key for c in summary.concepts}
    state.mark_dirty([f"source:{source_id}", "index", "log", "status",
                      *(f"concept:{k}" for k in old_keys | new_keys)])
    state.set_meta("last_change", now)


def remove_source(state: State, raw_path: str, names: NameBook, now: str, why: str) -> bool:
    row = state.db.execute("SELECT id, note_name, title FROM sources WHERE raw_path=?", (raw_path,)).fetchone()
    if row is None:
        return False
    keys = _source_keys(state, row["id"])
    state.db.execute("DELETE FROM sources WHERE id=?", (row["id"],))
    names.release(row["note_name"])
    _log(state, now, "remove", row["title"], None, f"{raw_path} {why}")
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
        _log(state, now, "skip", rejection.path, None, rejection.reason)
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
    _log(state, now, "move", title, row["id"], f"{old} → {new}")
    keys = _source_keys(state, row["id"])
    state.mark_dirty([f"source:{row['id']}", "index", "log", "status", *(f"concept:{k}" for k in keys)])
    state.set_meta("last_change", now)

"""`.kbd/state.db`: the ledgers, the derived wiki model and the job queue.

Schema changes are numbered migrations in `MIGRATIONS` (kbd/migrations.py), applied in order and
recorded in `PRAGMA user_version`; never edit a shipped migration, append a new one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbd.migrations import MIGRATIONS

# The schema: numbered migrations, applied in order (kbd/migrations.py).
__all__ = ["MIGRATIONS", "Job", "OutputRecord", "State", "StateError", "sqlite3_split"]

class StateError(Exception):
    pass


@dataclass(frozen=True)
class OutputRecord:
    path: str
    sha256: str | None
    pending_sha256: str | None
    size: int | None
    mtime_ns: int | None
    user_edited: bool


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    dedupe_key: str
    payload: dict[str, Any]
    attempts: int


class State:
    """One connection to state.db. Not shared between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StateError(f"{self.path} was written by a newer kbd (schema {version}); upgrade kbd")
        for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in _statements(sql):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def durable_transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction that is on disk, WAL fsynced, when it returns: for a record that must
        survive a power cut before the files it describes change (synchronous=NORMAL, kept for
        everything else, may lose the last commits to a power cut, never to a crash of kbd)."""
        self.db.execute("PRAGMA synchronous=FULL")
        try:
            with self.transaction() as db:
                yield db
        finally:
            self.db.execute("PRAGMA synchronous=NORMAL")

    def close(self) -> None:
        self.db.close()

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                        (key, value))

    # -- outputs ledger ---------------------------------------------------------------------
    def output(self, path: str) -> OutputRecord | None:
        row = self.db.execute("SELECT * FROM outputs WHERE path=?", (path,)).fetchone()
        return _output(row) if row else None

    def outputs(self) -> list[OutputRecord]:
        return [_output(r) for r in self.db.execute("SELECT * FROM outputs ORDER BY path")]

    def output_pending(self, path: str, sha256: str) -> None:
        self.db.execute(
            "INSERT INTO outputs(path, pending_sha256) VALUES(?, ?) "
            "ON CONFLICT(path) DO UPDATE SET pending_sha256=excluded.pending_sha256", (path, sha256))

    def output_written(self, path: str, sha256: str, size: int, mtime_ns: int) -> None:
        self.db.execute(
            "INSERT INTO outputs(path, sha256, size, mtime_ns) VALUES(?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET sha256=excluded.sha256, pending_sha256=NULL, "
            "size=excluded.size, mtime_ns=excluded.mtime_ns, user_edited=0", (path, sha256, size, mtime_ns))

    def output_user_edited(self, path: str, edited: bool = True) -> None:
        self.db.execute("UPDATE outputs SET user_edited=? WHERE path=?", (int(edited), path))

    def output_forget(self, path: str) -> None:
        self.db.execute("DELETE FROM outputs WHERE path=?", (path,))

    # -- render queue -----------------------------------------------------------------------
    def mark_dirty(self, notes: Iterable[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO dirty(note) VALUES(?)", [(n,) for n in notes])

    def dirty(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT note FROM dirty ORDER BY note")]

    def clear_dirty(self, notes: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM dirty WHERE note=?", [(n,) for n in notes])

    # -- jobs -------------------------------------------------------------------------------
    def enqueue(self, kind: str, dedupe_key: str, payload: dict[str, Any], now: str) -> bool:
        """Add a job unless one with the same key is already pending; a failed or done job with the
        same key is re-armed. Returns True when the queue changed."""
        cur = self.db.execute(
            "INSERT INTO jobs(kind, dedupe_key, payload, state, created, updated) VALUES(?, ?, ?, 'pending', ?, ?) "
            "ON CONFLICT(dedupe_key) DO UPDATE SET state='pending', payload=excluded.payload, "
            "updated=excluded.updated WHERE jobs.state IN ('done', 'failed')",
            (kind, dedupe_key, json.dumps(payload, sort_keys=True), now, now))
        return cur.rowcount > 0

    def pending_jobs(self, kind: str | None = None) -> list[Job]:
        sql = "SELECT * FROM jobs WHERE state='pending'" + (" AND kind=?" if kind else "") + " ORDER BY id"
        rows = self.db.execute(sql, (kind,) if kind else ())
        return [Job(r["id"], r["kind"], r["dedupe_key"], json.loads(r["payload"]), r["attempts"]) for r in rows]

    def job_started(self, job_id: int, now: str) -> None:
        self.db.execute("UPDATE jobs SET state='running', attempts=attempts+1, updated=? WHERE id=?", (now, job_id))

    def job_done(self, job_id: int, now: str) -> None:
        self.db.execute("UPDATE jobs SET state='done', last_error=NULL, updated=? WHERE id=?", (now, job_id))

    def job_failed(self, job_id: int, error: str, now: str) -> None:
        self.db.execute("UPDATE jobs SET state='failed', last_error=?, updated=? WHERE id=?", (error, now, job_id))

    def job_paused(self, job_id: int, reason: str, now: str) -> None:
        """Back to pending with the reason (e.g. a spending cap), to run on a later run."""
        self.db.execute("UPDATE jobs SET state='pending', last_error=?, updated=? WHERE id=?", (reason, now, job_id))

    def drop_jobs(self, ids: Iterable[int]) -> None:
        self.db.executemany("DELETE FROM jobs WHERE id=?", [(i,) for i in ids])

    def requeue_interrupted(self) -> int:
        """Jobs left `running` by a process that died go back to pending."""
        return self.db.execute("UPDATE jobs SET state='pending' WHERE state='running'").rowcount

    def prune_done_jobs(self) -> None:
        self.db.execute("DELETE FROM jobs WHERE state='done'")

    def failed_jobs(self) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM jobs WHERE state='failed' ORDER BY dedupe_key"))

    def count_jobs(self, state: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM jobs WHERE state=?", (state,)).fetchone()[0]


def _output(row: sqlite3.Row) -> OutputRecord:
    return OutputRecord(row["path"], row["sha256"], row["pending_sha256"], row["size"], row["mtime_ns"],
                        bool(row["user_edited"]))


def _statements(sql: str) -> list[str]:
    # executescript() would commit implicitly; splitting keeps each migration in one transaction.
    return [s.strip() for s in sqlite3_split(sql) if s.strip()]


def sqlite3_split(sql: str) -> list[str]:
    parts, current = [], []
    for line in sql.splitlines():
        stripped = line.split("--", 1)[0]
        current.append(stripped)
        if stripped.rstrip().endswith(";"):
            statement = "\n".join(current)
            if sqlite3.complete_statement(statement):
                parts.append(statement)
                current = []
    if "".join(current).strip():
        parts.append("\n".join(current))
    return parts

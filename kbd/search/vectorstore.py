"""`.kbd/vectors.db`: the embeddings of every passage, quantised to int8, and which notes have which
passages (kbd/search/vectors.py searches and syncs it; the storage format is described there).
Derived data: deleting the file loses nothing but embedding calls."""

from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

VECTORS_DB = "vectors.db"  # in .kbd/, not .kbd/search/: a rebuilt index keeps its vectors
QUERY_CACHE = 1_000  # query vectors kept, so a repeated search makes no call


def passage_key(model: str, text: str) -> str:
    """The store's key of a passage's vector: the same text under the same model is embedded once."""
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


def quantise(vector: list[float]) -> tuple[float, bytes]:
    """(scale, bytes): each value as round(x / scale) + 128 in 1..255, scale = max|x| / 127."""
    top = max((abs(x) for x in vector), default=0.0)
    scale = top / 127 if top > 0 and math.isfinite(top) else 1.0
    return scale, bytes(min(255, max(1, round(x / scale) + 128)) if math.isfinite(x) else 128 for x in vector)


_SCHEMA = """
DROP TABLE IF EXISTS vectors;  -- the float32 re-ranking cache of an earlier version
CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, scale REAL NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS embedded_notes (path TEXT PRIMARY KEY, model TEXT NOT NULL,
    stamp TEXT NOT NULL, type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passages (path TEXT NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (path, seq));
CREATE INDEX IF NOT EXISTS passages_key ON passages(key);
CREATE TABLE IF NOT EXISTS query_vectors (key TEXT PRIMARY KEY, scale REAL NOT NULL, data BLOB NOT NULL,
    used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
DROP TABLE IF EXISTS notes;  -- the earlier version's (path, stamp, keys)
"""
_schema_done: set[str] = set()  # stores whose tables this process has made sure of
_schema_guard = threading.Lock()


class VectorStore:
    """The SQLite file of embeddings and of which notes have which passages."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        existed = path.exists()
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        with _schema_guard:
            if existed and os.fspath(path) in _schema_done:
                return
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
            _schema_done.add(os.fspath(path))

    def close(self) -> None:
        self.db.close()


    def generation(self) -> int:
        """Changes whenever notes or their passages change (for the in-memory matrix)."""
        row = self.db.execute("SELECT value FROM meta WHERE name='generation'").fetchone()
        return int(row[0]) if row else 0

    def stamps(self) -> dict[str, tuple[str, str]]:
        return {p: (m, s) for p, m, s in self.db.execute("SELECT path, model, stamp FROM embedded_notes")}

    def known(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            found.update(r[0] for r in self.db.execute(
                f"SELECT key FROM embeddings WHERE key IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def write(self, model: str, notes: list[tuple[str, str, str, list[str]]], fresh: dict[str, tuple[float, bytes]],
              gone: Iterable[str] = ()) -> None:
        """In one transaction: the new embeddings, each note's (path, stamp, type, passage keys),
        and the notes that are gone; then embeddings no note uses any more are dropped."""
        gone = list(gone)
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO embeddings(key, scale, data) VALUES(?, ?, ?)",
                                [(k, s, d) for k, (s, d) in fresh.items()])
            for path in [*gone, *(n[0] for n in notes)]:
                self.db.execute("DELETE FROM passages WHERE path=?", (path,))
            self.db.executemany("DELETE FROM embedded_notes WHERE path=?", [(p,) for p in gone])
            self.db.executemany("INSERT OR REPLACE INTO embedded_notes(path, model, stamp, type) VALUES(?, ?, ?, ?)",
                                [(path, model, stamp, kind) for path, stamp, kind, _ in notes])
            self.db.executemany("INSERT INTO passages(path, seq, key) VALUES(?, ?, ?)",
                                [(path, i, k) for path, _, _, keys in notes for i, k in enumerate(keys)])
            self.db.execute("DELETE FROM embeddings WHERE key NOT IN (SELECT key FROM passages)")
            self.db.execute("INSERT INTO meta(name, value) VALUES('generation', 1) "
                            "ON CONFLICT(name) DO UPDATE SET value = value + 1")

    def query_vector(self, key: str) -> tuple[float, bytes] | None:
        row = self.db.execute("SELECT scale, data FROM query_vectors WHERE key=?", (key,)).fetchone()
        return (float(row[0]), bytes(row[1])) if row else None

    def put_query_vector(self, key: str, scale: float, data: bytes) -> None:
        with self._transaction():
            used = self.db.execute("SELECT COALESCE(MAX(used), 0) + 1 FROM query_vectors").fetchone()[0]
            self.db.execute("INSERT OR REPLACE INTO query_vectors(key, scale, data, used) VALUES(?, ?, ?, ?)",
                            (key, scale, data, used))
            self.db.execute("DELETE FROM query_vectors WHERE used <= ?", (used - QUERY_CACHE,))

    def rows(self, model: str) -> Iterable[tuple[str, str, int, float, bytes]]:
        """(path, type, passage number, scale, data) of every passage of every note, note by note."""
        return self.db.execute(
            "SELECT n.path, n.type, p.seq, e.scale, e.data FROM embedded_notes n "
            "JOIN passages p ON p.path = n.path JOIN embeddings e ON e.key = p.key "
            "WHERE n.model = ? ORDER BY n.path, p.seq", (model,))

    def _transaction(self):  # type: ignore[no-untyped-def]
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")

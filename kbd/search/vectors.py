"""Semantic retrieval over every note's passages, in the standard library only.

Storage: `.kbd/vectors.db` (SQLite, derived data: deleting it loses nothing but embedding calls).
`embeddings` holds one vector per passage text, keyed by sha256(model, text), so an unchanged
passage is never embedded twice (a note that moves, or a copy of a note, costs no call);
`notes` and `passages` say which passages each note has for its current (mtime, size) and model.
Vectors are stored quantised to int8 with a per-vector scale: a quarter of float32's size, and the
form the search below computes with. Rankings agree with float32 dot products to within about
1 % of the score (tests/test_search_hybrid.py).

Search: exhaustive, over every passage of every note. The matrix is kept in memory as one big
integer per dimension, each holding that dimension of every passage in a 32-bit lane
(`Matrix`); a query's dot products with all passages are then `Σ_i q_i × column_i`: one
big-integer multiply-add per dimension, which CPython does in C over all passages at once
(SIMD within a register). At 40,000 passages × 768 dimensions that is about 50 ms of CPU where a
Python loop of float products takes about a second (figures: bench/search.py, README). The price
is memory: 4 bytes per value (the same as float32) while the matrix is loaded. The matrix is
cached per process and reloaded only when the store changed, so `kbd serve`, `kbd mcp` and the
daemon pay the load once.

Writers: `sync` embeds exactly the notes whose (mtime, size) or model differ from what the store
holds, and removes the notes that are gone; one writer per process (a thread lock) and across
processes (an flock on `.kbd/vectors.lock`, taken without waiting: a busy writer is already
doing the work).
"""

from __future__ import annotations

import fcntl
import hashlib
import heapq
import json
import logging
import math
import os
import threading
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kbd.config import Config
from kbd.search.embed import Embedder, passages
from kbd.search.notes import read_note, walk_notes
from kbd.search.vectorstore import VECTORS_DB, VectorStore, passage_key, quantise
from kbd.vault.layout import VaultLayout

__all__ = ["VECTORS_DB", "Matrix", "VectorStore", "VectorSync", "nearest_notes", "quantise", "sync_vectors"]
log = logging.getLogger("kbd.search")

LOCK_FILE = "vectors.lock"
NOTES_PER_COMMIT = 64  # notes embedded and committed together: progress and partial work survive
SNAPSHOT_FORMAT = 1
_LANE = 32  # bits per passage in a column integer: 768 dims × 255 × 255 < 2**32 (up to 66,000 dims)
Progress = Callable[[int, int], None]  # notes done, notes to do


# -- the matrix ------------------------------------------------------------------------------
def numpy_module():  # type: ignore[no-untyped-def]
    """numpy when it is installed (the optional extra `kbd[vectors]`) and KBD_VECTOR_MATH is not
    `stdlib`, else None."""
    if os.environ.get("KBD_VECTOR_MATH") == "stdlib":
        return None
    try:
        import numpy
    except ImportError:
        return None
    return numpy


class Matrix:
    """Every passage vector of one model, in memory: with numpy (`kbd[vectors]`) one float32
    array; without it, column integers (see the module docstring). `numpy`: None picks numpy when
    it is installed; False forces the standard library."""

    def __init__(self, rows: Iterable[tuple[str, str, int, float, bytes]], numpy: bool | None = None,
                 keep_bytes: bool = False) -> None:
        self.paths: list[str] = []
        self.types: list[str] = []
        owner = array("I")  # passage → index into paths
        self.seqs = array("H")  # passage → its number within the note
        scales = array("d")
        blobs: list[bytes] = []
        self.dims = 0
        for path, kind, seq, scale, data in rows:
            if not self.dims:
                self.dims = len(data)
            if len(data) != self.dims:
                continue  # a vector of another length (the endpoint changed): left out until re-embedded
            if not self.paths or self.paths[-1] != path:
                self.paths.append(path)
                self.types.append(kind)
            owner.append(len(self.paths) - 1)
            self.seqs.append(min(seq, 65535))
            scales.append(scale)
            blobs.append(data)
        self.owner = owner
        self.scales = scales
        self.size = len(blobs)
        self.flat = b"".join(blobs)
        del blobs
        self._arrange(numpy)
        if not keep_bytes:
            self.flat = b""  # `snapshot` needs them; searching does not

    @classmethod
    def from_snapshot(cls, data: bytes, numpy: bool | None = None) -> Matrix:
        """A matrix from the bytes `snapshot` made (ValueError when they are not that)."""
        end = data.index(b"\n")
        header = json.loads(data[:end])
        self = cls.__new__(cls)
        self.dims, self.size = int(header["dims"]), int(header["size"])
        self.paths = [str(p) for p, _, _ in header["notes"]]
        self.types = [str(t) for _, t, _ in header["notes"]]
        self.owner = array("I")
        for i, (_, _, count) in enumerate(header["notes"]):
            self.owner.extend([i] * int(count))
        n, d, at = self.size, self.dims, end + 1
        self.seqs, self.scales = array("H"), array("d")
        self.seqs.frombytes(data[at:at + 2 * n])
        self.scales.frombytes(data[at + 2 * n:at + 10 * n])
        self.flat = data[at + 10 * n:at + 10 * n + n * d]
        if len(self.owner) != n or len(self.flat) != n * d:
            raise ValueError("truncated matrix snapshot")
        self._arrange(numpy)
        self.flat = b""
        return self

    def snapshot(self, generation: int, model: str) -> bytes:
        counts = [0] * len(self.paths)
        for note in self.owner:
            counts[note] += 1
        header = {"format": SNAPSHOT_FORMAT, "generation": generation, "model": model, "dims": self.dims,
                  "size": self.size, "notes": [[p, t, c] for p, t, c in zip(self.paths, self.types, counts,
                                                                            strict=True)]}
        return json.dumps(header).encode() + b"\n" + self.seqs.tobytes() + self.scales.tobytes() + self.flat

    def _arrange(self, numpy: bool | None) -> None:
        flat, n, d = self.flat, self.size, self.dims
        self.np = numpy_module() if numpy is not False else None
        self.columns: list[int] = []
        self.sums = array("I")
        if self.np is not None:
            np = self.np
            # (m' - 128) × scale per passage, in place: the dot product with a float query is the cosine.
            self.dense = np.frombuffer(flat, np.uint8).reshape(n, d).astype(np.float32)
            self.dense -= 128.0
            self.dense *= np.asarray(self.scales, np.float32)[:, None]
            self.starts = np.flatnonzero(np.diff(np.asarray(self.owner, np.int64), prepend=-1))  # each note's first row
            return
        lanes = bytearray(4 * n)
        for i in range(d):
            lanes[0::4] = flat[i::d]  # dimension i of every passage, one byte in each 32-bit lane
            self.columns.append(int.from_bytes(lanes, "little"))
        del flat
        # Σ_i m'_i per passage (m' = m + 128, as stored), for turning unsigned products into signed ones.
        if n:
            self.sums.frombytes(sum(self.columns).to_bytes(4 * n, "little"))

    def nbytes(self) -> int:
        if self.np is not None:
            return int(self.dense.nbytes) + self.size * 14
        return sum(c.bit_length() // 8 for c in self.columns) + self.size * 14

    def nearest(self, scale: float, query: bytes, limit: int, note_type: str | None = None
                ) -> list[tuple[str, float, int]]:
        """The `limit` notes with the passage closest to the query (cosine similarity, both sides
        unit vectors): (path, similarity, that passage's number), most similar first."""
        if not self.size or len(query) != self.dims:
            return []
        if self.np is not None:
            return self._nearest_numpy(scale, query, limit, note_type)
        n, d = self.size, self.dims
        acc = 0
        for value, column in zip(query, self.columns, strict=True):
            acc += value * column
        dots = array("I")
        dots.frombytes(acc.to_bytes(4 * n, "little"))
        # Σ (m' - 128)(q' - 128) = Σ m'q' - 128 Σ m' - 128 Σ q' + 128² d
        base = -128 * sum(query) + 16384 * d
        best = [-math.inf] * len(self.paths)
        where = [0] * len(self.paths)
        scales, sums, owner = self.scales, self.sums, self.owner
        for row in range(n):
            score = scales[row] * (dots[row] - 128 * sums[row] + base)
            note = owner[row]
            if score > best[note]:
                best[note] = score
                where[note] = row
        notes = range(len(self.paths)) if note_type is None else \
            [i for i, kind in enumerate(self.types) if kind == note_type]
        top = heapq.nlargest(limit, notes, key=best.__getitem__)
        return [(self.paths[i], best[i] * scale, self.seqs[where[i]]) for i in top if best[i] > -math.inf]

    def _nearest_numpy(self, scale: float, query: bytes, limit: int, note_type: str | None
                       ) -> list[tuple[str, float, int]]:
        np = self.np
        q = (np.frombuffer(query, np.uint8).astype(np.float32) - 128.0) * np.float32(scale)
        scores = self.dense @ q
        best = np.maximum.reduceat(scores, self.starts)  # each note's closest passage
        if note_type is not None:
            best = np.where(np.asarray(self.types) == note_type, best, -np.inf)
        k = min(limit, len(best))
        top = np.argpartition(-best, k - 1)[:k]
        top = top[np.argsort(-best[top], kind="stable")]
        ends = np.append(self.starts[1:], self.size)
        out = []
        for i in top.tolist():
            if best[i] == -np.inf:
                continue
            start = int(self.starts[i])
            row = start + int(np.argmax(scores[start:int(ends[i])]))
            out.append((self.paths[i], float(best[i]), self.seqs[row]))
        return out


@dataclass
class _Cached:
    generation: int
    matrix: Matrix


_matrices: dict[tuple[str, str], _Cached] = {}
_matrices_guard = threading.Lock()


def matrix_for(store: VectorStore, model: str) -> Matrix:
    """The store's matrix for `model`, loaded once per process and again only after a change.
    A fresh process reads it from a snapshot file next to the store (one read instead of a query
    over every passage), which the first reader after a change writes."""
    key = (os.fspath(store.path), model)
    generation = store.generation()
    with _matrices_guard:
        cached = _matrices.get(key)
        if cached is None or cached.generation != generation:
            cached = _matrices[key] = _Cached(generation, _load(store, model, generation))
        return cached.matrix


def _load(store: VectorStore, model: str, generation: int) -> Matrix:
    snapshot = store.path.with_name(f"vectors-{hashlib.sha256(model.encode()).hexdigest()[:12]}.matrix")
    try:
        data = snapshot.read_bytes()
        head = json.loads(data[:data.index(b"\n")])
        if head.get("format") == SNAPSHOT_FORMAT and head.get("generation") == generation and \
                head.get("model") == model:
            return Matrix.from_snapshot(data)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing, stale or damaged: rebuilt from the store below
    matrix = Matrix(store.rows(model), keep_bytes=True)
    temp = snapshot.with_name(f".{snapshot.name}.{os.getpid()}.tmp")
    try:
        temp.write_bytes(matrix.snapshot(generation, model))
        os.replace(temp, snapshot)
    except OSError:
        temp.unlink(missing_ok=True)
    matrix.flat = b""
    return matrix


# -- searching and keeping current -----------------------------------------------------------
def nearest_notes(root: Path, config: Config, query: str, limit: int, note_type: str | None = None
                  ) -> list[tuple[str, float, int]]:
    """The notes closest in meaning to `query`: (path, cosine similarity, best passage number).
    Embeds the query (once: query vectors are cached). Raises ModelError when that fails."""
    model = config.search.embeddings
    store = VectorStore(root / ".kbd" / VECTORS_DB)
    try:
        key = passage_key(model, query)
        cached = store.query_vector(key)
        if cached is None:
            embedder = Embedder(root, config)
            try:
                cached = quantise(_unit(embedder.embed([query])[0]))
            finally:
                embedder.close()
            store.put_query_vector(key, *cached)
        return matrix_for(store, model).nearest(cached[0], cached[1], limit, note_type)
    finally:
        store.close()


@dataclass
class VectorSync:
    embedded_notes: int = 0  # notes whose passages were (re)written
    embedded_texts: int = 0  # passages sent to the endpoint (the rest were in the store already)
    removed: int = 0  # notes whose vectors were dropped
    error: str | None = None  # why it stopped early (endpoint down, budget spent); the rest waits


_writers: dict[str, threading.Lock] = {}
_writers_guard = threading.Lock()


def sync_vectors(root: Path, config: Config, paths: Iterable[str] | None = None,
                 progress: Progress | None = None) -> VectorSync:
    """Bring the vectors up to date: exactly `paths` (vault-relative; gone or unreadable ones
    are removed), or, with None, every note whose (mtime, size) or model differs from the store
    and every note that is gone. Returns what it did; never raises for the endpoint or the budget
    (the notes left over are embedded by the next sync)."""
    result = VectorSync()
    model = config.search.embeddings
    if not model:
        return result
    state_dir = root / ".kbd"
    state_dir.mkdir(parents=True, exist_ok=True)
    with _writers_guard:
        lock = _writers.setdefault(os.fspath(state_dir), threading.Lock())
    if not lock.acquire(blocking=False):
        return result  # this process's writer is at it already
    try:
        fd = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return result  # another kbd process is updating the vectors now
            store = VectorStore(state_dir / VECTORS_DB)
            try:
                _sync(root, config, store, paths, progress, result)
            finally:
                store.close()
        finally:
            os.close(fd)  # releases the flock
    finally:
        lock.release()
    return result


def _sync(root: Path, config: Config, store: VectorStore, paths: Iterable[str] | None,
          progress: Progress | None, result: VectorSync) -> None:
    from kbd.engines.errors import ModelError

    model = config.search.embeddings
    layout = VaultLayout.from_config(root, config)
    known = store.stamps()
    if paths is None:
        on_disk = walk_notes(root)
        todo = sorted(p for p, (mtime, size) in on_disk.items() if known.get(p) != (model, f"{mtime}:{size}"))
        gone = sorted(p for p in known if p not in on_disk)
    else:
        todo, gone = sorted(set(paths)), []
    if gone:
        store.write(model, [], {}, gone)
        result.removed += len(gone)
    if not todo:
        return
    embedder: Embedder | None = None
    try:
        for start in range(0, len(todo), NOTES_PER_COMMIT):
            if progress:
                progress(start, len(todo))
            notes: list[tuple[str, str, str, list[str]]] = []
            texts: dict[str, str] = {}
            removed: list[str] = []
            for rel in todo[start:start + NOTES_PER_COMMIT]:
                fields = read_note(layout, config, rel)
                if fields is None:
                    if rel in known:
                        removed.append(rel)
                    continue
                note_texts = passages(fields)
                keys = [passage_key(model, t) for t in note_texts]
                texts.update(zip(keys, note_texts, strict=True))
                notes.append((rel, f"{fields.mtime_ns}:{fields.size}", fields.type, keys))
            stored = store.known(list(texts))
            missing = [k for k in texts if k not in stored]
            fresh: dict[str, tuple[float, bytes]] = {}
            if missing:
                embedder = embedder or Embedder(root, config)
                vectors = embedder.embed([texts[k] for k in missing])
                fresh = {k: quantise(_unit(v)) for k, v in zip(missing, vectors, strict=True)}
            store.write(model, notes, fresh, removed)
            result.embedded_notes += len(notes)
            result.embedded_texts += len(fresh)
            result.removed += len(removed)
        if progress:
            progress(len(todo), len(todo))
    except ModelError as exc:
        result.error = str(exc)
        log.warning("embedding notes for semantic search stopped (%s); %d of %d notes are not embedded yet, "
                    "the next sync tries again", exc, len(todo) - result.embedded_notes, len(todo))
    finally:
        if embedder is not None:
            embedder.close()


def _unit(values: list[float]) -> list[float]:
    norm = math.sqrt(math.fsum(v * v for v in values)) or 1.0
    return [v / norm for v in values]

"""Optional semantic ranking (`--mode hybrid`): notes embedded in passages through an
OpenAI-compatible `/v1/embeddings` endpoint, vectors cached by content hash, and BM25 and vector
ranks fused by reciprocal rank fusion.

Scope: the vector side re-ranks BM25's best `CANDIDATES` notes rather than searching all
vectors. That keeps the math in pure Python (a few hundred dot products per query, no numpy in
the base install) and keeps the embedding cost bounded by what people search for: a passage is
embedded the first time it is a candidate, and never again while its text is unchanged. The
price is that a note sharing no word with the query is not found by meaning alone (see the
README for the figures and the alternative).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
from array import array
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kbd import clock
from kbd.config import Config, ConfigError
from kbd.search.notes import NoteFields

CANDIDATES = 100  # BM25's top notes that the vectors re-rank
RRF_K = 60  # reciprocal rank fusion: score = Σ 1 / (RRF_K + rank)
PASSAGE_CHARS = 1_200
MAX_PASSAGES = 24  # per note: a book-length note costs at most this many vectors
BATCH = 32  # texts per embeddings request
VECTORS_DB = "vectors.db"  # in .kbd/, not .kbd/search/: a rebuilt index keeps its vectors
ROLE = "embeddings"


def passages(fields: NoteFields) -> list[str]:
    """The note's text in passages of about PASSAGE_CHARS, split at paragraph ends; the first
    carries the title, so a passage is never without its subject."""
    out: list[str] = []
    current = fields.title
    for paragraph in fields.body.split("\n\n"):
        if current and len(current) + len(paragraph) > PASSAGE_CHARS:
            out.append(current)
            current = ""
            if len(out) == MAX_PASSAGES:
                return out
        current = f"{current}\n{paragraph}" if current else paragraph[:PASSAGE_CHARS * 2]
    if current:
        out.append(current)
    return out[:MAX_PASSAGES]


class VectorCache:
    """sha256(model, text) → unit vector, in `.kbd/vectors.db`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        # A note's passage keys for its (mtime, size) and model: a warm search neither re-reads nor
        # re-parses a candidate note.
        self.db.execute("CREATE TABLE IF NOT EXISTS notes (path TEXT PRIMARY KEY, stamp TEXT NOT NULL, "
                        "keys TEXT NOT NULL)")

    def close(self) -> None:
        self.db.close()

    def get(self, keys: list[str]) -> dict[str, array]:
        found: dict[str, array] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = self.db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                                   chunk)
            for key, blob in rows:
                vector = array("f")
                vector.frombytes(blob)
                found[key] = vector
        return found

    def note_keys(self, stamps: dict[str, str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        paths = list(stamps)
        for start in range(0, len(paths), 500):
            chunk = paths[start:start + 500]
            for path, stamp, keys in self.db.execute(
                    f"SELECT path, stamp, keys FROM notes WHERE path IN ({','.join('?' * len(chunk))})", chunk):
                if stamp == stamps[path]:
                    found[path] = json.loads(keys)
        return found

    def put_note_keys(self, items: Iterable[tuple[str, str, list[str]]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO notes(path, stamp, keys) VALUES(?, ?, ?)",
                            [(path, stamp, json.dumps(keys)) for path, stamp, keys in items])

    def put(self, items: Iterable[tuple[str, array]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO vectors(key, vector) VALUES(?, ?)",
                            [(key, vector.tobytes()) for key, vector in items])


class Embedder:
    """Embeds texts through kbd's model client and gateway: retries, circuit breaker, budget caps,
    usage records in state.db and the configured concurrency, like every other model call."""

    def __init__(self, root: Path, config: Config) -> None:
        from kbd.engines.client import ModelSpec
        from kbd.engines.gateway import Caps, ModelGateway, Prices, Role
        from kbd.state import State

        s = config.search
        if s.embeddings_key_env and not os.environ.get(s.embeddings_key_env):
            raise ConfigError(f"the environment variable {s.embeddings_key_env} is not set; export the key for "
                              "the embeddings endpoint in it", file=config.source, key="search.embeddings_key_env")
        self.model = s.embeddings
        self.concurrency = s.embeddings_concurrency
        state_path = root / ".kbd" / "state.db"
        State(state_path).close()  # creates or migrates state.db, where usage is recorded
        spec = ModelSpec("openai", s.embeddings, s.embeddings_url, s.embeddings_key_env or None, timeout_seconds=60.0)
        self.gateway = ModelGateway(state_path, {ROLE: Role(spec, Prices(input=s.embeddings_price))},
                                    Caps(config.budget.daily_usd, config.budget.per_run_usd), "",
                                    f"search:{clock.stamp(clock.now())}")
        self.cache = VectorCache(root / ".kbd" / VECTORS_DB)
        self.requested = 0  # texts sent to the endpoint by this embedder (the rest came from the cache)

    def close(self) -> None:
        self.gateway.close()
        self.cache.close()

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model}\0{text}".encode()).hexdigest()

    def vectors(self, texts: list[str]) -> list[array]:
        return self.vectors_for([self.key(t) for t in texts], texts)

    def vectors_for(self, keys: list[str], texts: list[str | None]) -> list[array]:
        """Vectors for `keys`; a key not in the cache is embedded from its text (which must then
        be given; None stands for "known to be cached")."""
        found = self.cache.get(sorted(set(keys)))
        missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in found and t is not None}.items())
        if missing:
            batches = [missing[i:i + BATCH] for i in range(0, len(missing), BATCH)]
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(batches))) as pool:
                results = list(pool.map(lambda b: self.gateway.embed(ROLE, [t for _, t in b], "search"), batches))
            fresh = [(key, _unit(vector)) for batch, vectors in zip(batches, results, strict=True)
                     for (key, _), vector in zip(batch, vectors, strict=True)]
            self.cache.put(fresh)
            found.update(fresh)
            self.requested += len(missing)
        return [found[k] for k in keys if k in found]


def _unit(values: list[float]) -> array:
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return array("f", (v / norm for v in values))


def dot(a: array, b: array) -> float:
    return math.sumprod(a, b) if hasattr(math, "sumprod") else sum(x * y for x, y in zip(a, b, strict=False))


def vector_order(embedder: Embedder, query: str, candidates: dict[str, str],
                 load: Callable[[str], NoteFields | None]) -> list[str]:
    """Candidate paths (path → a stamp that changes with the file), most similar first: a note's
    similarity is that of its closest passage. `load` reads a note whose passages are not known
    for its current stamp."""
    known = embedder.cache.note_keys(candidates)
    keys: list[str] = [embedder.key(query)]
    texts: list[str | None] = [query]
    owners: list[str] = []
    fresh: list[tuple[str, str, list[str]]] = []
    for path, stamp in candidates.items():
        if path in known:
            note_keys, note_texts = known[path], [None] * len(known[path])
        else:
            fields = load(path)
            note_texts = passages(fields) if fields else []
            note_keys = [embedder.key(t) for t in note_texts]
            fresh.append((path, stamp, note_keys))
        keys += note_keys
        texts += note_texts
        owners += [path] * len(note_keys)
    vectors = dict(zip(keys, embedder.vectors_for(keys, texts), strict=False))
    embedder.cache.put_note_keys(fresh)
    q = vectors[keys[0]]
    best = dict.fromkeys(candidates, -2.0)
    for owner, key in zip(owners, keys[1:], strict=True):
        if key in vectors:
            best[owner] = max(best[owner], dot(q, vectors[key]))
    return sorted(candidates, key=lambda p: -best[p])


def fuse(*rankings: list[str]) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each ranking gives 1 / (RRF_K + rank), summed per path."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, path in enumerate(ranking, start=1):
            scores[path] = scores.get(path, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: -item[1])

"""Embeddings for semantic search (`--mode hybrid`): notes cut into passages, passages embedded
through an OpenAI-compatible `/v1/embeddings` endpoint with kbd's model client and gateway, and
reciprocal rank fusion of the BM25 and vector rankings. Storing and searching the vectors is
`kbd/search/vectors.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from kbd import clock
from kbd.config import Config, ConfigError
from kbd.search.notes import NoteFields

# Notes each ranking contributes to the fusion (at least; 3 × the page otherwise). Cutting at 30
# drops only notes ranked below 30th in both rankings (a fused score under 2/91), and saves a
# quarter of whoosh's time against its top 100 at 10,000 notes; on the labelled queries it ranks a
# little better, too (MRR@10 0.901 / recall@10 0.988 against 0.895 / 0.953; bench/search.py).
CANDIDATES = 30
RRF_K = 60  # reciprocal rank fusion: score = Σ 1 / (RRF_K + rank)
PASSAGE_CHARS = 1_200
MAX_PASSAGES = 24  # per note: a book-length note costs at most this many vectors
BATCH = 32  # texts per embeddings request
ROLE = "embeddings"
RETRIES = 2


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
        # Few retries: a local endpoint that is not running (Ollama stopped) must not hold a search or a
        # compile for the ~15 s that the chat models' five retries take; the notes wait for the next sync.
        spec = ModelSpec("openai", s.embeddings, s.embeddings_url, s.embeddings_key_env or None, timeout_seconds=60.0,
                         max_retries=RETRIES)
        self.gateway = ModelGateway(state_path, {ROLE: Role(spec, Prices(input=s.embeddings_price))},
                                    Caps(config.budget.daily_usd, config.budget.per_run_usd), "",
                                    f"search:{clock.stamp(clock.now())}")
        self.requested = 0  # texts sent to the endpoint by this embedder

    def close(self) -> None:
        self.gateway.close()

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order: batches of BATCH texts, at most the configured number of
        requests at a time. Raises ModelError (endpoint down, budget spent, bad reply)."""
        if not texts:
            return []
        batches = [texts[i:i + BATCH] for i in range(0, len(texts), BATCH)]
        from concurrent.futures import ThreadPoolExecutor  # only a sync with several batches needs threads

        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(batches))) as pool:
            results = list(pool.map(lambda b: self.gateway.embed(ROLE, b, "search"), batches))
        self.requested += len(texts)
        return [vector for batch in results for vector in batch]


def fuse(*rankings: list[str]) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each ranking gives 1 / (RRF_K + rank), summed per path."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, path in enumerate(ranking, start=1):
            scores[path] = scores.get(path, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: -item[1])

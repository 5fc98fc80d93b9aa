"""Queries against the search index: BM25F ranking, snippets, did-you-mean."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kbd.config import Config


@dataclass(frozen=True)
class SearchHit:
    path: str  # vault-relative posix path, e.g. "wiki/sources/X.md"
    title: str
    type: str  # source | concept | answer | slides | report | raw | note
    score: float
    snippet: str  # plain text of the best passage (no markdown syntax)
    highlights: tuple[tuple[int, int], ...]  # [start, end) char spans in snippet to highlight
    uri: str  # obsidian://open?vault=<vault folder name>&file=<path without .md>


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[SearchHit]
    total: int
    suggestion: str | None  # "did you mean" when nothing matched and a fuzzy query did


def search_vault(
    root: Path,
    config: Config,
    query: str,
    *,
    limit: int = 10,
    note_type: str | None = None,
    mode: str = "bm25",
) -> SearchResults:
    raise NotImplementedError

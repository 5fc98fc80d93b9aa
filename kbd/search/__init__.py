"""Full-text search over the vault: one whoosh index in `.kbd/search/`, BM25F ranking.

Public interface used by the CLI, `kbd serve` and `kbd mcp`; everything else in this
package is an implementation detail.
"""

from kbd.search.build import BuildStopped
from kbd.search.index import (
    IndexUnavailable,
    SearchIndex,
    ensure_index,
    release_build,
    reserve_build,
    update_index,
)
from kbd.search.notes import NoteFields, parsed_note_fields
from kbd.search.query import QueryError, SearchHit, SearchResults, search_vault
from kbd.search.vectors import VectorSync, sync_vectors

__all__ = [
    "BuildStopped",
    "IndexUnavailable",
    "NoteFields",
    "QueryError",
    "SearchHit",
    "SearchIndex",
    "SearchResults",
    "VectorSync",
    "ensure_index",
    "parsed_note_fields",
    "release_build",
    "reserve_build",
    "search_vault",
    "sync_vectors",
    "update_index",
]

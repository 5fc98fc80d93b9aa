"""Full-text search over the vault: one whoosh index in `.kbd/search/`, BM25F ranking.

Public interface used by the CLI, `kbd serve` and `kbd mcp`; everything else in this
package is an implementation detail.
"""

import sys
import types


def _whoosh_without_urllib_request() -> None:
    """whoosh.compat imports `urllib.request` (and with it http.client, email and ssl: a fifth of a
    `kbd search` call's start-up) for a `urlretrieve` whoosh never calls. It is given a stand-in for
    the length of that import; the real module stays importable by anyone who needs it."""
    if "whoosh.compat" in sys.modules or "urllib.request" in sys.modules:
        return
    stand_in = types.ModuleType("urllib.request")
    stand_in.urlretrieve = None  # type: ignore[attr-defined]
    sys.modules["urllib.request"] = stand_in
    try:
        import whoosh.compat  # noqa: F401
    finally:
        if sys.modules.get("urllib.request") is stand_in:
            del sys.modules["urllib.request"]


_whoosh_without_urllib_request()

from kbd.search.build import BuildStopped  # noqa: E402
from kbd.search.index import (  # noqa: E402
    IndexUnavailable,
    SearchIndex,
    ensure_index,
    release_build,
    reserve_build,
    update_index,
)
from kbd.search.notes import NoteFields, parsed_note_fields  # noqa: E402
from kbd.search.query import QueryError, SearchHit, SearchResults, search_vault  # noqa: E402
from kbd.search.vectors import VectorSync, sync_vectors  # noqa: E402

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

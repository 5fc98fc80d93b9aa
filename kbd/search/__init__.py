"""Full-text search over the vault: one whoosh index in `.kbd/search/`, BM25F ranking.

Public interface used by the CLI, `kbd serve` and `kbd mcp`; everything else in this
package is an implementation detail.
"""

from kbd.search.query import SearchHit, SearchResults, search_vault
from kbd.search.index import ensure_index

__all__ = ["SearchHit", "SearchResults", "ensure_index", "search_vault"]

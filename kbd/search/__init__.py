"""Full-text search over the vault: one whoosh index in `.kbd/search/`, BM25F ranking, and search
by meaning over embedded passages (`--mode hybrid`).

This is the package's public interface, used by the CLI, compile, ask, custom skills, `kbd serve`
and `kbd mcp`; everything else in the package is an implementation detail. Other packages import
these names from `kbd.search`, never from its modules (tests/test_architecture.py checks it).

- Index: `SearchIndex` (build, heal, count), `ensure_index`, `update_index`, `reserve_build` /
  `release_build` (one builder per vault), `BuildStopped`, `IndexUnavailable`.
- Query: `search_vault` → `SearchResults` of `SearchHit`; `QueryError` for a query that cannot be
  read; `obsidian_uri` (the link that opens a hit in Obsidian).
- Notes as search sees them: `walk_notes` (every markdown note with its mtime and size),
  `note_type` and `NOTE_TYPES`, `note_fields` / `parsed_note_fields` → `NoteFields`.
- Meaning: `sync_vectors` / `VectorSync` (embed what changed).
- Command line: `add_search` adds `kbd search` to kbd/cli.py's parser.

The names load on first use (PEP 562), so importing the CLI does not load whoosh.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kbd.search.build import BuildStopped
    from kbd.search.index import (
        IndexUnavailable,
        SearchIndex,
        ensure_index,
        release_build,
        reserve_build,
        update_index,
    )
    from kbd.search.notes import NOTE_TYPES, NoteFields, note_fields, note_type, parsed_note_fields, walk_notes
    from kbd.search.query import QueryError, SearchHit, SearchResults, obsidian_uri, search_vault
    from kbd.search.vectors import VectorSync, sync_vectors

_WHERE = {
    "BuildStopped": "build",
    "add_search": "cli",  # not imported for type checkers above: kbd.search.cli imports this package
    "IndexUnavailable": "index", "SearchIndex": "index", "ensure_index": "index", "release_build": "index",
    "reserve_build": "index", "update_index": "index",
    "NOTE_TYPES": "notes", "NoteFields": "notes", "note_fields": "notes", "note_type": "notes",
    "parsed_note_fields": "notes", "walk_notes": "notes",
    "QueryError": "query", "SearchHit": "query", "SearchResults": "query", "obsidian_uri": "query",
    "search_vault": "query",
    "VectorSync": "vectors", "sync_vectors": "vectors",
}
__all__ = [
    "NOTE_TYPES",
    "BuildStopped",
    "IndexUnavailable",
    "NoteFields",
    "QueryError",
    "SearchHit",
    "SearchIndex",
    "SearchResults",
    "VectorSync",
    "add_search",
    "ensure_index",
    "note_fields",
    "note_type",
    "obsidian_uri",
    "parsed_note_fields",
    "release_build",
    "reserve_build",
    "search_vault",
    "sync_vectors",
    "update_index",
    "walk_notes",
]


# whoosh modules that whoosh imports at start for a feature kbd never uses, with the one name
# imported from each: English word variations (the Variations query) and double metaphone (a
# phonetic filter). Compiling their regular expressions was 4 ms of each `kbd search` call.
_UNUSED_BY_KBD = {"whoosh.lang.morph_en": "variations", "whoosh.lang.dmetaphone": "double_metaphone"}


def _whoosh_without_urllib_request() -> None:
    """whoosh.compat imports `urllib.request` (and with it http.client, email and ssl: a fifth of a
    `kbd search` call's start-up) for a `urlretrieve` whoosh never calls. It is given a stand-in for
    the length of that import; the real module stays importable by anyone who needs it. The same
    for the modules of _UNUSED_BY_KBD while whoosh's analysis and query modules load: their
    stand-in functions import the real module when first called."""
    if "whoosh.compat" in sys.modules or "urllib.request" in sys.modules or threading.active_count() > 1:
        return  # with other threads running, one of them could import a stand-in: whoosh loads as it is
    stand_ins = {"urllib.request": types.ModuleType("urllib.request")}
    stand_ins["urllib.request"].urlretrieve = None  # type: ignore[attr-defined]
    for module, name in _UNUSED_BY_KBD.items():
        stand_ins[module] = types.ModuleType(module)
        setattr(stand_ins[module], name, _on_first_call(module, name))
    for module, stand_in in stand_ins.items():
        sys.modules.setdefault(module, stand_in)
    try:
        import whoosh.analysis
        import whoosh.compat
        import whoosh.query  # noqa: F401
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]


def _on_first_call(module: str, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)
    return call


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'kbd.search' has no attribute {name!r}")
    if module != "cli":  # the command line's module loads whoosh only when the command runs
        _whoosh_without_urllib_request()
    value = getattr(importlib.import_module(f"kbd.search.{module}"), name)
    globals()[name] = value
    return value

"""Finding a note the way a person names it, for the search page and the MCP server.

A person (or an agent) names a note by its vault path, by a link target as Obsidian resolves it
(`B-tree`, `wiki/concepts/B-tree`), or by its title. Reading it is left to kbd.vault.read.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from kbd.config import Config
from kbd.search import QueryError, SearchResults, note_fields, obsidian_uri, search_vault, walk_notes
from kbd.vault.layout import VaultLayout
from kbd.vault.links import LinkResolver
from kbd.vault.read import clean_note_path

_SEARCH_LOCK = threading.Lock()
HEAD_CHARS = 200_000  # frontmatter is capped at 64 KB; the first heading comes before this
# A note's path, link target or title, and any other text argument of a request: Obsidian keeps a
# file name under 255 bytes, so this is room for deep folders, and it bounds what a request costs.
MAX_REF_CHARS = 1_000


class TooLong(ValueError):
    """A request's input is over its length cap (the message names the input and the cap)."""


def check_length(name: str, value: str, most: int = MAX_REF_CHARS) -> str:
    if len(value) > most:
        raise TooLong(f"{name} is {len(value):,} characters long; the most kbd accepts is {most:,}")
    return value


def search_notes(root: Path, config: Config, query: str, **options: Any) -> SearchResults:
    """search_vault, one call at a time in this process: kbd.search shares one open searcher per
    process, and two threads opening it at once (or one reopening it after a rebuild) close it under
    each other. A search takes milliseconds, so a person typing never notices the queue."""
    with _SEARCH_LOCK:
        return search_vault(root, config, query, **options)


def find_note(root: Path, config: Config, ref: str, from_path: str = "") -> str | None:
    """The vault path of the note `ref` names (path, link target or title), or None.

    A `ref` that is a path leading out of the vault (`..`, absolute, a hidden folder) raises NoteRefused;
    one over MAX_REF_CHARS raises TooLong."""
    ref = check_length("the note's name", ref).strip()
    check_length("the linking note's path", from_path)
    if not ref:
        return None
    if "/" in ref or "\\" in ref or ref.lower().endswith(".md"):
        rel = clean_note_path(ref if ref.lower().endswith(".md") else ref + ".md")
        if os.path.lexists(root / rel):
            return rel  # exactly what was asked for; reading it says why not if it is a symlink
    found = LinkResolver(walk_notes(root)).resolve(ref, from_path)
    if found:
        return found
    try:
        hits = search_notes(root, config, ref, limit=20).hits
    except QueryError:
        return None
    return next((h.path for h in hits if h.title.casefold() == ref.casefold()), None)


def note_title_and_type(layout: VaultLayout, rel: str, text: str) -> tuple[str, str]:
    """The title a note shows (its `title` property, else its first heading, else its file name)
    and its type, as the search index has them. Both sit at the top: a huge note is not parsed whole."""
    fields = note_fields(layout, rel, text[:HEAD_CHARS])
    return fields.title, fields.type


def note_uri(root: Path, rel: str) -> str:
    return obsidian_uri(root.name, rel)

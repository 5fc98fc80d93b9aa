"""Did you mean: for a query that found nothing, the closest words the index knows. Bounded: at
most MAX_SUGGESTED_WORDS distinct words are looked up (whoosh's suggest scans the word list; a
64,000-character query of unknown words took 50 s), and none after the search's deadline."""

from __future__ import annotations

import re
import time

from whoosh.searching import Searcher

from kbd.search.limits import MAX_SUGGESTED_WORDS

_PLAIN_WORD = re.compile(r"^[^\W\d_]{3,}$")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def did_you_mean(searcher: Searcher, query: str, deadline: float = float("inf")) -> str | None:
    """The query with each plain word the index does not know replaced by the closest word it
    does know (edit distance ≤ 2, same first letter, commonest first); None if nothing changes.
    At most MAX_SUGGESTED_WORDS distinct words are looked up, and none after `deadline`."""
    words = query.split(" ")
    looked_up: dict[str, str | None] = {}
    for i, word in enumerate(words):
        if not _PLAIN_WORD.match(word) or word in _OPERATORS:
            continue
        if word not in looked_up:
            if len(looked_up) >= MAX_SUGGESTED_WORDS or time.monotonic() >= deadline:
                continue
            looked_up[word] = _closest_known(searcher, word)
        words[i] = looked_up[word] or word
    return " ".join(words) if any(looked_up.values()) else None


def _closest_known(searcher: Searcher, word: str) -> str | None:
    stems = [t.text for t in searcher.schema["body"].analyzer(word)]  # the index's own stemming
    if not stems or any(searcher.doc_frequency(f, stems[0]) for f in ("body", "title")):
        return None
    for field in ("title", "body"):
        found = searcher.suggest(field, word.lower(), limit=1, maxdist=2, prefix=1)
        if found:
            return str(found[0])
    return None

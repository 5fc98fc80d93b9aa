"""Did you mean: for a query that found nothing, the closest words the index knows. Bounded: at
most MAX_SUGGESTED_WORDS distinct words are looked up (whoosh's suggest scans the word list; a
64,000-character query of unknown words took 50 s), and none after the search's deadline."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from whoosh.query import Term
from whoosh.searching import Searcher

from kbd.search.limits import MAX_SUGGESTED_WORDS

_PLAIN_WORD = re.compile(r"^[^\W\d_]{3,}$")
MAX_CANDIDATES = 12  # stems of the body looked up in a note for one unknown word
_WORD = re.compile(r"\w+")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def did_you_mean(searcher: Searcher, query: str, deadline: float = float("inf"),
                 note_text: Callable[[str], str] | None = None) -> str | None:
    """The query with each plain word the index does not know replaced by the closest word it
    does know (edit distance ≤ 2, same first letter, commonest first); None if nothing changes.
    At most MAX_SUGGESTED_WORDS distinct words are looked up, and none after `deadline`.
    `note_text`: a note's text by path, where a word known only by its stem is found as written."""
    words = query.split(" ")
    looked_up: dict[str, str | None] = {}
    for i, word in enumerate(words):
        if not _PLAIN_WORD.match(word) or word in _OPERATORS:
            continue
        if word not in looked_up:
            if len(looked_up) >= MAX_SUGGESTED_WORDS or time.monotonic() >= deadline:
                continue
            looked_up[word] = _closest_known(searcher, word, note_text)
        words[i] = looked_up[word] or word
    return " ".join(words) if any(looked_up.values()) else None


def _closest_known(searcher: Searcher, word: str, note_text: Callable[[str], str] | None) -> str | None:
    analyzer = searcher.schema["body"].analyzer
    stems = [t.text for t in analyzer(word)]  # the index's own stemming
    if not stems or any(searcher.doc_frequency(f, stems[0]) for f in ("body", "title")):
        return None
    found = searcher.suggest("title", word.lower(), limit=1, maxdist=2, prefix=1)  # titles keep their words whole
    if found:
        return str(found[0])
    if note_text is None:
        return None
    # The body's index holds stems: a misspelt word's stem can be far from the right one
    # (`consolidaton` keeps its ending, `consolidation` is `consolid`), so the candidates are the
    # stems close to the word's stem or to its beginning; each is checked against the word as a
    # note writes it.
    lower = word.lower()
    heads = {stems[0], *(lower[:k] for k in range(max(4, len(lower) - 4), len(lower)))}
    reader = searcher.reader()
    candidates = {str(t) for head in heads
                  for t in reader.terms_within("body", head, 2 if head == stems[0] else 1, prefix=1)}
    for stem in sorted(candidates, key=lambda t: -searcher.doc_frequency("body", t))[:MAX_CANDIDATES]:
        written = _as_written(searcher, stem, note_text)
        if written and _distance(written, lower) <= 2:
            return written
    return None


def _distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _as_written(searcher: Searcher, stem: str, note_text: Callable[[str], str]) -> str | None:
    """The body's index holds stems (`hippocampu`): the word as a note that has it writes it."""
    hits = searcher.search(Term("body", stem), limit=1)
    if not hits:
        return None
    analyzer = searcher.schema["body"].analyzer
    head = stem[:2]
    for m in _WORD.finditer(note_text(str(hits[0]["path"]))):
        written = m.group(0).lower()
        if written.startswith(head) and [t.text for t in analyzer(written)] == [stem]:
            return written
    return None

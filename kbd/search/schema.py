"""The index's schema and analyzer: how a note's fields become searchable words."""

from __future__ import annotations

import importlib
import re
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path

import whoosh.lang
from whoosh.analysis import STOP_WORDS, Analyzer, Token
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

from kbd.search.notes import NoteFields

WORD_TOKEN = re.compile(r"\w+(\.?\w+)*", re.UNICODE)  # whoosh's default tokenizer: `e.g`, `3.14` are one token
_FOLD_ALL = accent_map


def _english_stemmer() -> Callable[[str], str]:
    """whoosh's English stemmer, the one `stemmer_for_language("en")` gives, without running the
    whoosh.lang.snowball package, which loads the stemmers of fifteen languages (a hundredth of a
    `kbd search` call). Its English module is loaded under a stand-in package that only says
    where the modules are, then taken out of sys.modules with the modules it loaded: importing the
    real package later loads it as whoosh would, as if this never happened."""
    package = "whoosh.lang.snowball"
    if package in sys.modules or threading.active_count() > 1:  # another thread could import the stand-in
        return whoosh.lang.stemmer_for_language("en")
    stand_in = types.ModuleType(package)
    stand_in.__path__ = [str(Path(whoosh.lang.__file__).parent / "snowball")]
    sys.modules[package] = stand_in
    try:
        english = importlib.import_module(f"{package}.english")
    finally:
        for name in [package, *(m for m in sys.modules if m.startswith(package + "."))]:
            del sys.modules[name]
    return english.EnglishStemmer().stem


_stem_en = _english_stemmer()

# Boosts of BM25F: a word in the title says more about a note than the same word in passing.
TITLE_BOOST, ALIAS_BOOST, HEADING_BOOST, TAG_BOOST = 5.0, 4.0, 2.0, 2.0


class TextAnalyzer(Analyzer):
    """English stemming with accent folding: `Café`, `cafe` and `cafés` are one word.

    The same tokens as whoosh's `RegexTokenizer | LowercaseFilter | CharsetFilter(accent_map) |
    StopFilter | StemFilter` chain, in one loop with a stem cache: that chain of generators was
    two thirds of the time to index a note."""

    is_morph = True

    def __init__(self) -> None:
        self._stems: dict[str, str] = {}

    def __getstate__(self) -> dict[str, object]:
        return {}  # pickled into the index's table of contents: no cache

    def __setstate__(self, state: dict[str, object]) -> None:
        self._stems = {}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def has_morph(self) -> bool:
        return True

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", no_morph: bool = False, **kwargs: object):  # type: ignore[no-untyped-def]
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        stems = self._stems
        if len(stems) > 200_000:
            stems.clear()
        matches = WORD_TOKEN.finditer(value) if tokenize else iter([None])
        pos = start_pos
        for m in matches:
            raw = m.group(0) if m is not None else value
            text = raw.lower().translate(_FOLD_ALL)
            if keeporiginal:
                token.original = raw
            token.stopped = text in STOP_WORDS
            if token.stopped and removestops:
                continue  # as whoosh's StopFilter(renumber=True): no gap in positions
            if not token.stopped and not no_morph:
                stem = stems.get(text)
                if stem is None:
                    stem = stems[text] = _stem_en(text)
                text = stem
            token.text = text
            token.boost = 1.0
            if positions:
                token.pos = pos
            if chars:
                start = m.start() if m is not None else 0
                token.startchar = start_char + start
                token.endchar = start_char + start + len(raw)
            pos += 1
            yield token


def text_analyzer() -> TextAnalyzer:
    return TextAnalyzer()


def make_schema() -> Schema:
    ana = text_analyzer()
    # A word the analyzer splits (`write-ahead`, `force-with-lease`) is searched as a phrase.
    phrase = "phrase"
    return Schema(
        path=ID(stored=True, unique=True),
        title=TEXT(analyzer=ana, field_boost=TITLE_BOOST, stored=True, spelling=True, multitoken_query=phrase),
        aliases=TEXT(analyzer=ana, field_boost=ALIAS_BOOST, stored=True, multitoken_query=phrase),
        tags=KEYWORD(lowercase=True, commas=True, scorable=True, stored=True, field_boost=TAG_BOOST),
        headings=TEXT(analyzer=ana, field_boost=HEADING_BOOST, multitoken_query=phrase),
        # No spelling field for the body: it indexed every word of every note a second time, unstemmed
        # (half of a build's postings), for did-you-mean, which kbd.search.spelling answers from the
        # body's own words instead, on the rare query that finds nothing.
        body=TEXT(analyzer=ana, multitoken_query=phrase),
        type=ID(stored=True),
        folder=ID(stored=True),
        mtime=NUMERIC(int, bits=64, stored=True),  # nanoseconds since the epoch
        size=STORED(),
        article=ID(stored=True),
        cites=STORED(),
    )


def document(fields: NoteFields) -> dict[str, object]:
    tags: list[str] = []
    for tag in fields.tags:  # `tag:health` also finds `#health/sleep`, as Obsidian's tag search does
        parts = tag.split("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if prefix not in tags:
                tags.append(prefix)
    doc: dict[str, object] = {
        "path": fields.path, "title": fields.title, "aliases": "\n".join(fields.aliases),
        "tags": ",".join(tags), "headings": "\n".join(fields.headings), "body": fields.body,
        "type": fields.type, "folder": fields.folder, "mtime": fields.mtime_ns, "size": fields.size,
        "article": fields.article, "cites": list(fields.cites),
    }
    return doc

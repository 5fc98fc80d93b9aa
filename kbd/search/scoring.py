"""BM25F as whoosh computes it, with each segment's field lengths read once instead of once per match.

whoosh's BM25F scorer looks up a matching note's field length with a seek and a read of the
segment file (kbd opens the index without mmap; see SearchIndex.open): at 25,000 notes that was
two thirds of a query's scoring time. The lengths of one field are one byte per note, so a
segment's whole column (25 KB) is read once per field and searcher, and a matching note's byte
is decoded with whoosh's own byte-to-length table (decoding whole columns up front was a sixth of
a `kbd search` call's own work); the scores are whoosh's, to the last bit.

`add_postings` adds up a word's scores a block of postings at a time, with the same arithmetic.

Uses whoosh's private per-document reader (`_perdoc`, `_cached_reader`) and posting blocks
(`_ids`, `_weights`, `_i`, `_blocklength`): whoosh 2.7.4 is pinned and no longer released. Any
other reader or matcher falls back to whoosh's own look-up and loop.
"""

from __future__ import annotations

import weakref
from array import array
from collections.abc import Callable

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F, BaseScorer, BM25FScorer
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

_BYTE_TO_LENGTH: array = byte_to_length.__self__  # whoosh's table: byte_to_length is its __getitem__


class FieldLengths:
    """One field's length byte of every note of a segment; called with a note's number, its length."""

    __slots__ = ("column",)

    def __init__(self, column: bytes) -> None:
        self.column = column

    def __call__(self, docnum: int) -> int:
        return _BYTE_TO_LENGTH[self.column[docnum]]


_lengths: weakref.WeakKeyDictionary[IndexReader, dict[str, FieldLengths]] = weakref.WeakKeyDictionary()


class ReadOnceBM25F(BM25F):
    """whoosh's BM25F, reading each segment's field lengths in one piece (see the module's note)."""

    def scorer(self, searcher: Searcher, fieldname: str, text: bytes, qf: int = 1) -> BaseScorer:
        scorer = super().scorer(searcher, fieldname, text, qf)
        if isinstance(scorer, BM25FScorer):
            lookup = _length_lookup(searcher.reader(), fieldname)
            if lookup is not None:
                scorer.dfl = lookup
        return scorer


def _length_lookup(reader: IndexReader, fieldname: str) -> FieldLengths | None:
    """The field's length of a note by its number in this segment, from the segment's length
    column read whole; None when the reader is not one whose column kbd knows how to read."""
    by_field = _lengths.setdefault(reader, {})
    lengths = by_field.get(fieldname)
    if lengths is None:
        column = _length_column(reader, fieldname)
        if column is None:
            return None
        doccount = reader.doc_count_all()
        # A note past the column's end has no length stored (whoosh reads 0 for it); a note that
        # matched a word in the field always has one, so the padding (byte 1: length 1) is never scored.
        lengths = by_field[fieldname] = FieldLengths(column[:doccount].ljust(doccount, b"\x01"))
    return lengths


def _length_column(reader: IndexReader, fieldname: str) -> bytes | None:
    perdoc = getattr(reader, "_perdoc", None)
    cached = getattr(perdoc, "_cached_reader", None)
    if cached is None:
        return None
    column = cached(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None or not all(hasattr(column, a) for a in ("_dbfile", "_basepos", "_count", "_fixedlen")) \
            or column._fixedlen != 1:
        return None
    return bytes(column._dbfile.get(column._basepos, column._count))


def add_postings(matcher: Matcher, scores: dict[int, float], boost: float, check: Callable[[], None]) -> bool:
    """Add each note's score for one word in one field (scores[note] += score * boost), reading the
    postings a block at a time, as whoosh's matcher would one by one (BM25F's formula written
    out: scoring.bm25, term for term, so the sums are the same to the last bit). `check` runs
    before each block (the search's deadline). False, and nothing read, when the matcher is not a
    plain posting list scored by ReadOnceBM25F (the caller then steps through it)."""
    excluded: frozenset[int] | set[int] = frozenset()
    leaf = matcher
    if isinstance(leaf, FilterMatcher):  # a segment's deleted notes
        if not leaf._exclude or leaf.boost != 1.0:
            return False
        excluded, leaf = leaf._ids, leaf.child
    scorer = getattr(leaf, "scorer", None)
    if type(leaf) is not W3LeafMatcher or type(scorer) is not BM25FScorer:
        return False
    if not isinstance(scorer.dfl, FieldLengths):
        return False
    column, length_of_byte = scorer.dfl.column, _BYTE_TO_LENGTH
    idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
    while leaf.is_active():
        check()
        leaf.id()
        leaf.weight()  # both load the current block
        ids, weights = leaf._ids, leaf._weights
        for i in range(leaf._i, leaf._blocklength):
            docnum = ids[i]
            if docnum in excluded:
                continue
            tf = weights[i]
            score = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length_of_byte[column[docnum]] / avgfl)))
            scores[docnum] = scores.get(docnum, 0.0) + score * boost
        leaf._i = leaf._blocklength - 1
        leaf.next()
    return True

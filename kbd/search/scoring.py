"""BM25F as whoosh computes it, with each segment's field lengths read once instead of once per match.

whoosh's BM25F scorer looks up a matching note's field length with a seek and a read of the
segment file (kbd opens the index without mmap; see SearchIndex.open): at 25,000 notes that was
two thirds of a query's scoring time. The lengths of one field are one byte per note, so a
segment's whole column (25 KB) is read once per field and searcher and decoded with whoosh's own
byte-to-length table; the scores are whoosh's, to the last bit.

Uses whoosh's private per-document reader (`_perdoc`, `_cached_reader`): whoosh 2.7.4 is pinned
and no longer released. Any other reader falls back to whoosh's own look-up.
"""

from __future__ import annotations

import weakref
from array import array
from collections.abc import Callable

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F, BaseScorer, BM25FScorer
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

_lengths: weakref.WeakKeyDictionary[IndexReader, dict[str, array]] = weakref.WeakKeyDictionary()


class ReadOnceBM25F(BM25F):
    """whoosh's BM25F, reading each segment's field lengths in one piece (see the module's note)."""

    def scorer(self, searcher: Searcher, fieldname: str, text: bytes, qf: int = 1) -> BaseScorer:
        scorer = super().scorer(searcher, fieldname, text, qf)
        if isinstance(scorer, BM25FScorer):
            lookup = _length_lookup(searcher.reader(), fieldname)
            if lookup is not None:
                scorer.dfl = lookup
        return scorer


def _length_lookup(reader: IndexReader, fieldname: str) -> Callable[[int], int] | None:
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
        # matched a word in the field always has one, so the padding is never scored.
        lengths = by_field[fieldname] = array("i", map(byte_to_length, column[:doccount]))
        lengths.extend([1] * (doccount - len(lengths)))
    return lengths.__getitem__


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

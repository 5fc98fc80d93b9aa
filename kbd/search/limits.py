"""Bounds on the work one search request does, and the loop that ranks the matches within them.
A query reaches kbd from `kbd search`, the search page, the MCP server, `kbd ask` and custom
skills: whatever is typed or pasted, one search costs at most a few spelling look-ups and
SEARCH_SECONDS of ranking."""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.collectors import Collector, FilterCollector, TimeLimit, TopCollector, WrappingCollector
from whoosh.searching import Searcher

from kbd.search.scoring import add_postings

MAX_QUERY_CHARS = 1_000  # = the longest question `kbd ask` takes, whose words become a query
MAX_SUGGESTED_WORDS = 5  # did-you-mean looks up this many unknown words at most: whoosh's suggest scans the word list
SEARCH_SECONDS = 5.0  # the ranking and did-you-mean of one search stop at this deadline
_DEADLINE_EVERY = 4096  # postings read between two looks at the clock


@dataclass(frozen=True)
class Ranked:
    """The best matches of a query: (note number in the searcher, score), best first, ties in
    note-number order as whoosh orders them; and how many notes matched, when that was counted."""

    matches: list[tuple[int, float]]
    total: int | None


class _Deadline(WrappingCollector):
    """Stops a search at its deadline (TimeLimit), checked at every matching note. No alarm signal
    (whoosh's TimeLimitCollector): searches run in the search page's and the MCP server's threads."""

    def __init__(self, child: Collector, deadline: float) -> None:
        super().__init__(child)
        self.deadline = deadline

    def collect_matches(self) -> None:
        for sub_docnum in self.child.matches():
            self.collect(sub_docnum)

    def collect(self, sub_docnum: int) -> object:
        if time.monotonic() >= self.deadline:
            raise TimeLimit
        return self.child.collect(sub_docnum)


def search_until(searcher: Searcher, q: wq.Query, limit: int, type_filter: wq.Query | None,
                 deadline: float) -> Ranked:
    """The `limit` best matches of `q` among the notes `type_filter` allows (None: all), or
    TimeLimit at `deadline`: whoosh's scores and order, as searcher.search(q, limit=, filter=)
    gives them. An OR of words (the usual query) is added up word by word (`_added_up`); any other
    query goes through whoosh's collector, with the deadline inside the filter (whoosh's
    FilterCollector drives its child note by note, past a wrapper's own loop)."""
    if time.monotonic() >= deadline:
        raise TimeLimit
    if isinstance(q, wq.Or) and len(q.subqueries) > 1 and not q.minmatch:
        return _added_up(searcher, q, limit, type_filter, deadline)
    # No block-quality skipping: with kbd's hundred candidates and five fields per word it
    # skipped little and its bookkeeping cost more than it saved (bench/search_docs.py).
    collector = FilterCollector(_Deadline(TopCollector(limit=limit, usequality=False), deadline), type_filter)
    searcher.search_with_collector(q, collector)
    return Ranked([(hit.docnum, hit.score) for hit in collector.results()], None)


def _added_up(searcher: Searcher, q: wq.Or, limit: int, type_filter: wq.Query | None, deadline: float) -> Ranked:
    """An OR's score of a note is the sum of its parts' scores (whoosh's union matchers add them
    the same way, in the same order). Reading each part's postings to the end and adding them up
    by note avoids whoosh's tree of union matchers, which moved every part note by note: at
    25,000 notes, five fields times three words, the tree was most of a query's time."""
    allowed = set(searcher.docs_for_query(type_filter)) if type_filter is not None else None
    context = searcher.context()
    boost = q.boost
    scores: dict[int, float] = {}

    def check() -> None:
        if time.monotonic() >= deadline:
            raise TimeLimit

    for sub, offset in searcher.leaf_searchers():
        part: dict[int, float] = {}
        for subq in q.subqueries:
            m = subq.matcher(sub, context)
            if add_postings(m, part, boost, check):
                continue
            read = 0
            while m.is_active():
                docnum = m.id()
                part[docnum] = part.get(docnum, 0.0) + m.score() * boost
                m.next()
                read += 1
                if read % _DEADLINE_EVERY == 0 and time.monotonic() >= deadline:
                    raise TimeLimit
            if time.monotonic() >= deadline:
                raise TimeLimit
        for docnum, score in part.items():
            if score > 0 and (allowed is None or docnum + offset in allowed):
                scores[docnum + offset] = score
    best = heapq.nlargest(limit, scores.items(), key=lambda item: (item[1], -item[0]))
    return Ranked([(docnum, score) for docnum, score in best], len(scores))

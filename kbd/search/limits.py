"""Bounds on the work one search request does. A query reaches kbd from `kbd search`, the search
page, the MCP server, `kbd ask` and custom skills: whatever is typed or pasted, one search costs
at most a few spelling look-ups and SEARCH_SECONDS of ranking."""

from __future__ import annotations

import time

from whoosh import query as wq
from whoosh.collectors import Collector, FilterCollector, TimeLimit, WrappingCollector
from whoosh.searching import Results, Searcher

MAX_QUERY_CHARS = 1_000  # = the longest question `kbd ask` takes, whose words become a query
MAX_SUGGESTED_WORDS = 5  # did-you-mean looks up this many unknown words at most: whoosh's suggest scans the word list
SEARCH_SECONDS = 5.0  # the ranking and did-you-mean of one search stop at this deadline


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
                 deadline: float) -> Results:
    """searcher.search(q, limit=, filter=, terms=False), or TimeLimit at `deadline`. The deadline sits
    inside the filter: whoosh's FilterCollector drives its child note by note, past a wrapper's own loop."""
    if time.monotonic() >= deadline:
        raise TimeLimit
    collector = FilterCollector(_Deadline(searcher.collector(limit=limit, terms=False), deadline), type_filter)
    searcher.search_with_collector(q, collector)
    return collector.results()

"""Queries against the search index: BM25F ranking, snippets, did-you-mean."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from whoosh import qparser
from whoosh import query as wq
from whoosh.collectors import TimeLimit
from whoosh.fields import TEXT
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from kbd.config import Config
from kbd.search.embed import CANDIDATES, fuse
from kbd.search.index import IndexUnavailable, SearchIndex
from kbd.search.limits import MAX_QUERY_CHARS, SEARCH_SECONDS, search_until
from kbd.search.notes import NOTE_TYPES
from kbd.search.rank import CANDIDATES as RANKED
from kbd.search.rank import answers_after_sources, one_per_article, synthesis_after_articles
from kbd.search.schema import WORD_TOKEN
from kbd.search.scoring import ReadOnceBM25F
from kbd.search.snippets import best_passage, note_text, semantic_snippet
from kbd.search.spelling import did_you_mean

log = logging.getLogger("kbd.search")
MODES = ("bm25", "hybrid")
_FIELDS = ["title", "aliases", "headings", "tags", "body"]


@dataclass(frozen=True)
class SearchHit:
    path: str  # vault-relative posix path, e.g. "wiki/sources/X.md"
    title: str
    type: str  # source | concept | answer | slides | report | raw | note
    score: float
    snippet: str  # plain text of the best passage (no markdown syntax)
    highlights: tuple[tuple[int, int], ...]  # [start, end) char spans in snippet to highlight
    uri: str  # obsidian://open?vault=<vault folder name>&file=<path without .md>
    also: tuple[str, ...] = ()  # the same article's other notes (a clipping's summary, a summary's clipping)


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[SearchHit]
    total: int
    suggestion: str | None  # "did you mean" when nothing matched and a fuzzy query did
    notice: str | None = None  # the index is being built: what these results are drawn from

    def to_json(self) -> dict[str, object]:
        """The `kbd search --json` schema (documented in docs/search.md; keep it stable)."""
        return {"query": self.query, "total": self.total, "suggestion": self.suggestion, "notice": self.notice,
                "hits": [{"path": h.path, "title": h.title, "type": h.type, "score": h.score,
                          "snippet": h.snippet, "highlights": [list(s) for s in h.highlights], "uri": h.uri,
                          "also": list(h.also)}
                         for h in self.hits]}


class QueryError(ValueError):
    """A query or option the engine cannot run; the message says how to fix it."""


class _Unreadable(IndexUnavailable):
    """Reading the index failed, not parsing the query: the one failure that means a damaged index."""


def obsidian_uri(vault_name: str, path: str) -> str:
    file = path[:-3] if path.lower().endswith(".md") else path
    return f"obsidian://open?vault={quote(vault_name, safe='')}&file={quote(file, safe='')}"


def make_parser(schema) -> qparser.QueryParser:  # type: ignore[no-untyped-def]
    """Words are ORed with a bonus for notes that have more of them: a natural question finds
    the notes that share most of its words, not only notes that have every one."""
    parser = qparser.MultifieldParser(_FIELDS, schema, group=qparser.OrGroup.factory(0.9))
    parser.add_plugin(qparser.FieldAliasPlugin({"tags": ["tag"], "title": ["name"], "folder": ["in"],
                                                "aliases": ["alias"]}))
    parser.add_plugin(qparser.PrefixPlugin())
    parser.remove_plugin_class(qparser.BoostPlugin)  # `word^2` is noise from pasted text, not a boost
    return parser


def search_vault(
    root: Path,
    config: Config,
    query: str,
    *,
    limit: int = 10,
    note_type: str | None = None,
    mode: str | None = None,
) -> SearchResults:
    """Search the vault's notes, one result per article (a clipping and its summary are one),
    answer notes after the sources they cite unless `note_type` asks for answers. Searches read the
    index's last committed state and never wait for a writer; while the index is being built they
    answer from the one that exists and say so (`notice`). An index nobody built yet (a vault
    never compiled) is built here. `mode` None: hybrid when `search.embeddings` names a model,
    else bm25."""
    if mode is None:
        mode = default_mode(config)
    if mode not in MODES:
        raise QueryError(f"unknown mode {mode!r}; use one of: {', '.join(MODES)}")
    if note_type is not None and note_type not in NOTE_TYPES:
        raise QueryError(f"unknown note type {note_type!r}; use one of: {', '.join(NOTE_TYPES)}")
    if limit < 1:
        raise QueryError("limit must be at least 1")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(query):,} characters long; the most kbd searches for is "
                         f"{MAX_QUERY_CHARS:,}")
    query = query.strip()
    if not query:
        return SearchResults(query, [], 0, None)
    if mode == "hybrid" and not config.search.embeddings:
        raise QueryError("--mode hybrid needs an embeddings model: set search.embeddings in kbd/config.yaml "
                         "(e.g. nomic-embed-text with Ollama); without it search is BM25 only")
    index = SearchIndex(root, config)
    notice = _readiness(index)
    if notice is not None and index.open(check=False) is None:
        return SearchResults(query, [], 0, None, notice)
    # More matches than shown: a clipping and its summary fold into one result.
    wanted = max(limit * 3, CANDIDATES) if mode == "hybrid" else max(limit * 2 + 10, RANKED)
    try:
        bm25 = _search(index, query, wanted, note_type)
    except _Unreadable as exc:  # a damaged segment shows itself only when read: rebuild, then retry once
        log.warning("search index unreadable (%s: %s); rebuilding it", type(exc).__name__, exc)
        _forget(index)
        index.rebuild(force=True)
        bm25 = _search(index, query, wanted, note_type)
    hits, total, suggestion, terms = bm25
    semantic: dict[str, int] = {}  # path → number of its passage closest to the query
    if mode == "hybrid" and not _FILTERS.search(query):
        hits, semantic = _hybrid(index, config, query, hits, wanted, wanted, note_type)
        total = max(total, len(hits), len(semantic))
    if note_type is None and not _ASKS_CONCEPTS.search(query):
        hits = synthesis_after_articles(hits)
    articles = one_per_article(hits)
    if note_type != "answer" and not _ASKS_ANSWERS.search(query):
        articles = answers_after_sources(articles)
    vault = index.layout.root.name
    # Snippets (reading and parsing the note) only for the results shown.
    out = [_hit(index, vault, a.stored, a.score, terms, semantic.get(str(a.stored["path"])), a.also)
           for a in articles[:limit]]
    return SearchResults(query, out, total, suggestion, notice)


_ASKS_ANSWERS = re.compile(r"(?<![\w\"])type:answer\b", re.IGNORECASE)
_ASKS_CONCEPTS = re.compile(r"(?<![\w\"])type:concept\b", re.IGNORECASE)


def _readiness(index: SearchIndex) -> str | None:
    """Make sure there is an index to search, the first time this process searches it; None, or
    what the user should know about the results (a build is under way)."""
    if index.building():
        if index.open(check=False) is None:
            return "the search index is being built (kbd run or kbd compile is on it); try again in a minute"
        return "the search index is being rebuilt; these results come from the previous one"
    with _open_guard:
        if os.fspath(index.folder) in _open or index.ensured():
            return None  # this process has it open or checked: kbd serve and kbd mcp refresh it themselves
    if index.reserved():  # a thread of this process (kbd serve, kbd run) is about to build or check it
        if index.open(check=False) is None:
            return "the search index is being built; search again in a minute"
        return None
    try:
        index.ensure()
    except IndexUnavailable as exc:  # a build started just now, in another process
        return str(exc)
    return None


def default_mode(config: Config) -> str:
    return "hybrid" if config.search.embeddings else "bm25"


class _Open:
    """An open index and searcher, reused across searches in one process (`kbd serve`, `kbd mcp`):
    opening the segment files costs more than a search. Used under its lock (whoosh searchers are
    not documented as thread-safe); refreshed when a writer has committed since."""

    def __init__(self, ix: FileIndex, inode: int) -> None:
        self.ix = ix
        self.inode = inode  # a rebuild swaps the folder: a new inode means reopen
        self.searcher = ix.searcher(weighting=ReadOnceBM25F())
        self.parser = make_parser(ix.schema)
        self.lock = threading.Lock()


_open: dict[str, _Open] = {}
_open_guard = threading.Lock()


def _forget(index: SearchIndex) -> None:
    with _open_guard:
        entry = _open.pop(os.fspath(index.folder), None)
    if entry is not None:
        entry.searcher.close()


@contextlib.contextmanager
def _searcher(index: SearchIndex) -> Iterator[_Open]:
    key = os.fspath(index.folder)
    try:
        inode = os.stat(index.folder).st_ino
    except OSError:
        inode = -1
    with _open_guard:  # opened under the guard: two threads' first searches must not replace each other's
        entry = _open.get(key)
        if entry is None or entry.inode != inode:
            ix = index.open(check=False) or index.ensure()
            entry = _open[key] = _Open(ix, os.stat(index.folder).st_ino)
    with entry.lock:
        if not entry.searcher.up_to_date():
            entry.searcher = entry.searcher.refresh()
        yield entry


_Found = tuple[list[tuple[dict[str, object], float]], int, str | None, tuple[set[str], tuple[str, ...]]]


def _reading(search: Callable[..., _Found]) -> Callable[..., _Found]:
    """Any failure of `search` other than the query's own (QueryError) or a refusal to open
    (IndexUnavailable) is a failure to read the index: _Unreadable, which search_vault heals."""
    @functools.wraps(search)
    def reading(*args: object, **kwargs: object) -> _Found:
        try:
            return search(*args, **kwargs)
        except (QueryError, IndexUnavailable):
            raise
        except Exception as exc:  # whoosh raises many kinds on damaged files
            raise _Unreadable(f"the search index could not be read ({type(exc).__name__}: {exc}); "
                              "`kbd search --rebuild` builds it afresh") from exc
    return reading


@_reading
def _search(index: SearchIndex, query: str, limit: int, note_type: str | None) -> _Found:
    type_filter = wq.Term("type", note_type) if note_type else None
    deadline = time.monotonic() + SEARCH_SECONDS
    with _searcher(index) as entry:
        parser, searcher = entry.parser, entry.searcher
        q = _parse(parser, query)
        hits, total = _run(searcher, q, limit, type_filter, deadline)
        suggestion = None
        if not hits:
            corrected = did_you_mean(searcher, query, deadline, lambda path: note_text(index, path))
            if corrected:
                fuzzy = _parse(parser, corrected)
                hits, total = _run(searcher, fuzzy, limit, type_filter, deadline)
                if hits:
                    suggestion, q = corrected, fuzzy
    return hits, total, suggestion, _query_terms(q)


def _hybrid(index: SearchIndex, config: Config, query: str, hits: list[tuple[dict[str, object], float]],
            wanted: int, limit: int, note_type: str | None
            ) -> tuple[list[tuple[dict[str, object], float]], dict[str, int]]:
    """The best `limit` of BM25's and the vectors' best `wanted` notes (over every passage of the
    vault), fused by reciprocal rank fusion, and each semantic hit's closest passage. When the
    embeddings endpoint fails or the budget is spent, the BM25 results stand (with a warning)."""
    from kbd.engines.errors import ModelError
    from kbd.search.vectors import nearest_notes

    try:
        nearest = nearest_notes(index.layout.root, config, query, wanted, note_type)
    except ModelError as exc:
        log.warning("semantic ranking unavailable (%s); showing BM25 results", exc)
        return hits, {}
    by_path = {str(stored["path"]): (stored, score) for stored, score in hits}
    semantic = {path: seq for path, _, seq in nearest}
    fused: list[tuple[dict[str, object], float]] = []
    with _searcher(index) as entry:
        for path, score in fuse(list(by_path), [path for path, _, _ in nearest]):
            stored = by_path[path][0] if path in by_path else entry.searcher.document(path=path)
            if stored is not None:  # a note the index no longer has (deleted since the vectors' last sync)
                fused.append((stored, round(score, 6)))
                if len(fused) == limit:
                    break
    return fused, semantic


# Field filters and NOT narrow a query in ways the vectors cannot follow: such a query is ranked by BM25.
_FILTERS = re.compile(r"(?<![\w\"])(?:tags?|type|title|name|aliases|alias|folder|in|path|headings|body):"
                      r"|(?:^|\s)(?:NOT|ANDNOT)\s")
def _parse(parser: qparser.QueryParser, text: str) -> wq.Query:
    """The parsed query; QueryError when whoosh's parser fails on it (`NOT NOT sleep` raises its
    IndexError, `AND ANDNOT ANDNOT` an AssertionError): a mistake in the query, not in the index."""
    try:
        return _split_prefixes(_normalise(parser.parse(_prepare(text))), parser.schema)
    except Exception as exc:
        log.info("query %r not parsed: %s: %s", text[:200], type(exc).__name__, exc)
        raise QueryError("the query cannot be read: an operator (AND, OR, NOT, ANDNOT, ANDMAYBE, TO) needs a "
                         "word on each side (NOT: after it), brackets and quotes must be closed; write "
                         "operators in lower case to search for them as words") from None


def _prepare(text: str) -> str:
    """`tag:#x` is how people write tags; whoosh would read `#x` as a word."""
    return re.sub(r"\b(tags?):#", r"\1:", text)


def _split_prefixes(q: wq.Query, schema) -> wq.Query:  # type: ignore[no-untyped-def]
    """`B-tr*` as the index holds `B-tree` (the words `b` and `tree`, one after the other): the whole
    words before the last break, then the last part as a prefix, in that order and adjacent. Left as
    one prefix, it matched nothing. Only in the TEXT fields, which kbd splits into words (`tag:my-ta*`
    and `in:wiki/sou*` keep their prefix whole: KEYWORD and ID fields hold whole values)."""
    def fix(node: wq.Query) -> wq.Query:
        field = schema[node.fieldname] if isinstance(node, wq.Prefix) and node.fieldname in schema.names() else None
        if isinstance(field, TEXT):
            parts = [m.group(0).lower() for m in WORD_TOKEN.finditer(node.text)]
            if len(parts) > 1:
                analyzer = field.analyzer
                words = [t.text for part in parts[:-1] for t in analyzer(part)]
                return wq.Sequence([*(wq.Term(node.fieldname, w) for w in words),
                                    wq.Prefix(node.fieldname, parts[-1])], boost=node.boost)
            return node
        return node.apply(fix)
    return fix(q)


def _normalise(q: wq.Query) -> wq.Query:
    """Lowercase field values of the ID fields; a bare NullQuery stays a NullQuery."""
    def fix(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Term) and node.fieldname in ("type", "folder", "tags"):
            return wq.Term(node.fieldname, node.text.lower().lstrip("#"), boost=node.boost)
        return node.apply(fix)
    return fix(q)


def _run(searcher: Searcher, q: wq.Query, limit: int, type_filter: wq.Query | None,
         deadline: float = float("inf")) -> tuple[list[tuple[dict[str, object], float]], int]:
    if q is wq.NullQuery:
        return [], 0
    try:
        ranked = search_until(searcher, q, limit, type_filter, deadline)
    except TimeLimit:
        raise QueryError(f"the search took longer than {SEARCH_SECONDS:g} s and was stopped; use fewer words "
                         "or wildcards (*), or narrow it with type: or tag:") from None
    hits = [(searcher.stored_fields(docnum), score) for docnum, score in ranked.matches]
    total = ranked.total
    if total is None:
        # Counting every match costs a second pass over the postings (60 ms at 10,000 notes): the
        # total is exact when all matches fit in `limit`, otherwise whoosh's estimate from the words'
        # document counts, capped (Results.estimated_length counts them all, through kbd's collectors).
        total = len(hits) if len(hits) < limit else min(q.estimate_size(searcher.reader()), searcher.doc_count())
    return hits, max(total, len(hits))


def _query_terms(q: wq.Query) -> tuple[set[str], tuple[str, ...]]:
    """Analysed words and prefixes the query looks for, for highlighting."""
    words: set[str] = set()
    prefixes: list[str] = []
    for leaf in q.leaves():
        if isinstance(leaf, wq.Prefix):
            prefixes.append(leaf.text)
        elif isinstance(leaf, wq.Phrase):
            words.update(str(w) for w in leaf.words)
        elif isinstance(leaf, wq.Term) and leaf.fieldname not in ("type", "folder", "path", "mtime"):
            words.add(str(leaf.text))
    return words, tuple(prefixes)


def _hit(index: SearchIndex, vault: str, stored: dict[str, object], score: float,
         terms: tuple[set[str], tuple[str, ...]], passage: int | None = None, also: tuple[str, ...] = ()
         ) -> SearchHit:
    path = str(stored["path"])
    snippet, spans = best_passage(index, path, terms)
    if not spans and passage is not None:  # found by meaning: show the passage that matched
        snippet = semantic_snippet(index, path, passage) or snippet
    return SearchHit(path=path, title=str(stored.get("title") or path), type=str(stored.get("type") or "note"),
                     score=round(float(score), 6), snippet=snippet, highlights=spans, uri=obsidian_uri(vault, path),
                     also=also)

















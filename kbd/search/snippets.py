"""The snippet a search hit shows: the passage of the note that holds the most of the query's words
(or, for a hit by meaning, the passage that matched), cut to about SNIPPET_CHARS around its
densest run of highlights, with the highlights' spans. The passage's plain text comes from
kbd.search.plain, not the markdown parser: a `kbd search` call never loads mistune."""

from __future__ import annotations

import functools
import re

from whoosh.support.charset import accent_map

from kbd.search.index import SearchIndex
from kbd.search.plain import MAX_PASSAGE_CHARS, plain_text
from kbd.search.schema import text_analyzer

SNIPPET_CHARS = 240

_FENCE = re.compile(r"^(```|~~~)")

_FRONTMATTER = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", re.DOTALL)

# Accent folding that keeps every character in place, so spans found in the folded text are
# spans of the original.
_FOLD = {k: v for k, v in accent_map.items() if isinstance(v, str) and len(v) == 1}

_HEADING = re.compile(r"^#{1,6}(\s|$)")

_analyzer = text_analyzer()

def semantic_snippet(index: SearchIndex, path: str, passage: int) -> str:
    from kbd.search.embed import passages  # search by meaning only
    from kbd.search.notes import read_note

    fields = read_note(index.layout, index.config, path)
    texts = passages(fields) if fields else []
    if passage >= len(texts):
        return ""
    text = " ".join(texts[passage].split())
    title = " ".join(fields.title.split()) if fields else ""
    while title and text.startswith(title):  # the title (and the note's own heading): the hit shows it already
        text = text[len(title):].lstrip()
    return _window(text, ())[0]

def note_text(index: SearchIndex, path: str) -> str:
    try:
        data = index.layout.abs(path).read_bytes()
    except OSError:
        return ""
    if len(data) > index.config.compile.max_note_bytes or b"\x00" in data[:8192]:
        return ""
    return data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")

def best_passage(index: SearchIndex, path: str, terms: tuple[set[str], tuple[str, ...]]
                 ) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The passage of the note that holds most of the query's words, as plain text, with the
    character spans of those words. Read from the note itself: what the user sees now."""
    text = note_text(index, path)
    if not text:
        return "", ()
    passages = _passages(_FRONTMATTER.sub("", text, count=1))
    words, prefixes = terms
    pattern = _prefilter(words, prefixes)
    ranked = passages[:1]
    if pattern is not None:
        counted = []
        for i, passage in enumerate(passages):
            found = [m.group(0).lower() for m in pattern.finditer(passage.translate(_FOLD))]
            if found:
                counted.append((len(set(found)), len(found), i))
        counted.sort(key=lambda c: (-c[0], -c[1], c[2]))
        # The runner-up is read too only when it has as many of the query's words: the plain text
        # can only drop words (a link's target), never add them.
        best = [c for c in counted[:2] if c[0] == counted[0][0]]
        ranked = [passages[i] for _, _, i in best] or ranked
    best_text, best_spans, best_score = "", (), (-1, -1)
    for raw in ranked:
        if len(raw) > MAX_PASSAGE_CHARS and pattern is not None:  # read the part around its first match
            first = pattern.search(raw.translate(_FOLD))
            start = max(0, first.start() - MAX_PASSAGE_CHARS // 4) if first else 0
            raw = raw[start:start + MAX_PASSAGE_CHARS]
        plain = plain_text(raw)
        if not plain:
            continue
        spans = _spans(plain, pattern, words, prefixes)
        score = (len({plain[s:e].lower() for s, e in spans}), len(spans))
        if score > best_score:
            best_text, best_spans, best_score = plain, spans, score
    return _window(best_text, best_spans)

def _passages(body: str) -> list[str]:
    """Blocks between blank lines and headings; a fenced code block stays one passage.
    Headings are left out (the title already shows them) unless they are all there is."""
    out: list[str] = []
    headings: list[str] = []
    current: list[str] = []
    fenced = False

    def flush() -> None:
        if current:
            out.append("\n".join(current))
            current.clear()

    for line in body.split("\n"):
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
        elif not fenced and not line.strip():
            flush()
            continue
        elif not fenced and line.startswith("#") and _HEADING.match(line):
            flush()
            headings.append(line)
            continue
        current.append(line)
    flush()
    return out or headings

def _prefilter(words: set[str], prefixes: tuple[str, ...]) -> re.Pattern[str] | None:
    # A stem is the start of its words, except a final `i` for `y` (memory → memori): drop it.
    heads = {w[:-1] if len(w) > 3 and w.endswith("i") else w for w in words if w}
    heads.update(p for p in prefixes if p)
    if not heads:
        return None
    alternatives = "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)

def _spans(plain: str, pattern: re.Pattern[str] | None, words: set[str], prefixes: tuple[str, ...]
           ) -> tuple[tuple[int, int], ...]:
    """Spans of the words in `plain` that the query matched: the prefilter finds candidates, the
    index's own analyzer decides (so `replays` is marked for `replay`, `cafe` marks `café`)."""
    if pattern is None:
        return ()
    spans = []
    for m in pattern.finditer(plain.translate(_FOLD)):
        stem = _stem(m.group(0).lower())
        if stem in words or any(stem.startswith(p) for p in prefixes) or \
                any(m.group(0).lower().startswith(p) for p in prefixes):
            spans.append((m.start(), m.end()))
    return tuple(spans)

@functools.lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    tokens = [t.text for t in _analyzer(word)]
    return tokens[0] if len(tokens) == 1 else word

def _window(text: str, spans: tuple[tuple[int, int], ...]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Cut the passage to about SNIPPET_CHARS around its densest run of highlights."""
    if len(text) <= SNIPPET_CHARS:
        return text, spans
    if spans:
        best_start, best_count = spans[0][0], 0
        for i, (s, _) in enumerate(spans):
            count = sum(1 for s2, e2 in spans[i:] if e2 <= s + SNIPPET_CHARS)
            if count > best_count:
                best_start, best_count = s, count
        start = max(0, best_start - SNIPPET_CHARS // 4)
    else:
        start = 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + SNIPPET_CHARS // 2 else end
    prefix = "…" if start else ""
    suffix = "…" if end < len(text) else ""
    cut = prefix + text[start:end] + suffix
    shift = len(prefix) - start
    kept = tuple((s + shift, e + shift) for s, e in spans if s >= start and e <= end)
    return cut, kept

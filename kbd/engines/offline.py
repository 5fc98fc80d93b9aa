"""The offline engine: extractive summaries and noun-phrase concepts, no model, no network.

It reads only the article's own prose (engines/text.py drops what the page wraps it in). Every
sentence it returns is copied from that prose (citation markers removed); it never writes a
sentence of its own. Summaries prefer the article's own abstract/summary/highlights, then its
`description`. Concepts are noun phrases of that prose (engines/concept_mentions.py).
Scoring is plain term frequency with position bonuses: fast and predictable.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from kbd.engines.base import SourceInput, SourceSummary
from kbd.engines.chunking import WORD
from kbd.engines.concept_mentions import article_concepts
from kbd.engines.lexicon import STOPWORDS
from kbd.engines.prose import MIN_WORDS, URLISH, ProseSentence, prose_sentences
from kbd.engines.provenance import OFFLINE
from kbd.engines.text import clean_document, is_boilerplate

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
SUMMARY_MAX, KEY_POINTS_MAX = 5, 5


class OfflineEngine:
    name = "offline"
    made_by = OFFLINE

    def __init__(self, max_concepts: int = 12) -> None:
        self.max_concepts = max_concepts

    def close(self) -> None:
        pass  # holds nothing

    def summarize_source(self, source: SourceInput) -> SourceSummary:
        blocks = clean_document(source.document)
        sentences = prose_sentences(blocks)
        freq = Counter(w for s in sentences if not s.boilerplate for w in s.words)
        title_words = {w.lower() for w in WORD.findall(source.title)} - STOPWORDS
        _score(sentences, freq, title_words)
        description = _usable_description(source.meta.description, sentences)
        summary_text, chosen = _summary(sentences, SUMMARY_MAX if len(sentences) > 12 else 3, description)
        key_points = _pick(sentences, KEY_POINTS_MAX, chosen, spread_sections=True)
        concepts = article_concepts(source, sentences, freq)
        if not summary_text:  # no prose sentence qualified: fall back to the longest text block
            texts = [b.text for b in blocks] or [b.text for b in source.document.blocks] or [source.title]
            summary_text = [max(texts, key=len)[:600]]
        return SourceSummary(
            title=source.title,
            summary=summary_text,
            key_points=[s.text for s in key_points],
            concepts=concepts,
            tags=list(source.meta.tags),
            description=_clip(description or summary_text[0], 220),
        )


def _clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _usable_description(description: str | None, sentences: list[ProseSentence]) -> str | None:
    """The clipping's `description`, when it is a sentence of the article and not site furniture.
    One the site cut short ("…the concordance between dietary…") is completed from the article's
    own text, or left out when the article does not hold it."""
    if not description:
        return None
    text = re.sub(r"\s+", " ", description).strip()
    if text.endswith(("…", "...")):
        text = _completed(text.rstrip(".…").rstrip(), sentences)
    if not text or len(WORD.findall(text)) < MIN_WORDS or is_boilerplate(text) or URLISH.search(text):
        return None
    return text


def _completed(stem: str, sentences: list[ProseSentence]) -> str | None:
    """`stem` continued to the end of its sentence in the article's prose; None if it is not there."""
    if len(stem) < 20:
        return None
    prose = " ".join(s.text for s in sentences if not s.boilerplate)
    at = prose.find(stem)
    if at == -1:
        return None
    end = _SENTENCE_END.search(prose, at + len(stem))
    return prose[at:end.end()].strip() if end else prose[at:].strip()


def _summary(sentences: list[ProseSentence], k: int, description: str | None) -> tuple[list[str], set[int]]:
    """The article's own abstract/summary/highlights first; else its `description` and its best prose."""
    digest = [s for s in sentences if s.digest and s.eligible]
    if digest:
        picked = _pick(digest, k, set())
        if len(picked) < 2:
            picked = sorted(picked + _pick(sentences, k - len(picked), {s.position for s in picked}),
                            key=lambda s: s.position)
        return [s.text for s in picked], {s.position for s in picked}
    if description:
        words = [w for w in (w.lower() for w in WORD.findall(description)) if w not in STOPWORDS]
        rest = [s for s in _pick(sentences, k, set()) if not _similar(s.words, words)][:k - 1]
        return [description, *(s.text for s in rest)], {s.position for s in rest}
    picked = _pick(sentences, k, set())
    return [s.text for s in picked], {s.position for s in picked}


def _score(sentences: list[ProseSentence], freq: Counter[str], title_words: set[str]) -> None:
    top = max(freq.values(), default=1)
    n = len(sentences)
    for s in sentences:
        unique = set(s.words)
        if not unique:
            continue
        # fsum: a set's order follows the per-process string hash, and a plain float sum in that
        # order differs in the last bits between processes, enough to flip near-tied sentences.
        weight = math.fsum(freq[w] / top for w in unique) / math.sqrt(len(s.words))
        position = 1.0 - s.position / n
        s.score = s.weight * (weight * (1.0 + 0.25 * position) + (0.2 if s.first_in_block else 0.0) +
                              0.3 * len(unique & title_words) / max(1, len(title_words)))


def _pick(sentences: list[ProseSentence], k: int, exclude: set[int],
          spread_sections: bool = False) -> list[ProseSentence]:
    picked: list[ProseSentence] = []
    sections: set[int] = set()
    ranked = sorted((s for s in sentences if s.eligible), key=lambda s: (-s.score, s.position))
    for rounds in (0, 1) if spread_sections else (1,):
        for s in ranked:
            if len(picked) >= k:
                break
            if s.position in exclude or s in picked or (rounds == 0 and s.section in sections):
                continue
            if any(_similar(s.words, p.words) for p in picked):
                continue
            picked.append(s)
            sections.add(s.section)
    return sorted(picked, key=lambda s: s.position)


def _similar(a: list[str], b: list[str]) -> bool:
    sa, sb = set(a), set(b)
    return bool(sa and sb) and len(sa & sb) / len(sa | sb) > 0.6



# Definitions that make two names one concept: "Y (X)", "X (Y)", "X, or Y,", "X — also called Y".

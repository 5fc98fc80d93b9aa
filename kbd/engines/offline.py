"""The offline engine: extractive summaries and keyphrase concepts, no model, no network.

Every sentence it returns is copied verbatim from the source; it never writes a sentence of
its own. Scoring is plain term frequency with position and title bonuses: fast (it must keep up
with a cold compile of thousands of long articles) and predictable.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from kbd.engines.base import ConceptMention, SourceInput, SourceSummary, concept_key
from kbd.vault.markdown import split_sentences

STOPWORDS = frozenset("""
a about above after again against all almost also although always am among an and another any are aren't
around as at be because been before being below between both but by can can't cannot could couldn't did
didn't do does doesn't doing don't down during each either else enough etc even ever every few for from
further get gets got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself just
let's like made make makes many may me might more most much must mustn't my myself need needs neither no
nor not now of off often on once one only onto or other others otherwise ought our ours ourselves out over
own per perhaps quite rather really same say says said see seen shall shan't she she'd she'll she's should
shouldn't since so some such than that that's the their theirs them themselves then there there's
therefore these they they'd they'll they're they've this those though through thus to too toward towards
under until up upon us use used uses using very via was wasn't we we'd we'll we're we've well were weren't
what what's whatever when when's where where's whether which while who who's whom whose why why's will
with within without won't would wouldn't yet you you'd you'll you're you've your yours yourself yourselves
whereas already still back way ways thing things lot lots kind kinds sort part parts example examples
number numbers case cases fact point points end today yesterday tomorrow week weeks year years month
months day days time times first second third last next new old good bad great big small large little
long short high low right left best better worse worst less least several various different same able
new one two three four five six seven eight nine ten hundred thousand million billion let also i.e e.g
click subscribe newsletter cookie cookies privacy article articles post posts blog comment comments reply
today's get getting go goes going gone come comes came take takes took put puts
""".split())

# Unambiguous verb forms: a phrase that begins with one ("keeps read", "costs write") is a clause
# fragment, not a concept. The corpus threshold filters most of the rest.
EDGE_VERBS = frozenset("""
keeps kept makes takes gives gave needs means costs trades shows helps allows lets requires provides
includes become becomes became seems seemed wants wanted tries tried finds found knows knew thinks thought
brings brought produces creates adds gets got goes went does did says told gives lets puts
""".split())

_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f'’+-]*[A-Za-z0-9\u00c0-\u024f+]|[A-Za-z]")
_TOKEN = re.compile(_WORD.pattern + r"|[^\sA-Za-z\u00c0-\u024f]")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,6}s?$")
_INNER_CAPS = re.compile(r"^[A-Za-z]+[a-z][A-Z][A-Za-z0-9]*$|^[A-Z][a-z]+[A-Z]")
_URLISH = re.compile(r"https?://|www\.|\S+@\S+\.\w+|\.(?:com|org|net|io)\b")
MIN_WORDS, MAX_WORDS = 6, 60
SUMMARY_MAX, KEY_POINTS_MAX, CANDIDATES_KEPT = 5, 5, 30


@dataclass
class _Sentence:
    text: str
    position: int  # order in the document
    section: int
    first_in_block: bool
    words: list[str]  # lowercased content words
    tokens: list[str]  # every token, words and punctuation, as written
    eligible: bool  # fit to quote in a summary (length, no URLs, not a fragment)
    score: float = 0.0


class OfflineEngine:
    name = "offline"

    def __init__(self, max_concepts: int = 12) -> None:
        self.max_concepts = max_concepts

    def close(self) -> None:
        pass  # holds nothing

    def summarize_source(self, source: SourceInput) -> SourceSummary:
        sentences = _sentences(source)
        freq = Counter(w for s in sentences for w in s.words)
        title_words = {w.lower() for w in _WORD.findall(source.title)} - STOPWORDS
        _score(sentences, freq, title_words)
        summary = _pick(sentences, SUMMARY_MAX if len(sentences) > 12 else 3, set())
        chosen = {s.position for s in summary}
        key_points = _pick(sentences, KEY_POINTS_MAX, chosen, spread_sections=True)
        concepts = _concepts(source, sentences, freq)
        if not summary:  # no prose sentence qualified: fall back to the longest text block
            longest = max(source.document.blocks, key=lambda b: len(b.text))
            summary_text = [longest.text[:600]]
        else:
            summary_text = [s.text for s in summary]
        description = source.meta.description or summary_text[0]
        return SourceSummary(
            title=source.title,
            summary=summary_text,
            key_points=[s.text for s in key_points],
            concepts=concepts,
            tags=list(source.meta.tags),
            description=_clip(description, 220),
        )


def _clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _sentences(source: SourceInput) -> list[_Sentence]:
    out: list[_Sentence] = []
    for block in source.document.prose():
        for i, text in enumerate(split_sentences(block.text)):
            tokens = _TOKEN.findall(text)
            lowered = [t.lower() for t in tokens if t[0].isalpha()]
            eligible = (MIN_WORDS <= len(lowered) <= MAX_WORDS and not _URLISH.search(text)
                        and not text.endswith((":", ",")) and text.count("|") <= 1)
            content = [w for w in lowered if len(w) > 2 and w not in STOPWORDS]
            out.append(_Sentence(text, len(out), block.section, i == 0, content, tokens, eligible))
    return out


def _score(sentences: list[_Sentence], freq: Counter[str], title_words: set[str]) -> None:
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
        s.score = weight * (1.0 + 0.25 * position) + (0.2 if s.first_in_block else 0.0) + \
            0.3 * len(unique & title_words) / max(1, len(title_words))


def _pick(sentences: list[_Sentence], k: int, exclude: set[int],
          spread_sections: bool = False) -> list[_Sentence]:
    picked: list[_Sentence] = []
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


def _is_term(token: str) -> bool:
    """A single token that can stand alone as a concept: B-tree, LSM, PostgreSQL."""
    if token.islower() and "-" not in token:
        return False  # the common case, decided without a regex
    if _ACRONYM.match(token) and token.lower() not in STOPWORDS:
        return True
    if "-" in token.strip("-") and all(len(p) >= 1 for p in token.split("-")):
        parts = token.lower().split("-")
        return not all(p in STOPWORDS or p.isdigit() for p in parts) and len(token) >= 4
    return bool(_INNER_CAPS.match(token))


def _concepts(source: SourceInput, sentences: list[_Sentence], freq: Counter[str]) -> list[ConceptMention]:
    phrase_counts: Counter[str] = Counter()
    for s in sentences:
        phrase_counts.update(_candidate_phrases(s.tokens))
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for phrase, n in phrase_counts.items():
        key = concept_key(phrase)
        if key:
            counts[key] += n
            forms[key][phrase] += n
    heading_text = " ".join([*source.document.headings, source.title]).casefold()
    scored: list[tuple[float, str]] = []
    for key, count in counts.items():
        in_title = key in heading_text
        words = key.split()
        # Words the article keeps coming back to make its phrases more central.
        centrality = sum(min(freq[w], 10) for w in words) / (10 * len(words))
        score = count * (1.0 + 0.6 * (len(words) - 1)) + (3.0 if in_title else 0.0) + 1.5 * centrality
        scored.append((score, key))
    scored.sort(key=lambda t: (-t[0], t[1]))
    kept: list[tuple[float, str]] = []
    for score, key in scored:
        # A phrase inside a longer kept phrase with as many mentions adds nothing of its own.
        if any(f" {key} " in f" {k} " and counts[k] >= counts[key] for _, k in kept):
            continue
        kept.append((score, key))
        if len(kept) >= CANDIDATES_KEPT:
            break
    lowered = [s.text.lower() for s in sentences]
    used: set[int] = set()
    mentions = []
    for score, key in kept:
        form = sorted(forms[key].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        name = form[0].upper() + form[1:] if form.islower() else form
        needle = form.lower()
        # What this source says about it: the best quotable sentence that uses its usual spelling.
        hits = [i for i, text in enumerate(lowered) if needle in text] or [0]
        # Prefer a sentence no stronger concept of this source already quotes.
        best = max(hits, key=lambda i: (i not in used, sentences[i].eligible, sentences[i].score, -i))
        used.add(best)
        mentions.append(ConceptMention(key=key, name=name, score=round(score, 3), sentence=sentences[best].text))
    return mentions


def _candidate_phrases(tokens: list[str]) -> list[str]:
    """Runs of content words split at stopwords and punctuation; n-grams of 2–3 words from each
    run, plus stand-alone technical terms. (Hot loop: kept to plain list and set operations.)"""
    phrases: list[str] = []
    append = phrases.append
    run: list[str] = []
    stop, edge = STOPWORDS, EDGE_VERBS
    for token in [*tokens, "."]:
        if token[0].isalpha() and len(token) > 1:
            lowered = token.lower()
            if lowered not in stop:
                run.append(token)
                if (lowered != token or "-" in token) and _is_term(token):
                    append(token)
                continue
        if len(run) >= 2:
            last = len(run) - 1
            for i in range(last):
                if run[i].lower() in edge:
                    continue
                append(f"{run[i]} {run[i + 1]}")
                if i + 1 < last:
                    append(f"{run[i]} {run[i + 1]} {run[i + 2]}")
        run = []
    return phrases

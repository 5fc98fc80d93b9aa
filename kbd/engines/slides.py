"""Slide makers: passages → slides that cite them. The offline maker is extractive and
deterministic (one slide per finding, results first, with what other notes say that agrees); the model maker runs the
`make_slides` skill through the gateway (cache, budget, usage record) and, with a verifier, the
`verify_slides` gate. kbd checks what a model returns: every slide must cite a passage it was
given, and a bullet whose numbers are not in the passages it cites is dropped."""

from __future__ import annotations

import json
import re
from typing import Any

from kbd.engines.answers import Passage, without_attribution
from kbd.engines.base import singular
from kbd.engines.decks import BULLET_CHARS, MAX_BULLETS, NOTES_CHARS, TITLE_CHARS, Slide, SlideDraft
from kbd.engines.findings import finding_rank
from kbd.engines.gateway import ModelGateway
from kbd.engines.lexicon import STOPWORDS
from kbd.engines.question_shapes import definition_patterns
from kbd.engines.skills import Skill, untrusted

OFFLINE_BULLETS = 4
FINDING_CHARS = 2 * BULLET_CHARS  # a slide's finding, stated whole where it fits; what agrees with it is shorter
MIN_FINDING_WORDS = 6
MIN_SHARED_WORDS = 3  # content words besides the deck's subject that a sentence shares with a finding it backs
MIN_ON_TOPIC = 3  # findings that name the deck's subject, enough to leave out those that do not
OFFLINE_NOTES_CHARS = 600  # speaker notes: what the presenter says around the bullets, not the passages in full
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_ATTRIBUTION = re.compile(r"(?<=[.!?])\s*\([^()]+\)$")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_CLAUSE_END = re.compile(r"[,;:—–]\s")
# A clipped page's title ends with its site's name ("Closures: … - The Rust Programming Language").
_SITE_END = re.compile(r"\s[-–—|·]\s[^-–—|·]{2,60}$")


def line(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def sentences(text: str) -> list[str]:
    """Whole sentences of three words or more. Each line is split on its own (a passage's lines are
    list items or paragraphs), and a "(Title)" after a line's last sentence, which attributes that
    sentence in kbd's concept notes, is left out rather than glued to the next line's first."""
    found: list[str] = []
    for raw in text.splitlines():
        body = _ATTRIBUTION.sub("", line(raw))
        found += [s for s in (line(p) for p in _SENTENCE.split(body))
                  if len(s.split()) >= 3 and not (s.startswith("(") and s.endswith(")"))]
    return found


def without_their_site(titles: list[str]) -> dict[str, str]:
    """Each title without the site's name that the clipped ones (two or more) all end with: a deck's slides from one
    site need not say it on every slide ("Closures: Anonymous Functions that Capture Their Environment - The…"). A
    title with no site's name (a concept note's) stays as it is, and so do all where two sites' names end them."""
    ended = {t: m.group(0) for t in set(titles) if (m := _SITE_END.search(t))}
    if len(ended) < 2 or len(set(ended.values())) != 1:
        return {t: t for t in titles}
    return {t: t[:-len(ended[t])] if t in ended else t for t in titles}


def shorten(text: str, limit: int = BULLET_CHARS) -> str:
    """A bullet of at most `limit` characters: the text itself, else up to its last clause break that
    fits, else up to a word, marked with an ellipsis."""
    text = line(text)
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    breaks = [m.start() for m in _CLAUSE_END.finditer(head) if m.start() >= limit // 2]
    cut = breaks[-1] if breaks else head.rfind(" ")
    return (head[:cut] if cut > limit // 3 else head).rstrip(" ,;:—–") + "…"


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def speaker_notes(found: list[str], limit: int = OFFLINE_NOTES_CHARS) -> str:
    """A short paragraph of whole sentences from the cited passages, each said once."""
    out: list[str] = []
    seen: set[str] = set()
    for sentence in found:
        key = _key(sentence)
        if not key or key in seen or sum(len(s) + 1 for s in out) + len(sentence) > limit:
            continue
        seen.add(key)
        out.append(sentence)
    return " ".join(out) or shorten(found[0], limit) if found else ""


class OfflineSlides:
    """One slide per finding: results before statements, aims and methods only when no note says
    anything else. Each slide is titled by the article the finding comes from, opens with the finding
    and adds what other articles say that agrees with it (three shared content words or more); every
    sentence is on one slide only. Articles take turns, in the order of their best passage, so the
    deck covers them before it gives one a second slide. Speaker notes: the sentences whole."""

    name = "offline"
    made_by = "offline slides v2"

    def slides(self, title: str, passages: list[Passage], max_slides: int) -> SlideDraft:
        groups: dict[str, list[int]] = {}  # a clipping and its summary share a title: one article
        for i, passage in enumerate(passages):
            groups.setdefault(passage.title.casefold(), []).append(i)
        said: list[tuple[str, int, str]] = []  # (sentence, passage, article), each sentence once
        seen_keys: set[str] = set()
        for article, indices in groups.items():
            for i in indices:
                for s in sentences(passages[i].text) or [line(passages[i].text)]:
                    s = without_attribution(s) if passages[i].kbd_owned else s
                    if _key(s) and _key(s) not in seen_keys:
                        seen_keys.add(_key(s))
                        said.append((s, i, article))
        topic = _content(title)
        # What a sentence says, without the note an answer's quote names after it ("“…” — Title › Heading").
        words = [_content(_QUOTED_FROM.sub("", s)) - topic for s, _, _ in said]
        rank = [finding_rank(s) for s, _, _ in said]
        on_topic = [len(_content(s) & topic) >= min(2, len(topic)) for s, _, _ in said]
        # A finding is a whole statement: no question, no aside of a few words. Results before
        # statements; aims and methods make no slide unless no note says anything else; sentences that
        # name the deck's subject first when there are enough of them (a note retrieved for one word
        # of the title says other things too).
        whole = [k for k, (s, _, _) in enumerate(said)
                 if len(s.split()) >= MIN_FINDING_WORDS and _STATEMENT_END.search(s)]
        told = [k for k in whole if rank[k] > 0] or whole or list(range(len(said)))
        if sum(on_topic[k] for k in told) >= MIN_ON_TOPIC:
            told = [k for k in told if on_topic[k]]
        # The deck opens with what its subject is, where a note says it ("Rust’s closures are anonymous functions…"
        # for "Closures"), whatever its rank: a deck on closures opened with "Listing 13-8 shows an example…".
        patterns = [p for p in definition_patterns(f"What is {title}?", acting=True) if p]  # X is …; else X does
        opening = next((k for pattern in patterns for k in whole if pattern.search(said[k][0])), None)
        titled = without_their_site([p.title for p in passages])
        queues: dict[str, list[int]] = {a: [] for a in groups}
        for k in sorted(told, key=lambda k: (-rank[k], not _NUMBER.search(said[k][0]), k)):
            queues[said[k][2]].append(k)
        # Articles take turns, in the order of their best passage: every result of the deck before any
        # plain statement.
        used: set[int] = set()
        out: list[Slide] = []
        if opening is not None and max_slides > 0:
            used.add(opening)
            out.append(self._slide(said, passages, titled, words, told, used, opening))
        for level in sorted({rank[k] for k in told}, reverse=True):
            taken = True
            while taken and len(out) < max_slides:
                taken = False
                for article in groups:
                    k = _head(queues[article], used)
                    if k is None or rank[k] != level or len(out) >= max_slides:
                        continue
                    taken = True
                    used.add(k)
                    out.append(self._slide(said, passages, titled, words, told, used, k))
        return SlideDraft(out)

    @staticmethod
    def _slide(said: list[tuple[str, int, str]], passages: list[Passage], titled: dict[str, str],
               words: list[set[str]], told: list[int], used: set[int], k: int) -> Slide:
        """Sentence k's slide, with what other articles say that agrees with it (marked used)."""
        agree = [j for j in told if j not in used and said[j][2] != said[k][2]
                 and len(words[k] & words[j]) >= MIN_SHARED_WORDS][:OFFLINE_BULLETS - 1]
        used.update(agree)
        shown = [k, *agree]
        return Slide(title=shorten(titled[passages[said[k][1]].title], TITLE_CHARS),
                     bullets=(shorten(said[k][0], FINDING_CHARS), *(shorten(said[j][0]) for j in agree)),
                     notes=speaker_notes([said[j][0] for j in shown]),
                     cites=tuple(dict.fromkeys(said[j][1] for j in shown)))

    def close(self) -> None:
        pass


_WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}")
_QUOTED_FROM = re.compile(r"”\s+—\s+.*$")
_STATEMENT_END = re.compile(r"[.!][\"”’)]*$")  # a sentence, not a question, a heading or a listed title


def _head(queue: list[int], used: set[int]) -> int | None:
    """The first sentence of an article's queue no slide has taken yet."""
    return next((k for k in queue if k not in used), None)


def _content(sentence: str) -> set[str]:
    return {singular(w.lower()) for w in _WORD.findall(sentence)} - STOPWORDS


class ModelSlides:
    def __init__(self, gateway: ModelGateway, skill: Skill, verifier: Skill | None = None) -> None:
        role = gateway.roles["worker"].spec
        self.name = f"{role.provider}:{role.model}"
        self.made_by = json.dumps([self.name, skill.name, skill.version,
                                   verifier.version if verifier else None,
                                   gateway.roles["verifier"].spec.model if verifier else None])
        self.gateway = gateway
        self.skill = skill
        self.verifier = verifier

    def close(self) -> None:
        self.gateway.close()

    def task(self, title: str, passages: list[Passage], max_slides: int, objections: list[str]) -> str:
        blocks = "\n\n".join(untrusted(f"P{i + 1}: {p.title}" + (f" — {p.heading}" if p.heading else ""), p.text)
                             for i, p in enumerate(passages))
        text = (f"Deck title: {title}\nAt most {max_slides} slides. Cite passages by number (P3 is 3).\n\n"
                f"Passages:\n{blocks}")
        if objections:
            text += "\n\nA reviewer found these problems in an earlier deck; avoid them:\n" + untrusted(
                "reviewer objections", "\n".join(objections))
        return text

    def slides(self, title: str, passages: list[Passage], max_slides: int) -> SlideDraft:
        draft = self._make(title, passages, max_slides, [])
        if self.verifier is None or not draft.slides:
            return draft
        objections = self._verify(title, passages, draft)
        if objections:
            draft = self._make(title, passages, max_slides, objections)
            objections = self._verify(title, passages, draft)
        if objections:
            return SlideDraft(draft.slides, verified=False, objections=objections, dropped=draft.dropped)
        return draft

    def _make(self, title: str, passages: list[Passage], max_slides: int, objections: list[str]) -> SlideDraft:
        result = self.gateway.call(self.skill, self.task(title, passages, max_slides, objections), f"slides:{title}")
        return check_slides(result, passages, max_slides)

    def _verify(self, title: str, passages: list[Passage], draft: SlideDraft) -> list[str]:
        assert self.verifier is not None
        claims = json.dumps([{"title": s.title, "bullets": list(s.bullets), "cites": [i + 1 for i in s.cites]}
                             for s in draft.slides], ensure_ascii=False)
        task = self.task(title, passages, len(draft.slides), []) + "\n\n" + untrusted("deck to check", claims)
        verdict = self.gateway.call(self.verifier, task, f"verify-slides:{title}")
        if verdict["ok"]:
            return []
        return [line(o) for o in verdict["objections"] if line(o)] or ["rejected"]


def check_slides(result: dict[str, Any], passages: list[Passage], max_slides: int) -> SlideDraft:
    """The model's slides as kbd keeps them: each citing passages it was given, bullets short and
    their numbers found in the passages cited, at most `max_slides`."""
    out: list[Slide] = []
    dropped: list[str] = []
    for number, item in enumerate(result.get("slides", []), start=1):
        cites = tuple(dict.fromkeys(c - 1 for c in item.get("cites", [])
                                    if isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= len(passages)))
        title = shorten(line(item.get("title", "")), TITLE_CHARS)
        if not cites or not title:
            dropped.append(f"slide {number} ({title or 'untitled'}): cites no passage it was given")
            continue
        cited = " ".join(line(passages[i].text) for i in cites)
        bullets = []
        for bullet in item.get("bullets", [])[:MAX_BULLETS]:
            text = line(bullet)
            missing = [n for n in _NUMBER.findall(text) if n not in cited]
            if missing:
                dropped.append(f"slide {number}: “{shorten(text, 60)}” states {', '.join(missing)}, which the "
                               "passages it cites do not")
            elif text:
                bullets.append(shorten(text))
        if not bullets:
            dropped.append(f"slide {number} ({title}): no bullet left")
            continue
        out.append(Slide(title=title, bullets=tuple(bullets), notes=shorten(line(item.get("notes", "")), NOTES_CHARS),
                         cites=cites))
        if len(out) >= max_slides:
            break
    return SlideDraft(out, dropped=dropped)

"""The offline answerer: an extractive answer, no model, no network.

It writes nothing of its own: each claim is one sentence copied from a retrieved passage, cited to
the note it came from (an earlier answer is not requoted). Sentences are ranked by the question's
words they hold (a word few of them hold counts for more), by the passage's score, by whether they
state a result, define what "What is X?" asks about, say what "What does X do?" asks or do what "How
do I …?" asks (a lead-in to a list or code counts less); the best comes first, as the answer, and the
rest follow grouped by note. The same sentence quoted by several notes (a concept note repeats what its
sources say) is given once, from the best-ranked note.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from kbd.engines.answers import (
    CallEstimate,
    CitedQuote,
    Claim,
    Draft,
    DraftClaim,
    Passage,
    article_key,
    without_attribution,
)
from kbd.engines.base import word_key
from kbd.engines.findings import finding_rank
from kbd.engines.lexicon import STOPWORDS
from kbd.vault.markdown import split_sentences

MAX_CLAIMS = 8
FINDING_BONUS = 0.15  # per step of findings.finding_rank: 0 aim/method, 1 statement, 2 result
TITLE_BONUS = 0.5  # times the share of the question's words the passage's note title holds
DEFINITION_BONUS = 0.5
_HOW_TO = re.compile(r"^\s*how\s+(?:(?:do|can|could|should|would)\s+(?:i|you|we|one)|to)\s+([a-z][\w-]*)",
                     re.IGNORECASE)
INSTRUCTION_BONUS = 0.3  # for "How do I open X?": a step that opens X ("To open it, run the Show Graph command.")
LEAD_IN_PENALTY = 0.3  # a sentence that introduces what follows it ("Create today's daily note:") answers nothing
_POINTS_ONWARD = re.compile(r"\b(?:the following|as follows)\b", re.IGNORECASE)
_WHAT_IS = re.compile(r"^\s*what\s+(?:is|are)\s+(?:an?\s+|the\s+)?(.{2,60}?)\s*\??\s*$", re.IGNORECASE)
_WHAT_DOES = re.compile(r"^\s*what\s+does\s+(?:an?\s+|the\s+)?(.{2,60}?)\s+do\s*\??\s*$", re.IGNORECASE)
PER_NOTE = 3
MIN_WORDS, MAX_CHARS = 5, 600
_WORD = re.compile(r"\w+", re.UNICODE)


def _terms(text: str) -> set[str]:
    return {word_key(w) for w in _WORD.findall(text.casefold()) if w not in STOPWORDS and len(w) > 1}


def _definition(question: str) -> re.Pattern[str] | None:
    """For "What is X?", a pattern for the sentences that define X ("X is …", "An X is …"); for "What does X do?",
    for those that say what X does ("Adam combines all these techniques…", "Momentum prevents stalling…")."""
    m = _WHAT_IS.match(question) or _WHAT_DOES.match(question)
    if not m:
        return None
    subject = re.escape(m.group(1)).replace(r"\ ", r"\s+")
    if m.re is _WHAT_DOES:
        return re.compile(rf"^\W*(?:an?\s+|the\s+)?{subject}\s+(?:\w+ly\s+)?(?:[a-z]+s|can|will)\b", re.IGNORECASE)
    return re.compile(rf"^\W*(?:an?\s+|the\s+)?{subject}(?:e?s)?(?:\s+(?:is|are|means|refers\s+to|allows?|lets?)\b"
                      rf"|\s+[-–—:]\s)", re.IGNORECASE)


def _is_lead_in(sentence: str) -> bool:
    """A sentence that introduces a list or code ("Create today's daily note:", "You can create a new canvas
    using the following methods."): what it introduces is not quoted, so it answers nothing."""
    return sentence.rstrip().endswith(":") or bool(_POINTS_ONWARD.search(sentence))


def _does(sentence: str, action: str, things: set[str]) -> bool:
    """Whether the sentence is a step that does what "How do I <action> <things>?" asks: the action is among
    its first words ("To open it, run …", "Show or create the daily note…"), it names one of the things, and
    it is no lead-in to a list or code. Any other step ("To learn more, see …", "Add the special classes")
    answers another question."""
    words = [w.casefold() for w in _WORD.findall(sentence)]
    if not words or _is_lead_in(sentence):
        return False
    opening = words[1:4] if words[0] == "to" else words[:3]
    return action in opening and bool(_terms(sentence) & things)


class OfflineAnswerer:
    name = "offline"
    extractive = True
    can_verify = False

    def estimate(self, question: str, passages: list[Passage]) -> CallEstimate:
        return CallEstimate()

    def draft(self, question: str, passages: list[Passage], feedback: list[str]) -> Draft:
        wanted = _terms(question)
        found: list[tuple[set[str], int, Passage, str]] = []
        for rank, passage in enumerate(passages):
            if passage.note_type == "answer":
                continue  # an earlier extractive answer only quotes notes that are here themselves
            for line in passage.text.split("\n"):
                for sentence in split_sentences(line):
                    if passage.kbd_owned:
                        sentence = without_attribution(sentence)
                    if len(_WORD.findall(sentence)) < MIN_WORDS or len(sentence) > MAX_CHARS or \
                            (sentence.startswith("(") and sentence.endswith(")")):  # "(Title)" after a quote
                        continue
                    words = _terms(sentence) & wanted
                    if words:
                        found.append((words, rank, passage, sentence))
        # A question word that few sentences hold counts for more than one most of them hold.
        held = Counter(w for words, *_ in found for w in words)
        idf = {w: math.log(1 + len(found) / (1 + held[w])) for w in wanted}
        whole = sum(idf.values()) or 1.0
        # A sentence that states a finding answers better than one that states an aim or a method.
        # So does one from a note whose title is about the question, and one that defines what the
        # question asks about ("An ontology is a formal, explicit specification…" for "What is an ontology?").
        defines = _definition(question)
        how = _HOW_TO.match(question)
        action = how.group(1).casefold() if how else ""
        things = wanted - {word_key(action)}
        ranked = [(sum(idf[w] for w in words) / whole + passage.score + FINDING_BONUS * finding_rank(sentence)
                   + TITLE_BONUS * len(_terms(passage.title) & wanted) / max(1, len(wanted))
                   + (DEFINITION_BONUS if defines and defines.match(sentence) else 0.0)
                   + (INSTRUCTION_BONUS if action and _does(sentence, action, things) else 0.0)
                   - (LEAD_IN_PENALTY if _is_lead_in(sentence) else 0.0), -rank,
                   passage.path, sentence) for words, rank, passage, sentence in found]
        ranked.sort(key=lambda r: (-r[0], -r[1]))
        claims: list[DraftClaim] = []
        seen: set[str] = set()
        per_note: dict[str, int] = {}
        for _, _, path, sentence in ranked:
            key = " ".join(_WORD.findall(sentence.casefold()))
            if key in seen or per_note.get(path, 0) >= PER_NOTE:
                continue
            seen.add(key)
            per_note[path] = per_note.get(path, 0) + 1
            claims.append(DraftClaim(sentence, (CitedQuote(path, sentence),)))
            if len(claims) >= MAX_CLAIMS:
                break
        # Grouped by article (a summary and its clipping are one) or note, the best first, best
        # first within each: the order the answer note lists them in.
        by_path = {p.path: p for p in passages}

        def group(claim: DraftClaim) -> str:
            p = by_path[claim.citations[0].note]
            return article_key(p.path, p.title, p.note_type)

        # The answer leads with the sentence that answers best; the rest follow as its evidence.
        lead, rest = claims[:1], claims[1:]
        first: dict[str, int] = {}
        for i, claim in enumerate(rest):
            first.setdefault(group(claim), i)
        return Draft(lead + sorted(rest, key=lambda c: first[group(c)]))

    def verify(self, question: str, passages: list[Passage], claims: list[Claim]) -> list[str]:
        return []

    def close(self) -> None:
        pass

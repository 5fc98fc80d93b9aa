"""The offline answerer: an extractive answer, no model, no network.

It writes nothing of its own: each claim is one sentence copied from a retrieved passage, or a procedure (a lead-in
and its steps or the code it introduces, kbd/engines/procedures.py), cited to the note it came from (an earlier answer
is not requoted); a sentence that ends a line code follows is shown with that code.
Sentences are ranked by the question's words they hold (a word few of them hold counts for more), by the passage's
score, by whether they state a result, define what "What is X?" asks about, say what "What does X do?" asks, do what
"How do I …?" asks (a lead-in alone counts less) or answer a FAQ's question that asks what was asked; the best comes
first, as the answer, and the rest follow grouped by note. The same sentence quoted by several notes (a concept note
repeats what its sources say) is given once, from the best-ranked note. What each sentence holds and does is read in
kbd/engines/answer_candidates.py; this module ranks them.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from kbd.engines.answer_candidates import Candidate, content_terms, gather_candidates, read_question
from kbd.engines.answers import CallEstimate, CitedQuote, Claim, Draft, DraftClaim, Passage, article_key, sentence_key
from kbd.engines.findings import finding_rank
from kbd.engines.procedures import is_lead_in
from kbd.engines.question_shapes import definition_patterns
from kbd.vault.markdown import split_sentences

MAX_CLAIMS = 8
FINDING_BONUS = 0.15  # per step of findings.finding_rank: 0 aim/method, 1 statement, 2 result
TITLE_BONUS = 0.5  # times the share of the question's words the passage's note title holds
DEFINITION_BONUS = 0.5
INSTRUCTION_BONUS = 0.3  # for "How do I open X?": a step that opens X ("To open it, run the Show Graph command.")
LEAD_IN_PENALTY = 0.3  # a sentence that introduces what follows it ("Create today's daily note:") answers nothing
# …unless what it introduces is quoted with it: a lead-in and the list items after it are a procedure, and for "How
# do I create a vault?" the answer is "To create a new empty vault:" with its four steps, not one of them; for "How do I
# install gems with Bundler?", "To install gems in your Gemfile using Bundler, run the following…:" with its commands.
PROCEDURE_BONUS = 0.2  # for a procedure that does what "How do I …?" asks (on top of INSTRUCTION_BONUS)
SUBJECT_BONUS = 0.25  # for "What is X?": a sentence that opens with X doing something ("A trait defines…")
# "Why does momentum help gradient descent?" is about momentum: "Second-order methods … can help in this case" is not.
_WHY = re.compile(r"^\s*why\s+(?:does|do|did|is|are|was|were|can|could|would|should|will)\s+(?:an?\s+|the\s+)?([\w-]+)",
                  re.IGNORECASE)
PURPOSE_BONUS = 0.3  # for "What is X used for?": a sentence that names X and a purpose ("…used for reversing…")
_PURPOSE = re.compile(r"\b(?:used?\s+(?:for|to|when|in)|for\s+\w+ing|lets?\s+(?:you|us)|allows?|enables?|helps?"
                      r"|so\s+that|in\s+order\s+to|purpose|useful|appropriate)\b", re.IGNORECASE)
COMPARISON_BONUS = 0.4  # a sentence that names both and sets them apart ("…more appropriate to return a Result than…")
_CONTRAST = re.compile(r"\b(?:unlike|whereas|however|instead|rather\s+than|in\s+contrast|differ(?:s|ed|ences?)?"
                       r"|different(?:ly)?\s+(?:from|than)|similar\w*|compared|than|as\s+opposed\s+to)\b",
                       re.IGNORECASE)  # not "should use different Greek variables"
ANSWER_BONUS = 0.3  # for a sentence that answers a question of the text that asks what was asked
# For "What is X?", the page titled X says first what X is: its description or first sentence ("foam daily": "Show or
# create the daily note for a date.", "Headless Sync": "Obsidian Sync offers a headless client to sync vaults…").
OPENING_BONUS = 0.4
PER_NOTE = 3


def _sets_apart(sentence: str, terms: set[str], compared: tuple[set[str], set[str]] | None) -> bool:
    """Whether the sentence names both things ("page collection" is not "page bundle") and sets them apart."""
    return bool(compared and compared[0] <= terms and compared[1] <= terms and _CONTRAST.search(sentence))


def _shorter_definition(name: list[str]) -> tuple[set[str], re.Pattern[str] | None]:
    """For a name of three words or more ("Joplin Web Clipper"), its first word's terms and the pattern of a
    definition of the rest ("The Web Clipper is a browser extension…"): the page of a title that holds that word
    calls it so."""
    if len(name) < 3:
        return set(), None
    return content_terms(name[0]), definition_patterns(f"What is {' '.join(name[1:])}?")[0]


def _definitions_of_each(name: list[str]) -> list[re.Pattern[str]]:
    """For two things asked of at once ("What are packages and crates?"), the patterns that define each: "A package is
    a bundle of one or more crates…" defines what was asked (and the page's opening then stands in for nothing)."""
    parts = " ".join(name)
    split = re.split(r"\s+(?:and|or|&|vs\.?|versus)\s+", parts, flags=re.IGNORECASE)
    if len(split) < 2:
        return []
    return [p for part in split if (p := definition_patterns(f"What is {part}?")[0])]


class OfflineAnswerer:
    name = "offline"
    extractive = True
    can_verify = False

    def estimate(self, question: str, passages: list[Passage]) -> CallEstimate:
        return CallEstimate()

    def draft(self, question: str, passages: list[Passage], feedback: list[str]) -> Draft:
        asked = read_question(question)
        found = gather_candidates(asked, passages)
        wanted, compared, used_for, name = asked.wanted, asked.compared, asked.used_for, asked.name
        # A question word that few sentences hold counts for more than one most of them hold.
        held = Counter(w for c in found for w in c.words)
        idf = {w: math.log(1 + len(found) / (1 + held[w])) for w in wanted}
        whole = sum(idf.values()) or 1.0
        # A sentence that states a finding answers better than one that states an aim or a method.
        # So does one from a note whose title is about the question, and one that defines what the
        # question asks about ("An ontology is a formal, explicit specification…" for "What is an ontology?").
        defines, opens_with = definition_patterns(question)
        shortened, shorter = _shorter_definition(name)
        each = _definitions_of_each(name)

        def is_definition(sentence: str, passage: Passage) -> bool:
            return bool((defines and defines.search(sentence)) or any(p.search(sentence) for p in each) or
                        (shorter and shortened <= content_terms(passage.title) and shorter.search(sentence)))

        # The page's opening stands in for a definition only where no passage has one: "It’s called unsafe Rust and
        # works…" answers, not "Unsafe Rust exists because…", the first line of its summary.
        definitions = [is_definition(c.sentence, c.passage) for c in found]
        defined = any(definitions)
        asked_why = _WHY.match(question)
        why = content_terms(asked_why.group(1)) if asked_why else set()
        # The opening speaks for its page: it counts as much as the page's best passage (the passage under a title holds
        # few of the title's words, "Key points" below it more).
        page_score: dict[str, float] = {}
        for passage in passages:
            page_score[passage.path] = max(page_score.get(passage.path, 0.0), passage.score)

        def score(c: Candidate, definition: bool) -> float:
            return (sum(idf[w] for w in c.words) / whole + (page_score[c.passage.path] if c.first else c.passage.score)
                    + FINDING_BONUS * finding_rank(c.sentence)
                    + TITLE_BONUS * len(content_terms(c.passage.title) & wanted) / max(1, len(wanted))
                    + (DEFINITION_BONUS if definition else
                       SUBJECT_BONUS if (opens_with and opens_with.search(c.sentence)) or why & c.terms else 0.0)
                    + (INSTRUCTION_BONUS if c.does else 0.0)
                    + (PURPOSE_BONUS if used_for and used_for <= c.terms and _PURPOSE.search(c.sentence) else 0.0)
                    + (COMPARISON_BONUS if _sets_apart(c.sentence, c.terms, compared) else 0.0)
                    + (ANSWER_BONUS if c.answers else 0.0)
                    + (OPENING_BONUS if c.first and not defined else 0.0)
                    + (PROCEDURE_BONUS if c.does and (c.steps or c.code) else
                       -LEAD_IN_PENALTY if is_lead_in(c.sentence) else 0.0))

        ranked = sorted(((score(c, definition), -c.rank, c) for c, definition in zip(found, definitions, strict=True)),
                        key=lambda r: (-r[0], -r[1]))
        claims: list[DraftClaim] = []
        seen: set[str] = set()
        for _, _, c in ranked:
            path = c.passage.path
            key = sentence_key(c.sentence)
            if key in seen or sum(d.citations[0].note == path for d in claims) >= PER_NOTE:
                continue
            # A procedure says each sentence of its lead-in and its steps: none is quoted again on its own, before it or
            # after.
            said = {sentence_key(s) for step in c.steps for s in (step, *split_sentences(step))}
            if c.steps or c.code:
                said |= {sentence_key(s) for s in split_sentences(c.sentence)} - {key}
            if said:
                claims = [d for d in claims if sentence_key(d.text) not in said]
            seen |= said | {key}
            claims.append(DraftClaim(c.quote, (CitedQuote(path, c.quote),), c.numbered, c.code, c.stitched))
            if len(claims) >= MAX_CLAIMS:
                break
        # Grouped by article (a summary and its clipping are one) or note, the best first, best
        # first within each: the order the answer note lists them in.
        by_path = {p.path: p for p in passages}

        def group(claim: DraftClaim) -> str:
            return _article(by_path[claim.citations[0].note])

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


def _article(passage: Passage) -> str:
    return article_key(passage.path, passage.title, passage.note_type)



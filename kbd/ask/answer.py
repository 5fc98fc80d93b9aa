"""From passages to a checked answer: the engine drafts claims with citations; kbd checks that
every cited note was retrieved and every quote occurs in it (whitespace-normalised), asks once
for a repair listing the failures, drops what is still unsupported and, with a verifier model,
passes the answer through the verify gate as summaries are (one retry with the objections, then
`verified: false` with the objections shown)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kbd.ask.retrieve import NoteText, RetrievalPlan, normalise
from kbd.engines.answers import Answer, Answerer, Citation, CitedQuote, Claim, Code, Draft, checkable

_QUOTE_MARKS = "\"'“”‘’«»`"


@dataclass(frozen=True)
class Failure:
    claim: str
    reason: str  # one line, for the repair request and the note

    def line(self) -> str:
        return f"claim “{self.claim[:160]}”: {self.reason}"


def answer_question(plan: RetrievalPlan, answerer: Answerer) -> Answer:
    """The checked answer to `plan.question` from `plan.passages`."""
    question, passages = plan.question, plan.passages
    if not passages:
        return Answer(question=question, engine=answerer.name, extractive=answerer.extractive, claims=[])
    draft = answerer.draft(question, passages, [])
    claims, failures = check_draft(draft, plan)
    repaired = False
    if failures and not answerer.extractive:
        repaired = True
        draft = answerer.draft(question, passages, [f.line() for f in failures])
        claims, failures = check_draft(draft, plan)
    objections: list[str] = []
    if answerer.can_verify and claims:
        objections = answerer.verify(question, passages, claims)
        if objections:
            retry, retry_failures = check_draft(answerer.draft(question, passages, objections), plan)
            if retry:
                claims, failures = retry, retry_failures
                objections = answerer.verify(question, passages, claims)
    kept = {c.text for c in claims}
    dropped = list(dict.fromkeys((f.claim, f.reason) for f in failures if f.claim not in kept))
    return Answer(question=question, engine=answerer.name, extractive=answerer.extractive, claims=claims,
                  dropped=dropped, verified=not objections, objections=objections, repaired=repaired)


def check_draft(draft: Draft, plan: RetrievalPlan) -> tuple[list[Claim], list[Failure]]:
    """(claims whose citations hold, keeping only those citations; what failed and why). A claim
    with no citation that holds is left out; it appears among the failures."""
    claims: list[Claim] = []
    failures: list[Failure] = []
    provided = set(plan.chosen_notes())
    for item in draft.claims:
        text = re.sub(r"\s+", " ", item.text).strip()
        if not text:
            continue
        held: list[Citation] = []
        for cited in item.citations:
            citation, problem = check_citation(cited, plan, provided, item.stitched)
            if citation is not None:
                if citation not in held:
                    held.append(citation)
            else:
                failures.append(Failure(text, problem))
        if not item.citations:
            failures.append(Failure(text, "it cites no note"))
        if held:
            code = tuple(c for c in item.code if _code_follows(c, held[0], plan.notes[held[0].path]))
            if len(code) < len(item.code):
                failures.append(Failure(f"{text} (its code)", f"a code block it shows does not follow its line in "
                                                              f"{held[0].path}"))
            claims.append(Claim(text, tuple(held), item.numbered, code))
    return claims, failures


def _code_follows(code: tuple[int, Code], citation: Citation, note: NoteText) -> bool:
    """Whether a claim's code block is in its note, right after the line of the quote it is shown under: an engine
    shows code only where the note's own lead-in or step introduces it."""
    at, block = code
    lines = citation.quote.split("\n")
    if not 0 <= at < len(lines) or not (line := normalise(lines[at])):
        return False
    return any(b.shows == block and line in normalise(b.text) for b in note.blocks)


def check_citation(cited: CitedQuote, plan: RetrievalPlan, provided: set[str], stitched: bool = False
                   ) -> tuple[Citation | None, str]:
    """The citation, located in its note, or None and why it does not hold. `stitched`: an extractive walkthrough,
    whose lines are each in the note whole and in their order, but not side by side."""
    note = resolve_note(cited.note, plan, provided)
    if note is None:
        return None, f"it cites “{cited.note[:120]}”, which is not one of the notes provided"
    quote = cited.quote.strip().strip(_QUOTE_MARKS).strip()
    wanted = normalise(quote)
    if not checkable(wanted):
        return None, f"its quote from {note.path} is too short to check; quote a whole phrase or sentence"
    block = find_quote(note, wanted)
    if block is None and stitched:
        block = _find_lines_in_order(note, [normalise(line) for line in quote.split("\n")])
    if block is None and ("..." in quote or "…" in quote):
        return None, f"its quote from {note.path} leaves words out (…); quote the passage exactly"
    if block is None:  # an ellipsis the note itself has ("…reforming the postal market") is quoted as is
        return None, f"the quote “{quote[:120]}” does not occur in {note.path}"
    heading, block_id = block
    return Citation(path=note.path, title=note.title, quote=quote, heading=heading, block=block_id,
                    note_hash=note.sha256, note_type=note.note_type), ""


def _find_lines_in_order(note: NoteText, lines: list[str]) -> tuple[str | None, str | None] | None:
    """(heading, None) of the block where the first line is, where each line is in a block of the note at or after
    the one before it; else None."""
    texts = [normalise(b.text) for b in note.blocks]
    at, first = 0, None
    for line in lines:
        if not checkable(line):
            return None
        at = next((i for i in range(at, len(texts)) if line in texts[i]), -1)
        if at < 0:
            return None
        first = at if first is None else first
    return (note.blocks[first].heading, None) if first is not None else None


def resolve_note(name: str, plan: RetrievalPlan, provided: set[str]) -> NoteText | None:
    """The provided note a citation names: its path (with or without .md), or its title. A path may hold "|" or "#"
    itself ("raw/foam daily | Foam.md", "raw/C# basics.md"): as written first, then as a link's target."""
    written = name.strip()
    name = written.strip("[]").split("|", 1)[0].split("#", 1)[0].strip()
    for candidate in (written, written + ".md", name, name + ".md"):
        if candidate in provided:
            return plan.notes[candidate]
    folded = name.casefold()
    for path in provided:
        note = plan.notes[path]
        if folded in (note.title.casefold(), path.rsplit("/", 1)[-1][:-3].casefold()):
            return note
    return None


def find_quote(note: NoteText, wanted: str) -> tuple[str | None, str | None] | None:
    """(heading, block id) of the block where the normalised quote starts, or None if the note
    does not contain it. A quote may run across blocks (two list items, say)."""
    texts = [normalise(b.text) for b in note.blocks]
    for block, text in zip(note.blocks, texts, strict=True):
        if wanted in text:
            return block.heading, block.block
    joined, starts = "", []
    for text in texts:
        starts.append(len(joined))
        joined += text + " "
    at = joined.find(wanted)
    if at < 0:
        return None
    index = max(i for i, start in enumerate(starts) if start <= at)
    return note.blocks[index].heading, None  # a block id names one block, not a run of them

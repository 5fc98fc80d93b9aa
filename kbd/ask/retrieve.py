"""Retrieval for a question: search picks the top hits, their links lead to concept and source
notes, and the best passages of all of them fill a token budget (never a whole large note).

A passage is a few consecutive paragraphs or list items under one heading, at most
`ask.passage_tokens` long; it is scored by the share of the question's words it holds (each word
weighted by how few of the candidate passages hold it), times a weight for how its note was
found (a search hit by its rank, a linked note at half its linker's weight). The budget is
filled best passage first, at most `PER_NOTE` passages from any one note, so the prompt stays
the same size however large the vault grows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kbd.ask.blocks import CALLOUT, Block, article_blocks, note_blocks
from kbd.ask.compiled import compiled_title
from kbd.ask.settings import context_budget
from kbd.config import Config
from kbd.engines.answers import Code, Passage, sentence_key
from kbd.engines.base import word_key
from kbd.engines.context import CHARS_PER_TOKEN, default_input_tokens
from kbd.engines.lexicon import STOPWORDS
from kbd.engines.procedures import (
    WALKTHROUGH_STEPS,
    asked_action,
    asked_particle,
    headed_steps,
    introduces,
    is_walkthrough_step,
    opens_a_doing_section,
    procedures,
    walks_through,
)
from kbd.engines.question_shapes import definition_patterns
from kbd.render.notes import NUMBERS_LABEL
from kbd.search import IndexUnavailable, QueryError, search_vault
from kbd.vault.fsread import Unreadable, read_snapshot
from kbd.vault.layout import CONTROL_DIR, VaultLayout, clean_title
from kbd.vault.links import find_wikilinks
from kbd.vault.markdown import split_sentences
from kbd.vault.note import NAVIGATION_HEADINGS, content_sha256, file_sha256, split_frontmatter

PER_NOTE = 3  # passages from one note at most: an answer draws on several notes
LINKS_PER_NOTE = 8  # links followed from one search hit
LINKED_WEIGHT = 0.5  # a note reached by a link counts half as much as the note that links to it
FOLLOWED_TYPES = ("source", "concept", "answer")
SKIPPED_TYPES = ("report", "slides")
MIN_PASSAGE_WORDS = 4
PROCEDURE_ROOM = 2  # a procedure's steps may take this many times `ask.passage_tokens`, in the passage of its lead-in
# For "What is X?" or "What does X do?", a passage with a sentence that defines X ("*Slices* let you reference…",
# "A slice is a kind of reference…"): without it, a chapter's passages that each name X once tied, and the
# defining one could be left out for three later ones ("Other Slices", "String Slices"…).
DEFINES_BONUS = 0.5
_GERUND = re.compile(r"\W*[A-Za-z]{2,}ing\b")  # a heading that opens with a verb in -ing: "Installing geckodriver…"
_WORD = re.compile(r"\w+", re.UNICODE)
# kbd's callouts that say what the note holds; every other one (input problems, not verified, stale,
# extractive-answer labels, dropped claims) is about how kbd made the note, not about the subject.
CONTENT_CALLOUTS = frozenset({"summary", "abstract", "tldr"})
# kbd's own lines about the note: "Clipping: [[raw/…]] · by …", "Filed by `kbd ask`. …", and the list of
# numbers in a concept's synthesis (each is also in its source's bullet, where an answer quotes it).
_KBD_LINE = re.compile(rf"^(?:Clipping: |Filed by `kbd |>\s*{re.escape(NUMBERS_LABEL)} )")
# A synthesis line names its source after the sentence, "([[wiki/sources/page bundle|page bundle]]; 3 of 10 sources
# agree, also …)": the sentence is the source's bullet too, which an answer quotes once (with the brackets it was
# another sentence, and "What is a page bundle?" quoted the definition twice).
_SYNTHESIS_SOURCE = re.compile(r"(?<=[.!?\"”’)])\s+\(\[\[[^\]\n]+\]\](?:;[^\n]*)?\)\s*$")


@dataclass(frozen=True)
class NoteText:
    """A note as retrieval read it: what quotes are checked against."""

    path: str
    title: str
    note_type: str
    sha256: str  # "sha256:<hex>" of its bytes
    kbd_owned: bool
    blocks: tuple[Block, ...]
    headings: frozenset[str]  # every heading a link may name (`[[note#Heading]]`)
    clipping: str | None = None  # a source note: the clipping it summarises (vault-relative path)


@dataclass(frozen=True)
class RetrievalPlan:
    question: str
    budget: int  # tokens the passages may take
    passages: list[Passage]  # best first, within the budget
    notes: dict[str, NoteText]  # every note read (search hits and the notes their links lead to)
    hits: list[str]  # the search hits it started from, best first
    left_out: int  # passages that did not fit the budget

    @property
    def tokens(self) -> int:
        return sum(p.tokens for p in self.passages)

    def chosen_notes(self) -> list[str]:
        """Notes with at least one passage in the plan, in order of their best passage."""
        return list(dict.fromkeys(p.path for p in self.passages))

    def to_json(self) -> dict[str, Any]:
        return {"budget": self.budget, "tokens": self.tokens, "notes": self.chosen_notes(), "hits": list(self.hits),
                "left_out": self.left_out,
                "passages": [{"path": p.path, "anchor": p.anchor, "tokens": p.tokens, "score": round(p.score, 4)}
                             for p in self.passages]}


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def question_terms(text: str) -> set[str]:
    """The content words of a question (or passage), reduced as concept names are."""
    return {word_key(w) for w in _WORD.findall(text.casefold()) if w not in STOPWORDS and len(w) > 1}


def retrieve(root: Path, config: Config, question: str, *, budget: int | None = None,
             exclude: Collection[str] = (), subject: str | None = None) -> RetrievalPlan:
    """The passages to answer `question` from. `budget`: tokens (default: `ask.context_tokens`,
    sized for the worker model); `exclude`: note paths never to use (e.g. the answer being redone);
    `subject`: what the passages are about, where the question does not ask what it is (a deck's title)."""
    layout = VaultLayout.from_config(root, config)
    if budget is None:
        worker = config.models.get("worker")
        model_tokens = None if worker is None else worker.max_input_tokens or default_input_tokens(worker.model)
        budget = context_budget(config.ask, model_tokens)
    terms = question_terms(question)
    hits = _hits(root, config, layout, question, set(exclude))
    notes: dict[str, NoteText] = {}
    weights: dict[str, float] = {}
    for rank, (path, note_type) in enumerate(hits):
        note = read_note(layout, config, path, note_type)
        if note is None:
            continue
        notes[path] = note
        weights[path] = 1.0 / (1 + 0.15 * rank)
    for path in list(notes):
        for linked in _links(layout, config, path, notes, set(exclude)):
            if linked.path not in notes:
                notes[linked.path] = linked
            weights[linked.path] = max(weights.get(linked.path, 0.0), weights[path] * LINKED_WEIGHT)
    for note in list(notes.values()):
        # A clipping and its summary are one article under the summary's title, which kbd repaired (a
        # clipping whose `title` is a heading of its code, "SPARQL", is "Knowledge Graphs and AI").
        if note.clipping in notes and notes[note.clipping].title != note.title:
            notes[note.clipping] = replace(notes[note.clipping], title=note.title)
    action, particle = asked_action(question), asked_particle(question)
    found = [(p, words) for note in notes.values()
             for p, words in _passages(note, terms, config.ask.passage_tokens, how_to=bool(action))]
    # A question word few passages hold says more about which passage answers it than one most
    # of them hold: each word counts by its inverse passage frequency among the candidates.
    held = Counter(w for _, words in found for w in words)
    idf = {w: math.log(1 + len(found) / (1 + held[w])) for w in terms}
    whole = sum(idf.values()) or 1.0
    candidates = [replace(p, score=weights[p.path] * (sum(idf[w] for w in words) / whole + 0.1)) for p, words in found]
    # The first passage of each note that defines what is asked comes first: a chapter says what a thing is where it
    # introduces it, and its later passages that say "Closures can capture values…" tied with it, their headings'
    # letters first. The bonus orders the passages and is no part of a passage's score: the answerer weighs each
    # sentence by its passage's, and the defining passage's other sentences ("Note: For the purposes of introducing
    # slices…") say no more than before.
    # So does, for "How do I …?", the first passage of each note with a procedure that does it: "Migrating your data
    # to a new computer involves four steps…:" tied with the passages above it and under later headings.
    defines = [p for p in definition_patterns(f"What is {subject}?" if subject else question, acting=True) if p]
    things = terms - {word_key(action)}
    chosen_first: dict[int, float] = {}
    defined: set[str] = set()
    for p in candidates:  # in each note's order
        if p.path not in defined and ((defines and _defines(p, defines)) or
                                      (action and _does_what_is_asked(p, action, things, particle))):
            chosen_first[id(p)] = DEFINES_BONUS * weights[p.path]
            defined.add(p.path)
    # Else, the first passage of a section whose heading does what is asked, though it holds no procedure ("## Using
    # Snippets" for "How do I use snippets?": "Snippets can be inserted into any Markdown document… by triggering the
    # autocomplete feature."): the passages that only name the thing ("use-cases for snippets") outnumbered it.
    for p in candidates:
        if p.path not in defined and opens_a_doing_section(p, action, things, particle):
            chosen_first[id(p)] = DEFINES_BONUS * weights[p.path]
            defined.add(p.path)
    candidates.sort(key=lambda p: (-p.score - chosen_first.get(id(p), 0.0), p.path, p.heading or ""))
    candidates = [p for p in candidates if not _said_by_summary(p, notes, bool(action))]
    chosen: list[Passage] = []
    per_note: dict[str, int] = {}
    used = 0
    for passage in candidates:
        if per_note.get(passage.path, 0) >= PER_NOTE or used + passage.tokens > budget:
            continue
        chosen.append(passage)
        per_note[passage.path] = per_note.get(passage.path, 0) + 1
        used += passage.tokens
    return RetrievalPlan(question=question, budget=budget, passages=chosen, notes=notes,
                         hits=[p for p, _ in hits if p in notes], left_out=len(candidates) - len(chosen))


def _hits(root: Path, config: Config, layout: VaultLayout, question: str, exclude: set[str]
          ) -> list[tuple[str, str]]:
    """(path, type) of the best search hits that are notes to answer from (not reports, decks,
    catalogues, the log or kbd's control folder)."""
    # The question's words only: `?`, `*`, `:` and upper-case AND/OR/NOT are query syntax.
    query = " ".join(w.lower() for w in _WORD.findall(question))
    if not query:
        return []
    wanted = config.ask.top_hits
    try:
        results = search_vault(root, config, query, limit=wanted * 3)
    except (QueryError, IndexUnavailable):
        return []
    out = []
    for hit in results.hits:
        # A result is one article: its clipping and its summary both answer (search shows one).
        for path, kind in ((hit.path, hit.type), *((p, _article_type(layout, p)) for p in hit.also)):
            if path in exclude or kind in SKIPPED_TYPES or not _answerable(layout, path):
                continue
            out.append((path, kind))
        if len(out) >= wanted:
            break
    return out[:wanted]


def _article_type(layout: VaultLayout, path: str) -> str:
    return "raw" if path.startswith(layout.raw + "/") else "source"


def _answerable(layout: VaultLayout, path: str) -> bool:
    wiki = layout.wiki + "/"
    if path.startswith(CONTROL_DIR + "/"):
        return False
    if path.startswith(wiki):
        rest = path[len(wiki):]
        return "/" in rest and rest.split("/", 1)[0] not in ("index", "reports", "slides")
    return True


def _links(layout: VaultLayout, config: Config, path: str, notes: dict[str, NoteText], exclude: set[str]
           ) -> list[NoteText]:
    """The concept, source and answer notes `path` links to, read (the first LINKS_PER_NOTE)."""
    note = notes[path]
    try:
        text = _read_text(layout, config, path)[0]
    except (OSError, Unreadable, UnicodeDecodeError):
        return []
    out: list[NoteText] = []
    seen: set[str] = set()
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    for link in find_wikilinks(text):
        if len(out) >= LINKS_PER_NOTE:
            break
        if link.embed or not link.target:
            continue
        target = link.target if link.target.lower().endswith(".md") else link.target + ".md"
        candidates = [target, f"{folder}/{target}" if folder else target, f"{layout.concepts}/{target}",
                      f"{layout.sources}/{target}", f"{layout.wiki}/answers/{target}"]
        for candidate in candidates:
            if candidate in seen or candidate == note.path or candidate in exclude:
                continue
            kind = _wiki_type(layout, candidate)
            if kind not in FOLLOWED_TYPES:
                continue
            found = notes.get(candidate) or read_note(layout, config, candidate, kind)
            if found is not None:
                seen.add(candidate)
                out.append(found)
                break
    return out


def _wiki_type(layout: VaultLayout, path: str) -> str | None:
    for folder, kind in ((layout.sources, "source"), (layout.concepts, "concept"),
                         (f"{layout.wiki}/answers", "answer")):
        if path.startswith(folder + "/") and "/" not in path[len(folder) + 1:]:
            return kind
    return None


def _read_text(layout: VaultLayout, config: Config, path: str) -> tuple[str, bytes]:
    data = read_snapshot(layout.root, path, config.compile.max_note_bytes).data
    if b"\x00" in data[:8192]:
        raise Unreadable("a binary file")
    return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n"), data


def read_note(layout: VaultLayout, config: Config, path: str, note_type: str) -> NoteText | None:
    """The note at `path` split into blocks, or None when it is missing or not a readable note."""
    if any(part.startswith(".") for part in path.split("/")) or not path.lower().endswith(".md"):
        return None
    try:
        text, data = _read_text(layout, config, path)
    except (FileNotFoundError, Unreadable, UnicodeDecodeError, OSError):
        return None
    meta, body, _ = split_frontmatter(text)
    title = meta.get("title") if isinstance(meta.get("title"), str) else None
    owned = path.startswith(layout.wiki + "/")
    if not owned:
        # A clipping is titled as the compile titled its article, whether or not its summary is read too: by its
        # file name, a deck's slide read "ch16-02-message-passing".
        title = compiled_title(layout, path, file_sha256(data)) or title
    blocks, headings = note_blocks(without_kbd_chrome(body), quoted_lines=True) if owned else note_blocks(body)
    if owned:
        blocks = [b for b in blocks if b.heading not in NAVIGATION_HEADINGS]
    else:
        blocks = article_blocks(blocks)
    clipping = meta.get("clipping") if owned and isinstance(meta.get("clipping"), str) else None
    links = find_wikilinks(clipping) if clipping else []
    return NoteText(path=path, title=clean_title(title or path.rsplit("/", 1)[-1][:-3]), note_type=note_type,
                    sha256=content_sha256(text, owned), kbd_owned=owned,
                    blocks=tuple(blocks), headings=frozenset(headings),
                    clipping=links[0].target + ".md" if links and links[0].target else None)


def _defines(passage: Passage, patterns: list[re.Pattern[str]]) -> bool:
    return any(pattern.search(sentence) for line in passage.text.split("\n") for sentence in split_sentences(line)
               for pattern in patterns)


def _said_by_summary(passage: Passage, notes: dict[str, NoteText], how_to: bool = False) -> bool:
    """A clipping's passage whose every sentence its source note (read too) already says: the
    summary speaks for the article, the clipping only adds what the summary leaves out (code, too; its heading's code
    and the walkthrough it points to answer "How do I …?" only, `how_to`)."""
    summary = next((n for n in notes.values() if n.clipping == passage.path), None)
    if summary is None or passage.code or (how_to and (passage.heading_code or passage.walkthrough)):
        return False
    said = {sentence_key(s) for b in summary.blocks for s in split_sentences(b.text)}
    return all(sentence_key(s) in said for s in split_sentences(passage.text) if sentence_key(s))


def without_kbd_chrome(body: str) -> str:
    """A note kbd wrote, without what kbd says about the note itself: callouts other than the
    summary (input problems, verification and staleness warnings, labels), its footer lines, and the source a
    synthesis line names after its sentence."""
    out: list[str] = []
    skipping = False
    for text in body.split("\n"):
        m = CALLOUT.match(text)
        if m:
            skipping = m.group(1).casefold() not in CONTENT_CALLOUTS
        elif skipping and not text.lstrip().startswith(">"):
            skipping = False
        if skipping or _KBD_LINE.match(text):
            continue
        out.append(_SYNTHESIS_SOURCE.sub("", text) if text.lstrip().startswith(">") else text)
    return "\n".join(out)


def _passages(note: NoteText, terms: set[str], limit: int, how_to: bool = False) -> list[tuple[Passage, set[str]]]:
    """The note's blocks grouped into passages (consecutive blocks under one heading, at most
    `limit` tokens; a longer block is cut at sentence ends) that hold some of the question's words,
    each with those words (the caller scores them). `how_to`: the question asks "How do I …?", which a page's
    walkthrough answers (no other question reads it)."""
    pieces: list[Block] = []
    origin: list[int] = []  # each piece's block in the note
    for index, block in enumerate(note.blocks):
        if estimate_tokens(block.text) <= limit:
            pieces.append(block)
        else:
            part = ""
            for sentence in split_sentences(block.text):
                sentence = sentence[:int(limit * CHARS_PER_TOKEN)]
                if part and estimate_tokens(part + " " + sentence) > limit:
                    pieces.append(Block(block.heading, None, part, part))
                    part = ""
                part = f"{part} {sentence}".strip()
            if part:  # the last piece ends with the lead-in, if any: the code it introduces is its
                pieces.append(Block(block.heading, None, part, part, shows=block.shows,
                                    under_heading=block.under_heading))
        origin += [index] * (len(pieces) - len(origin))
    groups: list[list[Block]] = []
    ends: list[int] = []  # the block each group ends in
    listing = False  # the last group is a procedure so far: a lead-in and the list items after it
    section_starts: set[int] = set()  # the first piece under each heading
    for at, piece in enumerate(pieces):
        last = groups[-1] if groups else None
        # A procedure's lead-in ("To create a new empty vault:") opens a passage, and its steps stay in it up to
        # PROCEDURE_ROOM times the limit: packed by size alone, a passage could end on the lead-in, whose steps then
        # began the next, or cut the list ("Repeat step 5 for each device." left out of Joplin's E2EE steps).
        lead_in = not piece.item and piece.text.rstrip().endswith(":") and \
            at + 1 < len(pieces) and pieces[at + 1].item and not pieces[at + 1].after_code and \
            pieces[at + 1].heading == piece.heading
        listing = listing and piece.item and not piece.after_code
        room = limit * PROCEDURE_ROOM if listing else limit
        if last and last[-1].heading == piece.heading and not last[-1].block and not lead_in and \
                estimate_tokens(" ".join(b.text for b in [*last, piece])) <= room:
            last.append(piece)
            ends[-1] = origin[at]
        else:
            groups.append([piece])
            ends.append(origin[at])
            listing = lead_in
            if at == 0 or pieces[at - 1].heading != piece.heading:
                section_starts.add(id(piece))
    out = []
    for group, end in zip(groups, ends, strict=True):
        text = "\n".join(b.text for b in group)
        if len(_WORD.findall(text)) < MIN_PASSAGE_WORDS:
            continue
        # A heading that leads in its section's code says what that code does: its words are the passage's too
        # ("## Check the size of the whole database", then "`pg_database_size` returns bytes, …" and the query).
        led = next((b.heading for b in group if b.under_heading and b.heading), "")
        found = question_terms(" ".join([led, *(b.own for b in group)])) & terms
        if not found:
            continue
        block = group[0].block if len(group) == 1 else None
        out.append((Passage(path=note.path, title=note.title, note_type=note.note_type, heading=group[0].heading,
                            block=block, text=text, tokens=estimate_tokens(text), note_hash=note.sha256,
                            score=0.0, kbd_owned=note.kbd_owned,
                            items=frozenset(i for i, b in enumerate(group) if _in_a_list(group, i)),
                            numbered=frozenset(i for i, b in enumerate(group) if b.numbered),
                            opens_section=id(group[0]) in section_starts,
                            code=tuple((i, b.shows) for i, b in enumerate(group)
                                       if b.shows and (not b.under_heading or b.names_code)),
                            heading_code=tuple((i, b.shows) for i, b in enumerate(group)
                                               if b.shows and b.under_heading),
                            walkthrough=_walkthrough(note, text, end) if how_to else ()), found))
    return out


def _walkthrough(note: NoteText, text: str, end: int) -> tuple[tuple[str, Code], ...]:
    """Where a passage says the page's steps follow ("Here's how I got it working."), the lead-ins of the note after
    block `end` that introduce code, each with its code (at most WALKTHROUGH_STEPS); else none."""
    if note.kbd_owned or not any(walks_through(s) for line in text.split("\n") for s in split_sentences(line)):
        return ()
    named = question_terms(f"{note.title} {text}")
    steps = []
    heading = None
    for block in note.blocks[end + 1:]:
        if block.heading != heading:
            heading = block.heading
            if heading and _does_something_else(heading, named):
                break
        sentences = split_sentences(block.text)
        if block.shows and (not block.under_heading or block.names_code) and sentences and \
                is_walkthrough_step(sentences[-1]):
            steps.append((sentences[-1], block.shows))
            if len(steps) == WALKTHROUGH_STEPS:
                break
    return tuple(steps)


def _does_something_else(heading: str, named: set[str]) -> bool:
    """Whether a section's heading does a task of its own, after a walkthrough: it opens with a verb in -ing and names
    nothing the page's title or the walkthrough's opening names ("Installing geckodriver for Firefox" after the steps
    of "Installing Selenium for Python on macOS with ChromeDriver"; "Building an HTML tool to make this easier in the
    future")."""
    verb = _GERUND.match(heading)
    return bool(verb) and not question_terms(heading[verb.end():]) & named


def _does_what_is_asked(passage: Passage, action: str, things: set[str], particle: str) -> bool:
    """Whether the passage holds a procedure that does what "How do I …?" asks: a lead-in's, or its section's list
    under a heading that says so ("## Step 2: Enable the theme"), or the code such a heading leads in."""
    if passage.heading and (headed_steps(passage) or passage.heading_code) and \
            introduces(passage.heading, action, things, passage, particle):
        return True
    return any(introduces(steps.lead_in, action, things, passage, particle) for steps in procedures(passage).values())


def _in_a_list(group: list[Block], at: int) -> bool:
    """Whether the block is a list item that goes on from a lead-in or an item: one right after a code block goes on
    from the item above the code ("1. Use the interval keyword…", code, "2. …"), not from a paragraph ("…add the
    following lines to mkdocs.yml:", code, "- You can also define multiple aliases…")."""
    block = group[at]
    return block.item and (not block.after_code or (at > 0 and group[at - 1].item))


def normalise(text: str) -> str:
    """Text as quotes are compared: compatibility forms, straight quotes and dashes, one space, no case."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_PUNCT)
    return re.sub(r"\s+", " ", text).strip().casefold()


_PUNCT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"',
                        "\u201e": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " "})

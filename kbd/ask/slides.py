"""Marp decks: what a deck is made from (a query, a concept article, an answer), making it,
recording it, and keeping decks from the config current.

A deck is recorded in state.db (`decks`: the Deck itself and the spec and engine that made it;
`deck_inputs`: the content hash of every note it drew from) and queued for rendering as
`slides:<id>`; the compile render writes it, and its chart, through the VaultWriter. A deck from
the config is made again only when what it would be made from differs from what it was made
from: another note, a changed note, another spec or another engine. Working that out reads
notes and the search index; it never calls a model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kbd.ask.decksettings import DeckSpec, deck_key
from kbd.ask.file import Filed
from kbd.ask.retrieve import NoteText, read_note, retrieve
from kbd.clock import now, stamp
from kbd.compile.decks import slides_folder
from kbd.config import Config
from kbd.engines import slide_maker_identity
from kbd.engines.answers import Answer, Code, Passage
from kbd.engines.base import concept_key
from kbd.engines.decks import FIXED_SLIDES, MAX_BULLETS, TITLE_CHARS, Chart, Deck, Slide, SlideDraft, SlideMaker
from kbd.engines.procedures import code_of_parts, lead_in_and_steps, only_says_steps_follow
from kbd.engines.slides import line, shorten
from kbd.render.charts import find_chart
from kbd.state import State
from kbd.vault.layout import VaultLayout, safe_note_name, unique_name
from kbd.vault.links import find_wikilinks

if TYPE_CHECKING:
    from kbd.ask.file import FormatContext

PASSAGES_PER_NOTE = 4  # a concept or answer deck takes this many blocks of each note it draws from
MAX_LINKED_NOTES = 12
MIN_PASSAGE_CHARS = 30
MAX_SLIDE_CODE_LINES = 14  # what a slide shows under its title at Marp's default size


@dataclass(frozen=True)
class Material:
    """What a deck is made from: passages and the hash of every note they come from."""

    passages: list[Passage]
    inputs: dict[str, str]  # note path → "sha256:<hex>"
    problem: str | None = None  # why there is nothing to make a deck from


@dataclass(frozen=True)
class DeckOutcome:
    title: str
    path: str | None  # the deck note (vault-relative), None when none could be made
    made: bool  # made now (False: it was current, or it failed)
    message: str
    slides: int = 0  # slides in the deck, title and Sources included
    deck_id: int | None = None
    warnings: list[str] = field(default_factory=list)


def assets_folder(layout: VaultLayout) -> str:
    return f"{layout.wiki}/answers/assets"


# -- material ---------------------------------------------------------------------------------

def material(layout: VaultLayout, config: Config, state: State, spec: DeckSpec) -> Material:
    if spec.concept is not None:
        return concept_material(layout, config, state, spec.concept)
    if spec.answer is not None:
        return note_material(layout, config, spec.answer)
    # A deck's title names its subject: the passage that says what it is comes first, to open the deck.
    plan = retrieve(layout.root, config, spec.query or spec.title, subject=spec.title)
    if not plan.passages:
        return Material([], {}, f"nothing in the wiki matches {spec.query or spec.title!r}; compile some clippings "
                                "first, or try other words (`kbd search` shows what matches)")
    return Material(list(plan.passages), {p: plan.notes[p].sha256 for p in plan.chosen_notes()})


def concept_material(layout: VaultLayout, config: Config, state: State, name: str) -> Material:
    """The concept article and the notes it links to (its sources), a few blocks of each."""
    key = concept_key(name)
    alias = state.db.execute("SELECT key FROM concept_aliases WHERE alias=?", (key,)).fetchone()
    row = state.db.execute("SELECT note_name FROM concepts WHERE key=?", (alias[0] if alias else key,)).fetchone()
    if row is None:
        return Material([], {}, f"no concept called {name!r} in {layout.concepts}/; concept names are the note "
                                "names there (a concept gets a note once enough sources discuss it)")
    path = f"{layout.concepts}/{row[0]}.md"
    concept = read_note(layout, config, path, "concept")
    if concept is None:
        return Material([], {}, f"{path} cannot be read; run `kbd compile` to write it again")
    notes = [concept]
    text = layout.abs(path).read_text(encoding="utf-8", errors="replace")
    seen = {path}
    for link in find_wikilinks(text):
        target = link.target if link.target.endswith(".md") else f"{link.target}.md"
        if link.embed or target in seen or not target.startswith(layout.sources + "/"):
            continue
        seen.add(target)
        note = read_note(layout, config, target, "source")
        if note is not None:
            notes.append(note)
        if len(notes) > MAX_LINKED_NOTES:
            break
    return _from_notes(notes)


def note_material(layout: VaultLayout, config: Config, rel: str) -> Material:
    """One note of the vault (an answer, usually), a few blocks of it."""
    note = read_note(layout, config, rel, "answer" if rel.startswith(f"{layout.wiki}/answers/") else "note")
    if note is None:
        return Material([], {}, f"{rel} is not a note kbd can read (give a vault-relative path to a .md note)")
    return _from_notes([note], per_note=PASSAGES_PER_NOTE * 3)


def _from_notes(notes: list[NoteText], per_note: int = PASSAGES_PER_NOTE) -> Material:
    passages = []
    for note in notes:
        blocks = [b for b in note.blocks if len(b.text) >= MIN_PASSAGE_CHARS][:per_note]
        passages += [Passage(path=note.path, title=note.title, note_type=note.note_type, heading=b.heading,
                             block=b.block, text=b.text, tokens=len(b.text) // 4 + 1, note_hash=note.sha256,
                             score=1.0, kbd_owned=note.kbd_owned) for b in blocks]
    inputs = {n.path: n.sha256 for n in notes if any(p.path == n.path for p in passages)}
    if not passages:
        return Material([], {}, f"{notes[0].path} has no text to make slides from")
    return Material(passages, inputs)


# -- making -----------------------------------------------------------------------------------

def assemble(title: str, draft: SlideDraft, passages: list[Passage], engine: str, max_slides: int,
             subtitle: str, **about: str | None) -> Deck:
    """The Deck: the engine's slides, and a chart slide when the passages they cite state
    comparable numbers (kept within max_slides, the title and Sources slides included)."""
    room = max_slides - FIXED_SLIDES
    slides = list(draft.slides[:room])
    chart = _chart(title, slides, passages)
    if chart is not None and len(slides) >= room:
        slides = slides[:room - 1]
        chart = _chart(title, slides, passages)
    charts: tuple[Chart, ...] = ()
    if chart is not None:
        charts = (chart,)
        what = chart.title.split(": ", 1)[-1]  # the picture carries the deck's title; the slide says what it shows
        slides.append(Slide(title=shorten(what[:1].upper() + what[1:], TITLE_CHARS), chart=0,
                            cites=tuple(dict.fromkeys(p.passage for p in chart.points))))
    return Deck(title=title, subtitle=subtitle, slides=tuple(slides), passages=tuple(passages), engine=engine,
                generated=stamp(now()), charts=charts, verified=draft.verified, objections=tuple(draft.objections),
                warnings=tuple(draft.dropped), **about)  # type: ignore[arg-type]


def _chart(title: str, slides: list[Slide], passages: list[Passage]) -> Chart | None:
    cited = sorted({i for s in slides for i in s.cites})
    chart = find_chart([passages[i] for i in cited], title)
    if chart is None:
        return None
    points = tuple(replace(p, passage=cited[p.passage]) for p in chart.points)
    return replace(chart, points=points)


def deck_from_answer(answer: Answer, title: str, max_slides: int) -> Deck:
    """A checked answer as slides, no model call: one slide per note it cites, the claims resting on
    that note as bullets, the quotes they rest on as speaker notes; an extractive answer's procedure is slides of its
    own, a step a bullet (run together in one bullet, six steps were cut after three)."""
    passages: list[Passage] = []
    index: dict[tuple[str, str], int] = {}
    by_note: dict[str, list[tuple[str, list[int]]]] = {}
    order: list[str | tuple[str, list[str], bool, tuple[int, ...], Code | None]] = []  # a note's path, or a procedure
    for claim in answer.claims:
        cites = []
        for c in claim.citations:
            if (c.path, c.quote) not in index:
                index[(c.path, c.quote)] = len(passages)
                passages.append(Passage(path=c.path, title=c.title, note_type="", heading=c.heading, block=c.block,
                                        text=c.quote, tokens=len(c.quote) // 4 + 1, note_hash=c.note_hash, score=1.0,
                                        kbd_owned=False))
            cites.append(index[(c.path, c.quote)])
        if not cites:
            continue
        first = claim.citations[0]
        lead_in, steps = lead_in_and_steps(first.quote) if answer.extractive else ("", [])
        code = code_of_parts(lead_in, steps, claim.code)[0]
        if steps or code:
            named = first.heading if first.heading and (not lead_in or only_says_steps_follow(lead_in)) else lead_in
            order.append(((named or first.title).rstrip(" :"), steps, claim.numbered, tuple(cites), code))
        else:
            path = passages[cites[0]].path
            if path not in by_note:
                order.append(path)
            by_note.setdefault(path, []).append((claim.text, cites))

    slides: list[Slide] = []
    for item in order:
        if isinstance(item, tuple):
            heading, steps, numbered, cites, code = item
            slides += _procedure_slides(heading, steps, numbered, cites, code)
            continue
        claims = by_note[item]
        cites = tuple(dict.fromkeys(i for _, each in claims for i in each))
        slides.append(Slide(title=shorten(passages[cites[0]].title, TITLE_CHARS),
                            bullets=tuple(shorten(text) for text, _ in claims[:4]),
                            notes=shorten(" ".join(f"“{line(passages[i].text)}”" for i in cites), 1200), cites=cites))
    kind = "extractive answer (no model configured)" if answer.extractive else f"answer by {answer.engine}"
    draft = SlideDraft(slides, verified=answer.verified, objections=list(answer.objections),
                       dropped=[f"dropped as unsupported: {c}" for c, _ in answer.dropped])
    return assemble(title, draft, passages, answer.engine, max_slides, f"Slides of the {kind}", query=answer.question)


def _procedure_slides(heading: str, steps: list[str], numbered: bool, cites: tuple[int, ...],
                      code: Code | None) -> list[Slide]:
    """A procedure's slides: its lead-in (or its section's heading) the title, the code it introduces on a slide of its
    own (up to MAX_SLIDE_CODE_LINES: a longer program is read in its note, which the slide says), its steps shared
    evenly at most MAX_BULLETS a slide (six steps are three and three, not five and one), numbered as the note numbers
    them; each slide's notes quote its own steps whole."""
    slides = []
    if code is not None:
        fits = code.lines <= MAX_SLIDE_CODE_LINES and not code.left_out
        slides.append(Slide(title=shorten(heading, TITLE_CHARS), code=code if fits else None, cites=cites,
                            bullets=() if fits else (f"In the note it cites: {code.size()}, too long for a slide.",),
                            notes=f"“{line(heading)}:”"))
    if not steps:
        return slides
    parts = -(-len(steps) // MAX_BULLETS)
    size = -(-len(steps) // parts)
    for part, first in enumerate(range(0, len(steps), size), start=1):
        shown = list(enumerate(steps[first:first + size], start=first + 1))
        slides.append(Slide(title=shorten(heading + (f" ({part} of {parts})" if parts > 1 else ""), TITLE_CHARS),
                            bullets=tuple(shorten(f"{n}. {step}" if numbered else step) for n, step in shown),
                            notes=shorten(" ".join(f"“{line(step)}”" for _, step in shown), 1200), cites=cites))
    return slides


def make_deck(spec: DeckSpec, found: Material, maker: SlideMaker) -> Deck:
    draft = maker.slides(spec.title, found.passages, spec.max_slides - FIXED_SLIDES)
    kind = "extractive deck (no model configured)" if maker.name == "offline" else f"made by {maker.name}"
    deck = assemble(spec.title, draft, found.passages, maker.name, spec.max_slides, "", query=spec.query or (
        spec.title if spec.concept is None and spec.answer is None else None), concept=spec.concept,
        answer=spec.answer)
    # The notes its slides cite, as the Sources slide lists them (a clipping and its summary: 1), not
    # every note the search read: the title slide, the Sources slide and the command say one number.
    return replace(deck, subtitle=f"{kind[0].upper()}{kind[1:]} · from {notes_phrase(deck)}")


def notes_phrase(deck: Deck) -> str:
    notes = len(deck.cited_notes())
    return f"{notes} {'note' if notes == 1 else 'notes'}"


# -- state ------------------------------------------------------------------------------------

def is_current(state: State, spec: DeckSpec, made_by: str, inputs: dict[str, str]) -> bool:
    """The recorded deck of this title was made from this spec, by this engine, from exactly these notes."""
    row = state.db.execute("SELECT id, spec, made_by FROM decks WHERE deck_key=?", (deck_key(spec.title),)).fetchone()
    if row is None or json.loads(row["spec"]) != spec.to_json() or row["made_by"] != made_by:
        return False
    recorded = {r[0]: r[1] for r in state.db.execute("SELECT path, sha256 FROM deck_inputs WHERE deck_id=?",
                                                       (row["id"],))}
    return recorded == inputs


def record_deck(layout: VaultLayout, state: State, spec: DeckSpec, deck: Deck, made_by: str,
                inputs: dict[str, str]) -> tuple[int, str]:
    """Store the deck (replacing the earlier deck of the same title) and queue it for rendering;
    returns its id and note path. The caller holds a transaction."""
    key = deck_key(spec.title)
    row = state.db.execute("SELECT id, note_name FROM decks WHERE deck_key=?", (key,)).fetchone()
    if row is None:
        taken = {r[0].casefold() for r in state.db.execute("SELECT note_name FROM decks")}
        name = unique_name(safe_note_name(spec.title), taken)
    else:
        name = row["note_name"]
    charts = tuple(replace(c, asset=f"{assets_folder(layout)}/{name} - deck chart {i + 1}.svg")
                   for i, c in enumerate(deck.charts))
    data = json.dumps(replace(deck, charts=charts).to_json(), ensure_ascii=False)
    values = (json.dumps(spec.to_json(), ensure_ascii=False), made_by, data, deck.generated)
    if row is None:
        deck_id = state.db.execute("INSERT INTO decks(deck_key, note_name, spec, made_by, deck, generated) "
                                   "VALUES(?, ?, ?, ?, ?, ?)", (key, name, *values)).lastrowid
    else:
        deck_id = row["id"]
        state.db.execute("UPDATE decks SET spec=?, made_by=?, deck=?, generated=? WHERE id=?", (*values, deck_id))
    state.db.execute("DELETE FROM deck_inputs WHERE deck_id=?", (deck_id,))
    state.db.executemany("INSERT INTO deck_inputs(deck_id, path, sha256) VALUES(?, ?, ?)",
                         [(deck_id, path, sha) for path, sha in sorted(inputs.items())])
    path = f"{slides_folder(layout)}/{name}.md"
    state.db.execute("INSERT INTO log_entries(time, kind, title, source_id, detail) VALUES(?, 'slides', ?, NULL, ?)",
                     (deck.generated, deck.title, path))
    state.mark_dirty([f"slides:{deck_id}", "index", "log"])
    return int(deck_id), path


# -- commands ---------------------------------------------------------------------------------

MakerFactory = Callable[[], SlideMaker]


def refresh_deck(layout: VaultLayout, config: Config, state: State, spec: DeckSpec, maker: MakerFactory,
                 force: bool = False) -> DeckOutcome:
    """Make the deck `spec` describes unless the recorded one is current (`force`: make it anyway).
    Queues it for rendering; the caller renders (a compile limited to the deck)."""
    answer = _filed_answer(layout, state, spec.answer) if spec.answer else None
    if answer is not None:  # a kbd answer: its checked claims are the slides, no model call
        found = Material([], {spec.answer: _hash(layout, spec.answer),  # type: ignore[dict-item]
                              **{c.path: c.note_hash for claim in answer.claims for c in claim.citations}})
        made_by_now = f"answer: {answer.engine}"
    else:
        found = material(layout, config, state, spec)
        made_by_now = slide_maker_identity(config, layout.root)
    if found.problem is not None:
        return DeckOutcome(spec.title, None, False, found.problem)
    if not force and is_current(state, spec, made_by_now, found.inputs):
        row = state.db.execute("SELECT id, note_name, deck FROM decks WHERE deck_key=?",
                               (deck_key(spec.title),)).fetchone()
        path = f"{slides_folder(layout)}/{row['note_name']}.md"
        if not layout.abs(path).exists():
            with state.transaction():
                state.mark_dirty([f"slides:{row['id']}"])
        slides = len(json.loads(row["deck"])["slides"]) + FIXED_SLIDES
        return DeckOutcome(spec.title, path, False, "current: no note it draws from has changed", slides, row["id"])
    if answer is not None:
        deck = replace(deck_from_answer(answer, spec.title, spec.max_slides), query=None, answer=spec.answer)
    else:
        engine = maker()
        try:
            deck = make_deck(spec, found, engine)
        finally:
            engine.close()
    if not deck.slides:
        return DeckOutcome(spec.title, None, False, "the passages found gave no slide; nothing was written")
    with state.transaction():
        deck_id, path = record_deck(layout, state, spec, deck, made_by_now, found.inputs)
    return DeckOutcome(spec.title, path, True, f"made from {notes_phrase(deck)}", len(deck.slides) + FIXED_SLIDES,
                       deck_id, list(deck.warnings))


def _filed_answer(layout: VaultLayout, state: State, path: str) -> Answer | None:
    """The checked answer kbd filed at `path` (a note in wiki/answers/), if it is one."""
    folder = f"{layout.wiki}/answers/"
    if not path.startswith(folder) or "/" in path[len(folder):] or not layout.abs(path).is_file():
        return None
    row = state.db.execute("SELECT result FROM answers WHERE note_name=?", (path[len(folder):-3],)).fetchone()
    return Answer.from_json(json.loads(row[0])) if row else None


def _hash(layout: VaultLayout, path: str) -> str:
    return "sha256:" + hashlib.sha256(layout.abs(path).read_bytes()).hexdigest()


def file_deck(ctx: FormatContext) -> Filed:
    """The `marp` format of `kbd ask` (kbd.ask.command.FORMATS): the checked answer as a deck."""
    spec = DeckSpec(title=_question_title(ctx.question), query=ctx.question)
    deck = deck_from_answer(ctx.answer, spec.title, spec.max_slides)
    inputs = {c.path: c.note_hash for claim in ctx.answer.claims for c in claim.citations}
    with ctx.state.transaction():
        deck_id, path = record_deck(ctx.layout, ctx.state, spec, deck, f"answer: {ctx.answer.engine}", inputs)
    return Filed(path=path, answer_id=None, render=[f"slides:{deck_id}"])


def _question_title(question: str) -> str:
    return re.sub(r"\s+", " ", question).strip()[:200] or "Untitled"

"""Build the typed note models the renderers take, from state.db.

Reads only the database. A rendered source note carries the related-sources list it was
rendered with; the caller records it once the note is written, so that a later change can tell
cheaply (and crash-safely) whether the note needs rendering again.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from kbd.compile.aliases import alias_names
from kbd.compile.concepts import RELATED_MAX_SOURCES
from kbd.compile.decks import deck_files, deck_paths, slides_folder
from kbd.compile.related import WEAK_KEYS, series_siblings
from kbd.compile.stale import stale_because
from kbd.compile.statuspage import status_text
from kbd.compile.titled import TITLE_RANK
from kbd.engines.answers import Answer
from kbd.engines.base import SourceSummary
from kbd.engines.findings import finding_rank, says_about, stated_numbers, synthesis_points
from kbd.engines.provenance import MadeBy
from kbd.render.answer import AnswerNote, render_answer_note
from kbd.render.bases import BaseFolders, render_bases
from kbd.render.charts import answer_chart
from kbd.render.notes import (
    ConceptNote,
    IndexEntry,
    IndexGroup,
    LogEntry,
    NoteRef,
    SourceNote,
    SynthesisLine,
    clip_text,
    index_line,
    mention_line,
    paginate,
    render_concept_note,
    render_index,
    render_index_page,
    render_log,
    render_log_entry,
    render_mentions_page,
    render_source_note,
)
from kbd.state import State
from kbd.vault.layout import VaultLayout
from kbd.vault.sanitize import escape_text

RELATED_SOURCES_SHOWN = 5
RELATED_CONCEPTS_SHOWN = 6
SYNTHESIS_SENTENCES = 3  # findings in a concept's synthesis
SYNTHESIS_NUMBERS = 4  # numbers it repeats from the bullets
CONCEPT_SOURCES_SHOWN = 30  # sources quoted on a concept page; the rest go, by title, to its sub-pages
MENTION_CHARS = 160  # what a further source says, on a concept's sub-page
PAGE_BUDGET = 150_000  # bytes of list lines per page: every page stays well under 200 KB
INDEX_INLINE_MAX = 200  # sources (or concepts) listed on index.md itself; more go to per-letter notes


@dataclass(frozen=True)
class Rendered:
    path: str
    text: str
    source_id: int | None = None  # for source notes: the related list to record once written
    related_json: str | None = None
    log_entries: list[tuple[int, str, str]] = field(default_factory=list)  # for log.md: (id, markdown, made for)
    owner: str | None = None  # "index" or "concept:<key>": the note owns sub-pages, `pages` + `kept_pages` now
    pages: list[tuple[str, str]] = field(default_factory=list)  # (path, text) written along with the note
    kept_pages: list[str] = field(default_factory=list)  # sub-pages it still owns, unchanged, not rendered again
    key: str = ""  # the render-queue entry that produced it, to queue it again if its write is refused


def _related_json(related: list[tuple[NoteRef, list[str]]]) -> str:
    return json.dumps([[ref.path, ref.title, shared] for ref, shared in related], ensure_ascii=False)


class WikiModel:
    def __init__(self, state: State, layout: VaultLayout, max_concepts: int,
                 as_written: Callable[[str], bool] | None = None) -> None:
        self.state = state
        self.layout = layout
        self.max_concepts = max_concepts
        # Whether a file on disk is still what kbd last wrote there (VaultWriter.as_written). Given,
        # the log's full parts that did not change are not rendered again; without it they all are.
        self.as_written = as_written or (lambda _path: False)

    def source_path(self, note_name: str) -> str:
        return f"{self.layout.sources}/{note_name}.md"

    def concept_path(self, note_name: str) -> str:
        return f"{self.layout.concepts}/{note_name}.md"

    def answer_path(self, note_name: str) -> str:
        return f"{self.layout.wiki}/answers/{note_name}.md"

    def desired_paths(self) -> set[str]:
        paths = {self.source_path(r[0]) for r in self.state.db.execute("SELECT note_name FROM sources")}
        paths |= {self.concept_path(r[0]) for r in self.state.db.execute("SELECT note_name FROM concepts")}
        paths |= {self.answer_path(r[0]) for r in self.state.db.execute("SELECT note_name FROM answers")}
        paths |= deck_paths(self.state, self.layout)
        paths |= {r[0] for r in self.state.db.execute(
            "SELECT path FROM pages WHERE owner IN ('index', 'log') OR substr(owner, 9) IN (SELECT key FROM concepts) "
            "OR (owner LIKE 'slides:%' AND CAST(substr(owner, 8) AS INTEGER) IN (SELECT id FROM decks)) "
            "OR (owner LIKE 'answer:%' AND CAST(substr(owner, 8) AS INTEGER) IN (SELECT id FROM answers))")}
        return paths | {self.layout.index_note, self.layout.log_note, self.layout.status_note}

    def sub_page(self, kind: str, name: str, page: int) -> NoteRef:
        """Sub-page `page` (1-based) of an index group (kind "Sources"/"Concepts") or of a concept's
        further sources (kind "mentions"); all live under wiki/index/."""
        suffix = "" if page == 1 else f" {page}"
        if kind == "mentions":
            return NoteRef(f"{self.layout.wiki}/index/mentions/{name}{suffix}.md",
                           f"{name}: sources" + ("" if page == 1 else f" ({page})"))
        return NoteRef(f"{self.layout.wiki}/index/{kind} {name}{suffix}.md",
                       f"{kind}: {name}" + ("" if page == 1 else f" ({page})"))

    def render(self, dirty: str) -> Rendered | None:
        """One queued note, or None when it no longer exists (or needs no re-render)."""
        rendered = self._render(dirty)
        if rendered is None:
            return None
        kind, _, ident = dirty.partition(":")
        return replace(rendered, key=f"source:{ident}" if kind == "related" else dirty)

    def _render(self, dirty: str) -> Rendered | None:
        kind, _, ident = dirty.partition(":")
        if kind == "related":
            return self._source_if_related_changed(int(ident))
        if kind == "source":
            return self._source(int(ident))
        if kind == "concept":
            return self._concept(ident)
        if kind == "answer":
            return self._answer(int(ident))
        if kind == "slides":
            return self._deck(int(ident))
        if kind == "index":
            return self._index()
        if kind == "log":
            return self._log()
        if kind == "status":
            return Rendered(self.layout.status_note, self._status())
        return None  # "orphans" is handled by the caller

    # -- sources ----------------------------------------------------------------------------
    def _source_if_related_changed(self, source_id: int) -> Rendered | None:
        row = self.state.db.execute("SELECT related FROM sources WHERE id=?", (source_id,)).fetchone()
        if row is None or row["related"] == _related_json(self.related_sources(source_id)):
            return None
        return self._source(source_id)

    def _source(self, source_id: int) -> Rendered | None:
        row = self.state.db.execute("SELECT * FROM sources WHERE id=?", (source_id,)).fetchone()
        if row is None:
            return None
        data = json.loads(row["result"])
        summary = SourceSummary.from_json(data["summary"])
        meta = data["meta"]
        # Its strongest concepts, then every page its title names (compile/titled.py), which lists it back.
        mentions = self.state.db.execute(
            "SELECT sc.sentence, c.note_name FROM source_concepts sc JOIN concepts c ON c.key=sc.key "
            "WHERE sc.source_id=? AND sc.rank<? ORDER BY sc.rank LIMIT ?",
            (source_id, TITLE_RANK, self.max_concepts)).fetchall() + self.state.db.execute(
            "SELECT sc.sentence, c.note_name FROM source_concepts sc JOIN concepts c ON c.key=sc.key "
            "WHERE sc.source_id=? AND sc.rank=? ORDER BY c.note_name", (source_id, TITLE_RANK)).fetchall()
        linked = [(NoteRef(self.concept_path(m["note_name"]), m["note_name"]), m["sentence"]) for m in mentions]
        copies = [r[0] for r in self.state.db.execute(
            "SELECT raw_path FROM copies WHERE source_id=? ORDER BY raw_path", (source_id,))]
        related = self.related_sources(source_id)
        made_by = MadeBy.from_key(row["made_by"])
        note = SourceNote(
            title=row["title"],
            aliases=[row["title"]] if row["title"] != row["note_name"] else [],
            clipping=row["raw_path"],
            copies=copies,
            url=meta.get("source"),
            authors=list(meta.get("author") or []),
            published=meta.get("published"),
            summary=summary.summary,
            key_points=summary.key_points,
            concepts=linked,
            related=related,
            tags=list(summary.tags),
            engine=row["engine"],
            input_hash=row["sha256"],
            generated=row["generated"],
            warnings=json.loads(row["warnings"]),
            verified=summary.verified,
            objections=summary.objections,
            skill=made_by.skill if made_by else None,
            verifier=made_by.verifier if made_by and made_by.verifier else None,
            constraints=made_by.constraints if made_by and made_by.constraints else None,
            images=[(path, caption) for path, caption in data.get("images", [])],
        )
        return Rendered(self.source_path(row["note_name"]), render_source_note(note), source_id,
                        _related_json(related))

    def related_sources(self, source_id: int) -> list[tuple[NoteRef, list[str]]]:
        """Sources sharing the most concept articles with this one (concepts in at most
        RELATED_MAX_SOURCES sources only: sharing a ubiquitous concept says little)."""
        rows = self.state.db.execute(
            "SELECT b.source_id AS other, c.note_name AS concept, c.key AS key FROM source_concepts a "
            "JOIN concepts c ON c.key=a.key AND c.source_count<=? "
            "JOIN source_concepts b ON b.key=a.key AND b.source_id<>a.source_id WHERE a.source_id=?",
            (RELATED_MAX_SOURCES, source_id)).fetchall()
        shared: dict[int, list[str]] = {}
        for r in rows:
            if r["key"] not in WEAK_KEYS:  # "shares Meta-analysis, PubMed" relates nothing
                shared.setdefault(r["other"], []).append(r["concept"])
        title = self.state.db.execute("SELECT title FROM sources WHERE id=?", (source_id,)).fetchone()
        parts = series_siblings(self.state, source_id, title[0]) if title else []
        if not shared and not parts:
            return []
        # Rank by shared count first, then fetch titles only for the candidates at the top.
        cutoff = sorted((len(v) for v in shared.values()), reverse=True)[:RELATED_SOURCES_SHOWN][-1] if shared else 0
        candidates = [o for o, v in shared.items() if len(v) >= cutoff and o not in parts] + parts
        marks = ",".join("?" * len(candidates))
        info = {r["id"]: (r["title"], r["note_name"]) for r in self.state.db.execute(
            f"SELECT id, title, note_name FROM sources WHERE id IN ({marks})", candidates)}
        # The other parts of a multi-part article come first.
        ranked = parts + sorted((o for o in candidates if o not in parts),
                                key=lambda o: (-len(shared[o]), info[o][0].casefold(), o))
        return [(NoteRef(self.source_path(info[o][1]), info[o][0]),
                 ["the same series"] if o in parts else sorted(shared[o])[:4])
                for o in ranked[:RELATED_SOURCES_SHOWN]]

    # -- concepts ---------------------------------------------------------------------------
    def _concept(self, key: str) -> Rendered | None:
        page = self.state.db.execute("SELECT note_name FROM concepts WHERE key=?", (key,)).fetchone()
        if page is None:
            return None
        name = page["note_name"]
        rows = self.state.db.execute(
            "SELECT sc.name, sc.sentence, sc.score, s.title, s.note_name, s.generated FROM source_concepts sc "
            "JOIN sources s ON s.id=sc.source_id WHERE sc.key=?", (key,)).fetchall()
        refs = {r["note_name"]: NoteRef(self.source_path(r["note_name"]), r["title"]) for r in rows}
        # Most relevant first: the sources where the concept scores highest.
        ranked = sorted(rows, key=lambda r: (-r["score"], r["title"].casefold(), r["note_name"]))
        shown, rest = ranked[:CONCEPT_SOURCES_SHOWN], ranked[CONCEPT_SOURCES_SHOWN:]
        # Results first on the page, and the synthesis is the findings the sources agree on (issue 23).
        shown.sort(key=lambda r: -finding_rank(r["sentence"]))
        # A source only its title ties to the concept ("Display Issues on Linux") has nothing to quote: "";
        # nor has one that only labels it ("Open the Command palette.", a table's "Graph view").
        def quote(sentence: str) -> str:
            return sentence if says_about(sentence, name) else ""

        said = [quote(r["sentence"]) for r in shown]
        mentions = [(refs[r["note_name"]], text) for r, text in zip(shown, said, strict=True)]
        # The synthesis is written from these bullets: the findings they agree on, each with the sources
        # that say the same, then the numbers they state.
        # A lead-in ("For instructions on how to install Anki on Windows, see:") introduces a list, it is
        # no finding: the bullet keeps it, the synthesis does not.
        quoted = [i for i, text in enumerate(said) if text and not text.rstrip().endswith(":")]
        synthesis = []
        for point in synthesis_points([said[i] for i in quoted], name, SYNTHESIS_SENTENCES):
            source = refs[shown[quoted[point.index]]["note_name"]]
            agreeing = [refs[shown[quoted[j]]["note_name"]] for j in point.agreeing]
            synthesis.append(SynthesisLine(said[quoted[point.index]], source,
                                           list(dict.fromkeys(a for a in agreeing if a != source))))
        numbers = [(n.text, refs[shown[quoted[n.index]]["note_name"]])
                   for n in stated_numbers([said[i] for i in quoted], SYNTHESIS_NUMBERS)]
        generated = max(r["generated"] for r in rows)
        rest.sort(key=lambda r: (r["title"].casefold(), r["note_name"]))
        chunks = paginate([mention_line(refs[r["note_name"]], clip_text(quote(r["sentence"]), MENTION_CHARS))
                           for r in rest], PAGE_BUDGET)
        more = [self.sub_page("mentions", name, i) for i in range(1, len(chunks) + 1)]
        concept_ref = NoteRef(self.concept_path(name), name)
        pages = [(ref.path, render_mentions_page(ref.title, concept_ref, lines, more, i, generated))
                 for i, (ref, lines) in enumerate(zip(more, chunks, strict=True), start=1)]
        spellings = Counter(r["name"] for r in rows)
        # Spellings the sources use, and abbreviations or synonyms a source defined for it.
        names = {*spellings, *alias_names(self.state, key)}
        aliases = sorted(n for n in names if n.casefold() != name.casefold())[:5]
        # Co-occurrence among each source's main concepts (its top-ranked ones) is the signal.
        related = self.state.db.execute(
            "SELECT c.note_name, COUNT(*) AS n FROM source_concepts a "
            "JOIN source_concepts b ON b.source_id=a.source_id AND b.key<>a.key AND b.rank<? "
            "JOIN concepts c ON c.key=b.key WHERE a.key=? GROUP BY c.note_name "
            "ORDER BY n DESC, c.note_name LIMIT ?", (self.max_concepts, key, RELATED_CONCEPTS_SHOWN)).fetchall()
        questions = [NoteRef(self.answer_path(r["note_name"]), r["question"]) for r in self.state.db.execute(
            "SELECT a.note_name, a.question FROM answer_concepts ac JOIN answers a ON a.id=ac.answer_id "
            "WHERE ac.key=? ORDER BY a.question COLLATE NOCASE, a.id", (key,))]
        note = ConceptNote(
            questions=questions,
            name=name,
            aliases=aliases,
            synthesis=synthesis,
            numbers=numbers,
            mentions=mentions,
            related=[NoteRef(self.concept_path(r["note_name"]), r["note_name"]) for r in related],
            generated=generated,
            source_count=len(rows),
            more=more,
        )
        return Rendered(self.concept_path(name), render_concept_note(note), owner=f"concept:{key}", pages=pages)

    # -- answers (kbd ask) -------------------------------------------------------------------
    def _deck(self, deck_id: int) -> Rendered | None:
        """A Marp deck and its chart images (kbd/ask/slides.py), which it owns as pages."""
        files = deck_files(self.state, self.layout, deck_id)
        if files is None:
            return None
        (path, text), *charts = files
        return Rendered(path, text, owner=f"slides:{deck_id}", pages=charts)

    def _answer(self, answer_id: int) -> Rendered | None:
        row = self.state.db.execute("SELECT * FROM answers WHERE id=?", (answer_id,)).fetchone()
        if row is None:
            return None
        answer = Answer.from_json(json.loads(row["result"]))
        because = stale_because(self.state, answer_id)
        # A chart of the numbers its cited quotes state, when they compare (kbd/render/charts.py).
        chart = answer_chart(answer, f"{self.layout.wiki}/answers/assets/{row['note_name']} - chart.svg")
        note = AnswerNote(answer, row["asked"], note_name=row["note_name"], stale=bool(because),
                          stale_because=because, chart=(chart[0].asset, chart[2]) if chart else None)
        return Rendered(self.answer_path(row["note_name"]), render_answer_note(note), owner=f"answer:{answer_id}",
                        pages=[(chart[0].asset, chart[1])] if chart else [])

    # -- index, log, status -----------------------------------------------------------------
    def _index(self) -> Rendered:
        sources = [IndexEntry(NoteRef(self.source_path(r["note_name"]), r["title"]), r["description"])
                   for r in self.state.db.execute("SELECT title, note_name, description FROM sources")]
        # A concept's one-line description: the sentence of the source where it scores highest; of two that score
        # the same, the one whose clipping's path sorts first (not the one compiled first: a vault compiled in
        # stages would describe it otherwise than the same vault compiled at once).
        concepts = [IndexEntry(NoteRef(self.concept_path(r["note_name"]), r["note_name"]), r["said"] or "",
                               r["source_count"]) for r in self.state.db.execute(
            "SELECT c.note_name, c.source_count, (SELECT sc.sentence FROM source_concepts sc JOIN sources s "
            "ON s.id=sc.source_id WHERE sc.key=c.key AND sc.sentence<>'' ORDER BY sc.score DESC, s.raw_path "
            "LIMIT 1) AS said FROM concepts c")]
        # An answer's one-line description: its first claim.
        answers = [IndexEntry(NoteRef(self.answer_path(r["note_name"]), r["question"]), _first_claim(r["result"]))
                   for r in self.state.db.execute("SELECT question, note_name, result FROM answers")]
        # A deck's one-line description: what it was made from.
        decks = [IndexEntry(NoteRef(f"{slides_folder(self.layout)}/{name}.md", deck["title"]), deck["subtitle"])
                 for name, deck in ((r[0], json.loads(r[1])) for r in
                                    self.state.db.execute("SELECT note_name, deck FROM decks"))]
        pages: list[tuple[str, str]] = []
        groups = [self._index_groups(kind, entries, pages) for kind, entries in
                  (("Sources", sources), ("Concepts", concepts), ("Answers", answers), ("Slides", decks))]
        # The Bases views are index pages: written, owned and retired with index.md, which links them.
        views = render_bases(self.base_folders())
        pages += views
        return Rendered(self.layout.index_note, render_index(*groups, views=[p for p, _ in views]), owner="index",
                        pages=pages)

    def base_folders(self) -> BaseFolders:
        return BaseFolders(self.layout.wiki, self.layout.sources, self.layout.concepts,
                           f"{self.layout.wiki}/answers", self.layout.reports)

    def _index_groups(self, kind: str, entries: list[IndexEntry], pages: list[tuple[str, str]]) -> list[IndexGroup]:
        """Entries by first letter. Up to INDEX_INLINE_MAX they are listed on index.md itself; beyond
        that each letter gets its own notes (split by size), and index.md links to them."""
        entries.sort(key=lambda e: (e.ref.title.casefold(), e.ref.path))
        letters: dict[str, list[IndexEntry]] = {}
        for e in entries:
            letters.setdefault(_letter(e.ref.title), []).append(e)
        order = sorted(letters, key=lambda label: (label == "Other", label == "0-9", label))
        if len(entries) <= INDEX_INLINE_MAX:
            return [IndexGroup(label, letters[label]) for label in order]
        index = NoteRef(self.layout.index_note, "Index")
        groups = []
        for label in order:
            chunks = paginate([index_line(e) for e in letters[label]], PAGE_BUDGET)
            refs = [self.sub_page(kind, label, i) for i in range(1, len(chunks) + 1)]
            pages += [(ref.path, render_index_page(ref.title, lines, refs, i, index))
                      for i, (ref, lines) in enumerate(zip(refs, chunks, strict=True), start=1)]
            groups.append(IndexGroup(label, letters[label], refs))
        return groups

    def _log(self) -> Rendered:
        """log.md and its numbered parts. The log only grows, so its work must not: an entry is
        rendered once and stored (again only when its summary's name or title changes), the pages
        are cut from the stored sizes, and a full part is rendered again only from the first one
        holding a newly rendered entry on, or when its file is not what kbd wrote. A log of 10,000
        entries thus costs one page of text per compile, not the whole history (the daemon's
        memory grew with it: docs/RELIABILITY.md, Soak)."""
        names = {r["id"]: (r["title"], r["note_name"]) for r in
                 self.state.db.execute("SELECT id, title, note_name FROM sources")}
        answers = {self.answer_path(r["note_name"]): (r["question"], r["note_name"]) for r in
                   self.state.db.execute("SELECT question, note_name FROM answers")}
        answers |= {f"{slides_folder(self.layout)}/{r[0]}.md": (r[0], r[0]) for r in
                    self.state.db.execute("SELECT note_name FROM decks")}
        fresh: list[tuple[int, str, str]] = []
        chunks: list[list[int]] = []  # one per page, as `paginate` cuts them: [first id, last id, fresh]
        size = 0
        for r in self.state.db.execute("SELECT id, time, kind, title, source_id, detail, rendered_for, "
                                       "length(CAST(rendered AS BLOB)) AS bytes FROM log_entries ORDER BY id"):
            # An entry depends only on its own row and on its summary's current name and title.
            link = names.get(r["source_id"])
            if r["kind"] in ("ask", "slides"):  # the detail is the answer or deck note's path, linked while it exists
                link = answers.get(r["detail"])
            made_for = "\0".join(link) if link else ""
            if r["bytes"] is not None and r["rendered_for"] == made_for:
                n, new = r["bytes"] + 1, 0
            else:
                text = self._log_entry(r, link)
                fresh.append((r["id"], text, made_for))
                n, new = len(text.encode("utf-8")) + 1, 1
            if not chunks or size + n > PAGE_BUDGET:
                chunks.append([r["id"], r["id"], 0])
                size = 0
            chunks[-1][1:] = [r["id"], chunks[-1][2] | new]
            size += n
        texts = {i: text for i, text, _ in fresh}
        first_fresh = next((i for i, chunk in enumerate(chunks) if chunk[2]), len(chunks))
        older = [NoteRef(f"{self.layout.wiki}/index/Log {i}.md", f"Log, part {i}") for i in range(1, len(chunks))]
        log_ref = NoteRef(self.layout.log_note, "Log")
        pages, kept = [], []
        for i, (ref, (first, last, _)) in enumerate(zip(older, chunks, strict=False)):
            if i < first_fresh and self.as_written(ref.path):
                kept.append(ref.path)
            else:
                pages.append((ref.path, render_log(self._log_texts(first, last, texts), title=ref.title, log=log_ref)))
        text = render_log(self._log_texts(*chunks[-1][:2], texts) if chunks else [], older)
        return Rendered(self.layout.log_note, text, log_entries=fresh, owner="log", pages=pages, kept_pages=kept)

    def _log_entry(self, r: sqlite3.Row, link: tuple[str, str] | None) -> str:
        if r["kind"] in ("ask", "slides"):
            note = NoteRef(r["detail"], link[0]).link() if link else escape_text(r["detail"])
            what = "Answer" if r["kind"] == "ask" else "Deck"
            return render_log_entry(LogEntry(r["time"].replace("T", " ")[:16], r["kind"], r["title"],
                                             [f"- {what}: {note}"]))
        lines = []
        if link:
            lines.append(f"- Summary: {NoteRef(self.source_path(link[1]), link[0]).link()}")
        if r["detail"]:
            label = {"skip": "Reason", "move": "Moved", "remove": "Clipping", "duplicate": "Copy", "retire": "Why"}.get(
                r["kind"], "Clipping")
            lines.append(f"- {label}: {escape_text(r['detail'])}")
        return render_log_entry(LogEntry(r["time"].replace("T", " ")[:16], r["kind"], r["title"], lines))

    def _log_texts(self, first: int, last: int, fresh: dict[int, str]) -> list[str]:
        """The entries with ids first..last: those rendered just now, the rest as stored."""
        return [fresh.get(i, stored) for i, stored in self.state.db.execute(
            "SELECT id, rendered FROM log_entries WHERE id BETWEEN ? AND ? ORDER BY id", (first, last))]

    def _status(self) -> str:
        return status_text(self.state, self.layout)


def _first_claim(result: str) -> str:
    """An answer's first claim, for its index line; '' when the stored answer cannot be read (that
    answer's own note fails and says why; the index lists the others as usual)."""
    try:
        return str(next((c["text"] for c in json.loads(result)["claims"]), ""))
    except (ValueError, KeyError, TypeError):
        return ""


def _letter(title: str) -> str:
    """The group a title is listed under: its first letter (accents dropped), 0-9, or Other."""
    first = next((c for c in unicodedata.normalize("NFKD", title) if c.isalnum()), "")
    if first.isascii() and first.isalpha():
        return first.upper()
    return "0-9" if first.isdigit() else "Other"

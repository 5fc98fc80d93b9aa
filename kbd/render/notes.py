"""One renderer per note type. Input: a typed model with everything resolved (paths, titles,
links that exist). Output: the full text of the note. No I/O, no clock, no database."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from kbd.render.frontmatter import Date, DateTime, Link, render_frontmatter
from kbd.vault.links import wikilink
from kbd.vault.sanitize import escape_text, link_alias, link_target

BY_LINE_AUTHORS = 6  # the "by …" line names this many authors, then says how many more


@dataclass(frozen=True)
class NoteRef:
    """A link target that is known to exist when the note is written."""

    path: str  # vault-relative, with .md
    title: str

    def link(self) -> str:
        return wikilink(self.path, link_alias(self.title))


@dataclass(frozen=True)
class SourceNote:
    title: str
    aliases: list[str]
    clipping: str  # vault path of the raw note: a link when a wikilink can name it, else text
    url: str | None
    authors: list[str]
    published: str | None
    summary: list[str]
    key_points: list[str]
    concepts: list[tuple[NoteRef, str]]  # concept, what this source says about it
    related: list[tuple[NoteRef, list[str]]]  # source, names of shared concepts
    tags: list[str]
    engine: str
    input_hash: str
    generated: str
    verified: bool = True
    skill: str | None = None  # what made it besides the engine (engines/provenance.py)
    verifier: str | None = None
    constraints: str | None = None
    warnings: list[str] = field(default_factory=list)
    objections: list[str] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)  # local copies (raw/assets/…) and captions
    copies: list[str] = field(default_factory=list)  # duplicate clippings of the same article, like `clipping`


def by_line(authors: list[str]) -> str:
    """The first few authors, then how many more: a paper with 40 authors gets a short line."""
    shown = ", ".join(escape_text(a) for a in authors[:BY_LINE_AUTHORS])
    more = len(authors) - BY_LINE_AUTHORS
    return shown + (f" and {more} more" if more > 0 else "")


def clipping_link(raw_path: str) -> str | None:
    """`[[raw/…|name]]` to a clipping, or None when no wikilink can name its path exactly."""
    stem = raw_path[:-3] if raw_path.endswith(".md") else raw_path
    return wikilink(raw_path, link_alias(stem.rsplit("/", 1)[-1])) if link_target(stem) else None


def render_source_note(note: SourceNote) -> str:
    clip = clipping_link(note.clipping)
    copies = [(clipping_link(c), c) for c in note.copies]
    front = render_frontmatter([
        ("title", note.title),
        ("aliases", note.aliases),
        ("type", "source"),
        ("clipping", Link(clip) if clip else note.clipping),
        ("copies", [Link(link) if link else path for link, path in copies] or None),
        ("source", note.url),
        ("author", note.authors),
        ("published", Date(note.published) if note.published else None),
        ("concepts", [Link(c.link()) for c, _ in note.concepts]),
        ("tags", ["kbd/source", *[t for t in note.tags if t != "kbd/source"]]),
        ("engine", note.engine),
        ("skill", note.skill),
        ("verifier", note.verifier),
        ("constraints", note.constraints),
        ("input_hash", note.input_hash),
        ("generated", DateTime(note.generated)),
        ("verified", note.verified),
    ])
    out = [front, f"# {escape_text(note.title)}", ""]
    origin = [f"Clipping: {clip}" if clip else f"Clipping: {escape_text(note.clipping)}"]
    if note.url:
        origin.append(f"[original]({_url(note.url)})")
    if note.authors:
        origin.append("by " + by_line(note.authors))
    if note.published:
        origin.append(f"published {note.published}")
    out += [" · ".join(origin), ""]
    if note.copies:
        shown = [link or escape_text(path) for link, path in copies]
        out += [f"Also clipped as {', '.join(shown)} (the same article; it counts once).", ""]
    out.append("> [!summary]")
    for sentence in note.summary:
        out.append(f"> {escape_text(sentence)}")
    out.append("")
    if not note.verified:
        out.append("> [!warning] Not verified: check this summary against the clipping")
        out += [f"> - {escape_text(o)}" for o in note.objections]
        out.append("")
    if note.warnings:
        out.append("> [!warning] Input problems")
        out += [f"> - {escape_text(w)}" for w in note.warnings]
        out.append("")
    if note.key_points:
        out += ["## Key points", *[f"- {escape_text(p)}" for p in note.key_points], ""]
    if note.images:  # the clipping's images, downloaded: embedded from raw/assets/, captioned
        out.append("## Images")
        for path, caption in note.images:
            out += ["", f"![[{path}]]"] + ([f"*{escape_text(caption)}*"] if caption else [])
        out.append("")
    out.append("## Concepts")
    if note.concepts:
        out += [mention_line(ref, said) for ref, said in note.concepts]
    if not note.concepts:
        out.append("- None yet: no concept here is shared with another source.")
    out.append("")
    out.append("## Related sources")
    if note.related:
        for ref, shared in note.related:
            out.append(f"- {ref.link()} — shares " + ", ".join(escape_text(s) for s in shared))
    else:
        out.append("- None yet: no other source shares a concept with this one.")
    return "\n".join(out).rstrip() + "\n"


NUMBERS_LABEL = "In numbers:"  # the synthesis line of the numbers the bullets state (kbd's, not a source's)


@dataclass(frozen=True)
class SynthesisLine:
    """A finding of a concept's synthesis: the sentence, its source, the other sources that agree."""

    sentence: str
    source: NoteRef
    agreeing: list[NoteRef] = field(default_factory=list)


@dataclass(frozen=True)
class ConceptNote:
    name: str
    aliases: list[str]
    synthesis: list[SynthesisLine]  # the findings the bullets agree on, strongest first
    mentions: list[tuple[NoteRef, str]]  # source, what it says: the most relevant ones, most relevant first
    related: list[NoteRef]
    generated: str
    source_count: int = 0  # every source that mentions it; more than `mentions` when the rest are on `more`
    more: list[NoteRef] = field(default_factory=list)  # sub-pages listing the other sources
    questions: list[NoteRef] = field(default_factory=list)  # answers (wiki/answers/) that draw on it
    numbers: list[tuple[str, NoteRef]] = field(default_factory=list)  # clauses of the bullets with a number


def render_concept_note(note: ConceptNote) -> str:
    total = max(note.source_count, len(note.mentions))
    front = render_frontmatter([
        ("title", note.name),
        ("aliases", note.aliases),
        ("type", "concept"),
        # The most relevant sources; all are in the body or sub-pages.
        ("sources", [Link(ref.link()) for ref, _ in note.mentions]),
        ("related", [Link(ref.link()) for ref in note.related]),
        ("tags", ["kbd/concept"]),
        ("generated", DateTime(note.generated)),
    ])
    out = [front, f"# {escape_text(note.name)}", ""]
    quoted = {line.sentence for line in note.synthesis}
    if note.synthesis or note.numbers:  # no empty box where every quote is a label or a pointer elsewhere
        out.append("> [!abstract] Synthesis")
        out += [f"> - {_synthesis_line(line, total)}" for line in note.synthesis]
        if note.numbers:
            out.append(">")
            stated = "; ".join(f"{escape_text(text)} ({ref.link()})" for text, ref in note.numbers)
            out.append(f"> {NUMBERS_LABEL} {stated}.")
        out.append("")
    heading = f"## What the sources say ({total})"
    if total > len(note.mentions):
        heading = f"## What the sources say: the {len(note.mentions)} most relevant of {total}"
    out.append(heading)
    # A sentence already quoted in the synthesis is not repeated word for word below it.
    out += [mention_line(ref, "" if said in quoted else said) for ref, said in note.mentions]
    if note.more:
        rest = total - len(note.mentions)
        out += ["", f"The other {rest} sources are listed, by title, on " + ", ".join(ref.link() for ref in note.more)
                + "."]
    out.append("")
    out.append("## Related concepts")
    out += [f"- {ref.link()}" for ref in note.related] or ["- None yet."]
    if note.questions:
        out += ["", "## Questions answered here", *(f"- {ref.link()}" for ref in note.questions)]
    return "\n".join(out).rstrip() + "\n"


def _synthesis_line(line: SynthesisLine, total: int) -> str:
    """A finding as its source states it, then, in the same brackets as its source (so that what reads
    the page takes the sentence alone), how many of the concept's sources say the same."""
    said = line.source.link()
    if line.agreeing:
        links = [r.link() for r in line.agreeing[:3]]
        if len(line.agreeing) > 3:
            links.append(f"{len(line.agreeing) - 3} more")
        said += f"; {1 + len(line.agreeing)} of {counted(total, 'source')} agree, also {_and(links)}"
    return f"{escape_text(line.sentence)} ({said})"


def counted(n: int, noun: str) -> str:
    """`1 source`, `2 sources`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def mention_line(ref: NoteRef, said: str) -> str:
    """A bullet of a note, what it says after its link (with nothing to quote, the link alone): a concept
    on a source note, a source on a concept note or its sub-pages."""
    return f"- {ref.link()} — {escape_text(said)}" if said else f"- {ref.link()}"


def render_mentions_page(title: str, concept: NoteRef, lines: list[str], pages: list[NoteRef], page: int,
                         generated: str) -> str:
    """Page `page` (1-based) of the sources a concept page had no room for, from `mention_line`."""
    front = render_frontmatter([("title", title), ("type", "index"), ("concept", Link(concept.link())),
                                ("tags", ["kbd/index"]), ("generated", DateTime(generated))])
    out = [front, f"# {escape_text(title)}", "",
           f"More sources that discuss {concept.link()}, by title. {_pager(pages, page)}".rstrip(), "", *lines]
    return "\n".join(out).rstrip() + "\n"


@dataclass(frozen=True)
class IndexEntry:
    ref: NoteRef
    description: str
    count: int = 0  # sources, for concepts


@dataclass(frozen=True)
class IndexGroup:
    """Entries under one first letter; `pages` are its sub-index notes when index.md lists it only by link."""

    label: str
    entries: list[IndexEntry]
    pages: list[NoteRef] = field(default_factory=list)


INDEX_DESCRIPTION_CHARS = 200
EDIT_NOTE = ("Generated by kbd and rewritten on every change. If you edit it, kbd keeps your version and stops "
             "updating it (Status.md lists it); `kbd adopt` on it hands it back.")


def clip_text(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most about `limit` characters, with an ellipsis if cut."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def index_line(entry: IndexEntry) -> str:
    text = clip_text(entry.description, INDEX_DESCRIPTION_CHARS)
    count = f" ({counted(entry.count, 'source')})" if entry.count else ""
    return f"- {entry.ref.link()}{count} — {escape_text(text)}" if text else f"- {entry.ref.link()}{count}"


def render_index(sources: list[IndexGroup], concepts: list[IndexGroup], answers: list[IndexGroup] | None = None,
                 decks: list[IndexGroup] | None = None, views: list[str] | None = None) -> str:
    """index.md: sources and concepts (and answers filed by `kbd ask` and decks made by `kbd slides`,
    when there are any) grouped by first letter. A group with sub-index pages is one line linking
    to them; otherwise its entries are listed here with their one-line descriptions."""
    n_sources = sum(len(g.entries) for g in sources)
    n_concepts = sum(len(g.entries) for g in concepts)
    n_answers = sum(len(g.entries) for g in answers or [])
    n_decks = sum(len(g.entries) for g in decks or [])
    front = render_frontmatter([("title", "Index"), ("type", "index"), ("tags", ["kbd/index"])])
    counts = f"{counted(n_sources, 'source')}, {counted(n_concepts, 'concept')}"
    counts += f", {counted(n_answers, 'answer')}" if n_answers else ""
    counts += f", {counted(n_decks, 'deck')}" if n_decks else ""
    out = [front, "# Index", "", f"{counts}. {EDIT_NOTE}"]
    if views:  # Obsidian Bases files (kbd/render/bases.py): sortable tables of the same notes
        out += ["", "Views: " + ", ".join(wikilink(p, posixpath.basename(p)[:-5]) for p in views)]
    sections = [("Sources", sources, n_sources), ("Concepts", concepts, n_concepts)]
    if n_answers:
        sections.append(("Answers", answers or [], n_answers))
    if n_decks:
        sections.append(("Slides", decks or [], n_decks))
    for heading, groups, total in sections:
        out += ["", f"## {heading} ({total})"]
        if not groups:
            out += ["", "- None yet."]
        if any(g.pages for g in groups):
            out.append("")
            out += [f"- {escape_text(g.label)} ({len(g.entries)}): " + ", ".join(p.link() for p in g.pages)
                    + f" — {_span(g.entries)}" for g in groups]
            continue
        for g in groups:
            out += ["", f"### {escape_text(g.label)}", "", *map(index_line, g.entries)]
    return "\n".join(out).rstrip() + "\n"


def _span(entries: list[IndexEntry]) -> str:
    first, last = entries[0].ref.title, entries[-1].ref.title
    return escape_text(first if first == last else f"{first} … {last}")


def render_index_page(title: str, lines: list[str], pages: list[NoteRef], page: int, index: NoteRef) -> str:
    """One sub-index note: page `page` (1-based) of a group's `index_line`s."""
    front = render_frontmatter([("title", title), ("type", "index"), ("tags", ["kbd/index"])])
    out = [front, f"# {escape_text(title)}", "", f"Part of {index.link()}. {_pager(pages, page)} {EDIT_NOTE}",
           "", *lines]
    return "\n".join(out).rstrip() + "\n"


def _pager(pages: list[NoteRef], page: int) -> str:
    if len(pages) < 2:
        return ""
    others = [ref.link() if i != page else f"**{i}**" for i, ref in enumerate(pages, start=1)]
    return f"Page {page} of {len(pages)}: " + " · ".join(others) + "."


def paginate(lines: list[str], budget: int) -> list[list[str]]:
    """Split lines into pages of at most `budget` UTF-8 bytes each (a longer single line gets a page)."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        n = len(line.encode("utf-8")) + 1
        if pages[-1] and size + n > budget:
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += n
    return pages if pages[0] else []


@dataclass(frozen=True)
class LogEntry:
    time: str  # YYYY-MM-DD HH:MM
    kind: str
    title: str
    lines: list[str]  # markdown, already safe (links resolved, text escaped)


def render_log_entry(entry: LogEntry) -> str:
    return "\n".join([f"## [{entry.time}] {entry.kind} | {escape_text(entry.title)}", *entry.lines, ""])


def render_log(entries: list[str], older: list[NoteRef] | None = None, title: str = "Log",
               log: NoteRef | None = None) -> str:
    """log.md from its entries, oldest first, each from `render_log_entry`. When the log has grown
    past one page, log.md holds the newest entries and links to the `older` parts; a part itself
    gets its `title` and a link back to the `log`."""
    front = render_frontmatter([("title", title), ("type", "log"), ("tags", ["kbd/log"])])
    intro = "What kbd did, oldest first. One entry per operation."
    if older:
        intro += " Older entries: " + ", ".join(ref.link() for ref in older) + "."
    if log is not None:
        intro = f"Older entries of {log.link()}, oldest first."
    head = "\n".join([front, f"# {escape_text(title)}", "", intro, ""])
    return (head + "\n" + "\n".join(entries)).rstrip() + "\n"


@dataclass(frozen=True)
class StatusReport:
    sources: int
    concepts: int
    last_change: str | None
    rejected: list[tuple[str, str]]  # raw path, reason
    ignored: list[tuple[str, str]]
    warnings: list[tuple[str, str]]
    user_edited: list[str]  # vault paths of notes kbd no longer manages
    failed_jobs: list[tuple[str, str]]
    pending_jobs: int
    daemon: dict[str, Any] | None = None  # present while `kbd run` is running
    spend: tuple[float, float, int] | None = None  # today, total (US dollars), calls today; None: no model used
    paused: str | None = None  # why pending jobs wait (a spending cap)
    unverified: list[str] = field(default_factory=list)  # source notes a verifier or grounding check objected to
    out_of_date: int = 0  # summaries made by an older engine (model, skill, constraints) than the configured one
    model_failed: int = 0  # summaries the offline engine wrote because the model could not
    batches: list[tuple[str, str, int, float]] = field(default_factory=list)  # sent, waiting: id, status, requests, $
    prompt_cache: tuple[int, int] | None = None  # input tokens read from the provider's prompt cache, of all input
    stale_answers: list[tuple[str, str]] = field(default_factory=list)  # answer note, what changed since
    questions: list[tuple[str, str]] = field(default_factory=list)  # question note, why kbd could not answer or link
    monitors: list[tuple[str, str, str, str]] = field(default_factory=list)  # web monitors: name, URL, checked, outcome
    failed_notes: list[tuple[str, str, str]] = field(default_factory=list)  # note, stage, reason (kbd/isolation.py)


def render_status(report: StatusReport) -> str:
    front = render_frontmatter([("title", "Status"), ("type", "status"), ("tags", ["kbd/report"])])
    out = [front, "# kbd status", ""]
    out.append(f"- **Wiki**: {report.sources} sources, {report.concepts} concepts")
    out.append(f"- **Last change**: {report.last_change or 'never'}")
    out.append(f"- **Queue**: {report.pending_jobs} pending, {len(report.failed_jobs) + len(report.failed_notes)} "
               "failed")
    if report.spend is not None:
        today, total, calls = report.spend
        out.append(f"- **Model spend**: ${today:.4f} today ({calls} calls), ${total:.4f} in total")
    if report.prompt_cache is not None and report.prompt_cache[1]:
        cached, everything = report.prompt_cache
        out.append(f"- **Prompt cache**: {100 * cached / everything:.0f}% of input tokens served from the "
                   "provider's cache")
    if report.paused:
        out.append(f"- **Paused**: {escape_text(report.paused)}")
    if report.batches:
        waiting = ", ".join(f"{escape_text(i)} ({escape_text(s)}, {n} requests)" for i, s, n, _ in report.batches)
        held = sum(r for *_, r in report.batches)
        out.append(f"- **Batches sent**: {waiting}; up to ${held:.4f} held against the budget. `kbd compile` "
                   "collects them once they end")
    if report.out_of_date:
        notes = f"{report.out_of_date} note" + ("s" if report.out_of_date != 1 else "")
        out.append(f"- **Made by an older engine**: {notes} (the model, a skill or "
                   "kbd/constraints.md changed since); `kbd plan` shows what redoing them costs, "
                   "`kbd compile --redo` redoes them")
    if report.model_failed:
        out.append(f"- **Written offline, the model failed**: {report.model_failed} note"
                   + ("s" if report.model_failed != 1 else "") + " (`engine: offline (model failed: …)`); "
                   "`kbd compile --redo` asks the model again")
    out.append(f"- **Skipped files**: {len(report.rejected)}; ignored: {len(report.ignored)}; "
               f"notes you edited: {len(report.user_edited)}")
    out.append("")
    if report.daemon:
        out += _daemon_section(report.daemon)
    out += _section("Failed jobs", "They are retried on the next compile.", report.failed_jobs)
    out += _section("Failed notes", "kbd could not make or read these notes; each keeps its last good version, "
                    "everything else is up to date, and each is tried again when what it is made from changes.",
                    [(f"{note} ({stage})", reason) for note, stage, reason in report.failed_notes])
    if report.monitors:
        out += ["## Web monitors", "When each monitored page was last checked and what came of it; a change "
                "writes a report note here in reports/.", "", "| monitor | page | last checked | outcome |",
                "|---|---|---|---|"]
        out += [f"| {escape_text(name)} | {escape_text(url)} | {checked.replace('T', ' ')[:16] or '—'} | "
                f"{escape_text(outcome)} |" for name, url, checked, outcome in report.monitors]
        out.append("")
    if report.unverified:
        out += ["## Unverified summaries", "A verifier or the grounding check objected; each note says why. "
                "Check them against their clippings.", ""]
        out += [f"- {wikilink(p)}" for p in report.unverified]
        out.append("")
    if report.user_edited:
        out += ["## Notes you edited",
                "kbd keeps your version and no longer updates these. To hand one back (your edits will be "
                "replaced), run `kbd adopt <note>`.", ""]
        out += [f"- {wikilink(p)}" for p in report.user_edited]
        out.append("")
    if report.stale_answers:
        out += ["## Stale answers", "A note these answers cite has changed since they were answered. "
                "`kbd ask <vault> --refresh-stale` asks them again (within the budget).", ""]
        out += [f"- {wikilink(p)} — {escape_text(why)}" for p, why in report.stale_answers]
        out.append("")
    out += _section("Question notes", "Notes in kbd/questions/ kbd could not answer, or whose answer link it "
                    "could not write.", report.questions)
    out += _section("Skipped files", "These raw files were not compiled. Fix the file and kbd picks it up.",
                    report.rejected)
    out += _section("Compiled with warnings", "", report.warnings)
    out += _section("Ignored", "Sync conflict copies are never compiled; resolve them in your sync tool.",
                    report.ignored)
    return "\n".join(out).rstrip() + "\n"


def _daemon_section(d: dict[str, Any]) -> list[str]:
    out = ["## kbd run", f"Running since {d['since'].replace('T', ' ')[:16]} (pid {d['pid']}); watching by "
           f"{escape_text(d['watching'])}; full rescan every {d['reconcile_minutes']} minutes.", ""]
    if d.get("config_error"):
        out += ["> [!warning] kbd/config.yaml has an error; the previous configuration is still in force",
                f"> {escape_text(d['config_error'])}", ""]
    out += ["| trigger | on | runs | last run | next run |", "|---|---|---|---|---|"]
    out += [f"| {escape_text(t['name'])} | {escape_text(t['on'])} | {escape_text(t['run'])} | {t['last_run']} | "
            f"{t['next_run']} |" for t in d["triggers"]]
    out.append("")
    if d.get("recent"):
        out += ["Recent runs, newest first:", ""]
        out += [f"- {r['time'].replace('T', ' ')[:16]} {escape_text(r['trigger'])} → {escape_text(r['job'])} "
                f"({escape_text(r['reason'])}): {escape_text(r['outcome'])}" for r in d["recent"]]
        out.append("")
    return out


def _section(title: str, intro: str, items: list[tuple[str, str]]) -> list[str]:
    """A report section of `- what — why` lines; nothing at all when there are no items."""
    if not items:
        return []
    lines = [f"## {title}", *([intro] if intro else []), ""]
    return [*lines, *(f"- {escape_text(what)} — {escape_text(why)}" for what, why in items), ""]


def _url(url: str) -> str:
    # Percent-encode what would end or break a markdown link destination.
    for raw, encoded in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        url = url.replace(raw, encoded)
    return url

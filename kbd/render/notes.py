"""One renderer per note type. Input: a typed model with everything resolved (paths, titles,
links that exist). Output: the full text of the note. No I/O, no clock, no database."""

from __future__ import annotations

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
    warnings: list[str] = field(default_factory=list)
    objections: list[str] = field(default_factory=list)


def by_line(authors: list[str]) -> str:
    """The first few authors, then how many more: a paper with 40 authors gets a short line."""
    shown = ", ".join(escape_text(a) for a in authors[:BY_LINE_AUTHORS])
    more = len(authors) - BY_LINE_AUTHORS
    return shown + (f" and {more} more" if more > 0 else "")


def render_source_note(note: SourceNote) -> str:
    stem = note.clipping[:-3] if note.clipping.endswith(".md") else note.clipping
    clip = wikilink(note.clipping, link_alias(stem.rsplit("/", 1)[-1])) if link_target(stem) else None
    front = render_frontmatter([
        ("title", note.title),
        ("aliases", note.aliases),
        ("type", "source"),
        ("clipping", Link(clip) if clip else note.clipping),
        ("source", note.url),
        ("author", note.authors),
        ("published", Date(note.published) if note.published else None),
        ("concepts", [Link(c.link()) for c, _ in note.concepts]),
        ("tags", ["kbd/source", *[t for t in note.tags if t != "kbd/source"]]),
        ("engine", note.engine),
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
    out.append("## Concepts")
    if note.concepts:
        out += [f"- {ref.link()} — {escape_text(said)}" for ref, said in note.concepts]
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


@dataclass(frozen=True)
class ConceptNote:
    name: str
    aliases: list[str]
    synthesis: list[tuple[str, NoteRef]]  # sentence, the source it comes from
    mentions: list[tuple[NoteRef, str]]  # source, what it says
    related: list[NoteRef]
    generated: str


def render_concept_note(note: ConceptNote) -> str:
    front = render_frontmatter([
        ("title", note.name),
        ("aliases", note.aliases),
        ("type", "concept"),
        ("sources", [Link(ref.link()) for ref, _ in note.mentions]),
        ("related", [Link(ref.link()) for ref in note.related]),
        ("tags", ["kbd/concept"]),
        ("generated", DateTime(note.generated)),
    ])
    out = [front, f"# {escape_text(note.name)}", ""]
    # With only a few sources the synthesis would repeat the bullets below it word for word.
    if note.synthesis and len(note.mentions) > len(note.synthesis):
        out.append("> [!abstract] Synthesis")
        out += [f"> {escape_text(s)} ({ref.link()})" for s, ref in note.synthesis]
        out.append("")
    out.append(f"## What the sources say ({len(note.mentions)})")
    out += [f"- {ref.link()} — {escape_text(said)}" for ref, said in note.mentions]
    out.append("")
    out.append("## Related concepts")
    out += [f"- {ref.link()}" for ref in note.related] or ["- None yet."]
    return "\n".join(out).rstrip() + "\n"


@dataclass(frozen=True)
class IndexEntry:
    ref: NoteRef
    description: str
    count: int = 0  # sources, for concepts


def render_index(sources: list[IndexEntry], concepts: list[IndexEntry]) -> str:
    front = render_frontmatter([("title", "Index"), ("type", "index"), ("tags", ["kbd/index"])])
    out = [front, "# Index", "",
           f"{len(sources)} sources, {len(concepts)} concepts. Generated by kbd; edits here are not kept.", "",
           f"## Sources ({len(sources)})"]
    out += [f"- {e.ref.link()} — {escape_text(e.description)}" for e in sources] or ["- None yet."]
    out += ["", f"## Concepts ({len(concepts)})"]
    out += [f"- {e.ref.link()} — {e.count} sources" + (f": {escape_text(e.description)}" if e.description else "")
            for e in concepts] or ["- None yet."]
    return "\n".join(out).rstrip() + "\n"


@dataclass(frozen=True)
class LogEntry:
    time: str  # YYYY-MM-DD HH:MM
    kind: str
    title: str
    lines: list[str]  # markdown, already safe (links resolved, text escaped)


def render_log_entry(entry: LogEntry) -> str:
    return "\n".join([f"## [{entry.time}] {entry.kind} | {escape_text(entry.title)}", *entry.lines, ""])


def render_log(entries: list[str]) -> str:
    """log.md from its entries, oldest first, each from `render_log_entry`."""
    front = render_frontmatter([("title", "Log"), ("type", "log"), ("tags", ["kbd/log"])])
    head = "\n".join([front, "# Log", "", "What kbd did, oldest first. One entry per operation.", ""])
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


def render_status(report: StatusReport) -> str:
    front = render_frontmatter([("title", "Status"), ("type", "status"), ("tags", ["kbd/report"])])
    out = [front, "# kbd status", ""]
    out.append(f"- **Wiki**: {report.sources} sources, {report.concepts} concepts")
    out.append(f"- **Last change**: {report.last_change or 'never'}")
    out.append(f"- **Queue**: {report.pending_jobs} pending, {len(report.failed_jobs)} failed")
    if report.spend is not None:
        today, total, calls = report.spend
        out.append(f"- **Model spend**: ${today:.4f} today ({calls} calls), ${total:.4f} in total")
    if report.paused:
        out.append(f"- **Paused**: {escape_text(report.paused)}")
    out.append(f"- **Skipped files**: {len(report.rejected)}; ignored: {len(report.ignored)}; "
               f"notes you edited: {len(report.user_edited)}")
    out.append("")
    if report.daemon:
        out += _daemon_section(report.daemon)
    out += _section("Failed jobs", "They are retried on the next compile.", report.failed_jobs)
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

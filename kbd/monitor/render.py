"""Pure renderers for the two notes a monitor writes: the change report (wiki/reports/) and, with
`ingest: true`, the Web Clipper-style clipping of the page's new version (raw/).

Page text is hostile: in a report every paragraph of it is quoted (`> `), escaped for markdown,
never pasted as live markdown; in a clipping it is escaped the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from kbd.engines.change import ChangeSummary
from kbd.monitor.diff import PageDiff
from kbd.monitor.extract import Page
from kbd.render.frontmatter import Date, DateTime, render_frontmatter
from kbd.render.notes import counted
from kbd.vault.sanitize import escape_text, link_alias, link_target

MAX_SHOWN = 120  # paragraphs quoted in one report; the rest are counted


@dataclass(frozen=True)
class ChangeReportNote:
    title: str  # the note's title, "Monitor NAME YYYY-MM-DD HHMM"
    monitor: str
    page_title: str
    url: str
    checked: str  # YYYY-MM-DDTHH:MM:SS
    previous: str | None  # when the version compared against was seen
    diff: PageDiff
    summary: ChangeSummary | None
    engine: str
    clipping: str | None = None  # vault path of the clipping that holds the new version
    clipping_problem: str | None = None  # why the new version was not saved, when ingest is on
    seen_before: bool = False  # the page went back to a version kbd has seen
    notice: str | None = None  # why there is no model account of the change, when a model is configured


def web_link(text: str, url: str) -> str:
    """A markdown link to an http(s) URL, with the characters that would end the link encoded."""
    for raw, encoded in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), ("[", "%5B"),
                         ("]", "%5D")):
        url = url.replace(raw, encoded)
    return f"[{escape_text(link_alias(text))}]({url})"


def render_change_report(note: ChangeReportNote) -> str:
    fields: list = [("title", note.title), ("type", "report"), ("monitor", note.monitor), ("source", note.url),
                    ("checked", DateTime(note.checked)), ("engine", note.engine)]
    if note.summary is not None:
        fields.append(("verified", note.summary.verified))
    fields.append(("tags", ["kbd/report", "kbd/monitor"]))
    d = note.diff
    since = f"since the check of {note.previous.replace('T', ' ')[:16]}" if note.previous else "since the last check"
    seen = note.checked.replace("T", " ")[:16]
    out = [render_frontmatter(fields) + f"# {escape_text(note.page_title or note.monitor)} changed", "",
           f"{web_link(note.page_title or note.url, note.url)} changed {since} (seen {seen}): "
           f"{counted(len(d.added), 'paragraph')} added, {len(d.removed)} removed, {d.kept} unchanged."
           + (" It is back to a version seen before." if note.seen_before else ""), ""]
    if note.summary is not None:
        s = note.summary
        out += ["> [!summary] What changed", f"> {escape_text(s.summary)}", ">",
                f"> **Why it matters**: {escape_text(s.why_it_matters)}", ""]
        if not s.verified:
            out += ["> [!warning] Not verified: check the account above against the changes below", *(
                f"> - {escape_text(o)}" for o in s.objections), ""]
    if note.notice:
        out += [f"> [!note] {escape_text(note.notice)}", ""]
    if note.clipping:
        target = link_target(note.clipping.removesuffix(".md"))
        saved = f"[[{target}]]" if target else f"`{note.clipping}`"
        out += [f"The new version is saved as {saved} (`ingest: true`); compile summarises it.", ""]
    if note.clipping_problem:
        out += [f"The new version was not saved: {escape_text(note.clipping_problem)}", ""]
    out += ["## Changes", ""]
    shown = 0
    for number, hunk in enumerate(d.hunks, 1):
        if shown >= MAX_SHOWN:
            rest = sum(len(h.removed) + len(h.added) for h in d.hunks[number - 1:])
            out += [f"… and {counted(rest, 'more changed paragraph')} not shown here.", ""]
            break
        out.append(f"### Change {number}")
        for label, paragraphs in (("Removed" if not hunk.added else "Was", hunk.removed),
                                  ("Added" if not hunk.removed else "Now", hunk.added)):
            if paragraphs:
                out += ["", f"**{label}**:", ""]
                out += _quoted(paragraphs)
                shown += len(paragraphs)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_clipping(page: Page, url: str, created: str, monitor: str) -> str:
    """The page as a Web Clipper note would hold it: title, source, created, tags, then the text."""
    front = render_frontmatter([("title", page.title or monitor), ("source", url), ("created", Date(created[:10])),
                                ("monitor", monitor), ("tags", ["clippings", "kbd/monitor"])])
    lines: list[str] = []
    previous = ""
    for block in page.blocks:
        text = escape_text(block.text)
        if block.kind == "heading":
            text = f"## {text}"
        elif block.kind == "item":
            text = f"- {text}"
        if lines and not (block.kind == "item" and previous == "item"):
            lines.append("")
        lines.append(text)
        previous = block.kind
    return front + "\n".join(lines) + "\n"


def _quoted(paragraphs: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for p in paragraphs:
        if out:
            out.append(">")
        out.append(f"> {escape_text(p)}")
    return out



"""The answer note (`wiki/answers/<Question>.md`): pure, from a checked `Answer`.

Every citation is a link kbd builds from a checked location: the exact heading the quote sits
under, or a block id (`^claim-2`) — block ids are only ever written into kbd's own answer notes,
one per claim, so that later answers can cite a claim exactly. Everything the model or a note
said is escaped as text, and the code a quoted lead-in introduces sits in a fence it cannot close.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kbd.engines.answers import LEAD_LABEL, Answer, Citation, Claim, Code, article_key
from kbd.engines.procedures import code_of_parts, lead_in_and_steps, step_mark
from kbd.render.frontmatter import DateTime, Link, render_frontmatter
from kbd.vault.links import wikilink
from kbd.vault.sanitize import escape_text, link_alias, link_target

EXTRACTIVE_LABEL = "Extractive answer (no model configured)"
# A heading with any of these cannot be named exactly in a link (Obsidian reads them as link syntax
# or changes them); such a citation links the note itself.
_UNLINKABLE_HEADING = re.compile(r"[#|^\[\]:%\\`\n]")
_BLOCK_ID = re.compile(r"^[A-Za-z0-9-]+$")
_LANGUAGE = re.compile(r"^[\w+#.-]{1,30}$")  # a fence's info string kbd writes: one word, no backtick
# A summary and its clipping share a title: the group heading says which one it quotes.
_KINDS = {"source": "summary", "raw": "clipping", "concept": "concept", "answer": "earlier answer"}


@dataclass(frozen=True)
class AnswerNote:
    answer: Answer
    asked: str  # ISO timestamp of the answer
    stale: bool = False  # a cited note changed since (set by stale tracking)
    stale_because: list[str] = field(default_factory=list)  # what changed, one line each (plain text)
    note_name: str = ""  # the file name (without .md), when it differs from the question
    chart: tuple[str, str] | None = None  # (vault path of its SVG, caption): numbers the cited quotes state


def claim_block(number: int) -> str:
    """The block id of claim `number` (1-based) in an answer note."""
    return f"claim-{number}"


def anchor(citation: Citation) -> str:
    """`#^block`, `#Heading`, or "" when neither can be linked exactly."""
    if citation.block and _BLOCK_ID.match(citation.block):
        return f"#^{citation.block}"
    if citation.heading and not _UNLINKABLE_HEADING.search(citation.heading) and citation.heading.strip():
        return f"#{citation.heading.strip()}"
    return ""


def citation_link(citation: Citation, display: str | None = None) -> str:
    """`[[wiki/sources/X#Key points|X]]`, `[[wiki/answers/Y#^claim-2|Y]]`, or `[[raw/Z|Z]]` when no
    heading can be linked exactly; the title as plain text if no wikilink can name the note."""
    stem = citation.path[:-3] if citation.path.endswith(".md") else citation.path
    text = display or citation.title
    if link_target(stem) is None:
        return escape_text(text)
    link = wikilink(citation.path, link_alias(text))
    cut = link.index("|")
    return link[:cut] + anchor(citation) + link[cut:]


def note_link(path: str, title: str) -> str:
    stem = path[:-3] if path.endswith(".md") else path
    return wikilink(path, link_alias(title)) if link_target(stem) else escape_text(title)


def render_answer_note(note: AnswerNote) -> str:
    answer = note.answer
    sources = _sources(answer.claims)
    front = render_frontmatter([
        ("title", answer.question),
        ("aliases", [answer.question] if note.note_name and note.note_name != answer.question else []),
        ("type", "answer"),
        ("question", answer.question),
        ("asked", DateTime(note.asked)),
        ("engine", answer.engine),
        ("sources", [Link(note_link(path, title)) for path, title in sources if link_target(path[:-3])]),
        ("verified", answer.verified),
        ("stale", True if note.stale else None),
        ("tags", ["kbd/answer"]),
    ])
    out = [front, f"# {escape_text(answer.question)}", ""]
    if note.stale:
        out.append("> [!warning] Stale: a note this answer cites has changed since it was answered")
        out += [f"> - {escape_text(line)}" for line in note.stale_because]
        out.append("")
    if answer.extractive:
        out += [f"> [!info] {EXTRACTIVE_LABEL}",
                "> The passage that answers the question best, then the others that match it, quoted "
                "as they are and grouped by note. Configure a model (`models:` in kbd/config.yaml) for a "
                "written answer.", ""]
    if not answer.verified:
        out.append("> [!warning] Not verified: the verifier objected to this answer; check it against the sources")
        out += [f"> - {escape_text(o)}" for o in answer.objections]
        out.append("")
    if answer.dropped:
        n = len(answer.dropped)
        out.append(f"> [!warning] {n} claim{'s were' if n != 1 else ' was'} dropped: the quoted passages were "
                   "not found in the cited notes")
        out += [f"> - {escape_text(claim)} — {escape_text(reason)}" for claim, reason in answer.dropped]
        out.append("")
    out.append("## Answer")
    out.append("")
    if not answer.claims:
        out.append("Nothing in the wiki supports an answer to this question yet.")
    elif answer.extractive:
        out += _extractive(answer.claims)
    else:
        out += _written(answer.claims)
    out.append("")
    if note.chart is not None:
        out += ["## Chart", "", f"![[{note.chart[0]}]]", "", escape_text(note.chart[1]), ""]
    if sources:
        out += ["## Sources", *(f"- {note_link(path, title)}" for path, title in sources), ""]
    out.append("Filed by `kbd ask`. Asking the same question again updates this note, unless you edit it: then "
               "kbd keeps your version.")
    return "\n".join(out).rstrip() + "\n"


def _sources(claims: list[Claim]) -> list[tuple[str, str]]:
    """(path, title) of each article cited, once: a cited summary stands for its clipping."""
    seen: dict[str, Citation] = {}
    for claim in claims:
        for c in claim.citations:
            key = article_key(c.path, c.title, c.note_type)
            if key not in seen or (c.note_type == "source" and seen[key].note_type != "source"):
                seen[key] = c
    return [(c.path, c.title) for c in seen.values()]


def _written(claims: list[Claim]) -> list[str]:
    """A model's answer: one claim per item, its citations after it; then the quoted evidence."""
    out = []
    for number, claim in enumerate(claims, start=1):
        links = " ".join(citation_link(c) for c in claim.citations)
        out.append(f"- {escape_text(claim.text)} {links} ^{claim_block(number)}")
    out += ["", "## Evidence", ""]
    for number, claim in enumerate(claims, start=1):
        for c in claim.citations:
            out.append(f"- {number}. {citation_link(c, _where(c))}: “{escape_text(c.quote)}”")
    return out


def _extractive(claims: list[Claim]) -> list[str]:
    """Quoted passages grouped by the article (or other note) they come from, in the order of each
    one's best passage; each quote cites the note it is in (the summary or the clipping)."""
    # The first claim is the engine's best answer: it leads, on its own, before the evidence.
    lead = claims[0].citations[0]
    opening, steps = lead_in_and_steps(lead.quote)
    lead_code, step_code = code_of_parts(opening, steps, claims[0].code)
    out = [f"**{LEAD_LABEL}:** {_quoted(opening)}{citation_link(lead, _where(lead))} ^{claim_block(1)}", ""]
    if lead_code:
        out += [*fenced_code(lead_code, "")[1 if lead_code.left_out else 0:], ""]
    if steps:
        out += [*_steps(steps, claims[0].numbered, "", step_code), ""]
    groups: dict[str, list[tuple[int, Claim]]] = {}
    for number, claim in enumerate(claims[1:], start=2):
        c = claim.citations[0]
        groups.setdefault(article_key(c.path, c.title, c.note_type), []).append((number, claim))
    for items in groups.values():
        first = items[0][1].citations[0]
        kinds = list(dict.fromkeys(_KINDS.get(claim.citations[0].note_type) for _, claim in items))
        kind = " and ".join(k for k in kinds if k)
        out += [f"### {escape_text(first.title)}" + (f" ({kind})" if kind else ""), ""]
        for number, claim in items:
            c = claim.citations[0]
            opening, steps = lead_in_and_steps(c.quote)
            lead_code, step_code = code_of_parts(opening, steps, claim.code)
            out.append(f"- {_quoted(opening)}{citation_link(c, _where(c))} ^{claim_block(number)}")
            out += fenced_code(lead_code, "  ") if lead_code else []
            out += _steps(steps, claim.numbered, "    ", step_code)
        out.append("")
    return out[:-1]


def _steps(steps: list[str], numbered: bool, indent: str, code: list[Code | None]) -> list[str]:
    """A procedure's steps, one quoted item each, numbered where the note numbers them ("Repeat step 5…"), each with
    the code it introduces inside its item."""
    out = []
    for n, (step, shown) in enumerate(zip(steps, code, strict=True), start=1):
        mark = step_mark(n, numbered)
        out.append(f"{indent}{mark} “{escape_text(step)}”")
        out += fenced_code(shown, indent + " " * (len(mark) + 1)) if shown else []
    return out


def fenced_code(code: Code, indent: str) -> list[str]:
    """A code block as a fence the note's text cannot close: more backticks than any run of them in it, its lines
    indented to sit in the list item it belongs to; a line that says how long it is, where it is too long to quote."""
    if code.left_out:  # a paragraph of its own: run on from an item's line, it would hide the item's `^claim-3`
        return ["", f"{indent}*In the note: {code.size()}, too long to quote.*"]
    ticks = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", code.text)), default=0))
    language = code.language if _LANGUAGE.match(code.language) else ""
    return [f"{indent}{ticks}{language}", *(f"{indent}{line}".rstrip() if line.strip() else ""
                                          for line in code.text.split("\n")), f"{indent}{ticks}"]


def _quoted(text: str) -> str:
    """A quote and the dash before its link; nothing for a section's steps, whose heading the link names."""
    return f"“{escape_text(text)}” — " if text else ""


def _where(citation: Citation) -> str:
    """Display text of a citation: the note's title and the heading, when it names one; the heading though no link can
    name it ("Set up: step 1 | 2"), where a section's steps are quoted without their heading."""
    where = anchor(citation)
    if where.startswith("#") and not where.startswith("#^") and where[1:] != citation.title:
        return f"{citation.title} › {where[1:]}"
    if not where and citation.heading and citation.heading.strip() != citation.title and "\n" in citation.quote:
        return f"{citation.title} › {citation.heading.strip()}"
    return citation.title

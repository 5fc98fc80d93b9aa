"""A custom skill's result as a report note: pure, from the typed result to the note's text.

The result is data in the user's schema: each top-level field becomes a section, strings become
paragraphs, lists become bullets. Everything the model wrote is escaped as text; the only links are
`[[Title]]` of notes the skill read (code checks the title, then writes the link itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kbd.render.frontmatter import DateTime, Link, render_frontmatter
from kbd.render.notes import NoteRef
from kbd.vault.sanitize import escape_text

_LINK = re.compile(r"\[\[([^\[\]|#^\n]{1,200})\]\]")


@dataclass(frozen=True)
class SkillReport:
    title: str
    skill: str  # "name v1 (hash)"
    engine: str
    generated: str
    result: dict[str, Any]
    schema: dict[str, Any]
    notes: list[NoteRef]  # what it read, in order
    description: str = ""
    verified: bool = True
    objections: list[str] = field(default_factory=list)
    left_out: int = 0  # notes that matched but did not fit


def render_skill_report(report: SkillReport) -> str:
    front = render_frontmatter([
        ("title", report.title), ("type", "report"), ("skill", report.skill), ("engine", report.engine),
        ("generated", DateTime(report.generated)), ("verified", report.verified),
        ("sources", [Link(n.link()) for n in report.notes]), ("tags", ["kbd/report"]),
    ])
    return front + f"# {escape_text(report.title)}\n\n" + render_skill_body(report)


def render_skill_body(report: SkillReport) -> str:
    """The report without its frontmatter and title: what goes into a managed region of the user's note."""
    by_title = {n.title.casefold(): n for n in report.notes}
    lines: list[str] = []
    if report.description:
        lines += [escape_text(report.description), ""]
    if not report.verified:
        lines += ["> [!warning] Not verified", "> A check found problems in this result; read it with care:"]
        lines += [f"> - {escape_text(o)}" for o in report.objections] + [""]
    properties = report.schema.get("properties", {})
    for key in [*properties, *(k for k in report.result if k not in properties)]:
        if key not in report.result or report.result[key] in (None, "", [], {}):
            continue
        heading = properties.get(key, {}).get("title") or key.replace("_", " ").strip().capitalize()
        lines += [f"## {escape_text(str(heading))}", *_block(report.result[key], by_title), ""]
    lines.append("## Notes read")
    lines += [f"- {n.link()}" for n in report.notes]
    if report.left_out:
        lines.append(f"- … and {report.left_out} more that did not fit in one request (raise `reads.limit` or "
                     "narrow `reads`)")
    return "\n".join(lines).rstrip() + "\n"


def _block(value: Any, by_title: dict[str, NoteRef]) -> list[str]:
    if isinstance(value, list):
        return [f"- {_inline(item, by_title)}" for item in value if item not in (None, "", [], {})]
    if isinstance(value, dict):
        return [f"- {_inline(value, by_title)}"]
    return [_text(str(value), by_title)]


def _inline(value: Any, by_title: dict[str, NoteRef]) -> str:
    """One bullet's text: an object reads as its first text field, then the rest after a dash."""
    if isinstance(value, dict):
        parts = [(k, v) for k, v in value.items() if v not in (None, "", [], {})]
        if not parts:
            return ""
        lead, rest = parts[0], parts[1:]
        text = _inline(lead[1], by_title)
        if len(rest) == 1:  # "lead — the other field": a label would only repeat the obvious
            text += " — " + _inline(rest[0][1], by_title)
        elif rest:
            text += " — " + "; ".join(f"{escape_text(k.replace('_', ' '))}: {_inline(v, by_title)}" for k, v in rest)
        return text
    if isinstance(value, list):
        return ", ".join(_inline(v, by_title) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _text(str(value), by_title)


def _text(text: str, by_title: dict[str, NoteRef]) -> str:
    """Model text as escaped markdown; `[[Title]]` of a note the skill read becomes a link."""
    links: list[str] = []

    def keep(m: re.Match[str]) -> str:
        note = by_title.get(m.group(1).strip().casefold())
        if note is None:
            return m.group(1)
        links.append(note.link())
        return f"\ue000{len(links) - 1}\ue001"

    escaped = escape_text(_LINK.sub(keep, " ".join(text.replace("\ue000", "").replace("\ue001", "").split())))
    return re.sub("\ue000(\\d+)\ue001", lambda m: links[int(m.group(1))], escaped)

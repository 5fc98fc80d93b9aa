"""Frontmatter emitted by hand, so each property has exactly one YAML type across the vault.

Types: text (always double-quoted), list of text (flow sequence), bool, `Date` and `DateTime`
(unquoted ISO, which Obsidian shows as date properties). Frontmatter stays flat.

Properties are data: every plain `str` value goes through `property_text` (no `[[links]]`, tags or
HTML entities from a clipping become live in a property); only a `Link` kbd made itself is written
as a link. `yaml_str` is the one YAML scalar escape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kbd.vault.sanitize import property_text


@dataclass(frozen=True)
class Date:
    iso: str  # YYYY-MM-DD


@dataclass(frozen=True)
class DateTime:
    iso: str  # YYYY-MM-DDTHH:MM:SS


@dataclass(frozen=True)
class Link:
    """A wikilink kbd wrote to a note that exists (e.g. from `NoteRef.link()`), kept as a link."""

    text: str


Value = str | bool | Link | list[str | Link] | Date | DateTime


# Outside YAML's printable set, or special inside a double-quoted scalar; `%` for Templater, which
# reads a file's raw text (a `<%` written as `<\x25` reads back the same and runs nowhere).
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]|<%|%>')


def yaml_str(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text`."""
    if not _NEEDS_ESCAPE.search(text):
        return f'"{text}"'
    out = ['"']
    for i, ch in enumerate(text):
        code = ord(ch)
        if ch == "%" and (text[i - 1:i] == "<" or text[i + 1:i + 2] == ">"):
            out.append("\\x25")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or 0x7F <= code <= 0x9F or ch in "\u2028\u2029\ufeff\ufffe\uffff" or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else "")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def render_frontmatter(fields: list[tuple[str, Value | None]]) -> str:
    """`---` block with the given properties in order; None values are left out."""
    lines = ["---"]
    for key, value in fields:
        if value is None:
            continue
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, str):
            rendered = yaml_str(property_text(value))
        elif isinstance(value, Link):
            rendered = yaml_str(value.text)
        elif isinstance(value, (Date, DateTime)):
            rendered = value.iso
        elif isinstance(value, list):
            rendered = "[" + ", ".join(yaml_str(v.text if isinstance(v, Link) else property_text(v))
                                       for v in value) + "]"
        else:
            raise TypeError(f"frontmatter value for {key!r} has unsupported type {type(value).__name__}")
        lines.append(f"{key}: {rendered}")
    lines.append("---")
    return "\n".join(lines) + "\n"

"""Frontmatter emitted by hand, so each property has exactly one YAML type across the vault.

Types: text (always double-quoted), list of text (flow sequence), bool, `Date` and `DateTime`
(unquoted ISO, which Obsidian shows as date properties). Frontmatter stays flat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Date:
    iso: str  # YYYY-MM-DD


@dataclass(frozen=True)
class DateTime:
    iso: str  # YYYY-MM-DDTHH:MM:SS


Value = str | bool | list[str] | Date | DateTime


# Outside YAML's printable set, or special inside a double-quoted scalar.
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')


def yaml_str(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text`."""
    if not _NEEDS_ESCAPE.search(text):
        return f'"{text}"'
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
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
            rendered = yaml_str(value)
        elif isinstance(value, (Date, DateTime)):
            rendered = value.iso
        elif isinstance(value, list):
            rendered = "[" + ", ".join(yaml_str(v) for v in value) + "]"
        else:
            raise TypeError(f"frontmatter value for {key!r} has unsupported type {type(value).__name__}")
        lines.append(f"{key}: {rendered}")
    lines.append("---")
    return "\n".join(lines) + "\n"

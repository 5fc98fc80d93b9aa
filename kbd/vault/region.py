"""Managed regions in a user's note (DESIGN.md section 6): the part between
`%% kbd:begin <name> %%` and `%% kbd:end <name> %%` is kbd's; every other byte is the user's.

Pure text functions: find a region, splice new content into it without touching a byte outside
it, and hash what is inside. The writer (kbd.vault.write) does the I/O and the ledger.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}\Z")


def begin_marker(name: str) -> str:
    return f"%% kbd:begin {name} %%"


def end_marker(name: str) -> str:
    return f"%% kbd:end {name} %%"


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"not a region name: {name!r}")


@dataclass(frozen=True)
class Found:
    """Where a region sits in a note: `body` is text[start:end], between the two marker lines."""

    start: int
    end: int

    def body(self, text: str) -> str:
        return text[self.start:self.end]


class Malformed(Exception):
    """The markers are there but not as one begin line followed by one end line."""


def _marker_lines(text: str, marker: str) -> list[re.Match[str]]:
    return list(re.finditer(rf"^[ \t]*{re.escape(marker)}[ \t]*(?:\r?\n|\Z)", text, re.MULTILINE))


def find(text: str, name: str) -> Found | None:
    """The region `name` in `text`; None when neither marker is there; Malformed otherwise."""
    begins, ends = _marker_lines(text, begin_marker(name)), _marker_lines(text, end_marker(name))
    if not begins and not ends:
        if begin_marker(name) in text or end_marker(name) in text:
            raise Malformed(f"a `{begin_marker(name)}` or `{end_marker(name)}` marker is not on a line of its own")
        return None
    if len(begins) != 1 or len(ends) != 1:
        raise Malformed(f"the note has {len(begins)} `{begin_marker(name)}` and {len(ends)} "
                        f"`{end_marker(name)}` lines; kbd needs exactly one of each")
    if ends[0].start() < begins[0].end():
        raise Malformed(f"`{end_marker(name)}` comes before `{begin_marker(name)}`")
    return Found(begins[0].end(), ends[0].start())


def inner(content: str) -> str:
    """What kbd puts between the markers: the content on lines of its own, ending in a newline,
    with nothing in it that could end the region or the comment early."""
    content = content.replace("%%", "% %").replace("\r", "")
    return content.rstrip("\n") + "\n" if content.strip() else ""


def splice(text: str, name: str, content: str) -> str:
    """`text` with region `name` holding `content`; a missing region is appended at the end after
    a blank line. Every byte outside the region is kept as it is."""
    found = find(text, name)
    newline = "\r\n" if "\r\n" in text else "\n"
    body = inner(content).replace("\n", newline)
    if found is not None:
        return text[:found.start] + body + text[found.end:]
    if not text.strip() or text.endswith("\n\n") or text.endswith("\r\n\r\n"):
        lead = ""
    elif text.endswith("\n"):
        lead = newline
    else:
        lead = newline * 2
    return text + lead + begin_marker(name) + newline + body + end_marker(name) + newline


def region_hash(body: str) -> str:
    """The hash the ledger keeps of a region's content (line endings ignored: a sync tool or an
    editor converting them is not an edit)."""
    return "sha256:" + hashlib.sha256(body.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def without(text: str, name: str) -> str:
    """`text` with region `name` and its markers taken out: what the user wrote. Used to tell a
    user's edit from kbd's own region write (which leaves this unchanged)."""
    try:
        found = find(text, name)
    except Malformed:
        return text
    if found is None:
        return text
    begin = text.rfind("\n", 0, found.start - 1) + 1
    end_line = re.compile(rf"[ \t]*{re.escape(end_marker(name))}[ \t]*(?:\r?\n|\Z)").match(text, found.end)
    stop = end_line.end() if end_line else found.end
    return text[:begin] + text[stop:]

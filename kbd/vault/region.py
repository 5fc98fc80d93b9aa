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


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_COMMENT_TOKEN = re.compile(r"%%|<!--|-->")
_INSIDE = {"%%": "a `%%` comment", "<!--": "an HTML comment"}


def hidden_lines(text: str) -> tuple[dict[int, str], str | None]:
    """What each line lies inside as Obsidian reads the note, by the offset where the line starts
    (only lines inside something are listed): "the frontmatter", "a code block", "a `%%` comment"
    or "an HTML comment"; and what the end of the note lies inside (None: nothing). A marker line
    in any of these is text Obsidian does not treat as the note's own: a region there would put
    kbd's text into a code block (a `dataviewjs` one runs it) or into the note's YAML."""
    lines = text.split("\n")
    inside: dict[int, str] = {}
    front = bool(lines) and lines[0].rstrip("\r") == "---" and any(ln.rstrip("\r") == "---" for ln in lines[1:])
    fence: str | None = None
    comment: str | None = None
    offset = 0
    for number, line in enumerate(lines):
        if front:
            inside[offset] = "the frontmatter"
            front = number == 0 or line.rstrip("\r") != "---"
        elif fence is not None:
            inside[offset] = "a code block"
            m = _FENCE.match(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and \
                    not line.strip()[len(m.group(1)):]:
                fence = None
        elif comment is None and (m := _FENCE.match(line)):
            inside[offset], fence = "a code block", m.group(1)
        else:
            if comment is not None:
                inside[offset] = _INSIDE[comment]
            for token in _COMMENT_TOKEN.findall(_CODE_SPAN.sub("", line) if comment is None else line):
                if comment is None and token in _INSIDE:
                    comment = token
                elif (comment, token) in (("%%", "%%"), ("<!--", "-->")):
                    comment = None
        offset += len(line) + 1
    return inside, ("a code block" if fence is not None else _INSIDE.get(comment or ""))


def find(text: str, name: str) -> Found | None:
    """The region `name` in `text`; None when neither marker is there; Malformed otherwise.
    Only marker lines outside code blocks, comments and frontmatter count (`hidden_lines`); the
    markers found only inside them are refused, with where they are."""
    inside, _ = hidden_lines(text)
    hidden: list[tuple[str, str]] = []
    begins, ends = [], []
    for marker, kept in ((begin_marker(name), begins), (end_marker(name), ends)):
        for m in _marker_lines(text, marker):
            if m.start() in inside:
                hidden.append((marker, inside[m.start()]))
            else:
                kept.append(m)
    if hidden and (len(begins) != 1 or len(ends) != 1):
        marker, where = hidden[0]
        raise Malformed(f"the `{marker}` line is inside {where}; kbd uses region markers only outside code "
                        "blocks, comments and frontmatter, as Obsidian reads the note: put both marker lines "
                        "in the note's text")
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
    a blank line (Malformed if the end of the note is inside a code block or comment). Every byte
    outside the region is kept as it is."""
    found = find(text, name)
    newline = "\r\n" if "\r\n" in text else "\n"
    body = inner(content).replace("\n", newline)
    if found is not None:
        return text[:found.start] + body + text[found.end:]
    _, open_at_end = hidden_lines(text)
    if open_at_end is not None:
        raise Malformed(f"the note ends inside {open_at_end}, so a region added at its end would be inside it "
                        "too; close it, or put the two marker lines where the region should go")
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

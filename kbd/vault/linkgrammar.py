"""Obsidian's link grammar, once, for lint, compile and search: where links are, how they are
written, and what they point at.

Where: everywhere Obsidian parses them (paragraphs, tables, callouts, lists, footnotes, properties)
and never inside code (fenced, indented by a fence, inline spans), `%%` comments, HTML comments or
display math. How: `[[target#heading|alias]]`, `[[target#^block]]`, `![[embed|300]]`, and inside a
table `[[target\\|alias]]` (the table's escaped pipe; a file name cannot end in a backslash, so it is
read that way everywhere). What: a file by exact path, by a path relative to the linking note, or by
the shortest path ending in the link text; case-insensitive; with or without `.md`. A heading or
block part must name a heading or block id of the target. Line numbers count from line 1 of the file.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from kbd.vault.links import WikiLink, parse_wikilink

# The formats Obsidian opens itself (help: "Accepted file formats"), plus its own canvas and base
# files. A link ending in any other "extension" (`[[nytimes.com]]`, `[[J. Doe, Ph.D]]`) is a note link.
ATTACHMENT_EXTENSIONS = frozenset({
    "avif", "bmp", "gif", "jpeg", "jpg", "png", "svg", "webp",
    "flac", "m4a", "mp3", "ogg", "wav", "webm", "3gp",
    "mkv", "mov", "mp4", "ogv",
    "pdf", "canvas", "base",
})


@dataclass(frozen=True, slots=True)
class LinkAt:
    link: WikiLink
    line: int  # 1-based line in the file (frontmatter included)
    raw: str  # `[[...]]` or `![[...]]` exactly as written
    in_property: bool = False  # found in the frontmatter, not the body


def is_attachment(target: str) -> bool:
    """Whether a link target names a non-note file Obsidian would embed or open."""
    name = target.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[1].lower() in ATTACHMENT_EXTENSIONS


# A literal first character lets the regex engine skip to each `[[`; an embed is told by the
# character before.
_LINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")


def find_links(visible: str, first_line: int = 1,
               parsed: dict[str, tuple[WikiLink, str]] | None = None) -> list[LinkAt]:
    """Wikilinks and embeds in text already passed through `blank_code_and_comments`;
    `first_line` is the file line the text starts on. `parsed` (shared across notes) keeps one
    parse of each distinct link: a large vault repeats the same links hundreds of thousands of times."""
    if "[[" not in visible:
        return []
    cache = {} if parsed is None else parsed
    result = []
    line, last = first_line, 0
    for m in _LINK.finditer(visible):
        start = m.start()
        line += visible.count("\n", last, start)
        last = start
        raw = "!" + m.group(0) if start > 0 and visible[start - 1] == "!" else m.group(0)
        known = cache.get(raw)
        if known is None:
            known = cache[raw] = (parse_wikilink(m.group(1), embed=raw[0] == "!"), raw)
        result.append(LinkAt(known[0], line, known[1]))
    return result


_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*(<[^>\n]+>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_images(visible: str, first_line: int = 1) -> Iterator[tuple[int, str]]:
    """(line, vault path or name) of each `![alt](file)` that names a vault file, not a URL;
    `#fragment` removed and `%20` decoded, as Obsidian resolves it."""
    if "](" not in visible:
        return
    for m in _MD_IMAGE.finditer(visible):
        target = m.group(1).strip("<>").strip()
        if _SCHEME.match(target) or target.startswith("#"):
            continue  # a URL (https:, data:, obsidian:) or an in-page anchor, not a vault file
        yield first_line + visible.count("\n", 0, m.start()), unquote(target.split("#", 1)[0])


_FENCE = re.compile(r"^( {0,3}(?:>\s?)*)(`{3,}|~{3,})")
# One left-to-right pass, as Obsidian reads: whichever starts first wins, so `%%` inside a code span
# is code and a backtick inside a `%%` comment is comment.
_HIDDEN = re.compile(r"(`+)(?:(?!\1).)+?\1|%%.*?(?:%%|\Z)|<!--.*?(?:-->|\Z)|\$\$.*?\$\$", re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def blank_code_and_comments(body: str) -> str:
    """The text with everything Obsidian does not read as links blanked out, keeping every
    newline (line numbers stay right): fenced code blocks (also inside callouts), inline code
    spans, `%%` comments, HTML comments and display math."""
    if "`" not in body and "~~~" not in body and "%%" not in body and "<!--" not in body and "$$" not in body:
        return body
    return _HIDDEN.sub(_blank, blank_fenced_code(body))


def blank_fenced_code(body: str) -> str:
    """The text with fenced code blocks blanked (newlines kept): where headings are read from,
    since a heading's inline code (`` ### `hasTag()` ``) is part of its text."""
    if "```" not in body and "~~~" not in body:
        return body
    lines = body.split("\n")
    fence: str | None = None
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(2)
                lines[i] = ""
        else:
            if m and m.group(2)[0] == fence[0] and len(m.group(2)) >= len(fence) \
                    and not line[m.end():].strip():
                fence = None
            lines[i] = ""
    return "\n".join(lines)


_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_SETEXT = re.compile(r"^(?=[^\n]*\S)([^\n#>\-*+|][^\n]*)\n {0,3}(?:=+|-+)[ \t]*$", re.MULTILINE)
# A block id is ` ^id` ending a line (or `^id` alone on one); the match starts at the literal `^`
# (fast to find) and the character before is checked apart.
_BLOCK_ID = re.compile(r"\^([A-Za-z0-9-]+)[ \t]*$", re.MULTILINE)
# Obsidian drops these from a heading when it makes a link to it (`#`, `|`, `^`, `:`, `%%`, `[[`, `]]`);
# a code span's backticks are markup, not the heading's text.
_HEADING_DROP = re.compile(r"[#|^:%\[\]\\`]")
_WS = re.compile(r"\s+")


@functools.lru_cache(maxsize=65536)  # the same headings recur in every note of a kind
def heading_key(text: str) -> str:
    """A heading (or a link's heading part) as Obsidian matches them: case-insensitive, ignoring
    the characters a link cannot hold and runs of spaces."""
    return _WS.sub(" ", _HEADING_DROP.sub(" ", text)).strip().casefold()


def headings_and_blocks(text: str) -> tuple[str, str]:
    """The heading keys and the block ids (casefolded) of a note body passed through
    `blank_fenced_code`, each set as one newline-separated string (`"\\nkey\\n…"`): at 30,000
    notes a string is a tenth of the memory of a set of strings. Test with `missing_fragment`."""
    heads = {heading_key(m.group(1)) for m in _ATX.finditer(text)} if "#" in text else set()
    if "\n=" in text or "\n-" in text:
        heads |= {heading_key(m.group(1)) for m in _SETEXT.finditer(text)}
    blocks = {m.group(1).casefold() for m in _BLOCK_ID.finditer(text)
              if not m.start() or text[m.start() - 1].isspace()} if "^" in text else set()
    return _joined(heads), _joined(blocks)


def _joined(keys: set[str]) -> str:
    return "\n" + "\n".join(sorted(keys)) + "\n" if keys else ""


def missing_fragment(link: WikiLink, headings: str, blocks: str) -> str | None:
    """What a link's `#heading` or `#^block` part names that the target lacks (None: nothing),
    given the target's `headings_and_blocks`. `[[Note#A#B]]` names B under A; B must exist."""
    if link.block is not None:
        return None if f"\n{link.block.strip().casefold()}\n" in blocks else f"^{link.block.strip()}"
    if link.heading:
        last = link.heading.split("#")[-1]
        key = heading_key(last)
        return None if not key or f"\n{key}\n" in headings else last.strip()
    return None


def attachment_folder(root: str | os.PathLike[str]) -> str | None:
    """The vault's attachment folder (`attachmentFolderPath` in `.obsidian/app.json`), vault-relative
    and without `./`; None when unset, the vault root (`/`) or beside each note (`./`)."""
    try:
        with open(os.path.join(root, ".obsidian", "app.json"), encoding="utf-8") as fh:
            value = json.load(fh).get("attachmentFolderPath")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(value, str):
        return None
    value = value.strip().strip("/")
    return value if value and value not in (".", "./") and not value.startswith("./") else None

"""A passage of markdown as the plain text a snippet shows, without a markdown parser.

The snippet of a search hit is one passage (kbd.search.snippets): a paragraph, a list, a quote, a
table or a code block. Parsing it with mistune (kbd.vault.markdown) cost a `kbd search` call more
than a tenth of its CPU: importing mistune and the vault's note modules, compiling mistune's
grammar, then parsing. These expressions give the same text as `parse_markdown(passage,
keep_code=True).plain_text()` on the passages of real notes (bench/snippet_text.py measures how
often, on a compiled vault): link and wikilink text, no images or embeds, no emphasis, code
spans' text, tables' cells joined by " | " and rows by " ; ", no HTML tags, no comments or block ids.
"""

from __future__ import annotations

import html
import re

from kbd.vault.links import ADDRESS_AFTER_WIKILINK

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMENT = re.compile(r"%%.*?%%|<!--.*?(?:-->|$)|<(script|style)\b.*?(?:</\1\s*>|$)", re.DOTALL | re.IGNORECASE)
_QUOTE = re.compile(r"^ {0,3}(?:> ?)+", re.MULTILINE)  # nested quotes and callouts too
_CALLOUT = re.compile(r"^\[![\w-]+\][+-]?\s*")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)(.*?)(?:[ \t]+#+)?[ \t]*$")
_ITEM = re.compile(r"^[ \t]*(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|$)|^ {0,3}\[\^[^\]\n]+\]:[ \t]*")  # or a footnote
_DELIMITER_ROW = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_BLOCK_ID = re.compile(r"\s\^[A-Za-z0-9-]+\s*$")
_WS = re.compile(r"\s+")

_EMBED = re.compile(r"!\[\[[^\[\]\n]+?\]\]")
_WIKILINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")
# "[[105]](#cite_note-113)": a link whose text is "[105]" (kbd.vault.markdown reads it so)
_BRACKETED_LINK = re.compile(r"(?<!!)\[\[([^\[\]\n]+?)\]\]" + ADDRESS_AFTER_WIKILINK)
_URL = r"\((?:[^()\n]|\([^()\n]*\))*\)"  # a link's destination, which may hold balanced brackets
_IMAGE = re.compile(rf"!\[[^\[\]\n]*\]{_URL}")
_LINK = re.compile(rf"\[([^\[\]\n]*)\]{_URL}")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\n]+\]")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>")
_CODE_SPAN = re.compile(r"(?<![\\`])(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)  # \` is a backtick, not code
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)?/?>")  # quoted `>` too
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS_STAR = re.compile(r"\*(?=\S)(.+?)(?<=\S)\*")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w\\])_(?=\S)(.+?)(?<=\S)_(?!\w)")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_ESCAPED = re.compile("[\ue000-\ue07f]")  # an escaped ASCII character, set aside as U+E000 + its code
_CODE_MARK = "\0"  # a code span's text is set aside while emphasis is removed around it


# The longest passage read whole. The emphasis and code-span expressions can take time that grows with
# the square of a paragraph full of markers that never close (`*a *a *a …`): a snippet needs far less.
MAX_PASSAGE_CHARS = 4_000


def plain_text(passage: str) -> str:
    """The text a reader sees in one passage of markdown (see the module's note). NUL and the
    private-use characters this module uses as marks cannot come from the note itself."""
    text = _ESCAPED.sub("\ufffd", passage[:MAX_PASSAGE_CHARS].replace(_CODE_MARK, " "))
    text = _COMMENT.sub(" ", text)
    parts: list[str] = []
    prose: list[str] = []
    code: list[str] | None = None
    fence = ""
    for line in text.split("\n"):  # a passage may hold code blocks: their text stays as it is
        if code is None:
            opening = _FENCE.match(line)
            if opening:
                if prose:
                    parts.append(_prose("\n".join(prose)))
                    prose = []
                code, fence = [], opening.group(1)
            else:
                prose.append(line)
        elif line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            parts.append(_collapse("\n".join(code)))
            code = None
        else:
            code.append(line)
    if code is not None:
        parts.append(_collapse("\n".join(code)))
    if prose:
        parts.append(_prose("\n".join(prose)))
    return " ".join(p for p in parts if p)


def _prose(text: str) -> str:
    quoted = bool(_QUOTE.match(text))
    text = _QUOTE.sub("", text)  # a quote's lines, or quoted lines after a paragraph's
    lines = text.split("\n")
    if quoted:
        lines[0] = _CALLOUT.sub("", lines[0])
    for i in range(len(lines) - 1):  # a table, after the paragraph it may follow without a blank line
        if "|" in lines[i] and _DELIMITER_ROW.match(lines[i + 1]):
            rows = [_cells(row) for row in [lines[i], *lines[i + 2:]] if row.strip()]
            if all(len(cells) == len(rows[0]) for cells in rows):  # else not a table: a paragraph with pipes
                table = _collapse(" ; ".join(" | ".join(_inline(c).strip() for c in cells) for cells in rows))
                before = _prose("\n".join(lines[:i])) if i else ""
                return f"{before} {table}".strip()
            break
    blocks: list[str] = []
    current: list[str] = []
    for line in lines:
        heading = _HEADING.match(line)
        item = _ITEM.match(line)
        if heading or item:
            if current:
                blocks.append(" ".join(current))
            current = [heading.group(1)] if heading else [line[item.end():]]  # type: ignore[union-attr]
            if heading:
                blocks.append(" ".join(current))
                current = []
        else:
            current.append(line[:-1] if line.endswith("\\") and not line.endswith("\\\\") else line)
    if current:
        blocks.append(" ".join(current))
    return " ".join(b for b in (_collapse(_BLOCK_ID.sub("", _inline(b))) for b in blocks) if b)


def _cells(row: str) -> list[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return _CELL_SPLIT.split(row)


def _inline(text: str) -> str:
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        spans.append(m.group(2).strip() if m.group(2).strip() else m.group(2))
        return f"{_CODE_MARK}{len(spans) - 1}{_CODE_MARK}"

    text = _CODE_SPAN.sub(keep, text)
    text = _ESCAPE.sub(lambda m: _set_aside(m.group(1)), text)
    text = _BRACKETED_LINK.sub(_bracketed_link_text, text)
    text = _EMBED.sub("", text)
    text = _WIKILINK.sub(_wikilink_text, text)
    text = _IMAGE.sub("", text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    for pattern in (_STRONG, _STRIKE):
        text = pattern.sub(r"\2" if pattern is _STRONG else r"\1", text)
    text = _EMPHASIS_STAR.sub(r"\1", text)
    text = _EMPHASIS_UNDERSCORE.sub(r"\1", text)
    if "&" in text:
        text = html.unescape(text)
    text = _ESCAPED.sub(lambda m: chr(ord(m.group(0)) - 0xE000), text)
    if spans:
        text = re.sub(f"{_CODE_MARK}(\\d+){_CODE_MARK}", lambda m: spans[int(m.group(1))], text)
    return text


def _bracketed_link_text(m: re.Match[str]) -> str:
    """`[[105]](#cite_note-113)` as kbd.vault.markdown reads it: "[105]"; `[[v1]](/abs/…)`: "v1"."""
    shown = _wikilink_text(m)
    if any(c.isalpha() for c in shown):
        return shown
    return f"{_set_aside('[')}{shown}{_set_aside(']')}"  # as if escaped: no link's text for _LINK


def _set_aside(char: str) -> str:
    """An escaped ASCII character, kept out of every pattern until _ESCAPED puts it back."""
    return chr(0xE000 + ord(char))


def _wikilink_text(m: re.Match[str]) -> str:
    """As kbd.vault.links.parse_wikilink reads it: the alias, else the heading, else the target."""
    inner = m.group(1)
    target, _, alias = inner.partition("|")
    target = target.rstrip("\\")
    if alias.strip():
        return alias.strip()
    if "#" in target:
        target, fragment = target.split("#", 1)
        if fragment and not fragment.startswith("^"):
            return fragment
    return target.strip()


def _collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()

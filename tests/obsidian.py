"""What Obsidian would make of a generated note: a real CommonMark parser (markdown-it-py) for the
body, plus Obsidian's own rules on top of it (wikilinks read before anything else in a line,
`%%` comments and Templater tags found in the raw text, Dataview queries in code spans, tags,
properties that are data).

`live_content(text)` returns what in a note would execute, fetch, hide, link or format beyond
what kbd meant; empty means the note is inert. Used by the hostile corpus and the escaping tests.
"""

from __future__ import annotations

import html
import re
from typing import Any

import yaml
from markdown_it import MarkdownIt

from kbd.vault.sanitize import EXECUTABLE_FENCES

_md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
_WIKILINK = re.compile(r"(?<!\\)(!?)\[\[([^\[\]\n]+?)\]\]")
_INLINE_QUERY = re.compile(r"^\s*(\$=|=|dv\.|tp\.)")
_SAFE_HREF = re.compile(r"^(https?://|#|mailto:)", re.IGNORECASE)
# An Obsidian tag: `#` after a space or the line start, then a character that may start one.
_TAG = re.compile(r"(?<!\S)#(?=[^\s\d!-/:-@\[-^`{-~])")
_MATH = re.compile(r"(?<!\\)\$(?=[^\s$])(?:[^$\\\n]|\\.)*?(?<=[^\s\\])\$(?!\d)")
# Maths kbd keeps on purpose (issue 23: LaTeX stays LaTeX, `$\lambda$`, `$x$`): TeX's characters only, and no MathJax
# command that links, styles or loads an extension. Nothing in it that markdown or HTML could read were Obsidian to
# read it as text: no `<` before a letter, `/`, `!`, `?` or `%`, no `&` before a letter or `#`, no `[[`, `](` or `]]`.
# Any other maths is formatting kbd did not mean.
_MEANT_TEX = re.compile(r"(?:[A-Za-z0-9\\{}^_=+\-*/.,()'! >;:]|<(?![A-Za-z/!?%])|&(?![#A-Za-z])|\[(?!\[)|\](?![\](]))+")
_LIVE_TEX = re.compile(r"\\(?:href|url|require|class|cssId|style|unicode|html|data|bbox|mmlToken|mathtip|texttip"
                       r"|toggle)", re.IGNORECASE)
# What kbd itself puts into decks and answers: speaker notes in a comment, and its own SVG charts
# (local files the writer checked; kbd/render/charts.py), by relative path or embed.
_SPEAKER_NOTES = re.compile(r"<!-- (?:(?!--)[^<>`\[\]\n])* -->")
_KBD_CHART = re.compile(r"(?:\.\./)*answers/assets/[^/:?#]+\.svg")
_KBD_CHART_EMBED = re.compile(r"wiki/answers/assets/[^/:?#|\]]+\.svg")
_LINK_KEYS = {"clipping", "copies", "concepts", "sources", "related", "concept"}  # links kbd writes


def split_note(text: str) -> tuple[str, str]:
    if not text.startswith("---\n"):
        return "", text
    end = text.find("\n---\n", 3)
    assert end >= 0, "frontmatter without its closing ---"
    return text[4:end + 1], text[end + 5:]


def live_content(text: str) -> list[str]:
    front, body = split_note(text)
    return property_problems(front) + body_problems(body)


def property_problems(front: str) -> list[str]:
    problems: list[str] = []
    if "<%" in front:
        problems.append("Templater tag in the frontmatter")
    try:
        data = yaml.safe_load(front) if front else {}
    except yaml.YAMLError as exc:
        return [*problems, f"frontmatter is not valid YAML: {exc}"]
    if not isinstance(data, dict):
        return [*problems, "frontmatter is not a set of properties"]
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, (dict, list)):
                problems.append(f"property {key} is nested")
            if not isinstance(item, str):
                continue
            links = _WIKILINK.findall(item)
            if key in _LINK_KEYS and links:
                if not re.fullmatch(r"\[\[[^\[\]\n]+\]\]", item):
                    problems.append(f"property {key}: a link with text around it: {item!r}")
            elif "[[" in item or "]]" in item:
                problems.append(f"property {key}: link brackets in data: {item!r}")
            if re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", item, re.IGNORECASE):
                problems.append(f"property {key}: HTML entity: {item!r}")
            if key == "tags" and not re.fullmatch(r"[^\s#][^\s]*", item or "#"):
                problems.append(f"property tags: not a tag: {item!r}")
    return problems


def body_problems(body: str) -> list[str]:
    problems: list[str] = []
    # Obsidian reads wikilinks first: their text is never parsed as markdown or HTML.
    for m in _WIKILINK.finditer(body):
        if m.group(1) and not _KBD_CHART_EMBED.fullmatch(m.group(2)):
            problems.append(f"embed: {m.group(0)}")
    flat = _WIKILINK.sub("\u27e6link\u27e7", body)  # a placeholder nothing can combine with
    tokens = _md.parse(flat)
    code_lines: set[int] = set()
    for tok in _walk(tokens):
        problems += _token_problems(tok)
        if tok.type in ("fence", "code_block") and tok.map:
            code_lines.update(range(tok.map[0], tok.map[1]))
    # Obsidian's own syntax, found in the raw text outside code blocks.
    for number, line in enumerate(flat.split("\n")):
        if "<%" in line:  # Templater reads the raw text, code blocks included
            problems.append(f"Templater tag: {line!r}")
        if number in code_lines:
            continue
        prose = re.sub(r"(?<![`\\])(`+)(?!`).+?(?<!`)\1(?!`)", "CODE", line)
        if "%%" in prose:
            problems.append(f"comment: {line!r}")
        tagged = re.sub(r"^(?:> ?)*#{1,6} ", "", prose)
        if _TAG.search(tagged):
            problems.append(f"tag: {line!r}")
        if any(not _MEANT_TEX.fullmatch(m.group(0)[1:-1]) or _LIVE_TEX.search(m.group(0))
               for m in _MATH.finditer(prose)):
            problems.append(f"maths: {line!r}")
        if re.search(r"(?<!\\)==\S", prose) and re.search(r"\S(?<!\\)==", prose):
            problems.append(f"highlight: {line!r}")
        if re.search(r"\s\^[A-Za-z0-9-]+$", prose):
            problems.append(f"block id: {line!r}")
    return problems


def _walk(tokens: list[Any]) -> list[Any]:
    out = []
    for tok in tokens:
        out.append(tok)
        if tok.children:
            out += _walk(tok.children)
    return out


def _token_problems(tok: Any) -> list[str]:
    if tok.type == "fence":
        lang = tok.info.strip().split()[0].lower().lstrip("{.") if tok.info.strip() else ""
        return [f"executable code block: {tok.info!r}"] if lang in EXECUTABLE_FENCES else []
    if tok.type in ("html_block", "html_inline"):
        if tok.type == "html_block" and _SPEAKER_NOTES.fullmatch(tok.content.strip()):
            return []  # a comment (a deck's speaker notes) that nothing inside can end: hidden, inert
        return [f"raw HTML: {tok.content.strip()[:80]!r}"]
    if tok.type == "code_inline" and _INLINE_QUERY.match(tok.content):
        return [f"inline query: {tok.content!r}"]
    if tok.type == "image":
        return [] if _KBD_CHART.fullmatch(str(tok.attrGet("src"))) else [f"image: {tok.attrGet('src')!r}"]
    if tok.type == "link_open":
        href = str(tok.attrGet("href") or "")
        return [] if _SAFE_HREF.match(href) else [f"link to {href!r}"]
    return []


def visible_text(markdown_line: str) -> str:
    """The text a reader sees for one line of inline markdown (CommonMark's rendering, tags removed)."""
    return html.unescape(re.sub(r"<[^>]+>", "", _md.renderInline(markdown_line)))

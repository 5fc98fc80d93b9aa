"""Markdown with Obsidian syntax, parsed by mistune into plain-text blocks.

The engines never see markdown: they get `Document`s of headings, paragraphs, list items and
quotes as plain text, plus what the note links to. Obsidian syntax handled: wikilinks and embeds
(`[[a#h|b]]`, `![[img.png|300]]`), `%% comments %%`, callouts (`> [!note] Title`), block ids
(`^abc123`), tags. Code is kept out of the prose; raw HTML is reduced to its text. The fences of
other sites' admonitions and divs (`::: tip Title`, `:::note`, Pandoc's `::: {.column}`, a closing
`:::`) are no text: a fence's title is kept as a label, not prose, and so is an admonition's or a
content tab's (`!!! note "Title"`, `=== "Tab"`), whose indented body is prose. A line of Dataview's or
Logseq's properties (`rating:: 9`, `description:: Advanced queries are…`) is a block of its own, its key no
text: a value that is a sentence stays prose, a name or a number is a label. Logseq's org-mode blocks
(`#+BEGIN_QUERY` … `#+END_QUERY`) and template expressions (`${…}`, `{{…}}`) are code; a `#+BEGIN_NOTE`
block keeps its text, not its markers; an icon shortcode (`:material-check:`) is no text. The syntax
plugins are kbd/vault/dialects.py's.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from html.entities import html5
from html.parser import HTMLParser
from typing import Any

import mistune

from kbd.vault.dialects import (
    LOGSEQ_PROPERTY,
    WIKILINK,
    admonition_plugin,
    attr_list_plugin,
    container_plugin,
    expression_plugin,
    field_plugin,
    headed_outlines,
    heading_without_attr_list,
    is_markup,
    liquid_plugin,
    maths_plugin,
    org_block_plugin,
    wikilink_plugin,
)
from kbd.vault.links import ADDRESS_AFTER_WIKILINK, parse_wikilink

_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)
# A definition of Python-Markdown's, Pandoc's and PHP Markdown Extra's definition lists (`Term` then
# `:   What it means`): its marker is no text ("- : This property must contain…" was a key point).
_DEFINITION = re.compile(r"^:[ \t]+(?=\S)")
_BLOCK_ID = re.compile(r"\s\^[A-Za-z0-9-]+\s*$")
_CALLOUT = re.compile(r"^\[![\w-]+\][+-]?\s*")
_CONTAINER_CLOSE = re.compile(r"\s:{3,}$")
# A value of this many words is a sentence ("description:: …"): the engines' MIN_WORDS, which the vault layer
# does not import (engines read the vault, not the other way).
FIELD_PROSE_WORDS = 6
# A tag is `#` then anything but whitespace, control characters and ASCII punctuation other than
# `_ - /` (and it cannot start with a digit, `-` or `/`). Written as excluded ranges: a class over
# the whole of Unicode costs ~10 ms to compile at every start-up.
_TAG_CHAR = r"\s\x00-\x1f\x7f-\xbf!-,.:-@\[-^`{-~"
_TAG = re.compile(rf"(?<![\w/#&])#([^{_TAG_CHAR}\d/-][^{_TAG_CHAR}]*)")
_WS = re.compile(r"\s+")
WORD = re.compile(r"\w+")  # a word, as Block.linked counts them
_LINK_TARGET = re.compile(ADDRESS_AFTER_WIKILINK)
_WIKILINK = re.compile(WIKILINK)  # inside a template expression (`{{embed [[Page]]}}`)
_ENUMERATION = re.compile(r",|;|\b(?:and|or)\b", re.IGNORECASE)  # "A, B and C" in prose
# "==deep sleep==": no space inside its edges, as Obsidian reads it; "a == b" is no highlight.
_HIGHLIGHT = re.compile(r"(?<!=)==([^\s=](?:[^=\n]{0,198}[^\s=])?)==(?!=)")

PROSE_KINDS = ("paragraph", "item", "quote")


@dataclass

class Block:
    kind: str  # heading | paragraph | item | quote | table | html | code (only with keep_code)
    text: str
    level: int = 0  # heading level
    section: int = -1  # index into Document.headings of the heading above, -1 before any
    links: int = 0  # web links in the block with words in them (not wikilinks, not "[12]" citation marks)
    linked: int = 0  # words of `text` inside those links
    enumerated: int = 0  # links joined to the one before as prose enumerates ("A, B and C"), not as a menu
    listed: bool = False  # inside a list item (Logseq writes every heading so: a section's, never a title)
    key: str = ""  # a `key:: value` line's key: no text of the page, but what search finds the value by
    code: tuple[str, ...] = ()  # its inline code as written: in `text` without backticks, never maths


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    wikilinks: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    marked: list[str] = field(default_factory=list)  # texts the page links or emphasises: what it names
    code: list[str] = field(default_factory=list)  # its inline code: file names, commands, identifiers
    # The `key:: value` lines that open the page, before any other block (Logseq's page properties:
    # `title:: Whiteboard/Action Bar`), keys lowercased, the first value of each.
    fields: dict[str, str] = field(default_factory=dict)

    def prose(self) -> list[Block]:
        return [b for b in self.blocks if b.kind in PROSE_KINDS]

    def without_code(self) -> Document:
        """The same parse without its code blocks: what `keep_code=False` leaves out, nothing else."""
        return replace(self, blocks=[b for b in self.blocks if b.kind != "code"])

    def plain_text(self) -> str:
        return "\n\n".join(f"{b.key}: {b.text}" if b.key else b.text for b in self.blocks)


# An icon or emoji shortcode (`:octicons-file-code-16:`, `:material-check:`, `:tada:`): a picture, no word of
# the text (one on eleven tab labels made a concept *Octicons-file-code-16*). Not a time ("12:30:") nor a
# word's colon ("Note:"), and never inside inline code (`:tada:` where a page explains the syntax).
_ICON = re.compile(r"[ \t]?(?<![\w:/.]):[a-z][a-z0-9]*(?:[-_+][a-z0-9]+)*:(?![\w:/])")
# A Sphinx or D2L role before its code (":cite:`Lin.2017`", ":numref:`sec_x`", a heading's ":label:`sec_x`"): no
# icon. Citations and labels are no text; a cross-reference keeps its target ("see chap_optimization", where it
# ran into the word before it: "seechap_optimization").
_ROLE = re.compile(r"(?:^|(?<=[\s(\[])):(?P<role>[a-z]+):$")
_IMAGE_SIZE = re.compile(r"^\{:[\w-]+ [^{}\n]{0,200}\}")
_UNREAD_ROLES = frozenset({"cite", "citep", "label", "eqlabel", "width", "height"})
# An HTML character reference in text, which markdown shows as its character ("Configuration &gt; Application",
# "two buttons &ndash; one to edit"): with its semicolon, as CommonMark reads one ("a=1&copy=2" is text).
# Inline code keeps its own.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _character(reference: re.Match[str]) -> str:
    """The character a reference stands for, as CommonMark reads it: a name HTML5 knows with its semicolon
    ("&copyright;" is text), a number. A "#" stays a reference: as a character it would start a tag that
    Obsidian, which shows it as text, never sees."""
    text = reference.group(0)
    character = html.unescape(text) if text[1] == "#" else html5.get(text[1:], text)
    return text if character == "#" else character


_SPACE_RUN = re.compile(r"[ \t]{4,}")  # no meaning inline ("!" then 50,000 spaces took 9 s to parse)
# Characters that can start inline markup (links, emphasis, code, HTML, entities, escapes,
# strikethrough, footnote references, wikilinks, template expressions). Text without any of them is plain text.
_INLINE_MARKUP = re.compile(r"[\[\]*_`<>!\\&~{]")


class _Markdown(mistune.Markdown):
    """mistune with a fast path: prose with no inline markup skips the inline parser.

    Most clipped prose is plain sentences; running the full inline grammar over it was half the
    parse time. Overrides mistune 3's `_iter_render` (pinned in the lock file; tests cover it).
    """

    def _iter_render(self, tokens: Any, state: Any) -> Any:
        for tok in tokens:
            if "children" in tok:
                tok["children"] = list(self._iter_render(tok["children"], state))
            elif "text" in tok:
                text = tok.pop("text").strip(" \r\n\t\f")
                if "  " in text or "\t" in text:
                    text = _SPACE_RUN.sub(" ", text)  # mistune's inline scan is quadratic in a run of spaces
                if _INLINE_MARKUP.search(text):
                    tok["children"] = self.inline(text, state.env)
                else:
                    tok["children"] = [{"type": "text", "raw": text}]
            yield tok


def _parser(outliner: bool) -> _Markdown:
    md = _Markdown(renderer=None, plugins=[
        mistune.plugins.import_plugin(name) for name in ("table", "strikethrough", "footnotes")])
    wikilink_plugin(md)
    liquid_plugin(md)
    expression_plugin(md)
    maths_plugin(md)
    attr_list_plugin(md)
    container_plugin(md)
    admonition_plugin(md)
    if outliner:
        field_plugin(md)
        org_block_plugin(md)
    return md


# Fields and org blocks cost every line of every paragraph a look (8 % of the parse): only a note that has
# `::` or `#+` in it is parsed with them.
_markdown = _parser(outliner=False)
_outliner_markdown = _parser(outliner=True)


def parse_markdown(body: str, *, keep_code: bool = False) -> Document:
    """Parse a note body (frontmatter already removed) into a Document.

    Code blocks are left out unless `keep_code` (the search index keeps them: code is searchable).
    """
    doc = Document()
    body = _COMMENT.sub(" ", body)
    if "::" in body or "#+" in body:
        logseq = "\n\t- " in body and LOGSEQ_PROPERTY.search(body) is not None
        tokens = _outliner_markdown(headed_outlines(body) if logseq else body)
    else:
        tokens = _markdown(body)
    _Walker(doc, keep_code).blocks(tokens)
    return doc


class _Walker:
    def __init__(self, doc: Document, keep_code: bool = False) -> None:
        self.doc = doc
        self.keep_code = keep_code
        self.links = self.linked = self.enumerated = 0  # of the block being read
        self.joined: bool | None = None  # an enumeration since the block's last web link (None: no link yet)
        self.opening = True  # no block but `key:: value` lines yet: they are the page's fields
        self.expressions: list[str] = []  # the template expressions of the block being read
        self.code: list[str] = []  # the inline code of the block being read
        self.raw = False  # between Liquid's `{% raw %}` and `{% endraw %}`: tags are text there

    def add(self, kind: str, text: str, level: int = 0, listed: bool = False, key: str = "") -> None:
        self._add(kind, text, level, listed, key)
        self.raw = False
        if self.expressions:
            # What the block's template expressions say is code: search finds it, the engines never read it.
            if self.keep_code:
                self.doc.blocks.extend(Block("code", raw, 0, len(self.doc.headings) - 1) for raw in self.expressions)
            self.expressions = []

    def _add(self, kind: str, text: str, level: int = 0, listed: bool = False, key: str = "") -> None:
        self.opening = self.opening and bool(key)
        links, linked, enumerated = self.links, self.linked, self.enumerated
        self.links = self.linked = self.enumerated = 0
        code, self.code = tuple(_WS.sub(" ", c) for c in self.code), []
        self.joined = None
        text = _WS.sub(" ", _BLOCK_ID.sub("", text)).strip()
        if text[:1] == ":" and kind in PROSE_KINDS:
            text = _DEFINITION.sub("", text)
        if kind != "code" and text.endswith(":::"):
            text = _CONTAINER_CLOSE.sub("", text)
        if not text:
            return
        if kind == "heading":
            self.doc.headings.append(text)
            self.doc.blocks.append(Block(kind, text, level, len(self.doc.headings) - 1, listed=listed))
            return
        self.doc.tags.extend(m.group(1) for m in _TAG.finditer(text))
        self.doc.blocks.append(Block(kind, text, 0, len(self.doc.headings) - 1, links, linked, enumerated, key=key,
                                     code=code))

    def blocks(self, tokens: list[dict[str, Any]], kind: str = "paragraph") -> None:
        for tok in tokens:
            t = tok["type"]
            if t == "heading":
                text = heading_without_attr_list(self.inline(tok.get("children", [])))
                self.add("heading", text, tok["attrs"]["level"], listed=kind == "item")
            elif t in ("paragraph", "block_text"):
                self.add(kind, self.inline(tok.get("children", [])))
            elif t == "list":
                for item in tok.get("children", []):
                    self.blocks(item.get("children", []), "item")
            elif t == "block_quote":
                start = len(self.doc.blocks)
                self.blocks(_callout_title_apart(tok.get("children", [])), "quote")
                if len(self.doc.blocks) > start and self.doc.blocks[start].kind == "quote":
                    first = self.doc.blocks[start]
                    first.text = _CALLOUT.sub("", first.text)
                    if not first.text:
                        del self.doc.blocks[start]
            elif t == "table":
                rows = []
                for part in tok.get("children", []):
                    cells_rows = part.get("children", [])
                    if part["type"] == "table_head":
                        cells_rows = [part]
                    for row in cells_rows:
                        rows.append(" | ".join(self.inline(c.get("children", [])) for c in row["children"]))
                self.add("table", " ; ".join(rows))
            elif t == "block_html":
                self.add("html", html_to_text(tok.get("raw", "")))
            elif t == "container_title":
                self.add("label", self.inline(tok.get("children", [])))
            elif t == "field":
                value = self.inline(tok.get("children", []))
                if self.opening and kind == "paragraph":  # the page's own lines, not a list's or a quote's
                    self.doc.fields.setdefault(tok["key"].lower(), _WS.sub(" ", value).strip())
                self.add(kind if len(WORD.findall(value)) >= FIELD_PROSE_WORDS else "label", value, key=tok["key"])
            elif t == "footnotes":
                for item in tok.get("children", []):
                    self.blocks(item.get("children", []), "item")
            elif t == "block_code" and self.keep_code:
                self.add("code", tok.get("raw", ""))
            elif "children" in tok and t not in ("block_code",):
                self.blocks(tok["children"], kind)

    def _web_link(self, url: str, text: str) -> None:
        self.doc.urls.append(url)
        if _is_citation_mark(text):
            return  # "[12]", "12": not one of the block's links
        if self.joined:
            self.enumerated += 1
        self.joined = False
        self.links += 1
        self.linked += len(WORD.findall(text))

    def inline(self, tokens: list[dict[str, Any]]) -> str:
        out: list[str] = []
        cut = 0  # characters of this text token a bracketed link's target took
        dropped = False  # an icon or an attribute list, no text, since the last words
        after_icon = False  # the last text token ended with an icon
        skip_code = False  # the code after a citation's or a label's role
        for i, tok in enumerate(tokens):
            t = tok["type"]
            if t == "text":
                text = tok["raw"][cut:]
                if i and tokens[i - 1]["type"] == "image":  # Logseq's size of it: "…png){:height 224, :width 441}"
                    text = _IMAGE_SIZE.sub("", text)
                if "&" in text:
                    text = _ENTITY.sub(_character, text)
                after_icon = False
                role = _ROLE.search(text) if text.endswith(":") and i + 1 < len(tokens) \
                    and tokens[i + 1]["type"] == "codespan" else None
                if role:  # a citation or a label names no text; a cross-reference's target stays, with its space
                    before = text[:role.start()].rstrip()
                    # A citation that opens a clause is its subject ("In particular, :cite:`Reddi.2019` show that"):
                    # its key stays, as a cross-reference's target does.
                    skip_code = role.group("role") in _UNREAD_ROLES and not (
                        role.group("role") == "cite" and (not before or before.endswith((",", ".", ";", ":"))))
                    text = before if skip_code else text[:role.start()]
                if ":" in text:
                    after_icon = text.endswith(":")
                    text, icons = _ICON.subn("", text)
                    after_icon = after_icon and icons > 0
                    dropped = dropped or icons > 0
                if dropped and text[:1] in (",", ".", ";", ")"):
                    while out and not out[-1].strip():  # "or\n:icon:{ … }, which": "or, which"
                        out.pop()
                    out[-1:] = [out[-1].rstrip()] if out else []
                    if text[:1] == ")" and out and out[-1].endswith(("(", "[")):  # "models (:cite:`x`)."
                        out[-1], text = out[-1][:-1].rstrip(), text[1:]
                if text.strip():
                    dropped = False
                if "==" in text:  # Obsidian's highlight (the Web Clipper's highlighter writes it): a mark
                    self.doc.marked.extend(m.group(1) for m in _HIGHLIGHT.finditer(text))
                out.append(text)
                cut = 0
                if self.joined is False and _ENUMERATION.search(out[-1]):
                    self.joined = True
            elif t == "codespan" and skip_code:
                skip_code, dropped = False, True
            elif t == "codespan":
                out.append(tok["raw"])
                self.doc.code.append(tok["raw"])
                self.code.append(tok["raw"])
            elif t == "maths":
                out.append(tok["raw"])
            elif t == "liquid_raw":
                self.raw = tok["raw"] == "raw"
            elif t == "expression" and self.raw:
                out.append(tok["raw"])
            elif t == "expression":
                out.append(" ")
                self.expressions.append(tok["raw"])
                if tok["raw"].startswith("{{"):  # a Logseq macro's page (SilverBullet's `[[…]]` is a Lua string)
                    self.doc.wikilinks.extend(parse_wikilink(m.group("wl_inner")).target
                                              for m in _WIKILINK.finditer(tok["raw"]))
            elif t in ("softbreak", "linebreak"):
                out.append(" ")
            elif t == "link":
                url = tok.get("attrs", {}).get("url", "")
                joined, self.joined = self.joined, None  # a link's own words are not between links
                text = self.inline(tok.get("children", []))
                self.joined = joined
                if url.startswith("#") and not any(c.isalnum() for c in text):
                    continue  # a heading's permalink ("Quickstart[¶](#quickstart)"): no text of the page
                if url:
                    self._web_link(url, text)
                    self.doc.marked.append(text)
                out.append(text)
            elif t == "image":
                url = tok.get("attrs", {}).get("url", "")
                if url:
                    self.doc.images.append(url)
            elif t == "wikilink":
                link = tok["attrs"]["link"]
                shown = link.alias or link.heading or link.target
                after = tokens[i + 1] if i + 1 < len(tokens) else None
                target = _LINK_TARGET.match(after["raw"]) if after and after["type"] == "text" else None
                if target and not link.embed:
                    # `[[105]](#cite_note-113)`: a page's link whose text is in brackets, as HTML-to-Markdown
                    # writes it; not a wikilink and its target's text. A citation mark keeps its brackets
                    # ("[105]", which citation stripping knows), a name loses them ("[[v1]](/abs/…)": "v1").
                    shown = f"[{shown}]" if _is_citation_mark(shown) else shown
                    self._web_link(target.group(1), shown)
                    out.append(shown)
                    cut = target.end()
                    continue
                if link.embed:
                    self.doc.images.append(link.target)
                else:
                    self.doc.wikilinks.append(link.target)
                    self.doc.marked.append(shown)
                    if link.target and link.target != shown:  # "[[Web page#Definition]]" links Web page
                        self.doc.marked.append(link.target.rsplit("/", 1)[-1])
                    out.append(shown)
            elif t == "inline_html":
                out.append(html_to_text(tok.get("raw", "")))
            elif t == "attr_list":
                if is_markup(tok["raw"], tokens[i - 1]["type"] if i else "softbreak", after_icon):
                    dropped = True
                else:
                    out.append(tok["raw"])  # "f(x){.y}", a subscript "_{i=1}": the page's text
            elif t == "footnote_ref":
                continue
            elif t in ("emphasis", "strong"):
                text = self.inline(tok.get("children", []))
                self.doc.marked.append(text)
                out.append(text)
            elif "children" in tok:
                out.append(self.inline(tok["children"]))
            elif "raw" in tok:
                out.append(tok["raw"])
        return "".join(out)


def _is_citation_mark(text: str) -> bool:
    """A link's text that is a citation mark ("12", "[12]", "3–5"), not words."""
    return not any(c.isalpha() for c in text)


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "template", "iframe", "object", "noscript", "svg"})
    _BREAK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag in self._BREAK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; anything it still rejects is just not text
        return ""
    return _WS.sub(" ", "".join(parser.parts)).strip(" |")


_ABBREV = re.compile(
    r"(?:^|\W)(?:e\.g|i\.e|etc|vs|cf|al|approx|Dr|Mr|Mrs|Ms|Prof|Fig|Figs|Eq|No|Vol|pp|Inc|Ltd|Jr|Sr|St|U\.S)\.$",
    re.IGNORECASE)
_INITIAL = re.compile(r"(?:^|\W)[A-Z]\.$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9\u00c0-\u024f])")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; sentences are exact substrings of `text`."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        tail = text[max(start, m.start() - 12):m.start()]  # an abbreviation is short: look at the end only
        if _ABBREV.search(tail) or _INITIAL.search(tail):
            continue
        end = m.end()
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _callout_title_apart(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A callout's title line ("> [!note] Where you meet them") as a paragraph of its own, so its text
    never runs into the callout's first sentence ("Where you meet them RocksDB, Cassandra…")."""
    if not children or children[0].get("type") != "paragraph":
        return children
    inline = children[0].get("children", [])
    if not inline or inline[0].get("type") != "text" or not _CALLOUT.match(inline[0].get("raw", "")):
        return children
    cut = next((i for i, t in enumerate(inline) if t.get("type") in ("softbreak", "linebreak")), None)
    if cut is None:
        return children
    return [{**children[0], "children": inline[:cut]}, {**children[0], "children": inline[cut + 1:]}, *children[1:]]

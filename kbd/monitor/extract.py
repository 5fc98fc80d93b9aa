"""The main text of a fetched page, as a list of normalised blocks (paragraphs, headings, list
items, table rows), with the standard library's html.parser.

Dropped: script, style, nav, header, footer, aside, form, noscript (and template, svg, iframe,
buttons, anything `hidden`, `aria-hidden` or with a navigation/banner/footer role). When the
page marks its main content (<main>, <article>, role="main"), only that is kept. Plain text is
split into paragraphs; JSON becomes one `path: value` line per leaf, keys sorted, so a reordered
object is not a change. Any other content type is refused with the reason.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain", "text/markdown", "text/csv")
SKIP = frozenset({"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg",
                  "iframe", "object", "canvas", "button", "select", "dialog", "head", "math"})
SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "menu"})
BLOCKS = frozenset({"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
                    "dl", "dt", "dd", "table", "tr", "blockquote", "pre", "figure", "figcaption", "br", "hr",
                    "address", "details", "summary", "caption", "tbody", "thead", "tfoot", "body", "center"})
VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "source", "area", "base", "col", "embed",
                  "param", "track"})
MAX_JSON_LINES = 20_000
_SPACE = re.compile(r"\s+")
# The encodings of the WHATWG Encoding Standard (what browsers decode), as Python names them.
TEXT_CODECS = frozenset({
    "utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "cp866", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic",
    "cp874", "tis-620", *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)),
    *(f"cp125{n}" for n in range(9)), "gbk", "gb2312", "gb18030", "big5", "big5hkscs", "euc_jp", "iso2022_jp",
    "shift_jis", "cp932", "euc_kr", "cp949"})
_LABELS = {"windows-874": "cp874", "x-mac-cyrillic": "mac-cyrillic", "x-sjis": "shift_jis", "ms932": "cp932"}
# Browsers read these labels as the Windows code page that extends them (the Encoding Standard's rule).
_AS_BROWSERS = {"ascii": "cp1252", "iso8859-1": "cp1252", "iso8859-9": "cp1254", "iso8859-11": "cp874",
                "tis-620": "cp874"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class Unsupported(Exception):
    """The page is not something kbd can read as text (a PDF, an image, binary data)."""


@dataclass(frozen=True)
class Block:
    kind: str  # heading | paragraph | item | row | line (plain text, JSON)
    text: str  # one line, normalised


@dataclass(frozen=True)
class Page:
    title: str
    kind: str  # html | text | json
    blocks: tuple[Block, ...]

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks]

    @property
    def content_hash(self) -> str:
        return "sha256:" + hashlib.sha256("\n".join(self.paragraphs).encode("utf-8")).hexdigest()


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").replace("\u200b", "")
    return _SPACE.sub(" ", text).strip()


def extract(body: bytes, content_type: str, charset: str | None = None) -> Page:
    """The page's main text; Unsupported (with the reason) for what kbd does not read."""
    kind = _kind(body, content_type)
    if b"\x00" in body[:8192] and kind != "json":
        raise Unsupported("the page holds binary data, not text")
    if kind == "html":
        text = decode(body, charset or _meta_charset(body))
        parser = _MainText()
        try:
            parser.feed(text)
            parser.close()
        except (AssertionError, ValueError) as exc:  # html.parser gives up on some broken declarations
            raise Unsupported(f"the page's HTML cannot be read ({exc})") from None
        return Page(parser.page_title(), "html", tuple(_dedupe(parser.result())))
    text = decode(body, charset)
    if kind == "json":
        try:
            data = json.loads(text)
            leaves = _leaves(data, "")
        except ValueError as exc:
            raise Unsupported(f"the page says it is JSON but does not parse ({exc})") from None
        except RecursionError:
            raise Unsupported("the page's JSON is nested too deeply to read") from None
        lines = [Block("line", normalise(f"{path}: {value}")) for path, value in leaves]
        return Page("", "json", tuple(lines[:MAX_JSON_LINES]))
    paragraphs = [normalise(p) for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    blocks = [Block("paragraph", p) for p in paragraphs if p]
    title = blocks[0].text[:120] if blocks else ""
    return Page(title, "text", tuple(_dedupe(blocks)))


def decode(body: bytes, charset: str | None) -> str:
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(name, errors="replace")
    return body.decode(_text_codec(charset), errors="replace")


def _text_codec(charset: str | None) -> str:
    """The Python codec for a page's charset label: one of TEXT_CODECS, else utf-8 (as a browser
    ignores a label it does not know). `codecs.lookup` alone also finds codecs that are no text
    encoding (rot13, hex, base64, idna, undefined, punycode, unicode-escape), which fail or
    mean something else on a web page."""
    label = (charset or "").strip().lower()
    try:
        codec = codecs.lookup(_LABELS.get(label, label)).name if label else "utf-8"
    except LookupError:
        return "utf-8"
    return _AS_BROWSERS.get(codec, codec) if codec in TEXT_CODECS else "utf-8"


def _kind(body: bytes, content_type: str) -> str:
    if content_type in HTML_TYPES:
        return "html"
    if content_type in TEXT_TYPES:
        return "text"
    if content_type in ("application/json", "text/json") or content_type.endswith("+json"):
        return "json"
    if content_type:
        raise Unsupported(f"the page is {content_type}; kbd monitors HTML, plain-text and JSON pages")
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "html"
    if head[:1] in (b"{", b"["):
        return "json"
    return "text"


def _meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:4096])
    return m.group(1).decode("ascii") if m else None


def _leaves(value: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [leaf for key in sorted(value, key=str) for leaf in _leaves(value[key], f"{path}.{key}" if path
                                                                           else str(key))]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, f"{path}[{i}]")] or [(path, "[]")]
    return [(path or "(value)", json.dumps(value, ensure_ascii=False))]


def _dedupe(blocks: list[Block]) -> list[Block]:
    """Empty blocks, blocks with no word in them, and a block repeating the one before go."""
    out: list[Block] = []
    for block in blocks:
        if not re.search(r"\w", block.text) or (out and out[-1].text == block.text):
            continue
        out.append(block)
    return out


class _MainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[Block, bool]] = []  # (block, inside the main content)
        self.current: list[str] = []
        self.kind = "paragraph"
        self.skipping: tuple[str, int] | None = None  # the element being dropped, and its nesting depth
        self.main_depth = 0
        self.main_tags: list[str] = []
        self.title: list[str] = []
        self.in_title = False
        self.first_h1: str | None = None
        self.cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self.title and (self.skipping is None or self.skipping[0] == "head"):
            self.in_title = True  # the document's title, not an <svg>'s
            return
        if self.skipping is not None:
            if tag == self.skipping[0] and tag not in VOID:
                self.skipping = (tag, self.skipping[1] + 1)
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag in SKIP or "hidden" in values or values.get("aria-hidden", "").lower() == "true" or \
                values.get("role", "").lower() in SKIP_ROLES:
            if tag not in VOID:
                self._flush()
                self.skipping = (tag, 1)
            return
        if tag in ("main", "article") or values.get("role", "").lower() == "main":
            self._flush()
            self.main_tags.append(tag)
            self.main_depth += 1
        if tag in ("td", "th"):
            if self.cells:
                self.current.append(" · ")
            self.cells += 1
            return
        if tag in BLOCKS:
            self._flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.kind = "heading"
            elif tag in ("li", "dt", "dd"):
                self.kind = "item"
            elif tag == "tr":
                self.kind = "row"
        if tag == "img" and values.get("alt"):
            self.current.append(f" {values['alt']} ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.in_title:
            self.in_title = False
            return
        if self.skipping is not None:
            name, depth = self.skipping
            if tag == name:
                self.skipping = None if depth == 1 else (name, depth - 1)
            return
        if tag in BLOCKS:
            self._flush()
        if tag == "tr":
            self.cells = 0
        if self.main_tags and tag == self.main_tags[-1]:
            self._flush()
            self.main_tags.pop()
            self.main_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif self.skipping is None:
            self.current.append(data)

    def _flush(self) -> None:
        text = normalise("".join(self.current))
        if text:
            if self.kind == "heading" and self.first_h1 is None:
                self.first_h1 = text
            self.blocks.append((Block(self.kind, text), self.main_depth > 0))
        self.current = []
        self.kind = "paragraph"
        self.cells = 0

    def close(self) -> None:
        super().close()
        self._flush()

    def result(self) -> list[Block]:
        main = [b for b, inside in self.blocks if inside]
        return main if main else [b for b, _ in self.blocks]

    def page_title(self) -> str:
        return normalise("".join(self.title)) or self.first_h1 or ""

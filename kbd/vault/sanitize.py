"""Make untrusted text inert for the place it goes, and generated markdown inert before it is written
(DESIGN.md section 7).

One escape per context, used everywhere:
- `escape_text`: plain text → markdown body text that shows exactly that text (no link, tag, embed,
  comment, HTML, query or formatting change), with as few visible escapes as CommonMark and
  Obsidian allow: `(WAL)`, `50%`, `a = b` and `R&D` stay as they are.
- `link_target` / `link_alias`: the path and display parts of a wikilink.
- `property_text`: the value of a text property (then written as a YAML scalar by the renderer).
- `prompt_attribute` / `prompt_data`: a label and the text inside an `<untrusted>` prompt block.
- `sanitize_markdown` is the writer's last line of defence over a whole note: it neutralises
  anything Obsidian or its plugins would execute or fetch (dataviewjs and friends, inline `$=`
  queries, Templater tags, script/iframe/any raw HTML, javascript:/data: links, remote images),
  finding fences and code spans inside block quotes and list items as CommonMark does. It leaves
  the frontmatter to the YAML escape, which already made it inert.
"""

from __future__ import annotations

import html
import re

from kbd.vault.maths import maths_spans

# Code-block languages that plugins execute or evaluate against the vault.
EXECUTABLE_FENCES = frozenset({
    "dataviewjs", "dataview", "js-engine", "run-js", "templater", "button", "meta-bind-js-view",
    "meta-bind-button", "tasks", "query", "tracker", "chartsview", "jsx", "preact",
})
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
_INLINE_CODE = re.compile(r"(?<![`\\])(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_INLINE_QUERY = re.compile(r"^\s*(\$=|=|dv\.|tp\.|%)")
# `<` that opens HTML or an autolink, unless a backslash (itself unescaped) makes it literal.
_HTML_START = re.compile(r"(?<!\\)((?:\\\\)*)<(?=[A-Za-z/!?%])")
_TEMPLATER = re.compile(r"<%")
_BAD_SCHEME = re.compile(
    r"(?<!\\)\]\(\s*<?\s*(?:javascript|data|vbscript|file|obsidian)\s*:(?:[^()\n]|\([^()\n]*\))*\)", re.IGNORECASE)
_REMOTE_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?\s*(?=[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
_REMOTE_EMBED = re.compile(r"!\[\[(?=\s*[a-z][a-z0-9+.-]*://)", re.IGNORECASE)
_EVENT_ATTR = re.compile(r"\bon[a-z]+\s*=", re.IGNORECASE)
_WIKILINK = re.compile(r"(?<!\\)\[\[[^\[\]\n]+?\]\]")

# A line with none of these has nothing to neutralise and cannot open a fence.
_MAYBE_LIVE = re.compile(r"[<`%]|\]\(|!\[|~~~")


def sanitize_markdown(text: str) -> str:
    front, body = _split_front(text)
    out: list[str] = []
    blocks = _Blocks()
    lines = body.split("\n")
    for number, line in enumerate(lines):
        kind, start = blocks.line(line)
        if kind == "code":
            out.append(_TEMPLATER.sub("&lt;%", line))  # Templater runs inside code blocks too
            continue
        if not _MAYBE_LIVE.search(line):
            out.append(line)
            continue
        if kind == "open":
            m = _FENCE.match(line[start:])
            assert m is not None
            if _fence_lang(m) in EXECUTABLE_FENCES:
                line = f"{line[:start]}{m.group('indent')}{m.group('fence')}text"
            line = _TEMPLATER.sub("&lt;%", line)
        elif kind == "text" and start == 0 and _SPEAKER_NOTES.fullmatch(line):
            pass  # a comment made by comment_text: inert, and Marp's speaker notes
        elif kind == "text":
            # Wherever the structure above got it wrong, an executable fence at any indentation loses its language.
            prefix = _ANY_CONTAINERS.match(line).end()
            loose = _FENCE.match(line[prefix:])
            if loose and _fence_lang(loose) in EXECUTABLE_FENCES:
                line = line[:prefix] + loose.group("fence") + "text"
                start = min(start, prefix)
            following = lines[number + 1].lstrip(" \t>") if number + 1 < len(lines) else ""
            line = line[:start] + _sanitize_line(_disarm_query_openers(line[start:], following))
        out.append(line)
    return front + "\n".join(out)


# An HTML comment on a line of its own whose text comment_text made: nothing inside can end it
# early, open a tag, an Obsidian comment, a link or a code span.
_SPEAKER_NOTES = re.compile(r"<!-- (?:(?!--|%%)[^<>`\[\]\n])* -->")


def comment_text(text: str) -> str:
    """Text for the inside of an HTML comment (Marp's speaker notes): one line that cannot close the
    comment (no `--`, `<` or `>`), and holds no Obsidian comment, link or code span."""
    text = _SPACE.sub(" ", text).strip()
    text = text.replace("<", "\u2039").replace(">", "\u203a").replace("[", "(").replace("]", ")")
    text = re.sub(r"-{2,}", "\u2013", text.replace("`", "'"))
    while "%%" in text:
        text = text.replace("%%", "% %")
    return text


# Any run of quote and list markers and indentation before a line's content.
_ANY_CONTAINERS = re.compile(r"(?:[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$)))*[ \t]*")
# A backtick run (not itself escaped) that a query would follow if it opened a code span.
_QUERY_OPENER = re.compile(r"((?:^|[^\\])(?:\\\\)*)(`+)(?=[ \t]*(?:\$=|=|dv\.|tp\.))")
_TRAILING_TICKS = re.compile(r"((?:^|[^\\])(?:\\\\)*)(`+)([ \t]*)$")


def _disarm_query_openers(line: str, following: str) -> str:
    """Escape every backtick run that could open a code span holding a Dataview query, wherever
    CommonMark would pair it (a code span may also run on into the next line of its paragraph)."""
    line = _QUERY_OPENER.sub(lambda m: m.group(1) + "\\`" * len(m.group(2)), line)
    if _INLINE_QUERY.match(following) and not following.startswith("%"):
        line = _TRAILING_TICKS.sub(lambda m: m.group(1) + "\\`" * len(m.group(2)) + m.group(3), line)
    return line


def _split_front(text: str) -> tuple[str, str]:
    """The frontmatter block (kept as is: YAML scalars were escaped when rendered) and the body."""
    if not text.startswith("---\n"):
        return "", text
    end = text.find("\n---\n", 3)
    if end < 0:
        return (text, "") if text.endswith("\n---") else ("", text)
    return text[:end + 5], text[end + 5:]


class _Fence:
    """An open code fence: its marker and the containers it sits in (quote depth, content column)."""

    def __init__(self, marker: str, quotes: int, indent: int) -> None:
        self.marker, self.quotes, self.indent = marker, quotes, indent


_QUOTE = re.compile(r" {0,3}> ?")
_LIST_MARKER = re.compile(r"( {0,3})(?:[-+*]|\d{1,9}[.)])(?:( {1,4})(?=\S)|[ \t]*$)")


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


class _Blocks:
    """Block structure line by line, as CommonMark sees it for what matters here: which lines are
    inside a code fence, where fences open, and the block quotes and list items around them."""

    def __init__(self) -> None:
        self.fence: _Fence | None = None
        self.quotes = 0
        self.lists: list[int] = []  # content columns of the open list items (inside the quotes)
        self.blank = False  # the previous line was blank

    def line(self, line: str) -> tuple[str, int]:
        """("code" | "open" | "text", where the line's content starts)."""
        pos = quotes = 0
        while (q := _QUOTE.match(line, pos)) and q.end() > pos:
            quotes += 1
            pos = q.end()
        rest = line[pos:]
        fence = self.fence
        if fence is not None:
            if quotes >= fence.quotes and (not rest.strip() or _indent(line[self._quote_end(line, fence.quotes):])
                                           >= fence.indent):
                start = self._quote_end(line, fence.quotes)
                code = line[start:][fence.indent:]
                stripped = code.strip()
                if stripped and set(stripped) == {fence.marker[0]} and len(stripped) >= len(fence.marker) \
                        and _indent(code) <= 3:
                    self.fence = None
                return "code", start
            self.fence = None  # the block quote or list item holding the fence ended, and the fence with it
        if quotes != self.quotes:
            self.quotes, self.lists = quotes, []
        if not rest.strip():
            self.blank = True
            return "text", pos
        indent = _indent(rest)
        # A less indented line ends list items after a blank line, or when it starts a block of its
        # own; otherwise it is a lazy continuation of the paragraph and stays inside them.
        if self.blank or _FENCE.match(rest.lstrip()) or _LIST_MARKER.match(rest.lstrip()):
            while self.lists and indent < self.lists[-1]:
                self.lists.pop()
        self.blank = False
        base = min(self.lists[-1], indent) if self.lists else 0
        column = base
        content = rest[base:]
        while m := _LIST_MARKER.match(content):  # list markers, nested ones on the same line included
            width = m.end() if m.group(2) else len(content.rstrip())
            column += width if m.group(2) else len(m.group(0)) + 1
            self.lists.append(column)
            content = content[width:]
            if not m.group(2):
                break
        start = len(line) - len(content)
        m = _FENCE.match(content)
        if m and not (m.group("fence")[0] == "`" and "`" in m.group("info")):
            self.fence = _Fence(m.group("fence"), quotes, column + len(m.group("indent")))
            return "open", start
        return "text", start

    @staticmethod
    def _quote_end(line: str, depth: int) -> int:
        pos = 0
        for _ in range(depth):
            q = _QUOTE.match(line, pos)
            if q is None:
                break
            pos = q.end()
        return pos


def _fence_lang(m: re.Match[str]) -> str:
    """The fence's language as a plugin matches it; a prefix that names one counts (`dataviewjs{x}`)."""
    word = re.match(r"[{.]*([A-Za-z0-9_-]*)", m.group("info").strip())
    return word.group(1).lower() if word else ""


def _sanitize_line(line: str) -> str:
    pieces: list[str] = []
    last = 0
    for m in _INLINE_CODE.finditer(line):
        pieces.append(_sanitize_prose(line[last:m.start()]))
        code = m.group(2)
        if _INLINE_QUERY.match(code) or _TEMPLATER.search(code):
            # Without the backticks Dataview and Templater see plain text; show it escaped.
            pieces.append(_TEMPLATER.sub("&lt;%", escape_text(code)))
        else:
            pieces.append(m.group(0))
        last = m.end()
    pieces.append(_sanitize_prose(line[last:]))
    return "".join(pieces)


def _sanitize_prose(text: str) -> str:
    # Wikilinks are opaque to Obsidian's inline parser (their text is shown, never parsed as HTML),
    # and their targets must stay byte-exact; only Templater, which reads raw text, is refused there.
    pieces: list[str] = []
    last = 0
    for m in _WIKILINK.finditer(text):
        pieces.append(_sanitize_span(text[last:m.start()]))
        pieces.append(_TEMPLATER.sub("&lt;%", m.group(0)))
        last = m.end()
    pieces.append(_sanitize_span(text[last:]))
    return "".join(pieces)


def _sanitize_span(text: str) -> str:
    text = _TEMPLATER.sub("&lt;%", text)
    text = _HTML_START.sub(r"\1&lt;", text)
    text = _BAD_SCHEME.sub("](#unsafe-link-removed)", text)
    text = _REMOTE_IMAGE.sub(lambda m: f"[{m.group(1) or 'image'}](", text)
    return _REMOTE_EMBED.sub("[[", text)


# -- markdown body text -------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
# Each of these changes what a run of text means in CommonMark or Obsidian; the rest of ASCII
# punctuation (parentheses, `%`, `=`, `&`, `!`, `>` …) only does in the patterns listed here.
_INLINE_LIVE = re.compile(
    r"(?P<templater><(?=%))"  # Templater reads raw text: its tag must not survive even behind a backslash
    r"|[`|]"  # code spans, table cells
    r"|(?P<bracket>[\[\]])"  # links/embeds/wikilinks/footnotes/task boxes: see _escape_prose
    r"|(?<!\s)\*|\*(?!\s)"  # emphasis (a `*` with space on both sides cannot open or close one)
    r"|\\(?=[!-/:-@\[-`{-~]|$)"  # a backslash that would escape the next character or break the line
    r"|(?<![^\W_])_|_(?![^\W_])"  # emphasis; snake_case stays as it is
    r"|<(?=[A-Za-z/!?])"  # HTML and autolinks
    r"|&(?=#?[A-Za-z0-9]+;)"  # entities
    r"|(?P<comment>(?<=%)%)"  # `%%` comments: the raw text never holds two in a row
    r"|=(?==)|(?<==)="  # `==highlight==`
    r"|~(?=~)|(?<=~)~"  # `~~strike~~`, `~~~` fences
    r"|(?<!\S)#(?=[^\s!-/:-@\[-^`{-~])"  # tags (a heading at the start is handled below)
    r"|(?<!\S)\^(?=[A-Za-z0-9-]+$)"  # a block id at the end of the line
)
# What opens a block at the start of a line: list item, quote, heading, thematic break, setext underline.
_LINE_START = re.compile(r"^(?:[-+](?=\s|$)|-+$|=+$|>|#(?=\s|$)|\d{1,9}(?=[.)](?:\s|$)))")
_NEEDS_ESCAPING = re.compile(r"[\\`*_\[\]|<&%=~#^$+>\-\t\n\r\f\v]|  |^\s|\s$|^\d")


def _escape_one(m: re.Match[str]) -> str:
    # Templater and Obsidian comments are found in the raw text, where a backslash does not count.
    return "&lt;" if m.group("templater") else "&#37;" if m.group("comment") else "\\" + m.group(0)


def _escape_prose(text: str, beside_maths: bool = False) -> str:
    # A bracket is live only with its partner (a link, wikilink, footnote, task box or callout needs
    # both): a `[` with a `]` after it is escaped, and so is a `[` that starts the text (a reference
    # definition's label can go on past the line); a `]` is escaped before `(` and when no `[` comes
    # before it on the line (its `[` could be on the line above). A `[` left open, as in a sentence
    # cut inside a bracket, stays as it is: no `\[` without its `]`.
    last_close, first_open = text.rfind("]"), text.find("[")

    def escape(m: re.Match[str]) -> str:
        if m.group("bracket") == "[" and 0 < m.start() and m.start() > last_close:
            return "["
        if m.group("bracket") == "]" and 0 <= first_open < m.start() and not text.startswith("(", m.end()):
            return "]"  # its `[` is escaped
        return _escape_one(m)

    text = _INLINE_LIVE.sub(escape, text)
    if text.count("$") > 1 or beside_maths:  # `$…$` is inline maths in Obsidian
        text = text.replace("$", "\\$")
    return text


def escape_text(text: str) -> str:
    """Plain text → markdown that renders as that text and nothing more, on one line (which may
    start a paragraph, a list item or a quote). TeX maths the text holds stays maths."""
    if not _NEEDS_ESCAPING.search(text):
        return text
    text = _SPACE.sub(" ", text).strip()
    spans = maths_spans(text) if "$" in text else []
    if spans:
        pieces, at = [], 0
        for m in spans:
            pieces += [_escape_prose(text[at:m.start()], True), m.group(0)]
            at = m.end()
        text = "".join(pieces) + _escape_prose(text[at:], True)
    else:
        text = _escape_prose(text)
    m = _LINE_START.match(text)
    if m:
        cut = m.end() if m.group(0)[0].isdigit() else 0
        text = text[:cut] + "\\" + text[cut:]
    return text


def render_as_text(markdown: str) -> str:
    """What a reader sees for a line made by `escape_text` (backslash escapes and entities resolved)."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown))


# -- links --------------------------------------------------------------------------------------

# A wikilink target cannot hold these (or they mean something else there: heading, block, alias), and
# `"` and `\` are not in any name Obsidian gives a file (nor do they survive a property's quoting intact).
_UNLINKABLE = re.compile(r'[\[\]|#^"\\\x00-\x1f\x7f\u2028\u2029]|<%|%>|%%|`')


def link_target(path: str) -> str | None:
    """The vault path as a wikilink target, or None when no wikilink can point at it exactly."""
    if not path or _UNLINKABLE.search(path) or path != path.strip():
        return None
    return path


def link_alias(text: str) -> str:
    """Display text of a wikilink: one line, nothing that ends the link or reads as a tag or comment."""
    text = _SPACE.sub(" ", text).strip()
    text = text.replace("|", "-").replace("[", "(").replace("]", ")").replace("`", "'").replace("%%", "% %")
    # Obsidian shows a link's text as it is, but a `<tag` there would still read as HTML to any other
    # markdown reader, and Templater reads raw text: a full-width `＜` looks the same and means nothing.
    text = re.sub(r"<(?=[A-Za-z/!?%])", "\uff1c", text)
    return text.strip() or "untitled"


# -- properties ---------------------------------------------------------------------------------

_PROPERTY_LINK = re.compile(r"!?\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
_PROPERTY_TAG = re.compile(r"(?<!\S)#+(?=[^\s#])")


def property_text(text: str) -> str:
    """A text property value as data: entities decoded, `[[links]]` reduced to their text, no
    stray `[[`/`]]`, no `#tag`, one line. (Templater tags are escaped by the YAML scalar writer.)"""
    text = html.unescape(text)
    text = _PROPERTY_LINK.sub(lambda m: (m.group(2) or m.group(1)).strip(), text)
    while "[[" in text or "]]" in text:
        text = text.replace("[[", "[").replace("]]", "]")
    text = _PROPERTY_TAG.sub("", text)
    return _SPACE.sub(" ", text).strip()


# -- prompts ------------------------------------------------------------------------------------

_DELIMITER = re.compile(r"<(\s*/?\s*untrusted)", re.IGNORECASE)


def prompt_attribute(text: str) -> str:
    """A value inside a double-quoted attribute of a prompt tag: it cannot close the attribute or the tag."""
    text = _SPACE.sub(" ", text).strip()
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def prompt_data(text: str) -> str:
    """Text inside an `<untrusted>` block: no spelling of the delimiter (any case, any spacing) survives."""
    return _DELIMITER.sub(r"&lt;\1", text)


# -- checks -------------------------------------------------------------------------------------

def is_inert(text: str) -> list[str]:
    """What in `text` would still execute or fetch; empty when the note is inert.

    Used by tests and by `kbd doctor`-style checks; the writer relies on sanitize_markdown.
    """
    problems: list[str] = []
    front, body = _split_front(text)
    if "<%" in front:
        problems.append("Templater tag in the frontmatter")
    blocks = _Blocks()
    for line in body.split("\n"):
        kind, start = blocks.line(line)
        if kind == "code":
            if "<%" in line:
                problems.append("Templater tag")
            continue
        if kind == "open":
            m = _FENCE.match(line[start:])
            if m and _fence_lang(m) in EXECUTABLE_FENCES:
                problems.append(f"executable code block: {line.strip()}")
            continue
        for code in _INLINE_CODE.finditer(line):
            if _INLINE_QUERY.match(code.group(2)):
                problems.append(f"inline query: {code.group(0)}")
        if "<%" in line:
            problems.append("Templater tag")
        # Obsidian reads a wikilink before any HTML in it: its text is shown, not parsed.
        prose = _WIKILINK.sub("", _INLINE_CODE.sub("", line))
        if re.search(r"(?<!\\)<\s*(script|iframe|object|embed|img|svg|style|form|link|meta)\b", prose, re.I):
            problems.append("raw HTML element")
        if _EVENT_ATTR.search(prose) and re.search(r"(?<!\\)<[A-Za-z]", prose):
            problems.append("event handler attribute")
        if re.search(r"(?<!\\)\]\(\s*<?\s*(javascript|data|vbscript):", prose, re.I):
            problems.append("script link")
        if re.search(r"!\[[^\]]*\]\(\s*<?\s*(https?:)?//", prose, re.I):
            problems.append("remote image")
    return problems


# -- SVG ----------------------------------------------------------------------------------------

_SVG_ELEMENTS = frozenset({"svg", "g", "rect", "line", "polyline", "circle", "text", "title", "desc", "tspan"})
_SVG_ATTRIBUTES = frozenset({
    "xmlns", "width", "height", "viewBox", "role", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r",
    "points", "fill", "stroke", "stroke-width", "font-family", "font-size", "font-weight", "text-anchor",
    "dominant-baseline", "transform", "rx",
})
_SVG_VALUE = re.compile(r"[\w #%.,()\-:/;]*")


def svg_problems(text: str) -> list[str]:
    """What in an SVG could run, fetch or style anything: empty for the charts kbd draws. Only a small
    set of drawing elements and presentational attributes is allowed; no script, no foreignObject,
    no links (href) or url() references, no style sheets, no DOCTYPE or entities."""
    import xml.etree.ElementTree as ElementTree

    if "<!" in text or "<?" in text:
        return ["DOCTYPE, entity, comment or processing instruction"]
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return [f"not well-formed XML ({exc})"]
    problems = []
    for element in root.iter():
        name = element.tag.split("}", 1)[-1]
        if name not in _SVG_ELEMENTS:
            problems.append(f"element <{name}>")
        for attribute, value in element.attrib.items():
            if attribute.split("}", 1)[-1] not in _SVG_ATTRIBUTES:
                problems.append(f"attribute {attribute} on <{name}>")
            elif attribute != "xmlns" and (not _SVG_VALUE.fullmatch(value) or "url(" in value.lower()):
                problems.append(f"value of {attribute} on <{name}>")
    if root.tag != "{http://www.w3.org/2000/svg}svg":
        problems.append("the root element is not <svg>")
    return problems

"""Make generated markdown inert before it is written (DESIGN.md section 7).

Two tools:
- `escape_text` turns untrusted plain text (a sentence from a clipping) into markdown that shows
  exactly that text: no links, tags, embeds, HTML, comments or formatting sneak in.
- `sanitize_markdown` is the writer's last line of defence over a whole note: it neutralises
  anything Obsidian or its plugins would execute or fetch (dataviewjs and friends, inline `$=`
  queries, Templater tags, script/iframe/any raw HTML, javascript:/data: links, remote images).
"""

from __future__ import annotations

import re

# Code-block languages that plugins execute or evaluate against the vault.
EXECUTABLE_FENCES = frozenset({
    "dataviewjs", "dataview", "js-engine", "run-js", "templater", "button", "meta-bind-js-view",
    "meta-bind-button", "tasks", "query", "tracker", "chartsview", "jsx", "preact",
})
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_INLINE_QUERY = re.compile(r"^\s*(\$=|=|dv\.|tp\.|%)")
_HTML_START = re.compile(r"<(?=[A-Za-z/!?%])")
_TEMPLATER = re.compile(r"<%|%>")
_BAD_SCHEME = re.compile(
    r"\]\(\s*<?\s*(?:javascript|data|vbscript|file|obsidian)\s*:(?:[^()\n]|\([^()\n]*\))*\)", re.IGNORECASE)
_REMOTE_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?\s*(?=[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
_REMOTE_EMBED = re.compile(r"!\[\[(?=\s*[a-z][a-z0-9+.-]*://)", re.IGNORECASE)
_EVENT_ATTR = re.compile(r"\bon[a-z]+\s*=", re.IGNORECASE)


# A line with none of these has nothing to neutralise and cannot open or close a fence: only
# the lines holding one are looked at (most lines of a generated note hold none).
_MAYBE_LIVE = re.compile(r"[<`%]|\]\(|!\[|~~~")


def sanitize_markdown(text: str) -> str:
    out: list[str] = []
    fence: str | None = None
    pos = 0
    while m := _MAYBE_LIVE.search(text, pos):
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        out.append(text[pos:start])
        line, fence = _sanitize_fence_aware(text[start:end], fence)
        out.append(line)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _sanitize_fence_aware(line: str, fence: str | None) -> tuple[str, str | None]:
    """One line, given the code fence it is in (None outside one); returns the line and the fence after it."""
    if fence is not None:
        stripped = line.strip()
        if stripped.startswith(fence[0]) and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
            fence = None
        return line, fence
    m = _FENCE.match(line)
    if m:
        info = m.group("info").strip()
        lang = info.split()[0].lower().lstrip("{.") if info else ""
        if lang in EXECUTABLE_FENCES or "`" in info:
            line = f"{m.group('indent')}{m.group('fence')}text"
        return line, m.group("fence")
    return _sanitize_line(line), None


def _sanitize_line(line: str) -> str:
    pieces: list[str] = []
    last = 0
    for m in _INLINE_CODE.finditer(line):
        pieces.append(_sanitize_prose(line[last:m.start()]))
        code = m.group(2)
        if _INLINE_QUERY.match(code) or _TEMPLATER.search(code):
            # Without the backticks Dataview and Templater see plain text; show it escaped.
            pieces.append(escape_text(code))
        else:
            pieces.append(m.group(0))
        last = m.end()
    pieces.append(_sanitize_prose(line[last:]))
    return "".join(pieces)


def _sanitize_prose(text: str) -> str:
    text = _TEMPLATER.sub(lambda m: "&lt;%" if m.group(0) == "<%" else "%&gt;", text)
    text = _HTML_START.sub("&lt;", text)
    text = _BAD_SCHEME.sub("](#unsafe-link-removed)", text)
    text = _REMOTE_IMAGE.sub(lambda m: f"[{m.group(1) or 'image'}](", text)
    text = _REMOTE_EMBED.sub("[[", text)
    return text


_ESCAPE = re.compile(r"([\\`*_{}\[\]()#+!|~=^$%])")
_SPACE = re.compile(r"\s+")


# Text with none of these renders as itself already (the common case, returned untouched).
_NEEDS_ESCAPING = re.compile(r"[\\`*_{}\[\]()#+!|~=^$%&<>\t\n\r\f\v]|  |^[\s\d-]|\s$")


def escape_text(text: str) -> str:
    """Plain text → markdown that renders as that text and nothing more."""
    if not _NEEDS_ESCAPING.search(text):
        return text
    text = _SPACE.sub(" ", text).strip()
    # Entities, not backslashes, for &, < and >: the sanitiser leaves `&lt;` alone and Obsidian shows `<`.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _ESCAPE.sub(r"\\\1", text)
    # A leading `-`, `+`, `1.` or `>` would start a list or quote when the text begins a line.
    text = re.sub(r"^(\d+)\.", r"\1\\.", text)
    return re.sub(r"^-", r"\\-", text)


def is_inert(text: str) -> list[str]:
    """What in `text` would still execute or fetch; empty when the note is inert.

    Used by tests and by `kbd doctor`-style checks; the writer relies on sanitize_markdown.
    """
    problems: list[str] = []
    in_fence = None
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if in_fence is None and m:
            in_fence = m.group("fence")
            info = m.group("info").strip().split()
            if info and info[0].lower().lstrip("{.") in EXECUTABLE_FENCES:
                problems.append(f"executable code block: {line.strip()}")
            continue
        if in_fence is not None:
            if line.strip().startswith(in_fence):
                in_fence = None
            continue
        for code in _INLINE_CODE.finditer(line):
            if _INLINE_QUERY.match(code.group(2)):
                problems.append(f"inline query: {code.group(0)}")
        prose = _INLINE_CODE.sub("", line)
        if "<%" in prose:
            problems.append("Templater tag")
        if re.search(r"<\s*(script|iframe|object|embed|img|svg|style|form|link|meta)\b", prose, re.I):
            problems.append("raw HTML element")
        if _EVENT_ATTR.search(prose) and "<" in prose:
            problems.append("event handler attribute")
        if re.search(r"\]\(\s*<?\s*(javascript|data|vbscript):", prose, re.I):
            problems.append("script link")
        if re.search(r"!\[[^\]]*\]\(\s*<?\s*(https?:)?//", prose, re.I):
            problems.append("remote image")
    return problems

"""Notes as HTML for the search page: pure functions, no I/O.

A note from the vault is hostile until proven otherwise (a clipped page may carry `<script>`,
`onerror=`, `javascript:` links or remote images). The preview is made inert three times over:
kbd's sanitiser runs on the markdown first (the same one the writer uses), mistune then renders
it with every piece of raw HTML escaped to visible text and only http(s)/mailto links kept, and
the page is served under a Content-Security-Policy that allows no inline script and no remote
load. Images are shown as links, never loaded: a remote image can report that a note was read.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

import mistune
from mistune.util import escape as escape_html

from kbd.vault.dialects import wikilink_plugin
from kbd.vault.links import WikiLink
from kbd.vault.note import split_frontmatter
from kbd.vault.sanitize import sanitize_markdown

PREVIEW_CHARS = 300_000  # ~0.4 s to render; a longer note is cut with a pointer to Obsidian
_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)
_CALLOUT = re.compile(r"^<p>\[!([\w-]{1,40})\][+-]? ?([^\n]*?)(\n|</p>\n?)")


class _InertHTML(mistune.HTMLRenderer):
    SAFE_PROTOCOLS = ("http:", "https:", "mailto:")
    GOOD_DATA_PROTOCOLS = ()

    def __init__(self) -> None:
        # escape=False only so that entities the sanitiser wrote (`&lt;`) show as `<`, not `&lt;`;
        # every piece of raw HTML is still escaped by inline_html/block_html below.
        super().__init__(escape=False)

    def inline_html(self, html_text: str) -> str:
        return escape_html(html_text)

    def block_html(self, html_text: str) -> str:
        return "<p>" + escape_html(html_text.strip()) + "</p>\n"

    def link(self, text: str, url: str, title: str | None = None) -> str:
        href = self.sanitize_url(url)
        attrs: dict[str, object] = {"href": href, "title": title or None}
        if href.lower().startswith(("http:", "https:")):
            attrs.update(rel="noopener noreferrer nofollow", target="_blank")
        elif not href.startswith("#"):
            return self._note_link(url, text)
        return "<a" + self.render_attrs(attrs) + ">" + text + "</a>"

    def image(self, text: str, url: str, title: str | None = None) -> str:
        label = "image: " + (mistune.util.striptags(text) or url)
        return self.link(escape_html(label), url, title)

    def wikilink(self, link: WikiLink) -> str:
        shown = link.alias or (f"{link.target} › {link.heading}" if link.heading else link.target)
        if link.embed:
            return '<span class="embed">' + escape_html("embedded: " + link.target) + "</span>"
        return self._note_link(link.target, escape_html(shown or link.target))

    def block_quote(self, text: str) -> str:
        m = _CALLOUT.match(text)
        if m:  # an Obsidian callout: `> [!warning] Title` then its body
            kind = m.group(1).lower()
            rest = ("<p>" if m.group(3) == "\n" else "") + text[m.end():]
            return (f'<blockquote class="callout callout-{kind}">\n'
                    f'<p class="callout-title">{m.group(2) or kind.capitalize()}</p>\n{rest}</blockquote>\n')
        return "<blockquote>\n" + text + "</blockquote>\n"

    def _note_link(self, target: str, text: str) -> str:
        """A link to another note of the vault: opens its preview on the search page."""
        attrs = {"class": "note-link", "href": "/?note=" + quote(target, safe=""), "data-note": target}
        return "<a" + self.render_attrs(attrs) + ">" + text + "</a>"


_MARKDOWN = mistune.Markdown(renderer=_InertHTML(), plugins=[
    mistune.plugins.import_plugin(name) for name in ("table", "strikethrough", "footnotes", "task_lists")])
wikilink_plugin(_MARKDOWN)


def render_note(text: str, max_chars: int = PREVIEW_CHARS) -> str:
    """A note's text (frontmatter and all) → inert HTML of its body (the first `max_chars` of it)."""
    _, body, _ = split_frontmatter(text)
    cut = len(body) > max_chars
    if cut:
        end = body.rfind("\n\n", 0, max_chars)
        body = body[:end if end > 0 else max_chars]
    rendered: Any = _MARKDOWN(sanitize_markdown(_COMMENT.sub(" ", body)))
    if cut:
        rendered += (f'<p class="cut">The preview stops here, after about {max_chars // 1000:,} thousand characters; '
                     "open the note in Obsidian to read the rest.</p>\n")
    return str(rendered)


def page(title: str, body_html: str, active: str) -> str:
    """A whole server-rendered page (the status page) in the search page's frame; no inline script."""
    nav = "".join(
        f'<a href="{href}"{" aria-current=page" if name == active else ""}>{label}</a>'
        for name, href, label in (("search", "/", "Search"), ("status", "/status", "Status")))
    return ("<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} · kbd</title>"
            '<link rel=stylesheet href="/static/style.css"></head>\n'
            f'<body><header class=bar><span class=brand>kbd</span><nav>{nav}</nav></header>\n'
            f'<main class="page note">{body_html}</main>\n'
            '<script src="/static/app.js"></script></body></html>\n')

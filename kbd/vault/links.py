"""Obsidian wikilinks: parsing, and resolution by Obsidian's rules.

Resolution (case-insensitive): an exact vault path; then a path relative to the linking note's
folder; then, among files whose path ends with the link text, the one with the shortest path.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
# A web address in brackets right after "[[105]]": "(#cite_note-113)", "(/abs/1706.03762v1)", "(https://…)".
# HTML-to-Markdown writes a link whose text is "[105]" so; words in brackets ("(beta)") are no address.
ADDRESS_AFTER_WIKILINK = r"\((#[^\s()\\]+|\.{0,2}/[^\s()\\]*|[A-Za-z][A-Za-z0-9+.-]*://[^\s()\\]+)\)"


@dataclass(frozen=True, slots=True)  # lint holds hundreds of thousands of them
class WikiLink:
    target: str  # the path or name part, without #heading / #^block / |alias
    heading: str | None = None
    block: str | None = None
    alias: str | None = None
    embed: bool = False
    size: str | None = None  # `|300` or `|300x200` on an embed


def parse_wikilink(inner: str, embed: bool = False) -> WikiLink:
    """Parse the text between `[[` and `]]`. `[[Target\\|alias]]` is how a link with an alias is
    written in a table (the pipe escaped for the table): the backslash is not part of the target."""
    target, alias = ([*inner.split("|", 1), None])[:2] if "|" in inner else (inner, None)
    target = target.rstrip("\\")
    size = None
    if embed and alias is not None and re.fullmatch(r"\d+(x\d+)?", alias.strip()):
        size, alias = alias.strip(), None
    heading = block = None
    if "#" in target:
        target, fragment = target.split("#", 1)
        if fragment.startswith("^"):
            block = fragment[1:]
        else:
            heading = fragment
    return WikiLink(target=target.strip(), heading=heading, block=block,
                    alias=alias.strip() if alias else None, embed=embed, size=size)


def find_wikilinks(text: str) -> list[WikiLink]:
    return [parse_wikilink(m.group(2), embed=bool(m.group(1))) for m in WIKILINK.finditer(text)]


def wikilink(path: str, display: str | None = None) -> str:
    """A link to a vault-relative note path, written with the full path so it cannot be
    captured by a same-named note elsewhere (raw clippings share their titles with summaries),
    and always with display text, since Obsidian shows a path link's text as the whole path."""
    target = path[:-3] if path.endswith(".md") else path
    if _EXTENSION.search(posixpath.basename(target)):
        target = path  # `Alpha.md.md` or `Report.pdf.md`: without `.md` the link means another file
    return f"[[{target}|{display or posixpath.basename(target)}]]"


_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")


class LinkResolver:
    """Resolves link targets against a fixed set of vault files (POSIX, vault-relative)."""

    def __init__(self, files: Iterable[str], attachment_folder: str | None = None) -> None:
        # Obsidian's attachment folder (`.obsidian/app.json`): a bare attachment name is looked
        # for there first, so it wins over a same-named file elsewhere.
        self._attachments = attachment_folder
        self._exact: dict[str, str] = {}
        self._memo: dict[tuple[str, str], str | None] = {}
        self._by_name: dict[str, list[str]] = {}
        for path in files:
            self._exact[path.casefold()] = path
            self._by_name.setdefault(posixpath.basename(path).casefold(), []).append(path)

    def resolve(self, target: str, from_path: str = "") -> str | None:
        # The answer depends on the target and the linking note's folder only; lint asks it for
        # every one of hundreds of thousands of links, most of them repeats.
        key = (target, posixpath.dirname(from_path) if target else from_path)
        if key not in self._memo:
            self._memo[key] = self._resolve(target, from_path)
        return self._memo[key]

    def _resolve(self, target: str, from_path: str) -> str | None:
        if not target:
            return from_path or None  # [[#heading]] links into the same note
        for candidate in _with_md(target):
            hit = self._exact.get(candidate.casefold())
            if hit:
                return hit
        if self._attachments and "/" not in target:
            hit = self._exact.get(f"{self._attachments}/{target}".casefold())
            if hit:
                return hit
        folder = posixpath.dirname(from_path)
        if folder:
            for candidate in _with_md(posixpath.normpath(posixpath.join(folder, target))):
                hit = self._exact.get(candidate.casefold())
                if hit:
                    return hit
        for candidate in _with_md(target):
            suffix = candidate.casefold()
            matches = [p for p in self._by_name.get(posixpath.basename(suffix), [])
                       if p.casefold() == suffix or p.casefold().endswith("/" + suffix)]
            if matches:
                return min(matches, key=lambda p: (p.count("/"), len(p), p))
        return None


def _with_md(target: str) -> list[str]:
    return [target] if target.lower().endswith(".md") else [target + ".md", target]

"""One read of the whole vault for lint: every note's properties, visible text and wikilinks, and
every other file (attachments), with Obsidian's link resolution over them. Read-only."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kbd.engines.base import concept_key
from kbd.isolation import NoteFailure, contain
from kbd.state import State
from kbd.vault.fsread import Unreadable, read_snapshot
from kbd.vault.layout import CONTROL_DIR, STATE_DIR, VaultLayout, is_conflict_copy, is_ignored_name
from kbd.vault.links import LinkResolver, WikiLink, parse_wikilink
from kbd.vault.note import split_frontmatter

MAX_LINT_BYTES = 5_000_000  # a bigger "note" is reported as unreadable, not parsed


@dataclass(frozen=True)
class LinkAt:
    link: WikiLink
    line: int  # 1-based line in the file
    raw: str  # `[[...]]` or `![[...]]` exactly as written
    in_property: bool = False  # found in the frontmatter, not the body


@dataclass(frozen=True)
class NoteFacts:
    path: str  # vault-relative, POSIX
    area: str  # raw | source | concept | answer | report | index | wiki | control | other
    size: int
    sha256: str
    properties: dict[str, Any]  # {} when there is no frontmatter or it is invalid
    frontmatter: str  # "none" | "ok" | the reason it is invalid
    body: str  # text after the frontmatter, as written
    visible: str  # body with code, `%%` comments and HTML comments blanked (same line numbers)
    links: tuple[LinkAt, ...]  # outside code and comments, frontmatter links included (line 0 offset)
    owner: str  # kbd | user-edited | user

    @property
    def stem(self) -> str:
        return os.path.basename(self.path)[:-3]


@dataclass
class VaultScan:
    layout: VaultLayout
    notes: dict[str, NoteFacts]
    files: set[str]  # every file path kbd looked at, notes and attachments alike
    unreadable: dict[str, str] = field(default_factory=dict)  # path → why it was not read
    failed: list[NoteFailure] = field(default_factory=list)  # notes whose reading failed (kbd/isolation.py)

    @cached_property
    def resolver(self) -> LinkResolver:
        return LinkResolver(self.files)

    @cached_property
    def inbound(self) -> dict[str, set[str]]:
        """Resolved target path → the notes linking to or embedding it (self-links excluded)."""
        result: dict[str, set[str]] = {}
        for note in self.notes.values():
            for at in note.links:
                target = self.resolver.resolve(at.link.target, note.path) if at.link.target else None
                if target and target != note.path:
                    result.setdefault(target, set()).add(note.path)
        return result

    @cached_property
    def by_name_key(self) -> dict[str, str]:
        """Normalised note name (case, punctuation, plural: engines.base.concept_key) → a note so named."""
        names: dict[str, str] = {}
        for path in sorted(self.notes):
            names.setdefault(concept_key(os.path.basename(path)[:-3]), path)
        return names

    def in_area(self, *areas: str) -> list[NoteFacts]:
        return [n for n in self.notes.values() if n.area in areas]


def scan_vault(layout: VaultLayout, state: State, exclude: Iterable[str] = ()) -> VaultScan:
    root = str(layout.root)
    patterns = tuple(exclude)
    owners = {path: ("user-edited" if edited else "kbd")
              for path, edited in state.db.execute("SELECT path, user_edited FROM outputs")}
    notes: dict[str, NoteFacts] = {}
    files: set[str] = set()
    unreadable: dict[str, str] = {}
    failed: list[NoteFailure] = []
    for folder, dirs, names in os.walk(root):
        rel_folder = os.path.relpath(folder, root).replace(os.sep, "/")
        rel_folder = "" if rel_folder == "." else rel_folder
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != STATE_DIR
                         and not os.path.islink(os.path.join(folder, d))
                         and not _excluded(f"{rel_folder}/{d}".lstrip("/"), patterns))
        for name in sorted(names):
            if is_ignored_name(name) or is_conflict_copy(name):
                continue
            rel = f"{rel_folder}/{name}" if rel_folder else name
            if _excluded(rel, patterns) or os.path.islink(os.path.join(folder, name)):
                continue
            files.add(rel)
            if not name.lower().endswith(".md"):
                continue
            try:
                data = read_snapshot(root, rel, MAX_LINT_BYTES).data
            except (Unreadable, FileNotFoundError, OSError) as exc:
                unreadable[rel] = getattr(exc, "reason", None) or str(exc)
                continue
            facts = contain("lint", rel, read_note, layout, rel, data, owners.get(rel, "user"))
            if isinstance(facts, NoteFailure):  # recorded by the lint run; the other notes are checked
                failed.append(facts)
                continue
            notes[rel] = facts
    return VaultScan(layout, notes, files, unreadable, failed)


def _excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) or (rel.startswith(p.rstrip("*").rstrip("/") + "/") and p.endswith("**"))
               for p in patterns)


def area_of(layout: VaultLayout, rel: str) -> str:
    if rel.startswith(layout.raw + "/"):
        return "raw"
    if rel == layout.index_note or rel.startswith(f"{layout.wiki}/index/"):
        return "index"
    for area, folder in (("source", layout.sources), ("concept", layout.concepts), ("report", layout.reports),
                         ("answer", f"{layout.wiki}/answers"), ("slides", f"{layout.wiki}/slides")):
        if rel.startswith(folder + "/"):
            return area
    if rel.startswith(layout.wiki + "/"):
        return "wiki"
    if rel.startswith(CONTROL_DIR + "/"):
        return "control"
    return "other"


def read_note(layout: VaultLayout, rel: str, data: bytes, owner: str) -> NoteFacts:
    sha = hashlib.sha256(data).hexdigest()
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    properties, body, warnings = split_frontmatter(text)
    if warnings:
        status = warnings[0].removeprefix("frontmatter ignored: ")
    elif text.startswith("---\n") and body is not text:
        status = "ok"
    else:
        status = "none"
    offset = text[: len(text) - len(body)].count("\n") if body and text.endswith(body) else 0
    visible = blank_code_and_comments(body)
    links = [LinkAt(at.link, at.line + offset, at.raw) for at in find_links(visible)]
    links.extend(_property_links(properties))
    return NoteFacts(rel, area_of(layout, rel), len(data), sha, properties, status, body, visible,
                     tuple(links), owner)


# A literal first character lets the regex engine skip to each `[[` (WIKILINK's leading `!?` makes
# it try every position); an embed is told by the character before.
_LINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")


def find_links(visible: str) -> list[LinkAt]:
    if "[[" not in visible:
        return []
    result = []
    line, last = 1, 0
    for m in _LINK.finditer(visible):
        start = m.start()
        line += visible.count("\n", last, start)
        last = start
        embed = start > 0 and visible[start - 1] == "!"
        result.append(LinkAt(parse_wikilink(m.group(1), embed=embed), line, ("!" if embed else "") + m.group(0)))
    return result


def _property_links(properties: dict[str, Any]) -> list[LinkAt]:
    """Links in properties count as links (Obsidian's graph and backlinks show them)."""
    found = []
    for value in properties.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and "[[" in item:
                found.extend(LinkAt(at.link, 1, at.raw, True) for at in find_links(item))
    return found


_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
# One left-to-right pass, as Obsidian reads: whichever starts first wins, so `%%` inside a code span
# is code and a backtick inside a `%%` comment is comment.
_HIDDEN = re.compile(r"(`+)(?:(?!\1).)+?\1|%%.*?(?:%%|\Z)|<!--.*?(?:-->|\Z)|\$\$.*?\$\$", re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def blank_code_and_comments(body: str) -> str:
    """The body with everything Obsidian does not read as links blanked out, keeping every
    newline (line numbers stay right): fenced code blocks, inline code spans, `%%` comments,
    HTML comments and display math."""
    if "`" not in body and "~~~" not in body and "%%" not in body and "<!--" not in body and "$$" not in body:
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
            if m and m.group(2)[0] == fence[0] and len(m.group(2)) >= len(fence) and not line.strip()[len(m.group(2)):]:
                fence = None
            lines[i] = ""
    text = "\n".join(lines)
    return _HIDDEN.sub(_blank, text)

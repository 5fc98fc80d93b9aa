"""One read of the whole vault for lint: every note's properties, visible text and wikilinks, and
every other file (attachments), with Obsidian's link resolution over them. Read-only."""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
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
from kbd.vault.linkgrammar import (
    LinkAt,
    attachment_folder,
    blank_code_and_comments,
    blank_fenced_code,
    find_links,
    headings_and_blocks,
    markdown_images,
)
from kbd.vault.links import LinkResolver, WikiLink
from kbd.vault.note import split_frontmatter

MAX_LINT_BYTES = 5_000_000  # a bigger "note" is reported as unreadable, not parsed
_FRONTMATTER = re.compile(r"---[ \t]*\n(?:.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class NoteFacts:
    """What lint keeps of a note after reading it once. The text itself is not kept (at 10,000
    notes it was most of lint's memory): a check that needs it reads it again with `VaultScan.text`."""

    path: str  # vault-relative, POSIX
    area: str  # raw | source | concept | answer | report | index | wiki | control | other
    size: int
    sha256: str
    properties: dict[str, Any]  # `type` and `aliases` only ({} when the frontmatter is absent or invalid)
    frontmatter: str  # "none" | "ok" | the reason it is invalid
    links: tuple[LinkAt, ...]  # outside code and comments, frontmatter links included
    owner: str  # kbd | user-edited | user
    images: tuple[tuple[int, str], ...] = ()  # (line, target) of each `![alt](file)` naming a vault file
    keys: tuple[tuple[str, str | None], ...] = ()  # every property: (key, its shape; None when empty)
    has_text: bool = True  # anything visible besides frontmatter, code and comments

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

    attachments: str | None = None  # the attachment folder from .obsidian/app.json
    _anchors: dict[str, tuple[str, str]] = field(default_factory=dict)

    @cached_property
    def resolver(self) -> LinkResolver:
        return LinkResolver(self.files, self.attachments)

    def text(self, path: str) -> str:
        """A note's visible body (code and comments blanked), read again from disk; "" if it is
        gone or unreadable now."""
        return blank_code_and_comments(self._body(path))

    def anchors(self, path: str) -> tuple[str, str]:
        """A note's headings and block ids (`linkgrammar.headings_and_blocks`), read when a link
        names one: few notes are such targets, so the scan does not collect them for every note."""
        if path not in self._anchors:
            self._anchors[path] = headings_and_blocks(blank_fenced_code(self._body(path)))
        return self._anchors[path]

    def _body(self, path: str) -> str:
        try:
            data = read_snapshot(str(self.layout.root), path, MAX_LINT_BYTES).data
        except (Unreadable, FileNotFoundError, OSError):
            return ""
        text = data.decode("utf-8", "replace").replace("\r\n", "\n")
        fence = _FRONTMATTER.match(text)  # its properties were read in the scan: no second YAML parse
        return text[fence.end():] if fence else text

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
    owners: dict[str, str] = {}
    written: dict[str, str] = {}  # path → the sha256 kbd wrote there
    for path, edited, sha in state.db.execute("SELECT path, user_edited, sha256 FROM outputs"):
        owners[path] = "user-edited" if edited else "kbd"
        if sha and not edited:
            written[path] = sha
    notes: dict[str, NoteFacts] = {}
    files: set[str] = set()
    unreadable: dict[str, str] = {}
    failed: list[NoteFailure] = []
    parsed: dict[str, tuple[WikiLink, str]] = {}  # one parse per distinct link, shared by every note
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
            facts = contain("lint", rel, read_note, layout, rel, data, owners.get(rel, "user"), parsed,
                            written.get(rel))
            if isinstance(facts, NoteFailure):  # recorded by the lint run; the other notes are checked
                failed.append(facts)
                continue
            notes[rel] = facts
    return VaultScan(layout, notes, files, unreadable, failed=failed, attachments=attachment_folder(root))


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


def read_note(layout: VaultLayout, rel: str, data: bytes, owner: str,
              parsed: dict[str, tuple[WikiLink, str]] | None = None, written: str | None = None) -> NoteFacts:
    """`written`: the sha256 the ledger has for the file kbd wrote there, if any."""
    sha = hashlib.sha256(data).hexdigest()
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    properties, body, warnings = split_frontmatter(text, trusted=written is not None and
                                                   written.removeprefix("sha256:") == sha)
    if warnings:
        status = warnings[0].removeprefix("frontmatter ignored: ")
    elif text.startswith("---\n") and body is not text:
        status = "ok"
    else:
        status = "none"
    head = text[: len(text) - len(body)] if text.endswith(body) else ""
    first_line = head.count("\n") + 1  # line numbers count from the file's first line, frontmatter included
    visible = blank_code_and_comments(body)
    links = find_links(visible, first_line, parsed)
    links.extend(_property_links(properties, head, parsed))
    kept = {k: properties[k] for k in _KEPT_PROPERTIES if k in properties}
    keys = tuple(_key_shape(k, shape(v)) for k, v in properties.items() if isinstance(k, str))
    return NoteFacts(rel, area_of(layout, rel), len(data), sha, kept, status, tuple(links), owner,
                     tuple(markdown_images(visible, first_line)), keys, bool(visible.strip()))


@functools.lru_cache(maxsize=4096)
def _key_shape(key: str, kind: str | None) -> tuple[str, str | None]:
    """One shared (key, shape) pair per distinct pair: 30,000 notes repeat the same few keys."""
    return key, kind


# The properties checks read by value; of the rest lint keeps the key and its shape (a source
# summary's property values were a fifth of lint's memory at 30,000 notes).
_KEPT_PROPERTIES = ("type", "aliases")


def shape(value: Any) -> str | None:
    """The Obsidian property type a value has (None: empty, fits any type)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "checkbox"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return "date"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", value):
            return "datetime"
    return "text"


def _property_links(properties: dict[str, Any], frontmatter: str,
                    parsed: dict[str, tuple[WikiLink, str]] | None) -> list[LinkAt]:
    """Links in properties count as links (Obsidian's graph and backlinks show them). Each gets
    the line of its own occurrence in the frontmatter (one link can be in two properties)."""
    if "[[" not in frontmatter:
        return []
    lines: dict[str, list[int]] = {}  # raw link → its lines in the frontmatter, last first
    for at in reversed(find_links(frontmatter, 1, parsed)):
        lines.setdefault(at.raw, []).append(at.line)
    found = []
    for value in properties.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and "[[" in item:
                for at in find_links(item, 1, parsed):
                    left = lines.get(at.raw)
                    found.append(LinkAt(at.link, left.pop() if left else 1, at.raw, True))
    return found

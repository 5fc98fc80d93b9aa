"""Which files of a vault are searchable notes, and the fields of one note as a reader sees it.

Every markdown note counts: wiki notes, raw clippings and the user's own notes. Dot-folders
(`.obsidian/`, `.kbd/`, `.git/`), editor temp files, sync conflict copies, symlinks, binary,
non-UTF-8 and oversized files do not. Nothing here raises on a bad file: it is just not a note.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbd.config import Config
from kbd.vault.layout import VaultLayout, clean_title, is_conflict_copy, is_ignored_name

if TYPE_CHECKING:
    from kbd.vault.markdown import Document

NOTE_TYPES = ("source", "concept", "answer", "slides", "report", "raw", "note")
_WIKI_FOLDERS = {"sources": "source", "concepts": "concept", "answers": "answer", "slides": "slides",
                 "reports": "report"}
MAX_FIELD_CHARS = 2_000  # a title, alias or heading longer than this is not a title


@dataclass(frozen=True)
class NoteFields:
    path: str  # vault-relative POSIX path
    title: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    headings: tuple[str, ...]
    body: str  # the reader's text: no frontmatter, link display text, code kept
    type: str
    folder: str
    mtime_ns: int
    size: int
    # One article, one result: a clipping's own path; for its source summary, the clipping's path
    # (the summary's `clipping:` link); else empty (the note is an article of its own).
    article: str = ""
    cites: tuple[str, ...] = ()  # an answer's links, lowercased note names (it ranks below them)
    stamp: int = 0  # prepared by compile: the change stamp of the version it parsed (mtime_ns is 0 then)


def is_note_name(name: str) -> bool:
    return name.lower().endswith(".md") and not is_ignored_name(name) and not is_conflict_copy(name)


def walk_notes(root: Path) -> dict[str, tuple[int, int]]:
    """Every searchable note: vault-relative path → (mtime_ns, size). Symlinks are not followed."""
    found: dict[str, tuple[int, int]] = {}
    stack = [("", os.fspath(root))]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not is_conflict_copy(name):
                        stack.append((f"{prefix}{name}/", entry.path))
                elif entry.is_file(follow_symlinks=False) and is_note_name(name):
                    st = entry.stat(follow_symlinks=False)
                    found[prefix + name] = (st.st_mtime_ns, st.st_size)
            except OSError:
                continue
    return found


def is_navigation(layout: VaultLayout, rel: str) -> bool:
    """kbd's catalogue pages (`index.md`, `log.md`, the sub-index, mentions and older log pages
    under `index/`): they list thousands of titles, so as documents they match every query, and
    re-indexing their 150 KB on every new note was most of an update's time. The notes they list
    are indexed on their own. Status.md too: it is rewritten by every compile and differs by who
    runs kbd (the daemon adds its own section), and as a document it shifted every note's ranking,
    so `kbd ask` chose other passages under the daemon than without it (`kbd serve` shows it at
    /status)."""
    return rel in (layout.index_note, layout.log_note, layout.status_note) or rel.startswith(f"{layout.wiki}/index/")


def note_type(layout: VaultLayout, rel: str, declared: object = None) -> str:
    parts = rel.split("/")
    if rel.startswith(layout.raw + "/"):
        return "raw"
    if rel.startswith(layout.wiki + "/"):
        folder = rel[len(layout.wiki) + 1:].split("/")[0]
        if folder in _WIKI_FOLDERS and len(parts) > 1 + layout.wiki.count("/") + 1:
            return _WIKI_FOLDERS[folder]
        if isinstance(declared, str) and declared.strip().lower() in NOTE_TYPES:
            return declared.strip().lower()
    return "note"


def read_note(layout: VaultLayout, config: Config, rel: str) -> NoteFields | None:
    """The fields of one note, or None when the file is not (or no longer) a readable note."""
    if not is_note_name(rel.rsplit("/", 1)[-1]) or any(p.startswith(".") for p in rel.split("/")):
        return None
    if is_navigation(layout, rel):
        return None
    # Imported here, not with the module: a search reads note paths and types from this module, and
    # needs neither the markdown parser nor the note checks (a tenth of a `kbd search` call's CPU).
    from kbd.vault.note import check_file

    if check_file(layout.root, rel, config.compile.max_note_bytes) is not None:
        return None
    try:
        fd = os.open(layout.abs(rel), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        data = fh.read(config.compile.max_note_bytes + 1)
    if len(data) > config.compile.max_note_bytes or b"\x00" in data[:8192]:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return note_fields(layout, rel, text, st.st_mtime_ns, st.st_size)


def note_fields(layout: VaultLayout, rel: str, text: str, mtime_ns: int = 0, size: int = 0) -> NoteFields:
    from kbd.vault.markdown import parse_markdown
    from kbd.vault.note import split_frontmatter

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta, body, _ = split_frontmatter(text)
    document = parse_markdown(body, keep_code=True)
    return parsed_note_fields(rel, note_type(layout, rel, _declared_type(meta)), meta, document, mtime_ns, size)


def parsed_note_fields(rel: str, kind: str, properties: dict[str, Any], document: Document, mtime_ns: int = 0,
                       size: int = 0, stamp: int = 0) -> NoteFields:
    """The fields of a note someone already parsed (`document` with code blocks kept); `stamp`:
    the change stamp of the version parsed, for fields prepared by compile."""
    from kbd.vault.note import code_texts, file_title, normalise_tag, note_title, text_value, title_headings

    lower = {str(k).lower(): v for k, v in properties.items()}
    stem = rel.rsplit("/", 1)[-1][:-3]
    named = _scalar(lower.get("title")) or text_value(document.fields.get("title"))
    if kind == "raw":
        # A clipping is titled as compile titles it (its source note, the index and every link show that title).
        title = note_title(named, document.without_code(), stem, code_texts(document))
    else:
        # Any other note as Obsidian shows it, less a Logseq heading inside the outline ("- # Usage") and one
        # after the page's opening prose, as compile reads them.
        title = clean_title(named or next(iter(title_headings(document, stem)), None) or file_title(stem))
    title = title[:MAX_FIELD_CHARS] or stem
    aliases = tuple(clean_title(a)[:MAX_FIELD_CHARS] for a in _strings(lower.get("aliases") or lower.get("alias")))
    tags: list[str] = []
    for tag in [*_strings(lower.get("tags") or lower.get("tag"), split=True), *document.tags]:
        clean = normalise_tag(tag).lower()
        if clean and clean not in tags:
            tags.append(clean)
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    article = rel if kind == "raw" else _linked_path(_scalar(lower.get("clipping"))) if kind == "source" else ""
    cites = tuple(sorted({link_name(t) for t in document.wikilinks if t})) if kind == "answer" else ()
    return NoteFields(path=rel, title=title, aliases=tuple(a for a in aliases if a), tags=tuple(tags),
                      headings=tuple(h[:MAX_FIELD_CHARS] for h in document.headings),
                      body=document.plain_text(), type=kind, folder=folder,
                      mtime_ns=mtime_ns, size=size, article=article, cites=cites, stamp=stamp)


def _declared_type(meta: dict[str, Any]) -> object:
    return next((v for k, v in meta.items() if str(k).lower() == "type"), None)


def _linked_path(link: str | None) -> str:
    """`[[raw/Some clipping|Some clipping]]` → `raw/Some clipping.md`."""
    if not link:
        return ""
    target = link.strip().removeprefix("[[").removesuffix("]]").split("|", 1)[0].split("#", 1)[0].strip()
    if not target:
        return ""
    return target if target.lower().endswith(".md") else f"{target}.md"


def link_name(path: str) -> str:
    """The note a path or link names: last component, no `.md`, lowercase."""
    name = path.rsplit("/", 1)[-1]
    return (name[:-3] if name.lower().endswith(".md") else name).lower()


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _strings(value: Any, split: bool = False) -> list[str]:
    if isinstance(value, str):
        return [v for v in (value.replace(",", " ").split() if split else [value]) if v]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and not isinstance(v, (dict, list))]
    return []

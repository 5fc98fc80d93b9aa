"""Reading one note a caller asked for by name (the search page, the MCP server), safely.

A requested path is untrusted: it may try `..`, an absolute path, a dot-folder such as `.kbd/`,
or a symlink that leads out of the vault. `read_note_text` reads through `fsread` (every folder
opened without following a symlink, then `fstat` on the descriptor): only a regular markdown file
inside the vault, under the size cap, valid UTF-8 and not binary, is returned. Everything else
raises `NoteRefused` with a reason to show.
"""

from __future__ import annotations

from pathlib import Path

from kbd.vault.fsread import Unreadable, read_snapshot
from kbd.vault.layout import is_conflict_copy


class NoteRefused(Exception):
    """The requested note cannot be read; the message says why, naming the path."""


def clean_note_path(requested: str) -> str:
    """A requested vault-relative note path, normalised, or NoteRefused if it could leave the vault."""
    rel = requested.strip().replace("\\", "/")
    if not rel or "\x00" in rel:
        raise NoteRefused("no note path given")
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        raise NoteRefused(f"{requested!r} is an absolute path; give a path inside the vault, e.g. wiki/index.md")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise NoteRefused(f"{requested!r} leads outside the vault (`..` is not allowed)")
    if any(p.startswith(".") for p in parts):
        raise NoteRefused(f"{requested!r} is in a hidden folder; only notes are readable")
    if not parts or not parts[-1].lower().endswith(".md"):
        raise NoteRefused(f"{requested!r} is not a markdown note (.md)")
    if is_conflict_copy(parts[-1]):
        raise NoteRefused(f"{requested!r} is a sync conflict copy, not a note")
    return "/".join(parts)


def read_note_text(root: Path, requested: str, max_bytes: int) -> tuple[str, str]:
    """(vault-relative path, text) of the note at `requested`; NoteRefused when it is not a readable note."""
    rel = clean_note_path(requested)
    try:
        data = read_snapshot(root, rel, max_bytes).data
    except FileNotFoundError:
        raise NoteRefused(f"{rel}: no such note") from None
    except Unreadable as exc:
        raise NoteRefused(f"{rel}: {exc.reason}") from None
    except OSError as exc:
        raise NoteRefused(f"{rel}: cannot be read ({exc.strerror})") from None
    if b"\x00" in data[:8192]:
        raise NoteRefused(f"{rel}: a binary file, not a markdown note")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NoteRefused(f"{rel}: not valid UTF-8") from None
    return rel, text.replace("\r\n", "\n").replace("\r", "\n")

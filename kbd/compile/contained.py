"""Rendering queued notes, each contained (kbd/isolation.py): a note that cannot be rendered (its
chart, a stored result a bug left unreadable) comes back as a NoteFailure naming it, and the other
notes are rendered as usual. In this process or in a worker process (`render_batch`)."""

from __future__ import annotations

from pathlib import Path

from kbd.compile.decks import slides_folder
from kbd.compile.model import Rendered, WikiModel
from kbd.isolation import NoteFailure, contain
from kbd.state import State
from kbd.vault.layout import VaultLayout


def render_isolated(model: WikiModel, dirty: str) -> Rendered | NoteFailure | None:
    """One render-queue entry: its note, its failure, or None (nothing to render)."""
    return contain("render", lambda: note_of(model, dirty), model.render, dirty, key=f"render:{dirty}")


def note_of(model: WikiModel, dirty: str) -> str:
    """The note a render-queue entry makes, as the user knows it (for a failure's row)."""
    layout = model.layout
    kind, _, ident = dirty.partition(":")
    folders = {"source": (layout.sources, "sources", "id"), "related": (layout.sources, "sources", "id"),
               "answer": (f"{layout.wiki}/answers", "answers", "id"), "slides": (slides_folder(layout), "decks", "id"),
               "concept": (layout.concepts, "concepts", "key")}
    if kind in folders:
        folder, table, column = folders[kind]
        row = model.state.db.execute(f"SELECT note_name FROM {table} WHERE {column}=?", (ident,)).fetchone()
        return f"{folder}/{row[0]}.md" if row is not None else dirty
    return {"index": layout.index_note, "log": layout.log_note, "status": layout.status_note}.get(kind, dirty)


def render_batch(state_path: str, layout: VaultLayout, max_concepts: int, notes: list[str]
                 ) -> list[Rendered | NoteFailure]:
    """Render queued notes in a worker process, from its own (read-only) connection to state.db;
    a note that fails comes back as its NoteFailure, for the parent to record."""
    state = State(Path(state_path))
    try:
        model = WikiModel(state, layout, max_concepts)
        return [r for r in (render_isolated(model, n) for n in notes) if r is not None]
    finally:
        state.close()

"""`kbd adopt`: hand a note the user edited back to kbd, which regenerates it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kbd.compile.model import WikiModel
from kbd.compile.run import open_state
from kbd.config import Config
from kbd.lock import VaultLock
from kbd.state import State
from kbd.vault.layout import VaultLayout
from kbd.vault.write import VaultWriter, WriteRefused


@dataclass(frozen=True)
class AdoptResult:
    path: str
    adopted: bool
    message: str


def adopt_notes(root: Path, config: Config, notes: list[str]) -> list[AdoptResult]:
    layout = VaultLayout.from_config(root, config)
    results = []
    with VaultLock(layout.state_dir):
        state = open_state(layout)
        try:
            writer = VaultWriter(layout, state)
            model = WikiModel(state, layout, config.compile.max_concepts_per_source)
            for rel in notes:
                results.append(_adopt(state, writer, model, rel))
        finally:
            state.close()
    return results


def _adopt(state: State, writer: VaultWriter, model: WikiModel, rel: str) -> AdoptResult:
    if rel.startswith(model.layout.questions + "/"):
        return _adopt_question(state, writer, rel)
    if state.db.execute("SELECT 1 FROM regions WHERE path=? AND user_edited=1", (rel,)).fetchone() is not None:
        return _adopt_skill_region(writer, rel)
    record = state.output(rel)
    if record is None:
        if not (model.layout.root / rel).exists():
            return AdoptResult(rel, False, "does not exist; check the path (`kbd status` lists the notes you edited)")
        return AdoptResult(rel, False, "kbd did not write this note, so there is nothing to hand back")
    if not record.user_edited:
        return AdoptResult(rel, False, "kbd already manages this note")
    if not writer.adopt(rel):
        return AdoptResult(rel, False, "the note no longer exists; the next compile recreates it if it is needed")
    with state.transaction():
        state.mark_dirty([_dirty_key(state, model, rel), "status"])
    return AdoptResult(rel, True, "handed back to kbd; it will be regenerated")


def _dirty_key(state: State, model: WikiModel, rel: str) -> str:
    fixed = {model.layout.index_note: "index", model.layout.log_note: "log", model.layout.status_note: "status"}
    if rel in fixed:
        return fixed[rel]
    owner = state.db.execute("SELECT owner FROM pages WHERE path=?", (rel,)).fetchone()
    if owner is not None:  # a sub-page is regenerated with the note that owns it
        return str(owner[0])
    for row in state.db.execute("SELECT id, note_name FROM sources"):
        if model.source_path(row["note_name"]) == rel:
            return f"source:{row['id']}"
    for row in state.db.execute("SELECT key, note_name FROM concepts"):
        if model.concept_path(row["note_name"]) == rel:
            return f"concept:{row['key']}"
    return "status"  # no longer generated: the next compile deletes it as an orphan


def _adopt_skill_region(writer: VaultWriter, rel: str) -> AdoptResult:
    """A note of the user's whose region a custom skill writes (the ledger row says kbd wrote it):
    the region is kbd's again, and the skill's next run replaces what is in it."""
    try:
        adopted = writer.adopt_region(rel, rel)
    except WriteRefused as exc:
        return AdoptResult(rel, False, str(exc))
    if not adopted:
        return AdoptResult(rel, False, "the note is gone or its region markers are broken; fix them and try again")
    return AdoptResult(rel, True, "the region is kbd's again; the skill rewrites it at its next run")


def _adopt_question(state: State, writer: VaultWriter, rel: str) -> AdoptResult:
    """A question note whose answer link kbd stopped updating: the region is kbd's again, and
    the question is asked again at the next run (which writes the link)."""
    try:
        adopted = writer.adopt_region(rel)
    except WriteRefused as exc:
        return AdoptResult(rel, False, str(exc))
    if not adopted:
        return AdoptResult(rel, False, "kbd updates this note's answer link already (or the note is gone)")
    with state.transaction():
        state.db.execute("DELETE FROM questions WHERE path=?", (rel,))
        state.mark_dirty(["status"])
    return AdoptResult(rel, True, "the answer link is kbd's again; the question is asked at the next run")

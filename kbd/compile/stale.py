"""Stale answers: an answer records the content hash of every note it cites (`answer_sources`);
when one of them changes or goes, the answer is marked stale (`answer_stale`) and its note is
re-rendered with `stale: true` and a callout naming what changed.

Cheap enough for every compile and daemon run: no model call, and no file read unless a cited
note's size or mtime moved since it was last hashed. The hash is of what an answer can cite
(kbd.vault.note.content_sha256): a concept note gaining a "Questions answered here" link is not
a change to what the answer rests on.
(Here, not in kbd/ask/, because the compile's render owns the answer notes and runs this check.)
"""

from __future__ import annotations

import json
import os

from kbd import clock
from kbd.state import State
from kbd.vault.fsread import Unreadable, change_stamp, read_snapshot
from kbd.vault.layout import VaultLayout
from kbd.vault.note import content_sha256

CHANGED, REMOVED = "changed", "removed"


def current_hash(layout: VaultLayout, state: State, path: str) -> str | None:
    """The content hash of the note now (kbd.vault.note.content_sha256, as `kbd ask` records it),
    None if it is gone or unreadable. Read only when its size or mtime moved since last time."""
    try:
        st = os.lstat(layout.abs(path))
    except (FileNotFoundError, NotADirectoryError):
        return None
    row = state.db.execute("SELECT size, mtime_ns, sha256 FROM cited_notes WHERE path=?", (path,)).fetchone()
    if row is not None and (row[0], row[1]) == (st.st_size, change_stamp(st)):
        return str(row[2])
    try:
        snapshot = read_snapshot(layout.root, path)
        text = snapshot.data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except (FileNotFoundError, Unreadable, UnicodeDecodeError, OSError):
        return None
    digest = content_sha256(text, path.startswith(layout.wiki + "/"))
    if snapshot.stamp:  # a file changed this very moment is hashed again next time
        state.db.execute("INSERT INTO cited_notes(path, size, mtime_ns, sha256) VALUES(?, ?, ?, ?) ON CONFLICT(path) "
                         "DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, sha256=excluded.sha256",
                         (path, snapshot.size, snapshot.stamp, digest))
    return digest


def stale_changes(layout: VaultLayout, state: State) -> dict[int, list[tuple[str, str]]]:
    """Every answer with cited notes that changed or went since it was made: [(path, changed|removed)]."""
    out: dict[int, list[tuple[str, str]]] = {}
    now: dict[str, str | None] = {}
    for answer_id, path, recorded in state.db.execute(
            "SELECT answer_id, path, sha256 FROM answer_sources ORDER BY answer_id, path").fetchall():
        if path not in now:
            now[path] = current_hash(layout, state, path)
        if now[path] != recorded:
            out.setdefault(answer_id, []).append((path, REMOVED if now[path] is None else CHANGED))
    return out


def mark_stale(layout: VaultLayout, state: State) -> list[str]:
    """Bring `answer_stale` up to date and queue the answers whose mark changed (and Status.md) for
    rendering. Returns the render keys it queued."""
    changes = stale_changes(layout, state)
    before = {r[0]: r[1] for r in state.db.execute("SELECT answer_id, changed FROM answer_stale")}
    dirty: list[str] = []
    with state.transaction():
        for answer_id, changed in changes.items():
            text = json.dumps(changed)
            if before.get(answer_id) != text:
                state.db.execute("INSERT INTO answer_stale(answer_id, changed, since) VALUES(?, ?, ?) "
                                 "ON CONFLICT(answer_id) DO UPDATE SET changed=excluded.changed",
                                 (answer_id, text, clock.stamp(clock.now())))
                dirty.append(f"answer:{answer_id}")
        for answer_id in set(before) - set(changes):  # re-asked, or the note changed back
            state.db.execute("DELETE FROM answer_stale WHERE answer_id=?", (answer_id,))
            dirty.append(f"answer:{answer_id}")
        if dirty:
            state.mark_dirty([*dirty, "status"])
    return dirty


def stale_because(state: State, answer_id: int) -> list[str]:
    """What changed, one plain line per cited note, for the answer note's callout."""
    row = state.db.execute("SELECT changed FROM answer_stale WHERE answer_id=?", (answer_id,)).fetchone()
    if row is None:
        return []
    return [f"{path} was {'deleted' if how == REMOVED else 'changed'}" for path, how in json.loads(row[0])]


def stale_answers(state: State) -> list[tuple[str, str]]:
    """For Status.md: (answer note name, what changed)."""
    return [(r[0], "; ".join(stale_because(state, r[1])))
            for r in state.db.execute("SELECT a.note_name, a.id FROM answer_stale s JOIN answers a ON a.id=s.answer_id "
                                      "ORDER BY a.note_name").fetchall()]

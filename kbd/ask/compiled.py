"""What the compile recorded about a clipping, read from state.db without writing (retrieval titles clippings by
it, as the compile titled their articles)."""

from __future__ import annotations

import sqlite3

from kbd.vault.layout import VaultLayout, clean_title


def compiled_title(layout: VaultLayout, path: str, sha256: str) -> str | None:
    """The title the compile gave the clipping at `path` as it is now (state.db's `sources`, or `copies` for a second
    clipping of an article), read without writing; None where the vault was never compiled, the clipping changed
    since, or the database cannot be read."""
    db_path = layout.state_dir / "state.db"
    if not db_path.exists():
        return None
    try:
        db = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT title FROM sources WHERE raw_path=? AND sha256=?", (path, sha256)).fetchone()
            if row is None:
                row = db.execute("SELECT s.title FROM copies c JOIN sources s ON s.id=c.source_id "
                                 "WHERE c.raw_path=? AND c.sha256=?", (path, sha256)).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    title = clean_title(row[0]) if row and isinstance(row[0], str) else ""
    return title or None

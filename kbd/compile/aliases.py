"""Names a source defines as one another's ("write-ahead logging (WAL)", "an LSM tree, or
log-structured merge tree"): every source's mention of either meets in one concept article.

The first definition of an alias wins; it is kept when its source goes (an abbreviation does not
stop meaning its expansion). An abbreviation written in capitals ("SNAP", "LIME") meets only the
mentions written in capitals: "Snap" the company and "lime" the fruit keep their own concepts. Only
the concepts and sources it moves are queued again.
"""

from __future__ import annotations

from dataclasses import replace

from kbd.compile.titled import TITLE_RANK
from kbd.engines.base import ConceptMention, concept_key
from kbd.state import State


def resolve(state: State, key: str, written: str | None = None) -> str:
    """The concept `key` names; `written`, the mention as its source writes it, must be in capitals
    where the alias was defined in capitals."""
    row = state.db.execute("SELECT key, name FROM concept_aliases WHERE alias=?", (key,)).fetchone()
    if row is None or (written is not None and not _meets(row[1], written)):
        return key
    return row[0]


def _meets(alias: str, written: str) -> bool:
    return not _in_capitals(alias) or _in_capitals(written)


def _in_capitals(name: str) -> bool:
    """"SNAP", "LLM", and plurals "LLMs", "KGs"; not "Snap", "lime"."""
    return (name[:-1] if len(name) > 2 and name.endswith("s") else name).isupper()


def define_alias(state: State, alias: str, key: str) -> None:
    """Record that `alias` names the concept `key`; mentions already filed under the alias move."""
    alias_key, key = concept_key(alias), resolve(state, key)
    if not alias_key or alias_key == key or \
            state.db.execute("SELECT 1 FROM concept_aliases WHERE alias=?", (alias_key,)).fetchone():
        return
    state.db.execute("INSERT INTO concept_aliases(alias, key, name) VALUES(?, ?, ?)", (alias_key, key, alias))
    state.db.execute("UPDATE concept_aliases SET key=? WHERE key=?", (key, alias_key))
    moved = [r[0] for r in state.db.execute("SELECT source_id, name FROM source_concepts WHERE key=?", (alias_key,))
             if _meets(alias, r[1])]
    for source_id in moved:
        # A title's listing of the concept (compile/titled.py) gives way to the mention that moves in.
        state.db.execute("DELETE FROM source_concepts WHERE source_id=? AND key=? AND rank=?",
                         (source_id, key, TITLE_RANK))
        if state.db.execute("SELECT 1 FROM source_concepts WHERE source_id=? AND key=?", (source_id, key)).fetchone():
            state.db.execute("DELETE FROM source_concepts WHERE source_id=? AND key=?", (source_id, alias_key))
        else:
            state.db.execute("UPDATE source_concepts SET key=? WHERE source_id=? AND key=?",
                             (key, source_id, alias_key))
    state.mark_dirty([f"concept:{alias_key}", f"concept:{key}", *(f"source:{s}" for s in moved)])


def canonical_mentions(state: State, mentions: list[ConceptMention]) -> list[ConceptMention]:
    """Register the aliases these mentions define and file each under its concept's key; where two
    mentions turn out to name one concept, the stronger (earlier) one stays."""
    for m in mentions:
        for alias in m.aliases:
            define_alias(state, alias, m.key)
    out: list[ConceptMention] = []
    seen: set[str] = set()
    for m in mentions:
        key = resolve(state, m.key, m.name)
        if key in seen:
            continue
        seen.add(key)
        out.append(m if key == m.key else replace(m, key=key))
    return out


def alias_names(state: State, key: str) -> list[str]:
    """The aliases defined for a concept, as their sources write them."""
    return [r[0] for r in state.db.execute("SELECT name FROM concept_aliases WHERE key=? ORDER BY name", (key,))]

"""Summaries made by another engine than the configured one: counted, priced, redone on request.

Every summary records what made it (engines/provenance.py). When the engine, its model, a skill,
the verifier or kbd/constraints.md change, the summaries made before are out of date. Nothing is
redone because of that alone (a new model could cost a lot): `kbd plan` says how many there are
and what redoing them costs, `kbd status` and Status.md count them, and `kbd compile --redo`
redoes them within the budget. A note its user edited is theirs: it is neither counted nor redone.
"""

from __future__ import annotations

from dataclasses import dataclass

from kbd.engines.provenance import MadeBy
from kbd.state import State
from kbd.vault.layout import VaultLayout

CURRENT_META = "made_by"  # meta key: the record the configured engine writes, as of the last compile


@dataclass(frozen=True)
class OutOfDate:
    source_id: int
    raw_path: str
    sha256: str
    changes: tuple[str, ...]  # what differs, in words ("model", "constraints"); () when redone anyway


def out_of_date(state: State, layout: VaultLayout, current: MadeBy, everything: bool = False) -> list[OutOfDate]:
    """Summaries not made by `current` (or, with `everything`, all of them), by clipping path;
    notes the user edited are left out."""
    edited = {r[0] for r in state.db.execute("SELECT path FROM outputs WHERE user_edited=1")}
    sql = "SELECT id, raw_path, sha256, note_name, made_by FROM sources"
    rows = state.db.execute(sql + " ORDER BY raw_path" if everything else sql + " WHERE made_by IS NOT ? ORDER BY "
                            "raw_path", () if everything else (current.key(),))
    out = []
    for r in rows:
        if f"{layout.sources}/{r['note_name']}.md" in edited:
            continue
        changes = () if r["made_by"] == current.key() else tuple(current.changes(MadeBy.from_key(r["made_by"])))
        out.append(OutOfDate(r["id"], r["raw_path"], r["sha256"], changes))
    return out


def count_out_of_date(state: State, layout: VaultLayout, current: MadeBy | None = None) -> int:
    """How many summaries an older engine made; `current` defaults to what the last compile recorded."""
    if current is None:
        stored = MadeBy.from_key(state.get_meta(CURRENT_META))
        if stored is None:
            return 0
        current = stored
    return len(out_of_date(state, layout, current))


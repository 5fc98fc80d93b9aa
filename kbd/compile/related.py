"""What makes two sources related beyond shared concepts, and which shared concepts say nothing.

Multi-part articles ("Sleep, Pt 1" / "Sleep, Part 2") are related whatever their concepts.
Research-method vocabulary (meta-analysis, randomised trial, PubMed) is shared by unrelated papers,
so it never justifies a related source on its own.
"""

from __future__ import annotations

import re

from kbd.engines.base import concept_key
from kbd.engines.lexicon import BOILERPLATE_PHRASES, METHOD_CONCEPTS
from kbd.state import State

_PART = re.compile(
    r"[\s,:;.(\[–—-]*\b(?:pt|part|vol|volume|episode|ep|chapter|ch|lesson|session|installment|instalment)\.?\s*"
    r"(?:\d{1,3}|[ivx]{1,5}|one|two|three|four|five|six|seven|eight|nine|ten)\b[)\]]?"
    r"|\s*[(\[]\d{1,3}\s*(?:/|of)\s*\d{1,3}[)\]]|\s*\b\d{1,3} of \d{1,3}\b", re.IGNORECASE)
_NOISE = re.compile(r"[^\w]+")

# Concept keys that never make two sources related.
WEAK_KEYS = frozenset(concept_key(k) for k in (*METHOD_CONCEPTS, *BOILERPLATE_PHRASES)) - {""}


def series_title(title: str) -> str | None:
    """The title of the series a part belongs to ("sleep" for "Sleep, Pt 1"); None if not a part."""
    if not _PART.search(title):
        return None
    base = _NOISE.sub(" ", _PART.sub(" ", title)).strip().casefold()
    return base if len(base) >= 3 else None


def series_siblings(state: State, source_id: int, title: str) -> list[int]:
    """The other parts of the series this source belongs to, in title order."""
    base = series_title(title)
    if base is None:
        return []
    first = base.split()[0]
    escaped = first.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = state.db.execute("SELECT id, title FROM sources WHERE id<>? AND title LIKE ? ESCAPE '\\' "
                            "ORDER BY title", (source_id, f"%{escaped}%")).fetchall()
    return [r[0] for r in rows if series_title(r[1]) == base]

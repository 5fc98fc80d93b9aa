"""Kinds of problems the verifier and lint find in model output, counted in state.db so that a
recurring kind can be proposed as a rule for kbd/constraints.md (kbd/lint/rules.py proposes and
adopts; anything that sees objections records them here)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kbd import clock
from kbd.state import State


@dataclass(frozen=True)
class Kind:
    name: str
    what: str  # plural, for the report: "numbers that are not in the source"
    rule: str  # the one line proposed for kbd/constraints.md
    pattern: re.Pattern[str]  # how a verifier objection of this kind reads


KINDS: tuple[Kind, ...] = (
    Kind("invented-number", "numbers or statistics that are not in the source",
         "Never write a number, date, percentage or statistic that does not appear word for word in the source.",
         re.compile(r"\bnumbers?\b|\bstatistics?\b|\bfigures?\b|\bpercent", re.I)),
    Kind("invented-quote", "quotations that are not in the source",
         "Put text in quotation marks only when it appears word for word in the source; otherwise paraphrase.",
         re.compile(r"\bquot(e|es|ed|ation|ations)\b", re.I)),
    Kind("missing-citation", "statements without a citation to their source",
         "Cite the source of every statement; leave out what you cannot cite.",
         re.compile(r"\bcit(e|es|ed|ing|ation|ations)\b|\buncited\b|\bno source\b", re.I)),
    Kind("contradicts-source", "statements that reverse what the source says",
         "Keep the source's meaning: never reverse, weaken or strengthen a claim it makes.",
         re.compile(r"contradict|revers|opposite|misstat|misrepresent", re.I)),
    Kind("unsupported-claim", "claims the source does not support",
         "State only what the source itself says: no background knowledge, no generalising beyond it.",
         re.compile(r"not (supported|stated|mentioned|in the (article|source|clipping|notes?))|unsupported|"
                    r"does not (say|state|mention|support)|invent|fabricat|speculat", re.I)),
)
BY_NAME = {k.name: k for k in KINDS}


def classify(objection: str) -> Kind | None:
    """The kind of a verifier objection or grounding problem, by how it reads; None if unclear."""
    for kind in KINDS:
        if kind.pattern.search(objection):
            return kind
    return None


def record(state: State, kind: str, where: str, what: str, origin: str) -> None:
    """One occurrence of a kind of problem (`where`: the note; `what`: the problem's text)."""
    key = hashlib.sha256(f"{where}\0{' '.join(what.split())}".encode()).hexdigest()[:24]
    state.db.execute("INSERT OR IGNORE INTO recurring_findings(kind, key, origin, example, first_seen) "
                     "VALUES(?, ?, ?, ?, ?)", (kind, key, origin, " ".join(what.split())[:200],
                                               clock.stamp(clock.now())))


def record_objections(state: State, where: str, objections: Iterable[str], origin: str = "verifier") -> None:
    for objection in objections:
        kind = classify(objection)
        if kind is not None:
            record(state, kind.name, where, objection, origin)


def counts(state: State) -> dict[str, tuple[int, list[str]]]:
    """kind → (occurrences since its rule was last adopted, a few examples)."""
    out: dict[str, tuple[int, list[str]]] = {}
    rows = state.db.execute(
        "SELECT r.kind, COUNT(*), GROUP_CONCAT(r.example, '\x1f') FROM recurring_findings r "
        "LEFT JOIN adopted_rules a ON a.kind = r.kind WHERE a.adopted IS NULL OR r.first_seen > a.adopted "
        "GROUP BY r.kind").fetchall()
    for kind, n, examples in rows:
        out[kind] = (int(n), (examples or "").split("\x1f")[:3])
    return out

"""Retrieval for a question: search picks the top hits, their links lead to concept and source
notes, and the best passages of all of them fill a token budget (never a whole large note)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbd.config import Config
from kbd.engines.answers import Passage


@dataclass(frozen=True)
class Block:
    """One paragraph, list item or quote of a note, as plain text, with where it sits."""

    heading: str | None  # the heading above it, exactly as written; None: above any heading
    block: str | None  # its `^block` id, if it has one
    text: str


@dataclass(frozen=True)
class NoteText:
    """A note as retrieval read it: what quotes are checked against."""

    path: str
    title: str
    note_type: str
    sha256: str  # "sha256:<hex>" of its bytes
    kbd_owned: bool
    blocks: tuple[Block, ...]
    headings: frozenset[str]  # every heading a link may name (`[[note#Heading]]`)


@dataclass(frozen=True)
class RetrievalPlan:
    question: str
    budget: int  # tokens the passages may take
    passages: list[Passage]  # best first, within the budget
    notes: dict[str, NoteText]  # every note read (search hits and the notes their links lead to)
    hits: list[str]  # the search hits it started from, best first
    left_out: int  # passages that did not fit the budget

    @property
    def tokens(self) -> int:
        return sum(p.tokens for p in self.passages)

    def chosen_notes(self) -> list[str]:
        """Notes with at least one passage in the plan, in order of their best passage."""
        return list(dict.fromkeys(p.path for p in self.passages))

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError


def retrieve(root: Path, config: Config, question: str, *, budget: int | None = None,
             exclude: Collection[str] = ()) -> RetrievalPlan:
    """The passages to answer `question` from. `budget`: tokens (default: `ask.context_tokens`,
    sized for the worker model); `exclude`: note paths never to use (e.g. the answer being redone)."""
    raise NotImplementedError

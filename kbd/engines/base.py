"""The engine protocol and the result types every stage after it consumes."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from kbd.vault.markdown import Document
from kbd.vault.note import ClipperMeta

if TYPE_CHECKING:
    from kbd.engines.provenance import MadeBy


@dataclass(frozen=True)
class ConceptMention:
    key: str  # normalised name: how mentions in different sources are matched
    name: str  # how this source writes it
    score: float
    sentence: str  # what this source says about it, verbatim


@dataclass(frozen=True)
class SourceSummary:
    title: str
    summary: list[str]
    key_points: list[str]
    concepts: list[ConceptMention]
    tags: list[str]
    description: str  # one line for the index
    verified: bool = True
    objections: list[str] = field(default_factory=list)  # why it is not verified

    def to_json(self) -> dict[str, Any]:
        # Built by hand: dataclasses.asdict deep-copies every field and was a hot spot of compile.
        return {"title": self.title, "summary": list(self.summary), "key_points": list(self.key_points),
                "concepts": [{"key": c.key, "name": c.name, "score": c.score, "sentence": c.sentence}
                             for c in self.concepts],
                "tags": list(self.tags), "description": self.description, "verified": self.verified,
                "objections": list(self.objections)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceSummary:
        concepts = [ConceptMention(**c) for c in data.get("concepts", [])]
        return cls(title=data["title"], summary=list(data["summary"]), key_points=list(data["key_points"]),
                   concepts=concepts, tags=list(data.get("tags", [])), description=data.get("description", ""),
                   verified=data.get("verified", True), objections=list(data.get("objections", [])))


@dataclass(frozen=True)
class SourceInput:
    title: str
    document: Document
    meta: ClipperMeta = field(default_factory=ClipperMeta)
    label: str = ""  # where it came from (the raw path), to label it in prompts


class Engine(Protocol):
    name: str
    made_by: MadeBy  # recorded with every summary, to notice when the engine changes

    def summarize_source(self, source: SourceInput) -> SourceSummary: ...

    def close(self) -> None:
        """Release connections; the engine is not used again."""


_PUNCT = re.compile(r"[^\w\s]")


@functools.lru_cache(maxsize=65536)
def concept_key(name: str) -> str:
    """Normalise a concept name so that `B-trees`, `B-tree` and `b tree` meet in one article."""
    words = _PUNCT.sub(" ", name.casefold()).split()
    if not words:
        return ""
    words[-1] = singular(words[-1])
    return " ".join(words)


def singular(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        return word[:-1]
    return word

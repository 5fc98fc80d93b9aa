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
    aliases: tuple[str, ...] = ()  # other names this source defines for it ("WAL" for "Write-ahead log")
    # Whether the source marks it as a name: links to it, emphasises it, or writes it in its description or a
    # heading (its title can change without a new summary: compile reads it from the source). A model's
    # concepts are its choice of names: marked.
    marked: bool = True
    # Whether `sentence` is the only one of the source that mentions it (a model's concepts: never known, False).
    once: bool = False
    # Whether the source itself marks it as a name: links to it, emphasises it, writes it in its description or a
    # heading. Unlike `marked`, never taken for granted on a page that marks too few names.
    shown: bool = True


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
                "concepts": [{"key": c.key, "name": c.name, "score": c.score, "sentence": c.sentence,
                              "aliases": list(c.aliases), "marked": c.marked, "once": c.once, "shown": c.shown}
                             for c in self.concepts],
                "tags": list(self.tags), "description": self.description, "verified": self.verified,
                "objections": list(self.objections)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceSummary:
        concepts = [ConceptMention(c["key"], c["name"], c["score"], c["sentence"], tuple(c.get("aliases", ())),
                                   c.get("marked", True), c.get("once", False), c.get("shown", True))
                    for c in data.get("concepts", [])]
        return cls(title=data["title"], summary=list(data["summary"]), key_points=list(data["key_points"]),
                   concepts=concepts, tags=list(data.get("tags", [])), description=data.get("description", ""),
                   verified=data.get("verified", True), objections=list(data.get("objections", [])))


@dataclass(frozen=True)
class SourceInput:
    title: str
    document: Document
    meta: ClipperMeta = field(default_factory=ClipperMeta)
    label: str = ""  # where it came from (the raw path), to label it in prompts
    # (caption, a vision model's description) of each image the clipping embeds (kbd/compile/images.py)
    images: tuple[tuple[str, str], ...] = ()


class Engine(Protocol):
    name: str
    made_by: MadeBy  # recorded with every summary, to notice when the engine changes

    def summarize_source(self, source: SourceInput) -> SourceSummary: ...

    def close(self) -> None:
        """Release connections; the engine is not used again."""


_PUNCT = re.compile(r"[^\w\s]")


# A concept has a page only when some source is about it: ranks it among its PAGE_RANK strongest
# concepts (issue 23). Below the features, so compiling and lint's "no page" check agree.
PAGE_RANK = 3


@functools.lru_cache(maxsize=65536)
def concept_key(name: str) -> str:
    """Normalise a concept name so that `B-trees`, `B-tree` and `b tree` meet in one article, and
    `write-ahead log` and `write-ahead logging`, `cache` and `caching`, `add-ons` and `add-on` too."""
    folded = name.casefold()
    words = spelled_words(name)
    if not words:
        return ""
    if _PARTICLE_PLURAL.search(folded):
        words[-1] = words[-1][:-1]  # "add-ons", "plug-ins", "pop-ups": too short for `singular`
    words[-1] = word_key(words[-1])
    return " ".join(words)


def written_words(text: str) -> list[str]:
    """The words of `text` as written, split where concept names split (`B-trees` → B, trees)."""
    return _PUNCT.sub(" ", text).split()


def spelled_words(text: str) -> list[str]:
    """The words of `text` casefolded, split where concept names split (`B-trees` → b, trees), an acronym's
    plural as the acronym (`GPUs` → gpu)."""
    if _ACRONYM_PLURAL.search(text):
        text = _ACRONYM_PLURAL.sub(r"\1", text)
    return _PUNCT.sub(" ", text.casefold()).split()


# "GPUs", "APIs", "IDs": an acronym's plural, which `singular` cannot tell from "status", "analysis", "ids".
_ACRONYM_PLURAL = re.compile(r"\b(?=[A-Z0-9]*[A-Z])([A-Z0-9]{2,})s\b")


_PARTICLE_PLURAL = re.compile(r"\w-(?:on|in|up)s$")


@functools.lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """One lowercase word reduced to what its singular, plural and -ing forms share."""
    word = singular(word)
    if len(word) > 5 and word.endswith("ing") and word.isalpha() and any(v in word[:-3] for v in "aeiouy"):
        word = word[:-3]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
            word = word[:-1]  # logging → log, running → run
    if len(word) > 4 and word.endswith("e") and word[-2] not in "aeiou":
        word = word[:-1]  # cache / caching, store / storing
    return word


def phrase_tokens(text: str) -> list[str]:
    """Every word of `text` as `word_key` sees it: what whole-word concept matching compares."""
    return [word_key(w) for w in plain_words(text)]


def plain_words(text: str) -> list[str]:
    """The words of `text`, casefolded, before `word_key` (`phrase_tokens` = word_key of each)."""
    return spelled_words(text)


def contains_phrase(haystack: list[str], needle: list[str]) -> bool:
    """Whether the word sequence `needle` occurs in `haystack` as whole words (never inside a word)."""
    n = len(needle)
    if not n:
        return False
    first = needle[0]
    return any(haystack[i:i + n] == needle for i, w in enumerate(haystack) if w == first)


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

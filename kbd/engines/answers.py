"""What answering a question passes between stages: the passages retrieved for it, the engine's
draft (claims with the notes and quotes they rest on, not yet checked) and the checked `Answer`.

Engines (`Answerer`) turn a question and passages into a `Draft`; they never read notes. kbd
(kbd/ask/answer.py) checks every citation of a draft against the notes, repairs once, drops
what is still unsupported and builds the `Answer`, which renderers (kbd/render/answer.py) and
state.db consume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

_WORD = re.compile(r"\w+", re.UNICODE)
_NAMED = re.compile(r"^[^—\n]{1,80} — (?=\S)")  # "B-tree — what the source says" in kbd's concept lists
LEAD_LABEL = "Best match"  # what an extractive answer's first claim is labelled with (kbd/render/answer.py)
# A quote shorter than this proves nothing ("it is", "Linux: /usr/local/share/anki"): kbd does not check it, and an
# engine does not cite it.
MIN_QUOTE_CHARS, MIN_QUOTE_WORDS = 12, 3


def sentence_key(sentence: str) -> str:
    """A sentence as quotes are told apart: its words, in lowercase."""
    return " ".join(_WORD.findall(sentence.casefold()))


def checkable(quote: str) -> bool:
    """Whether a quote (as kbd normalises it: one space between words) is long enough to check."""
    return len(quote) >= MIN_QUOTE_CHARS and len(quote.split()) >= MIN_QUOTE_WORDS


def without_attribution(sentence: str) -> str:
    """A sentence of kbd's own lists ("Title — what it says") without the name, or an answer's lead
    label, in front."""
    return _NAMED.sub("", sentence.removeprefix(f"{LEAD_LABEL}: "), count=1)


def article_key(path: str, title: str, note_type: str) -> str:
    """What a cited note stands for: a source note (the summary) and its clipping share a title and
    are one article, listed once; every other note is itself."""
    return f"article:{title.casefold()}" if note_type in ("source", "raw") else path


@dataclass(frozen=True)
class Code:
    """A code block that a lead-in or step introduces ("To install it, run:", then the command), as the note has it."""

    language: str  # its info string's first word ("sh"), or ""
    text: str  # its lines as written, without the fence or the indent of the list item it sits in; "" if left out
    left_out: int = 0  # its lines, where it is too long to show: a program to read in its note, not a step

    @property
    def lines(self) -> int:
        return self.left_out or self.text.count("\n") + 1

    def size(self) -> str:
        """"82 lines of code", "1 line of code": what an answer says of code it leaves out."""
        return f"{self.lines} line{'s' if self.lines != 1 else ''} of code"

    def to_json(self) -> dict[str, Any]:
        return {"language": self.language, "text": self.text, **({"left_out": self.left_out} if self.left_out else {})}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Code:
        return cls(language=str(data.get("language", "")), text=str(data["text"]),
                   left_out=int(data.get("left_out", 0)))


# Code after lines of a quote or passage: (the line's index, the code block it introduces), in order.
CodeAfter = tuple[tuple[int, Code], ...]


def code_json(code: CodeAfter) -> dict[str, Any]:
    """A claim's code blocks for its JSON: nothing where it has none."""
    return {"code": [{"line": line, **block.to_json()} for line, block in code]} if code else {}


def code_from_json(data: dict[str, Any]) -> CodeAfter:
    return tuple((int(c["line"]), Code.from_json(c)) for c in data.get("code", ()))


@dataclass(frozen=True)
class Passage:
    """A bounded piece of one note, as the engine sees it: plain text under one heading."""

    path: str  # vault-relative note path, e.g. "wiki/sources/X.md"
    title: str  # the note's title
    note_type: str  # source | concept | answer | raw | note (kbd.search note types)
    heading: str | None  # the heading it sits under, exactly as written in the note; None: above any heading
    block: str | None  # a `^block` id it carries (without `^`), when the note has one there
    text: str  # plain text (no markdown syntax): what the model reads and quotes from
    tokens: int  # estimated tokens of `text`
    note_hash: str  # "sha256:<hex>" of the note's bytes when it was read
    score: float  # retrieval score; higher is better
    kbd_owned: bool  # kbd wrote the note (wiki/): it may carry block ids kbd added
    items: frozenset[int] = frozenset()  # the lines of `text` that are list items (0-based): a procedure's steps
    numbered: frozenset[int] = frozenset()  # those of them that are a numbered list's ("1. Open Settings.")
    opens_section: bool = False  # it begins right under its heading (a list there is the heading's procedure)
    # The code a line introduces: not in `text` (code is not scored, nor sent to a model), shown with a procedure.
    code: CodeAfter = ()
    # The code its heading leads in (kbd/ask/blocks.py `_HeadingCode`), after a paragraph that leads nothing in ("Add a
    # new page to your project.", then the command): an answer where the heading does what is asked.
    heading_code: CodeAfter = ()
    # Where it says the page's steps follow ("Here's how I got it working."): the lead-ins after it in its note, each
    # with the code it introduces (kbd/engines/procedures.py `is_walkthrough_step`), in order.
    walkthrough: tuple[tuple[str, Code], ...] = ()

    @property
    def anchor(self) -> str:
        """The link fragment of the passage: `#^block`, `#Heading`, or "" (the note itself)."""
        if self.block:
            return f"#^{self.block}"
        return f"#{self.heading}" if self.heading else ""


@dataclass(frozen=True)
class CitedQuote:
    """One citation as an engine wrote it: not yet checked."""

    note: str  # the note path it names (kbd resolves it against the retrieved notes)
    quote: str  # the passage it quotes, supposedly verbatim


@dataclass(frozen=True)
class DraftClaim:
    text: str
    citations: tuple[CitedQuote, ...]
    numbered: bool = False  # an extractive procedure: the lines of its quote after the lead-in are a numbered list's
    code: CodeAfter = ()  # an extractive procedure: the code blocks its lines introduce (kbd checks each)
    # An extractive walkthrough: its quote's lines are in its note in this order, each whole, but not side by side.
    stitched: bool = False


@dataclass(frozen=True)
class Draft:
    claims: list[DraftClaim]


@dataclass(frozen=True)
class CallEstimate:
    """What answering is expected to cost, at most (model engines; zeros offline)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0


@dataclass(frozen=True)
class Citation:
    """A checked citation: the quote occurs in the note, under `heading` (or at `block`)."""

    path: str
    title: str
    quote: str
    heading: str | None = None
    block: str | None = None
    note_hash: str = ""
    note_type: str = ""  # source | concept | answer | raw | note

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "title": self.title, "quote": self.quote, "heading": self.heading,
                "block": self.block, "note_hash": self.note_hash, "note_type": self.note_type}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Citation:
        return cls(path=data["path"], title=data["title"], quote=data["quote"], heading=data.get("heading"),
                   block=data.get("block"), note_hash=data.get("note_hash", ""), note_type=data.get("note_type", ""))


@dataclass(frozen=True)
class Claim:
    text: str
    citations: tuple[Citation, ...]
    numbered: bool = False  # as DraftClaim's: its quote's steps are numbered where it came from
    code: CodeAfter = ()  # as DraftClaim's, checked: each block follows its line in the cited note

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "citations": [c.to_json() for c in self.citations],
                **({"numbered": True} if self.numbered else {}), **code_json(self.code)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Claim:
        return cls(text=data["text"], citations=tuple(Citation.from_json(c) for c in data["citations"]),
                   numbered=bool(data.get("numbered")), code=code_from_json(data))


@dataclass(frozen=True)
class Answer:
    """A checked answer: every claim has at least one citation whose quote occurs in its note."""

    question: str
    engine: str  # "offline" or "provider:model"
    extractive: bool  # the offline engine's answer: quoted passages, no written synthesis
    claims: list[Claim]
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (claim, why) removed as unsupported
    verified: bool = True  # False: a verifier objected (see objections); True also when none is configured
    objections: list[str] = field(default_factory=list)
    repaired: bool = False  # a repair call was needed

    def cited_paths(self) -> list[str]:
        seen: dict[str, None] = {}
        for claim in self.claims:
            for c in claim.citations:
                seen.setdefault(c.path, None)
        return list(seen)

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "engine": self.engine, "extractive": self.extractive,
                "claims": [c.to_json() for c in self.claims],
                "dropped": [{"claim": t, "reason": r} for t, r in self.dropped], "verified": self.verified,
                "objections": list(self.objections), "repaired": self.repaired}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        return cls(question=data["question"], engine=data["engine"], extractive=data["extractive"],
                   claims=[Claim.from_json(c) for c in data["claims"]],
                   dropped=[(d["claim"], d["reason"]) for d in data.get("dropped", [])],
                   verified=data.get("verified", True), objections=list(data.get("objections", [])),
                   repaired=data.get("repaired", False))


class Answerer(Protocol):
    """Answers a question from passages. Two implementations: offline (extractive) and model."""

    name: str  # "offline" or "provider:model", as written in the answer note's `engine`
    extractive: bool
    can_verify: bool  # a verifier model is configured

    def estimate(self, question: str, passages: list[Passage]) -> CallEstimate:
        """The most the first draft (and its check) costs; spends nothing."""

    def draft(self, question: str, passages: list[Passage], feedback: list[str]) -> Draft:
        """Claims citing the passages. `feedback`: problems of an earlier draft to fix (a repair)."""

    def verify(self, question: str, passages: list[Passage], claims: list[Claim]) -> list[str]:
        """The verifier's objections to checked claims; empty when it has none."""

    def close(self) -> None: ...

"""The answer note (`wiki/answers/<Question>.md`): pure, from a checked `Answer`."""

from __future__ import annotations

from dataclasses import dataclass, field

from kbd.engines.answers import Answer, Citation


@dataclass(frozen=True)
class AnswerNote:
    answer: Answer
    asked: str  # ISO timestamp of the answer
    stale: bool = False  # a cited note changed since (set by stale tracking)
    stale_because: list[str] = field(default_factory=list)  # what changed, one line each (plain text)


def citation_link(citation: Citation) -> str:
    """`[[wiki/sources/X#Key points|X]]`, `[[wiki/answers/Y#^claim-2|Y]]`, or `[[raw/Z|Z]]` when no
    heading can be linked exactly."""
    raise NotImplementedError


def render_answer_note(note: AnswerNote) -> str:
    raise NotImplementedError

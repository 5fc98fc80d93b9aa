"""From passages to a checked answer: the engine drafts claims with citations; kbd checks that
every cited note was retrieved and every quote occurs in it (whitespace-normalised), asks once
for a repair listing the failures, drops what is still unsupported, and, with a verifier model,
passes the answer through the verify gate as summaries are."""

from __future__ import annotations

from kbd.ask.retrieve import RetrievalPlan
from kbd.engines.answers import Answer, Answerer, Claim, Draft


def answer_question(plan: RetrievalPlan, answerer: Answerer) -> Answer:
    raise NotImplementedError


def check_draft(draft: Draft, plan: RetrievalPlan) -> tuple[list[Claim], list[tuple[str, str]]]:
    """(claims whose citations hold, keeping only those citations; (claim, why) for the others)."""
    raise NotImplementedError

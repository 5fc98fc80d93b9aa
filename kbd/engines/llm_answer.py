"""The model answerer: the `answer_question` skill drafts claims with citations, the optional
verifier (`verify_answer`) tries to refute them. Every call goes through the gateway (cache,
budget, usage). The passages are the cacheable prefix of every request about a question, each
delimited as untrusted data and labelled with the note path the model must cite.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from kbd.engines.answers import CallEstimate, CitedQuote, Claim, Draft, DraftClaim, Passage
from kbd.engines.skills import Skill, untrusted

if TYPE_CHECKING:
    from kbd.engines.gateway import ModelGateway

ANSWER_SKILL = "answer_question"
VERIFY_ANSWER_SKILL = "verify_answer"


def passages_prefix(passages: list[Passage]) -> str:
    """The passages as the model reads them, best first: the start of every request about them."""
    return "Passages:\n\n" + "\n\n".join(untrusted(f"{p.path}{p.anchor}", f"Title: {p.title}\n\n{p.text}")
                                          for p in passages)


def question_task(question: str, feedback: list[str]) -> str:
    task = "Question:\n" + untrusted("question", question)
    if feedback:
        task += ("\n\nAn earlier answer to this question had these problems; answer again without them "
                 "(drop a claim you cannot support with an exact quote):\n"
                 + untrusted("problems found", "\n".join(f"- {f}" for f in feedback)))
    return task


class LLMAnswerer:
    extractive = False

    def __init__(self, gateway: ModelGateway, skill: Skill, verifier: Skill | None = None) -> None:
        role = gateway.roles["worker"].spec
        self.name = f"{role.provider}:{role.model}"
        self.gateway = gateway
        self.skill = skill
        self.verifier = verifier
        self.can_verify = verifier is not None

    def estimate(self, question: str, passages: list[Passage]) -> CallEstimate:
        """The draft and, with a verifier, its check: nothing when the same question was answered
        from the same passages before (the gateway's cache answers it)."""
        prefix, task = passages_prefix(passages), question_task(question, [])
        key = self.gateway.cache_key(self.skill, task, prefix)
        with self.gateway.lock:
            if self.gateway.db.execute("SELECT 1 FROM llm_cache WHERE key=?", (key,)).fetchone():
                return CallEstimate()
        calls = [(self.skill, f"{prefix}\n\n{task}")]
        if self.verifier is not None:
            calls.append((self.verifier, prefix))
        total = CallEstimate()
        for skill, user in calls:
            tokens_in, tokens_out, usd = self.gateway.estimate(skill, user)
            total = CallEstimate(total.calls + 1, total.input_tokens + tokens_in, total.output_tokens + tokens_out,
                                 total.usd + usd)
        return total

    def draft(self, question: str, passages: list[Passage], feedback: list[str]) -> Draft:
        result = self.gateway.call(self.skill, question_task(question, feedback), f"ask:{question[:80]}",
                                   prefix=passages_prefix(passages))
        claims = [DraftClaim(_line(c["text"]), tuple(CitedQuote(_line(q["note"]), _line(q["quote"]))
                                                     for q in c["citations"]))
                  for c in result["claims"]]
        return Draft(claims)

    def verify(self, question: str, passages: list[Passage], claims: list[Claim]) -> list[str]:
        assert self.verifier is not None
        checked = json.dumps({"question": question, "claims": [
            {"text": c.text, "cites": [{"note": q.path, "quote": q.quote} for q in c.citations]} for c in claims]},
            ensure_ascii=False)
        verdict = self.gateway.call(self.verifier, untrusted("answer to check", checked),
                                    f"verify:ask:{question[:80]}", prefix=passages_prefix(passages))
        if verdict["ok"]:
            return []
        return [_line(o) for o in verdict["objections"] if _line(o)] or ["rejected"]

    def close(self) -> None:
        self.gateway.close()


def _line(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()

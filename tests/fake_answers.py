"""A fake model for `answer_question` served by tests/fake_llm.py: it answers from the passages it
is given, citing each with a phrase copied from it, and can be told to invent a share of its
citations (a note that does not exist, or a quote that is in no note) to exercise the citation check.
Used by the question tests and bench/ask.py."""

from __future__ import annotations

import html
import json
import random
import re
import threading
from dataclasses import dataclass, field

from tests.fake_llm import Action, Received, openai_reply

_BLOCK = re.compile(r'<untrusted source="([^"]*)">\n(.*?)\n</untrusted>', re.DOTALL)
_WORD_LINE = re.compile(r"^[A-Za-z][^\n`*_\[\]<>|#%$=]{40,}$", re.MULTILINE)


@dataclass
class CitingModel:
    invent_rate: float = 0.0  # share of citations made up
    completion_tokens: int = 60  # usage reported per reply
    delay: float = 0.0  # seconds before each reply (a model's latency)
    seed: int = 7
    invented: set[tuple[str, str]] = field(default_factory=set)  # (note, quote) it made up
    citations: int = 0  # every citation it gave
    prompt_tokens: list[int] = field(default_factory=list)  # per request, as the fake counts them
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def __call__(self, received: Received) -> Action:
        user = received.body["messages"][-1]["content"]
        passages = [(html.unescape(src).split("#", 1)[0], text) for src, text in _BLOCK.findall(user)
                    if src not in ("question", "problems found")]
        claims = []
        with self.lock:
            self.prompt_tokens.append(received.prompt_tokens)
            for note, text in passages[:4]:
                quote = _quote(text)
                if quote is None:
                    continue
                self.citations += 1
                if self.random.random() < self.invent_rate:
                    if self.random.random() < 0.5:
                        note = f"wiki/sources/Invented source {self.citations}.md"
                    else:
                        quote = f"a sentence number {self.citations} that this note never said at all"
                    self.invented.add((note, quote))
                claims.append({"text": f"According to the wiki: {quote}.",
                               "citations": [{"note": note, "quote": quote}]})
        content = json.dumps({"claims": claims})
        return Action(body=openai_reply(content, usage=(received.prompt_tokens, self.completion_tokens, 0)),
                      delay=self.delay)


def _quote(passage: str) -> str | None:
    """Eight words copied from a line of plain prose in the passage."""
    body = passage.split("\n\n", 1)[1] if passage.startswith("Title:") and "\n\n" in passage else passage
    for m in _WORD_LINE.finditer(body):
        words = m.group(0).split()
        if len(words) >= 8:
            return " ".join(words[:8])
    return None

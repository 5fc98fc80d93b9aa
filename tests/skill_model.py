"""A scripted model for custom skills and model lint checks, served by tests/fake_llm.py: it answers
each request from what the request carries (the notes in its <untrusted> blocks), like a model would."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import Vault
from tests.fake_llm import Action, FakeLLM, Received, first_user_text, structured_reply

BLOCK = re.compile(r'<untrusted source="([^"]*)">\n(.*?)\n</untrusted>', re.S)


def blocks(received: Received) -> list[tuple[str, str]]:
    """(label, text) of every untrusted block of the request's first user message."""
    return BLOCK.findall(first_user_text(received))


def titles(received: Received) -> list[str]:
    return [m.group(1) for _, text in blocks(received) for m in [re.match(r"Title: (.*)", text)] if m]


def asks(received: Received, words: str) -> bool:
    return words in first_user_text(received)


def skill_model(received: Received) -> Action:
    """Digests, questions, and an approving verifier."""
    if asks(received, "You check the result of a task"):
        return structured_reply(received, {"ok": True, "objections": []})
    names = titles(received)
    if asks(received, "Write a digest"):
        result: dict[str, Any] = {"overview": f"These {len(names)} sources are about storage engines.",
                                  "highlights": [{"source": f"[[{t}]]", "point": f"What {t} explains."}
                                                 for t in names]}
    elif asks(received, "questions worth exploring"):
        result = {"questions": [{"question": f"How does {t} behave under heavy writes?",
                                 "why": "The article does not say.", "concepts": [f"[[{t}]]"]} for t in names[:3]]}
    else:
        result = json.loads(json.dumps({"text": "unexpected request"}))
    return structured_reply(received, result)


def configure(vault: Vault, server: FakeLLM, extra: str = "", verifier: bool = False) -> None:
    """A worker (and optionally a verifier) model on the fake server, keyed by $KBD_TEST_KEY, plus `extra` YAML."""
    model = ("{provider: openai, base_url: \"" + server.url + "/v1\", model: test-model, api_key_env: KBD_TEST_KEY, "
             "price_per_mtok: {input: 1.0, output: 4.0}, max_concurrency: 2}")
    (vault.root / "kbd/config.yaml").write_text("models:\n  worker: " + model + "\n"
                                                + ("  verifier: " + model + "\n" if verifier else "") + extra)

"""What every test that talks to the loopback fake model shares: the key, an honest model, the
config that points a vault at the fake, and the `server`/`key` fixtures.

tests/conftest.py registers this module as a plugin, so its fixtures reach every test module.
A module whose model answers as its own skill overrides `model_reply`; one that needs the key in
the environment for every test says `pytestmark = pytest.mark.usefixtures("key")`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.fake_llm import Action, FakeLLM, Received, fake_llm, first_user_text, structured_reply

KEY = "sk-test-COMPILE-SECRET-777"
KEY_ENV = "KBD_TEST_KEY"  # the `api_key_env` every test config names
NAMES = ("B-tree", "write-ahead log", "LSM tree", "sorted run", "write amplification")
Reply = Callable[[Received], Action]

if TYPE_CHECKING:  # conftest imports this module as a plugin
    from tests.conftest import Vault


def honest_model(received: Received) -> Action:
    """Summarises like a model would: sentences and concepts taken from the (first) untrusted block,
    in the wire format of the request, with the usage and prompt caching the provider would report."""
    user = first_user_text(received)
    body = user.split("<untrusted", 1)[1].split(">", 1)[1].split("</untrusted>", 1)[0]
    sentences = [s.strip()[:300] for s in re.split(r"(?<=[.!?])\s+", body)
                 if len(s.split()) > 5 and "Title:" not in s]
    concepts = [{"name": n, "says": next((s for s in sentences if n.lower() in s.lower()), n)}
                for n in NAMES if n.lower() in body.lower()]
    result = {"title": "ignored", "summary": sentences[:3] or ["Nothing."], "key_points": sentences[3:6],
              "concepts": concepts, "tags": ["databases"]}
    return structured_reply(received, result)


def configure(vault: Vault, server: FakeLLM, budget: str = "") -> None:
    """Point the vault's worker model at the fake server (priced, so budgets have something to count)."""
    (vault.root / "kbd/config.yaml").write_text(
        "models:\n  worker: {provider: openai, base_url: \"" + server.url + "/v1\", model: test-model, "
        f"api_key_env: {KEY_ENV}, price_per_mtok: {{input: 1.0, output: 4.0}}, max_concurrency: 4}}\n" + budget)


@pytest.fixture
def model_reply() -> Reply | None:
    """What the fake model answers when a test scripts nothing (None: a 500 "nothing scripted")."""
    return honest_model


@pytest.fixture
def server(model_reply: Reply | None) -> Iterator[FakeLLM]:
    with fake_llm() as fake:
        if model_reply is not None:
            fake.default = model_reply
        yield fake


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY

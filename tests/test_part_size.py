"""Part size (issue 9, acceptance 7): a long source is split into parts as large as the worker
model's context comfortably takes (`max_input_tokens`, per model) instead of a fixed 24,000
characters, so it takes fewer calls."""

from __future__ import annotations

import json

import pytest

from kbd.config import ConfigError, parse_config
from kbd.engines.context import UNKNOWN_MODEL_TOKENS, context_window, default_input_tokens
from tests.clippings import make_clipping
from tests.conftest import Vault
from tests.fake_llm import FakeLLM

pytestmark = pytest.mark.usefixtures("key")


def configure(vault: Vault, server: FakeLLM, model: str, extra: str = "") -> None:
    (vault.root / "kbd/config.yaml").write_text(
        f"models:\n  worker: {{provider: openai, base_url: \"{server.url}/v1\", model: {model}, "
        f"api_key_env: KBD_TEST_KEY{extra}}}\n")


def test_default_input_follows_the_models_context_window() -> None:
    assert context_window("gpt-4o-mini") == 128_000 and default_input_tokens("gpt-4o-mini") == 64_000
    assert default_input_tokens("gpt-4.1-mini") == 100_000, "capped: very long requests are slow and lossy"
    assert default_input_tokens("openai/gpt-4o") == 64_000, "OpenRouter names"
    assert default_input_tokens("claude-sonnet-4-5") == 100_000
    assert default_input_tokens("moonshot-v1-32k") == 16_000, "the window in the name"
    assert default_input_tokens("llama3.1:8b") == UNKNOWN_MODEL_TOKENS


@pytest.mark.parametrize(("model", "extra", "calls"), [
    ("gpt-4o-mini", "", 1),  # one request: the source fits the model's default part size
    ("gpt-4o-mini", ", max_input_tokens: 8000", 4),  # three parts of about 22,000 characters, and their combination
])
def test_a_long_source_takes_as_few_calls_as_the_model_allows(vault: Vault, server: FakeLLM, model: str,
                                                              extra: str, calls: int) -> None:
    long = make_clipping(21, words=11_000)
    body = long.text.split("---\n", 2)[2]
    assert len(body) >= 60_000
    vault.clip(long.filename, long.text)
    configure(vault, server, model, extra)
    planned = json.loads(vault.kbd("plan", ".", "--json").stdout)
    vault.compile()
    assert len(server.received) == calls == planned["calls"]
    limit = 8000 if extra else default_input_tokens(model)
    # The fake counts four characters a token; kbd budgets 3.5: every request fits the limit.
    assert max(r.prompt_tokens for r in server.received) <= limit


def test_max_input_tokens_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"models\.worker\.max_input_tokens.*whole number of tokens"):
        parse_config("models:\n  worker: {provider: openai, model: m, max_input_tokens: 10}\n")
    config = parse_config("models:\n  worker: {provider: openai, model: m, max_input_tokens: 32000}\n")
    assert config.models["worker"].max_input_tokens == 32_000

"""What a model call is made of, apart from the wire: the model's settings (`ModelSpec`), what a
call used and returned (`Usage`, `Completion`), how its spend is metered (`Meter`), where `auto`
keeps the structured-output mode it found (`ModeMemory`) and the circuit breaker per endpoint.
Kept apart from kbd/engines/client.py, which speaks the providers' protocols with these."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kbd.engines.errors import EndpointDown

# Reasoning tokens an OpenAI reasoning model may spend before its answer, per reasoning_effort,
# when the config does not say (`reasoning_tokens`); they count against max_completion_tokens.
REASONING_TOKENS = {"none": 0, "minimal": 1024, "low": 4096, "medium": 8192, "high": 16384}


def is_reasoning_model(model: str) -> bool:
    """OpenAI's o-series and gpt-5 family take max_completion_tokens and no temperature."""
    name = model.rsplit("/", 1)[-1].lower()
    return bool(re.match(r"^o\d", name) or name.startswith("gpt-5"))


@dataclass(frozen=True)
class ModelSpec:
    provider: str  # openai | anthropic
    model: str
    base_url: str
    api_key_env: str | None = None
    structured: str = "json_schema"  # openai-compatible only: auto | json_schema | json_object | ollama | prompt
    timeout_seconds: float = 120.0
    max_retries: int = 5
    max_output_tokens: int = 4096
    reasoning_effort: str | None = None  # openai reasoning models: none | minimal | low | medium | high
    reasoning_tokens: int | None = None  # openai: reasoning allowance on top of the answer's budget
    thinking_budget: int | None = None  # anthropic extended thinking: budget_tokens (>= 1024)
    max_concurrency: int = 4
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None

    @property
    def reasoning(self) -> bool:
        return self.provider == "openai" and (self.reasoning_effort is not None or is_reasoning_model(self.model))

    def reasoning_allowance(self) -> int:
        """Output tokens a reply may spend thinking before its answer (billed as output)."""
        if self.provider == "anthropic":
            return self.thinking_budget or 0
        if not self.reasoning:
            return 0
        if self.reasoning_tokens is not None:
            return self.reasoning_tokens
        return REASONING_TOKENS[self.reasoning_effort or "medium"]


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0  # the whole prompt, cached and cache-written tokens included
    output_tokens: int = 0  # reasoning tokens included
    cached_tokens: int = 0  # of the input: read from the provider's prompt cache
    cache_write_tokens: int = 0  # of the input: written to the prompt cache (Anthropic)

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens,
                     self.cached_tokens + other.cached_tokens, self.cache_write_tokens + other.cache_write_tokens)


@dataclass(frozen=True)
class Completion:
    data: dict[str, Any]
    usage: Usage
    requests: int  # HTTP requests this result took, retries and repair included
    latency_seconds: float
    trimmed: int = 0  # arrays and strings cut to the schema's bounds


class ModeMemory(Protocol):
    """Where `structured: auto` keeps the mode that worked, per endpoint and model (state.db)."""

    def remembered(self, where: str) -> tuple[str, str] | None: ...

    def remember(self, where: str, mode: str, reason: str) -> None: ...


class Meter(Protocol):
    """Accounts for every request of a call: `reserve` before it is sent (may refuse it, raising
    BudgetExceeded), `settle` with what it was billed once it ended, whatever its fate."""

    def reserve(self, prompt_chars: int, max_tokens: int) -> None: ...

    def settle(self, usage: Usage) -> None: ...


class NoMeter:
    def reserve(self, prompt_chars: int, max_tokens: int) -> None:
        pass

    def settle(self, usage: Usage) -> None:
        pass


@dataclass
class CircuitBreaker:
    """Opens after `threshold` consecutive failed attempts; lets one trial call through after `cooldown`."""

    threshold: int = 5
    cooldown_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    open_until: float = 0.0
    last_failure: str = ""

    def check(self, endpoint: str) -> None:
        if self.failures >= self.threshold and self.clock() < self.open_until:
            wait = self.open_until - self.clock()
            raise EndpointDown(f"{endpoint} failed {self.failures} times in a row (last: {self.last_failure}); not "
                               f"calling it for another {wait:.0f} s")

    def failed(self, why: str = "") -> None:
        self.last_failure = why or self.last_failure or "no reason given"
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = self.clock() + self.cooldown_seconds

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = 0.0

"""The `models:` and `budget:` sections of kbd/config.yaml: which model plays which role (worker,
verifier), how to reach it and what it costs, and the spending caps. Part of the config floor
(kbd/config.py reads them); no feature owns them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import yaml

from kbd.configbase import ConfigError, construct, pairs, unknown

PROVIDERS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}


@dataclass(frozen=True)
class ModelConfig:
    provider: str
    model: str
    base_url: str
    api_key_env: str | None = None
    price_input: float = 0.0  # US dollars per million tokens
    price_output: float = 0.0
    price_cached_input: float | None = None
    price_cache_write: float | None = None
    max_concurrency: int = 4
    structured: str = "auto"  # how the schema is sent (kbd/engines/structured.py); auto finds out
    timeout_seconds: float = 120.0
    reasoning_effort: str | None = None  # openai reasoning models (o-series, gpt-5)
    reasoning_tokens: int | None = None  # openai: room for reasoning on top of each answer's budget
    thinking_budget_tokens: int | None = None  # anthropic extended thinking
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    max_input_tokens: int | None = None  # most input per request (sets the part size); None: from the model
    vision: bool = False  # the model reads images: each downloaded image's description joins the summary's input


@dataclass(frozen=True)
class BudgetConfig:
    daily_usd: float | None = None
    per_run_usd: float | None = None


_MODEL_KEYS = ("provider", "model", "base_url", "api_key_env", "price_per_mtok", "max_concurrency", "structured",
               "timeout_seconds", "max_input_tokens", "reasoning_effort", "reasoning_tokens", "thinking_budget_tokens",
               "requests_per_minute", "tokens_per_minute", "vision")
_EFFORTS = ("none", "minimal", "low", "medium", "high")
STRUCTURED_MODES = ("auto", "json_schema", "json_object", "ollama", "prompt")  # kbd/engines/structured.py


def parse_models(node: yaml.Node, shown: str) -> dict[str, ModelConfig]:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("must map a role (worker) to a model", file=shown, line=node.start_mark.line + 1,
                          key="models")
    models: dict[str, ModelConfig] = {}
    for key_node, value_node in pairs(node, shown, "models."):
        role, line = key_node.value, key_node.start_mark.line + 1
        where = f"models.{role}"
        if role not in ("worker", "verifier"):
            raise ConfigError(unknown(role, ["worker", "verifier"]), file=shown, line=line, key=where)
        value = construct(value_node, shown, where)
        if not isinstance(value, dict):
            raise ConfigError("must be a mapping: {provider: ..., model: ..., api_key_env: ...}", file=shown,
                              line=line, key=where)
        for k in value:
            if k not in _MODEL_KEYS:
                raise ConfigError(unknown(str(k), list(_MODEL_KEYS)), file=shown, line=line, key=f"{where}.{k}")
        provider = value.get("provider")
        if provider not in PROVIDERS:
            raise ConfigError("must be openai (any OpenAI-compatible server: OpenAI, Kimi, OpenRouter, Ollama, "
                              "vLLM, llama.cpp, LM Studio) or anthropic", file=shown, line=line,
                              key=f"{where}.provider")
        if not isinstance(value.get("model"), str) or not value["model"].strip():
            raise ConfigError("name the model, e.g. gpt-4.1-mini or claude-sonnet-4-5", file=shown, line=line,
                              key=f"{where}.model")
        base_url = value.get("base_url", PROVIDERS[provider])
        if not isinstance(base_url, str) or not re.match(r"^https?://", base_url):
            raise ConfigError("must be an http(s) URL", file=shown, line=line, key=f"{where}.base_url")
        key_env = value.get("api_key_env")
        if key_env is not None and (not isinstance(key_env, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*",
                                                                                       key_env)):
            raise ConfigError("must be the NAME of an environment variable holding the key (keys never go in this "
                              "file)", file=shown, line=line, key=f"{where}.api_key_env")
        prices = value.get("price_per_mtok") or {}
        if not isinstance(prices, dict) or \
                any(k not in ("input", "output", "cached_input", "cache_write") for k in prices) or \
                any(not _amount(v) for v in prices.values()):
            raise ConfigError("must be {input: N, output: N, cached_input: N, cache_write: N} in US dollars per "
                              "million tokens", file=shown, line=line, key=f"{where}.price_per_mtok")
        concurrency = value.get("max_concurrency", 4)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 64:
            raise ConfigError("must be a whole number from 1 to 64", file=shown, line=line,
                              key=f"{where}.max_concurrency")
        structured = value.get("structured", "auto")
        if structured not in STRUCTURED_MODES or (provider == "anthropic"
                                                  and structured not in ("auto", "json_schema")):
            raise ConfigError("must be auto, json_schema, json_object, ollama or prompt (all but auto for the openai "
                              "provider only)", file=shown, line=line, key=f"{where}.structured")
        timeout = value.get("timeout_seconds", 120)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 1 <= timeout <= 3600:
            raise ConfigError("must be a number of seconds from 1 to 3600", file=shown, line=line,
                              key=f"{where}.timeout_seconds")
        input_tokens = value.get("max_input_tokens")
        if input_tokens is not None and (isinstance(input_tokens, bool) or not isinstance(input_tokens, int)
                                         or not 1_000 <= input_tokens <= 10_000_000):
            raise ConfigError("must be a whole number of tokens from 1000 to 10000000 (the most kbd puts into one "
                              "request; long sources are split into parts of this size)", file=shown, line=line,
                              key=f"{where}.max_input_tokens")
        effort = value.get("reasoning_effort")
        if effort is not None and (provider != "openai" or effort not in _EFFORTS):
            raise ConfigError("must be none, minimal, low, medium or high (OpenAI reasoning models: o-series, "
                              "gpt-5); for Anthropic use thinking_budget_tokens", file=shown, line=line,
                              key=f"{where}.reasoning_effort")
        limits = {}
        for name, low, high in (("reasoning_tokens", 0, 200_000), ("thinking_budget_tokens", 1024, 128_000),
                                ("requests_per_minute", 1, 1_000_000), ("tokens_per_minute", 1, 1_000_000_000)):
            number = value.get(name)
            if number is not None and (isinstance(number, bool) or not isinstance(number, int)
                                       or not low <= number <= high):
                raise ConfigError(f"must be a whole number from {low:,} to {high:,}", file=shown, line=line,
                                  key=f"{where}.{name}")
            limits[name] = number
        if limits["thinking_budget_tokens"] is not None and provider != "anthropic":
            raise ConfigError("is for Anthropic models; OpenAI reasoning models take reasoning_effort", file=shown,
                              line=line, key=f"{where}.thinking_budget_tokens")
        vision = value.get("vision", False)
        if not isinstance(vision, bool):
            raise ConfigError("must be true or false (true: the model reads images)", file=shown, line=line,
                              key=f"{where}.vision")
        models[role] = ModelConfig(provider=provider, model=value["model"].strip(), base_url=base_url,
                                   api_key_env=key_env, price_input=float(prices.get("input", 0)),
                                   price_output=float(prices.get("output", 0)),
                                   price_cached_input=(float(prices["cached_input"]) if "cached_input" in prices
                                                       else None),
                                   price_cache_write=(float(prices["cache_write"]) if "cache_write" in prices
                                                      else None),
                                   max_concurrency=concurrency, structured=structured, timeout_seconds=float(timeout),
                                   max_input_tokens=input_tokens, reasoning_effort=effort, vision=vision,
                                   **limits)
    if models and "worker" not in models:
        raise ConfigError("models needs a worker", file=shown, line=node.start_mark.line + 1, key="models")
    return models


def _amount(value: object) -> bool:
    """A finite, non-negative number: `.nan` would silently disable a cap, `.inf` means none."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def parse_budget(node: yaml.Node, shown: str) -> BudgetConfig:
    value = construct(node, shown, "budget")
    if value is None:
        return BudgetConfig()
    if not isinstance(value, dict):
        raise ConfigError("must be {daily_usd: N, per_run_usd: N}", file=shown, line=node.start_mark.line + 1,
                          key="budget")
    for k, v in value.items():
        if k not in ("daily_usd", "per_run_usd"):
            raise ConfigError(unknown(str(k), ["daily_usd", "per_run_usd"]), file=shown,
                              line=node.start_mark.line + 1, key=f"budget.{k}")
        if not _amount(v):
            raise ConfigError(f"must be an amount in US dollars, e.g. 2.00, got {v!r}", file=shown,
                              line=node.start_mark.line + 1, key=f"budget.{k}")
    return BudgetConfig(daily_usd=value.get("daily_usd"), per_run_usd=value.get("per_run_usd"))

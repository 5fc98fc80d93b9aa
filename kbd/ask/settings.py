"""The `ask:` section of kbd/config.yaml."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from kbd.configbase import ConfigSection, dataclass_section, register_section

OFFLINE_CONTEXT_TOKENS = 1_500  # an extractive answer quotes a handful of passages
MODEL_CONTEXT_MIN, MODEL_CONTEXT_MAX = 2_000, 12_000


@dataclass(frozen=True)
class AskSettings:
    context_tokens: int = 0  # passages per question, in tokens; 0: sized for the worker model (or offline)
    top_hits: int = 8  # search hits retrieval starts from, before following their links
    passage_tokens: int = 300  # the most one passage may take: a long section is cut, never sent whole


_LIMITS = {"context_tokens": (0, 200_000), "top_hits": (1, 100), "passage_tokens": (50, 4_000)}


def parse_ask(node: yaml.Node, shown: str) -> AskSettings:
    return dataclass_section(AskSettings, node, shown, "ask", _LIMITS)


register_section(ConfigSection("ask", parse_ask, AskSettings))


def context_budget(settings: AskSettings, model_input_tokens: int | None) -> int:
    """Tokens of passages one question gets: the configured value, else a quarter of what the
    worker model takes per request (within MODEL_CONTEXT_MIN..MAX), else the offline default."""
    if settings.context_tokens:
        return settings.context_tokens
    if model_input_tokens is None:
        return OFFLINE_CONTEXT_TOKENS
    return max(MODEL_CONTEXT_MIN, min(MODEL_CONTEXT_MAX, model_input_tokens // 4))

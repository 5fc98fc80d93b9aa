"""How much of a source goes into one request: the part size of a long source.

A source longer than one part is summarised part by part and the part summaries combined, so
bigger parts mean fewer calls (and less repeated instructions). The part size follows the worker
model's `max_input_tokens` (configurable per model); by default half the context window of a
model kbd knows, at most `MAX_DEFAULT_TOKENS` (very long requests are slow and models lose track
of their middle), and a cautious `UNKNOWN_MODEL_TOKENS` for a model it does not know (a local
model often runs with a small context: set `max_input_tokens` to use more of it).
"""

from __future__ import annotations

import re

CHARS_PER_TOKEN = 3.5  # as the budget estimates: pessimistic for English, so a part fits
MAX_DEFAULT_TOKENS = 100_000
UNKNOWN_MODEL_TOKENS = 8_000
MIN_PART_CHARS = 2_000
PROMPT_ALLOWANCE_CHARS = 4_000  # title, existing-concept names, delimiters, a reviewer's objections

# Context windows in tokens, by model-name prefix (the longest matching prefix wins).
CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-5": 400_000,
    "o1": 200_000,
    "o3": 200_000,
    "o4": 200_000,
    "claude": 200_000,
    "kimi": 128_000,
    "moonshot": 128_000,
    "gemini": 1_000_000,
    "deepseek": 64_000,
}
_K_SUFFIX = re.compile(r"-(\d{1,4})k\b")  # "moonshot-v1-32k": the window is in the name


def context_window(model: str) -> int | None:
    name = model.lower().rsplit("/", 1)[-1]  # OpenRouter's "openai/gpt-4o" is gpt-4o
    named = _K_SUFFIX.search(name)
    if named:
        return int(named.group(1)) * 1000
    matches = [p for p in CONTEXT_WINDOWS if name.startswith(p)]
    return CONTEXT_WINDOWS[max(matches, key=len)] if matches else None


def default_input_tokens(model: str) -> int:
    window = context_window(model)
    return min(window // 2, MAX_DEFAULT_TOKENS) if window else UNKNOWN_MODEL_TOKENS


def part_chars(max_input_tokens: int, system_prompt_chars: int) -> int:
    """Characters of source text per request, leaving room for the instructions around it."""
    room = int(max_input_tokens * CHARS_PER_TOKEN) - system_prompt_chars - PROMPT_ALLOWANCE_CHARS
    return max(MIN_PART_CHARS, room)

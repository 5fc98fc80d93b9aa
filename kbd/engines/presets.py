"""Presets for models served on this machine: Ollama, llama.cpp's llama-server, LM Studio, vLLM.

`kbd init --model ollama:qwen3:8b` writes the preset into kbd/config.yaml: the server's usual
OpenAI-compatible base_url, no key, one request at a time (a local server runs one model and
queues the rest), price 0, `structured: auto`, and, when the server is up and says, the most input
per request from its context window (llama.cpp's GET /props, Ollama's POST /api/show, vLLM's
GET /v1/models, LM Studio's GET /api/v0/models/<model>).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

ANSWER_ROOM_TOKENS = 2_000  # the summary's answer (1,500 tokens at most) and the instructions
MIN_INPUT_TOKENS = 1_000  # the least `max_input_tokens` accepts
UNKNOWN_CONTEXT_TOKENS = 4_096  # Ollama's default num_ctx; a cautious guess for any local server
TIMEOUT_SECONDS = 600  # a local model on a laptop is slow: ten minutes for one answer


@dataclass(frozen=True)
class Preset:
    name: str
    base_url: str
    context_from: str  # where the server tells its context window, for the config's comment


PRESETS = {p.name: p for p in (
    Preset("ollama", "http://localhost:11434/v1", "/api/show"),
    Preset("llama.cpp", "http://localhost:8080/v1", "/props"),
    Preset("lmstudio", "http://localhost:1234/v1", "/api/v0/models"),
    Preset("vllm", "http://localhost:8000/v1", "/v1/models"),
)}


def parse_model(text: str) -> tuple[Preset, str]:
    """"ollama:qwen3:8b" → (the ollama preset, "qwen3:8b"). Raises ValueError saying what is wrong."""
    name, _, model = text.partition(":")
    preset = PRESETS.get(name.strip().lower())
    if preset is None or not model.strip():
        raise ValueError(f"--model takes SERVER:MODEL with SERVER one of {', '.join(PRESETS)}, e.g. ollama:qwen3:8b; "
                         f"got {text!r}")
    return preset, model.strip()


def server_context(preset: Preset, model: str, base_url: str | None = None, timeout: float = 3.0) -> int | None:
    """The context window the running server gives `model`, in tokens; None when it is not up or
    does not say."""
    base = (base_url or preset.base_url).rstrip("/")
    root = base[:-3] if base.endswith("/v1") else base
    try:
        if preset.name == "ollama":
            info = _json(httpx.post(root + "/api/show", json={"model": model}, timeout=timeout))
            params = re.search(r"\bnum_ctx\s+(\d+)", str(info.get("parameters", "")))
            if params:
                return int(params.group(1))
            trained = [v for k, v in (info.get("model_info") or {}).items() if k.endswith(".context_length")]
            # Ollama serves num_ctx tokens (4,096 unless the model or the server sets more), not
            # all the model was trained for.
            return min([UNKNOWN_CONTEXT_TOKENS, *(int(v) for v in trained if isinstance(v, int))])
        if preset.name == "llama.cpp":
            info = _json(httpx.get(root + "/props", timeout=timeout))
            n_ctx = (info.get("default_generation_settings") or {}).get("n_ctx") or info.get("n_ctx")
            return int(n_ctx) if isinstance(n_ctx, int) else None
        if preset.name == "vllm":
            info = _json(httpx.get(base + "/models", timeout=timeout))
            lengths = [m.get("max_model_len") for m in info.get("data", []) if m.get("id") == model]
            return int(lengths[0]) if lengths and isinstance(lengths[0], int) else None
        info = _json(httpx.get(f"{root}/api/v0/models/{model}", timeout=timeout))
        n_ctx = info.get("loaded_context_length") or info.get("max_context_length")
        return int(n_ctx) if isinstance(n_ctx, int) else None
    except (httpx.HTTPError, ValueError, TypeError, AttributeError):
        return None


def models_block(preset: Preset, model: str, context: int | None) -> str:
    """The `models:` section for the preset, as YAML with comments."""
    if context:
        tokens = max(MIN_INPUT_TOKENS, context - ANSWER_ROOM_TOKENS)
        why = f"the server's context ({context:,} tokens, from {preset.context_from}) less room for the answer"
    else:
        tokens = UNKNOWN_CONTEXT_TOKENS - ANSWER_ROOM_TOKENS
        why = (f"the server was not reachable to ask ({preset.context_from}); set it to your context window less "
               f"{ANSWER_ROOM_TOKENS:,}")
    quoted = '"' + model.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return (f"# {preset.name} on this machine (`kbd init --model {preset.name}:{model}`)\n"
            "models:\n"
            "  worker:\n"
            "    provider: openai\n"
            f"    base_url: {preset.base_url}\n"
            f"    model: {quoted}\n"
            "    max_concurrency: 1          # a local server runs one model: one request at a time\n"
            "    structured: auto            # kbd finds how the server takes a schema (`kbd doctor` shows it)\n"
            f"    timeout_seconds: {TIMEOUT_SECONDS}        # local models are slow\n"
            "    price_per_mtok: {input: 0, output: 0}\n"
            f"    max_input_tokens: {tokens}      # {why}\n")


def _json(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data

"""How a result schema reaches an OpenAI-compatible server, so that the server, not only the prompt,
holds the model to it; and what to do with a reply that overshoots the schema's bounds.

Modes (`structured:` in a model's config), in the order `auto` tries them:
- `json_schema`: OpenAI's `response_format: {type: json_schema, json_schema: {schema, strict}}`
  (OpenAI, vLLM, current Ollama, LM Studio, llama.cpp's llama-server).
- `json_object`: `response_format: {type: json_object, schema: …}`, the form llama.cpp's
  llama-server and llama-cpp-python's server turn into a grammar; a server that knows only JSON
  mode ignores the schema and the prompt still carries it.
- `ollama`: Ollama's native `POST /api/chat` with `format: <schema>`.
- `prompt`: no response_format; the schema is in the prompt only.

`auto` sends kbd's real request in the first mode; a server that refuses the mode (an error
naming response_format, a grammar, or no /api/chat at all) gets the same request in the next one.
What worked is remembered per endpoint and model (state.db, via the gateway), so later runs ask
once. Every mode but `json_schema` also puts the schema in the prompt.
"""

from __future__ import annotations

import re
from typing import Any

MODES = ("json_schema", "json_object", "ollama", "prompt")
AUTO = "auto"
MODE_WORDS = {"json_schema": "json_schema (response_format with a strict schema)",
              "json_object": "json_object with the schema attached (a grammar on llama.cpp servers)",
              "ollama": "Ollama's native format with the schema",
              "prompt": "the schema in the prompt only"}
# Keywords OpenAI strict mode does not accept ("Supported schemas"; see tests/provider_rules.py).
# kbd's own validator enforces them on the reply instead.
_NOT_STRICT = ("minLength", "maxLength", "minProperties", "maxProperties", "patternProperties",
               "unevaluatedProperties", "propertyNames", "unevaluatedItems", "contains", "minContains",
               "maxContains", "uniqueItems", "allOf", "not", "if", "then", "else", "dependentRequired",
               "dependentSchemas")
_FORMAT_WORDS = re.compile(r"response_format|json_schema|json_object|\bschema\b|grammar|\bformat\b", re.I)


def schema_in_prompt(mode: str) -> bool:
    return mode != "json_schema"


def response_format(mode: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The chat-completions `response_format` of a mode (None: send none)."""
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "result", "schema": strict_schema(schema),
                                                       "strict": True}}
    if mode == "json_object":
        # Bounds stay in: llama.cpp's grammar enforces maxItems and maxLength.
        return {"type": "json_object", "schema": schema}
    return None


def ollama_root(base_url: str) -> str:
    """Ollama's native API lives beside its OpenAI-compatible /v1."""
    base = base_url.rstrip("/")
    return base[:-3] if base.endswith("/v1") else base


def ollama_body(model: str, system: str, messages: list[dict[str, Any]], schema: dict[str, Any],
                max_tokens: int) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "system", "content": system}, *messages], "format": schema,
            "stream": False, "options": {"num_predict": max_tokens}}


def about_format(status: int, text: str, mode: str) -> bool:
    """Whether a refusal says the server does not take this way of sending the schema (so `auto`
    tries the next one). For `ollama` any 404/405 counts: the server has no /api/chat."""
    if mode == "ollama":
        return status in (400, 404, 405, 501) or bool(_FORMAT_WORDS.search(text))
    return mode in ("json_schema", "json_object") and status in (400, 404, 415, 422, 500, 501) \
        and bool(_FORMAT_WORDS.search(text))


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as OpenAI strict mode accepts it: every object closed and listing every property
    in `required` (a property that was optional may be null instead), and no keyword outside the
    strict subset (bounds such as maxLength become a description; kbd's validator enforces them
    on the reply)."""
    out: dict[str, Any] = {}
    notes = []
    for key, value in schema.items():
        if key in _NOT_STRICT:
            if key in ("minLength", "maxLength"):
                notes.append(f"{'at most' if key == 'maxLength' else 'at least'} {value} characters")
            continue
        if key == "properties":
            required = set(schema.get("required", []))
            out[key] = {name: (strict_schema(sub) if name in required else _nullable(strict_schema(sub)))
                        for name, sub in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = strict_schema(value)
        else:
            out[key] = value
    if schema.get("type") == "object":
        out["additionalProperties"] = False
        out["required"] = list(schema.get("properties", {}))
    if notes:
        out["description"] = "; ".join([*([schema["description"]] if "description" in schema else []), *notes])
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kinds = schema.get("type")
    if isinstance(kinds, str):
        return {**schema, "type": [kinds, "null"]}
    if isinstance(kinds, list) and "null" not in kinds:
        return {**schema, "type": [*kinds, "null"]}
    return schema


def drop_optional_nulls(data: Any, schema: dict[str, Any]) -> Any:
    """Undo `strict_schema`'s nullable optionals: a null for a property the skill made optional
    means "absent"."""
    if not isinstance(data, dict) or schema.get("type") != "object":
        return data
    required = set(schema.get("required", []))
    properties = schema.get("properties", {})
    return {k: (drop_optional_nulls(v, properties[k]) if k in properties else v)
            for k, v in data.items() if not (v is None and k in properties and k not in required
                                             and "null" not in str(properties[k].get("type")))}


def fit_bounds(data: Any, schema: dict[str, Any]) -> tuple[Any, int]:
    """`data` with arrays cut to maxItems and strings to maxLength (at a word boundary), and how
    many cuts that took. A small model that writes nine tags where eight are allowed, or one
    sentence too long, has still written a usable result: trimming keeps it instead of failing."""
    if isinstance(data, str) and isinstance(schema.get("maxLength"), int) and len(data) > schema["maxLength"]:
        limit = schema["maxLength"]
        cut = data[:limit]
        space = cut.rfind(" ")
        return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:"), 1
    if isinstance(data, list):
        cuts = 0
        if isinstance(schema.get("maxItems"), int) and len(data) > schema["maxItems"]:
            data, cuts = data[:schema["maxItems"]], 1
        items = schema.get("items")
        if isinstance(items, dict):
            fitted = [fit_bounds(item, items) for item in data]
            return [item for item, _ in fitted], cuts + sum(n for _, n in fitted)
        return data, cuts
    if isinstance(data, dict):
        properties = schema.get("properties", {})
        cuts = 0
        out = {}
        for key, value in data.items():
            if key in properties and isinstance(properties[key], dict):
                value, n = fit_bounds(value, properties[key])
                cuts += n
            out[key] = value
        return out, cuts
    return data, 0

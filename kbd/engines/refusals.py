"""A refused request as a person can act on it: the server's own message, secrets redacted, and the
config change that fixes it.

Seen for real (issue 19): llama-cpp-python's server answers a `json_schema` response_format with
HTTP 500 and a body that says `response_format.type` must be `text` or `json_object`. A 500 is
usually an outage worth retrying; one whose body names a field of the request is the server
refusing that request, and five retries and an open circuit breaker only hid its explanation.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kbd.engines.errors import RequestRefused, SchemaRejected, TooLong
from kbd.engines.structured import MODE_WORDS, about_format

# Words a server uses when it refuses the request's content rather than failing to serve it.
_REQUEST_WORDS = re.compile(
    r"response_format|json_schema|max_tokens|max_completion_tokens|reasoning_effort|temperature|top_p|tool_choice"
    r"|num_predict|\bformat\b|messages[\[.]|['\"`]messages['\"`]|['\"`]model['\"`]|validation error|input should be"
    r"|extra inputs|field required|unrecognized request argument|unsupported parameter|context length"
    r"|context window|context_length", re.I)
_SECRETS = (re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{8,}"), re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-]{8,}"),
            re.compile(r"(?i)([?&](?:api[_-]?key|key|token)=)[^&\s\"']+"))
_CONTEXT = re.compile(r"context (length|window|size)|context_length|exceeds? (the )?(context|maximum)|too many tokens"
                      r"|prompt is too long|maximum context", re.I)


def redact(text: str, key: str = "") -> str:
    """`text` with the configured key and anything shaped like a key or token removed."""
    if key:
        text = text.replace(key, "[api key]")
    text = _SECRETS[0].sub("[secret]", text)
    text = _SECRETS[1].sub("Bearer [secret]", text)
    return _SECRETS[2].sub(r"\1[secret]", text)


def error_message(text: str) -> str:
    """The message of an error body: OpenAI's and Anthropic's {"error": {"message": …}}, Ollama's
    {"error": "…"}, FastAPI's {"detail": …}; else the text itself."""
    try:
        payload = json.loads(text)
    except ValueError:
        return text.strip()
    if not isinstance(payload, dict):
        return text.strip()
    error = payload.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        kind = error.get("type") or error.get("code")
        return error["message"].strip() + (f" ({kind})" if kind else "")
    if isinstance(error, str):
        return error.strip()
    if "detail" in payload:
        return json.dumps(payload["detail"], ensure_ascii=False) if not isinstance(payload["detail"], str) \
            else payload["detail"]
    return text.strip()


def names_a_field(text: str, body: dict[str, Any]) -> bool:
    """Whether an error body is about the request (names one of its fields, or says it is invalid)
    rather than about the server's health."""
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and error.get("param"):
        return True
    if _REQUEST_WORDS.search(text):
        return True
    return any(len(field) > 5 and re.search(rf"\b{re.escape(field)}\b", text) for field in body
               if field not in ("model", "messages", "stream"))


def refusal(status: int, text: str, body: dict[str, Any], endpoint: str, model: str, mode: str,
            key: str = "") -> RequestRefused:
    """The error for a refused request, with what to change in the config."""
    said = " ".join(redact(error_message(text), key).split())[:500] or "(no message)"  # one line, for doctor
    head = f"{endpoint} refused the request for {model} (HTTP {status}): {said}"
    if about_format(status, text, mode):
        fix = ("set `structured: auto` for this model (kbd then finds how this server takes a schema), or "
               f"another mode than {mode}: " + "; ".join(f"{m} = {w}" for m, w in MODE_WORDS.items() if m != mode))
        if status == 400 and ("schema" in text.lower() or "json_schema" in text):
            return SchemaRejected(f"{model} at {endpoint} refused the result schema kbd sent (HTTP {status}: {said}). "
                                  f"Fix: {fix}", status, about_format=True)
        return RequestRefused(f"{head}. Fix: {fix}", status, about_format=True)
    if _CONTEXT.search(text) or status == 413:
        return TooLong(f"{head}. Fix: lower `max_input_tokens` for this model (kbd then sends smaller parts), or give "
                       "the server a larger context (llama.cpp: --ctx-size; llama-cpp-python: --n_ctx; Ollama: "
                       "num_ctx)", status)
    if status in (401, 403):
        fix = ("check the key: `api_key_env` names the environment variable that holds it" if key else
               "this server wants a key: put it in an environment variable and name it in `api_key_env`")
    elif status == 404 and "model" in text.lower():
        fix = f"check `model:` ({model}); `kbd doctor` lists what the server offers"
    elif status in (404, 405):
        fix = ("check `base_url:` (an OpenAI-compatible server's ends in /v1, e.g. http://localhost:11434/v1); "
               f"it was {endpoint}")
    else:
        fix = "change what the message names in this model's entry under `models:` in kbd/config.yaml"
    return RequestRefused(f"{head}. Fix: {fix}", status)

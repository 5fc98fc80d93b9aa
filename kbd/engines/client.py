"""Model providers over plain httpx: OpenAI-compatible chat completions and Anthropic messages.

One call = one structured result: the reply must be JSON matching the caller's schema (OpenAI
`response_format` json_schema / json_object, or the schema in the prompt; Anthropic a forced tool
call whose input_schema is the result schema). The client owns everything that can go wrong on
the wire: retries with exponential backoff and jitter that honour `retry-after`, no retries for
quota or spend-limit errors, a circuit breaker per endpoint, one repair attempt for invalid JSON,
one retry with a larger output budget for truncated replies. API keys come from the environment
at call time and never appear in an error message.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from kbd.engines.errors import BadOutput, EndpointDown, ModelError, QuotaExceeded, Truncated
from kbd.engines.schema import schema_errors

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
QUOTA_MARKERS = ("insufficient_quota", "billing_hard_limit", "spend limit", "spending limit", "credit balance",
                 "quota exceeded", "exceeded your current quota")
ANTHROPIC_VERSION = "2023-06-01"
RESULT_TOOL = "record_result"


@dataclass(frozen=True)
class ModelSpec:
    provider: str  # openai | anthropic
    model: str
    base_url: str
    api_key_env: str | None = None
    structured: str = "json_schema"  # openai-compatible only: json_schema | json_object | prompt
    timeout_seconds: float = 120.0
    max_retries: int = 5
    max_output_tokens: int = 4096


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens,
                     self.cached_tokens + other.cached_tokens)


@dataclass(frozen=True)
class Completion:
    data: dict[str, Any]
    usage: Usage
    requests: int  # HTTP requests this result took, retries and repair included
    latency_seconds: float


@dataclass
class CircuitBreaker:
    """Opens after `threshold` consecutive failed attempts; lets one trial call through after `cooldown`."""

    threshold: int = 5
    cooldown_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    open_until: float = 0.0

    def check(self, endpoint: str) -> None:
        if self.failures >= self.threshold and self.clock() < self.open_until:
            wait = self.open_until - self.clock()
            raise EndpointDown(f"{endpoint} failed {self.failures} times in a row; not calling it for another "
                               f"{wait:.0f} s")

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = self.clock() + self.cooldown_seconds

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = 0.0


@dataclass
class _Reply:
    text: str | None  # openai: message content
    data: Any  # anthropic: tool input (already JSON)
    truncated: bool
    usage: Usage


@dataclass
class ModelClient:
    spec: ModelSpec
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    max_wait_seconds: float = 120.0  # a retry-after longer than this fails the call (retried on the next run)
    transport: httpx.BaseTransport | None = None

    def __post_init__(self) -> None:
        self.http = httpx.Client(timeout=self.spec.timeout_seconds, transport=self.transport)

    def close(self) -> None:
        self.http.close()

    # -- the one public call ----------------------------------------------------------------
    def complete(self, system: str, user: str, schema: dict[str, Any], max_tokens: int | None = None) -> Completion:
        start = time.monotonic()
        budget = max_tokens or self.spec.max_output_tokens
        usage, requests = Usage(), 0
        messages = [{"role": "user", "content": user}]
        repaired = grown = False
        while True:
            reply, tries = self._post_with_retries(system, messages, schema, budget)
            usage, requests = usage + reply.usage, requests + tries
            if reply.truncated:
                if grown:
                    raise Truncated(f"{self.spec.model} stopped at the {budget}-token output limit twice")
                budget, grown = budget * 2, True
                continue
            data, problem = self._parse(reply, schema)
            if problem is None:
                return Completion(data, usage, requests, time.monotonic() - start)
            if repaired:
                raise BadOutput(f"{self.spec.model} returned output that does not match the schema after a repair "
                                f"attempt: {problem}")
            repaired = True
            previous = reply.text if reply.text is not None else json.dumps(reply.data)
            correction = (f"That reply was not valid: {problem}. Reply again with only the JSON result, matching "
                          "the schema exactly.")
            messages = [*messages, {"role": "assistant", "content": previous}, {"role": "user", "content": correction}]

    # -- wire -------------------------------------------------------------------------------
    def _post_with_retries(self, system: str, messages: list[dict[str, str]], schema: dict[str, Any],
                           max_tokens: int) -> tuple[_Reply, int]:
        url, headers, body = self._request(system, messages, schema, max_tokens)
        response, attempts = self._send(url, headers, body)
        try:
            reply = self._reply(response.json())
        except (ValueError, KeyError, IndexError, TypeError):
            reply = _Reply(text=response.text, data=None, truncated=False, usage=Usage())
        return reply, attempts

    def embed(self, texts: list[str]) -> tuple[list[list[float]], Usage, int]:
        """Vectors for `texts` from an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama,
        vLLM, llama.cpp, LM Studio), with the same retries, breaker and key handling as `complete`.
        Returns the vectors in input order, the usage and the HTTP requests it took."""
        key = os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""
        headers = {"content-type": "application/json"}
        if key:
            headers["authorization"] = f"Bearer {key}"
        url = self.spec.base_url.rstrip("/") + "/embeddings"
        response, attempts = self._send(url, headers, {"model": self.spec.model, "input": texts})
        try:
            payload = response.json()
            rows = sorted(payload["data"], key=lambda row: row["index"])
            vectors = [[float(x) for x in row["embedding"]] for row in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadOutput(f"{self.spec.base_url}: the embeddings reply is not in the OpenAI shape ({exc})") from None
        if len(vectors) != len(texts) or len({len(v) for v in vectors}) > 1:
            raise BadOutput(f"{self.spec.base_url}: asked for {len(texts)} embeddings, got {len(vectors)} "
                            "(or vectors of different lengths)")
        u = payload.get("usage") or {}
        return vectors, Usage(int(u.get("prompt_tokens", 0) or 0), 0, 0), attempts

    def _send(self, url: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[httpx.Response, int]:
        """POST with retries: the 200 response and the number of attempts it took."""
        endpoint = self.spec.base_url
        attempt = 0
        while True:
            self.breaker.check(endpoint)
            attempt += 1
            try:
                response = self.http.post(url, headers=headers, json=body)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                self.breaker.failed()
                if attempt > self.spec.max_retries:
                    raise ModelError(f"{endpoint}: no answer after {attempt} attempts ({type(exc).__name__})") from None
                self.sleep(self._backoff(attempt, None))
                continue
            if response.status_code == 200:
                self.breaker.succeeded()
                return response, attempt
            detail = self._safe(response.text[:500])
            if self._is_quota(response):
                raise QuotaExceeded(f"{endpoint}: HTTP {response.status_code}, quota or spend limit reached: {detail}")
            if response.status_code not in RETRY_STATUSES:
                raise ModelError(f"{endpoint}: HTTP {response.status_code}: {detail}")
            self.breaker.failed()
            if attempt > self.spec.max_retries:
                raise ModelError(f"{endpoint}: HTTP {response.status_code} after {attempt} attempts: {detail}")
            wait = self._backoff(attempt, response.headers.get("retry-after"))
            if wait > self.max_wait_seconds:
                raise ModelError(f"{endpoint}: asked to wait {wait:.0f} s (retry-after); trying again on the next run")
            self.sleep(wait)

    def _request(self, system: str, messages: list[dict[str, str]], schema: dict[str, Any],
                 max_tokens: int) -> tuple[str, dict[str, str], dict[str, Any]]:
        key = os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""
        base = self.spec.base_url.rstrip("/")
        if self.spec.provider == "anthropic":
            headers = {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION, "content-type": "application/json"}
            body = {"model": self.spec.model, "max_tokens": max_tokens, "system": system, "messages": messages,
                    "tools": [{"name": RESULT_TOOL, "description": "Record the result.", "input_schema": schema}],
                    "tool_choice": {"type": "tool", "name": RESULT_TOOL}}
            return (base if base.endswith("/v1") else base + "/v1") + "/messages", headers, body
        headers = {"content-type": "application/json"}
        if key:
            headers["authorization"] = f"Bearer {key}"
        body: dict[str, Any] = {"model": self.spec.model, "max_tokens": max_tokens}
        if self.spec.structured == "json_schema":
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "result", "schema": schema, "strict": True}}
        elif self.spec.structured == "json_object":
            body["response_format"] = {"type": "json_object"}
        if self.spec.structured != "json_schema":
            system = f"{system}\n\nReply with only a JSON object matching this JSON schema:\n{json.dumps(schema)}"
        body["messages"] = [{"role": "system", "content": system}, *messages]
        return base + "/chat/completions", headers, body

    def _reply(self, payload: dict[str, Any]) -> _Reply:
        if self.spec.provider == "anthropic":
            u = payload.get("usage") or {}
            usage = Usage(int(u.get("input_tokens", 0)) + int(u.get("cache_read_input_tokens", 0) or 0),
                          int(u.get("output_tokens", 0)), int(u.get("cache_read_input_tokens", 0) or 0))
            tool = next((b for b in payload["content"] if b.get("type") == "tool_use"), None)
            text = "".join(b.get("text", "") for b in payload["content"] if b.get("type") == "text")
            return _Reply(text=None if tool else text, data=tool["input"] if tool else None,
                          truncated=payload.get("stop_reason") == "max_tokens", usage=usage)
        u = payload.get("usage") or {}
        cached = int(((u.get("prompt_tokens_details") or {}).get("cached_tokens")) or 0)
        choice = payload["choices"][0]
        return _Reply(text=choice["message"].get("content") or "", data=None,
                      truncated=choice.get("finish_reason") == "length",
                      usage=Usage(int(u.get("prompt_tokens", 0)), int(u.get("completion_tokens", 0)), cached))

    @staticmethod
    def _parse(reply: _Reply, schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        data = reply.data
        if data is None:
            text = (reply.text or "").strip()
            if text.startswith("```"):  # some servers wrap JSON in a code fence despite instructions
                text = text.strip("`").removeprefix("json").strip()
            try:
                data = json.loads(text)
            except ValueError as exc:
                return {}, f"not JSON ({exc.msg} at character {exc.pos})"
        errors = schema_errors(data, schema)
        if errors:
            return {}, "; ".join(errors[:5])
        return data, None

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                when = email.utils.parsedate_to_datetime(retry_after) if retry_after.strip() else None
                if when is not None:
                    return max(0.0, when.timestamp() - time.time())
        # Exponential with full jitter: spreads retries of parallel workers apart.
        return self.rng.uniform(0, min(30.0, 0.5 * 2 ** attempt))

    def _is_quota(self, response: httpx.Response) -> bool:
        if response.status_code == 402:
            return True
        if response.status_code not in (400, 403, 429):
            return False
        text = response.text.lower()
        return any(marker in text for marker in QUOTA_MARKERS)

    def _safe(self, text: str) -> str:
        key = os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""
        return text.replace(key, "[api key]") if key else text

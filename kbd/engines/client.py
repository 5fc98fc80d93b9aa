"""Model providers over plain httpx: OpenAI-compatible chat completions and Anthropic messages.

One call = one structured result: the reply must be JSON matching the caller's schema (OpenAI
`response_format` json_schema / json_object, or the schema in the prompt; Anthropic a tool call
whose input_schema is the result schema). The client owns everything that can go wrong on the
wire: retries with exponential backoff and jitter that honour `retry-after`, no retries for quota
or spend-limit errors, refusals or a refused schema, a circuit breaker per endpoint that only
repeated 5xx and connection failures open (a 429 is rate limiting, not an outage: it slows every
caller of the model down instead), one repair attempt for invalid JSON, one retry with a larger
output budget for truncated replies, and a total deadline per request so a slow-drip body cannot
hang a job. API keys come from the environment at call time and never appear in an error message.

The request rules of both providers that this module follows are written down, with the pages
they come from, in tests/provider_rules.py, which the test server enforces.

Requests are laid out for the providers' prompt caches: the system prompt (shared instructions
and constraints, the same for every skill), then `prefix` (the source), then the task. Anthropic
requests mark the end of the prefix with `cache_control`; OpenAI caches the longest repeated
prefix by itself.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

from kbd.engines.errors import BadOutput, EndpointDown, ModelError, QuotaExceeded, Refused, SchemaRejected, Truncated
from kbd.engines.schema import schema_errors
from kbd.engines.throttle import Throttle
from kbd.engines.vision import IMAGE_TOKENS, ImageInput, image_chars

_T = TypeVar("_T")
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
QUOTA_MARKERS = ("insufficient_quota", "billing_hard_limit", "spend limit", "spending limit", "credit balance",
                 "quota exceeded", "exceeded your current quota")
ANTHROPIC_VERSION = "2023-06-01"
RESULT_TOOL = "record_result"
MAX_RATE_LIMIT_RETRIES = 30  # 429s are waited out (retry-after) this many times before a call gives up
# Reasoning tokens an OpenAI reasoning model may spend before its answer, per reasoning_effort,
# when the config does not say (`reasoning_tokens`); they count against max_completion_tokens.
REASONING_TOKENS = {"none": 0, "minimal": 1024, "low": 4096, "medium": 8192, "high": 16384}
# Keywords OpenAI strict mode does not accept ("Supported schemas"; see tests/provider_rules.py).
# kbd's own validator enforces them on the reply instead.
_NOT_STRICT = ("minLength", "maxLength", "minProperties", "maxProperties", "patternProperties",
               "unevaluatedProperties", "propertyNames", "unevaluatedItems", "contains", "minContains",
               "maxContains", "uniqueItems", "allOf", "not", "if", "then", "else", "dependentRequired",
               "dependentSchemas")


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
    structured: str = "json_schema"  # openai-compatible only: json_schema | json_object | prompt
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


class Meter(Protocol):
    """Accounts for every request of a call: `reserve` before it is sent (may refuse it, raising
    BudgetExceeded), `settle` with what it was billed once it ended, whatever its fate."""

    def reserve(self, prompt_chars: int, max_tokens: int) -> None: ...

    def settle(self, usage: Usage) -> None: ...


class _NoMeter:
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


@dataclass
class _Reply:
    text: str | None  # openai: message content; anthropic: text blocks when no tool was called
    data: Any  # anthropic: tool input (already JSON)
    truncated: bool
    usage: Usage
    problem: str | None = None  # anthropic: the model called another tool than the task's


class _Transient(Exception):
    """An answer that carried no result but may next time (a 200 whose body is an error, empty choices)."""


@dataclass
class ModelClient:
    spec: ModelSpec
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    max_wait_seconds: float = 120.0  # a retry-after longer than this fails the call (retried on the next run)
    transport: httpx.BaseTransport | None = None
    throttle: Throttle | None = None  # shared by every client of one model; made from the spec if absent
    # Anthropic: every result tool the calls to this model use (name → schema), all offered in every
    # request, so that calls of different skills about one source share one cacheable prefix
    # (tools come first in it, and a change of tool_choice would invalidate the cached messages).
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.http = httpx.Client(timeout=self.spec.timeout_seconds, transport=self.transport)
        if self.throttle is None:
            self.throttle = Throttle(self.spec.max_concurrency, self.spec.requests_per_minute,
                                     self.spec.tokens_per_minute)

    def close(self) -> None:
        self.http.close()

    # -- the one public call ----------------------------------------------------------------
    def complete(self, system: str, user: str, schema: dict[str, Any], max_tokens: int | None = None,
                 meter: Meter | None = None, prefix: str = "", tool: str = RESULT_TOOL,
                 image: ImageInput | None = None) -> Completion:
        """`prefix` (the source, shared by every call about it) goes first in the user turn and is
        marked cacheable; `user` is the task; `image` (for a vision model) goes with the task. Every
        request is reserved and settled on `meter`."""
        start = time.monotonic()
        meter = meter or _NoMeter()
        budget = max_tokens or self.spec.max_output_tokens
        usage, requests = Usage(), 0
        content = self._user_content(prefix, user, schema, tool)
        if image is not None:
            # Anthropic reads an image best before the text about it; OpenAI-compatible servers after it.
            text = [{"type": "text", "text": content}] if isinstance(content, str) else content
            content = ([image.part("anthropic"), *text] if self.spec.provider == "anthropic"
                       else [*text, image.part("openai")])
        messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
        repaired = grown = False
        while True:
            reply, tries = self._post_with_retries(system, messages, schema, budget, meter, tool)
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
            messages = [*messages, {"role": "assistant", "content": previous or "(empty)"},
                        {"role": "user", "content": correction}]

    # -- wire -------------------------------------------------------------------------------
    def _post_with_retries(self, system: str, messages: list[dict[str, Any]], schema: dict[str, Any],
                           max_tokens: int, meter: Meter, tool: str) -> tuple[_Reply, int]:
        url, headers, body = self._request(system, messages, schema, max_tokens, tool)
        return self._send(url, headers, body, meter, lambda text: self._reply(text, tool))

    def embed(self, texts: list[str], meter: Meter | None = None) -> tuple[list[list[float]], Usage, int]:
        """Vectors for `texts` from an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama,
        vLLM, llama.cpp, LM Studio), with the same throttle, budget, retries, breaker and key handling
        as `complete`. Returns the vectors in input order, the usage and the HTTP requests it took."""
        key = os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""
        headers = {"content-type": "application/json"}
        if key:
            headers["authorization"] = f"Bearer {key}"
        url = self.spec.base_url.rstrip("/") + "/embeddings"
        payload, attempts = self._send(url, headers, {"model": self.spec.model, "input": texts}, meter or _NoMeter(),
                                       _json_object)
        try:
            rows = sorted(payload["data"], key=lambda row: row["index"])
            vectors = [[float(x) for x in row["embedding"]] for row in rows]
        except (KeyError, TypeError, ValueError) as exc:
            raise BadOutput(f"{self.spec.base_url}: the embeddings reply is not in the OpenAI shape ({exc})") from None
        if len(vectors) != len(texts) or len({len(v) for v in vectors}) > 1:
            raise BadOutput(f"{self.spec.base_url}: asked for {len(texts)} embeddings, got {len(vectors)} "
                            "(or vectors of different lengths)")
        return vectors, self._usage(payload.get("usage")), attempts

    def _send(self, url: str, headers: dict[str, str], body: dict[str, Any], meter: Meter,
              read: Callable[[str], _T]) -> tuple[_T, int]:
        """POST with retries: what `read` makes of the 200 answer (it raises _Transient for an answer
        worth asking again) and the HTTP requests it took."""
        endpoint = self.spec.base_url
        encoded, images = image_chars(body)
        prompt_chars = len(json.dumps(body, ensure_ascii=False)) - encoded + int(images * IMAGE_TOKENS * 3.5)
        wire_budget = body.get("max_tokens") or body.get("max_completion_tokens") or 0
        attempt = rate_limited = sent = 0
        assert self.throttle is not None
        while True:
            self.breaker.check(endpoint)
            attempt += 1
            sent += 1
            meter.reserve(prompt_chars, wire_budget)
            billed = Usage()
            self.throttle.acquire(int(prompt_chars / 3.5) + wire_budget)
            try:
                status, response_headers, text = self._post(url, headers, body)
                self.throttle.observe(response_headers)
                if status == 200:
                    billed = self._billed(text)  # charged whatever becomes of the reply
                    result = read(text)
                    self.breaker.succeeded()
                    return result, sent
            except (httpx.TimeoutException, httpx.TransportError, _Transient) as exc:
                self.breaker.failed(self._safe(str(exc)) if isinstance(exc, _Transient) else
                                    f"no answer ({type(exc).__name__})")
                if attempt > self.spec.max_retries:
                    what = str(exc) if isinstance(exc, _Transient) else f"no answer ({type(exc).__name__})"
                    raise ModelError(f"{endpoint}: {self._safe(what)} after {attempt} attempts") from None
                self.sleep(self._backoff(attempt, None))
                continue
            finally:
                self.throttle.release()
                meter.settle(billed)
            detail = self._safe(_error_message(text)[:500])
            if self._is_quota(status, text):
                raise QuotaExceeded(f"{endpoint}: HTTP {status}, quota or spend limit reached: {detail}")
            if status not in RETRY_STATUSES:
                if status == 400 and _about_schema(text):
                    raise SchemaRejected(f"{self.spec.model} at {endpoint} refused the result schema kbd sent "
                                         f"(HTTP 400: {detail}); set `structured: json_object` or `prompt` for this "
                                         "model if its server does not support strict JSON schemas")
                raise ModelError(f"{endpoint}: HTTP {status}: {detail}")
            if status == 429:  # rate limiting, not an outage: wait as asked, slow every caller down
                rate_limited += 1
                attempt -= 1
                if rate_limited > MAX_RATE_LIMIT_RETRIES:
                    raise ModelError(f"{endpoint}: still rate limited (HTTP 429) after {rate_limited} waits: "
                                     f"{detail}")
                wait = self._backoff(rate_limited, response_headers.get("retry-after"))
                if wait > self.max_wait_seconds:
                    raise ModelError(f"{endpoint}: asked to wait {wait:.0f} s (retry-after); trying again on the "
                                     "next run")
                self.throttle.pause(wait)
                self.sleep(wait)
                continue
            self.breaker.failed(f"HTTP {status}")
            if attempt > self.spec.max_retries:
                raise ModelError(f"{endpoint}: HTTP {status} after {attempt} attempts: {detail}")
            wait = self._backoff(attempt, response_headers.get("retry-after"))
            if wait > self.max_wait_seconds:
                raise ModelError(f"{endpoint}: asked to wait {wait:.0f} s (retry-after); trying again on the next run")
            self.sleep(wait)

    def _post(self, url: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, httpx.Headers, str]:
        """One request, read with a deadline for the whole answer: httpx's timeout bounds each read,
        so a body that drips in a few bytes at a time would otherwise never time out."""
        deadline = time.monotonic() + self.spec.timeout_seconds
        with self.http.stream("POST", url, headers=headers, json=body) as response:
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"the answer took longer than {self.spec.timeout_seconds:.0f} s")
            return response.status_code, response.headers, b"".join(chunks).decode("utf-8", "replace")

    def _user_content(self, prefix: str, task: str, schema: dict[str, Any], tool: str = RESULT_TOOL
                      ) -> str | list[dict[str, Any]]:
        if self.spec.provider == "openai" and self.spec.structured != "json_schema":
            task = f"{task}\n\nReply with only a JSON object matching this JSON schema:\n{json.dumps(schema)}"
        if self.spec.provider == "anthropic" and (self.spec.thinking_budget or len(self._offered(tool, schema)) > 1):
            task = f"{task}\n\nGive the result by calling the {tool} tool."
        if not prefix:
            return task
        if self.spec.provider == "anthropic":
            return [{"type": "text", "text": prefix, "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": task}]
        return f"{prefix}\n\n{task}"

    def _offered(self, tool: str, schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {**(self.tools if tool in self.tools else {}), tool: schema}

    def _request(self, system: str, messages: list[dict[str, Any]], schema: dict[str, Any],
                 max_tokens: int, tool: str = RESULT_TOOL) -> tuple[str, dict[str, str], dict[str, Any]]:
        key = os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""
        base = self.spec.base_url.rstrip("/")
        if self.spec.provider == "anthropic":
            headers = {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION, "content-type": "application/json"}
            offered = self._offered(tool, schema)
            body: dict[str, Any] = {
                "model": self.spec.model, "max_tokens": max_tokens + self.spec.reasoning_allowance(),
                "system": system, "messages": messages,
                "tools": [{"name": name, "description": "Record the result" + (" of the task that names this tool."
                                                                              if len(offered) > 1 else "."),
                           "input_schema": offered[name]} for name in sorted(offered)],
                # One tool: force it. Several: any of them (the same choice in every request, so the
                # cached prefix holds); the task names the one to call.
                "tool_choice": {"type": "tool", "name": tool} if len(offered) == 1 else {"type": "any"}}
            if self.spec.thinking_budget:
                # Extended thinking refuses a forced tool call; the model is asked to call it instead.
                body["thinking"] = {"type": "enabled", "budget_tokens": self.spec.thinking_budget}
                body["tool_choice"] = {"type": "auto"}
            return (base if base.endswith("/v1") else base + "/v1") + "/messages", headers, body
        headers = {"content-type": "application/json"}
        if key:
            headers["authorization"] = f"Bearer {key}"
        body = {"model": self.spec.model}
        if self.spec.reasoning:
            # Reasoning models refuse max_tokens; max_completion_tokens covers reasoning + answer.
            body["max_completion_tokens"] = max_tokens + self.spec.reasoning_allowance()
            if self.spec.reasoning_effort is not None:
                body["reasoning_effort"] = self.spec.reasoning_effort
        else:
            body["max_tokens"] = max_tokens
        if self.spec.structured == "json_schema":
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "result", "schema": strict_schema(schema),
                                                       "strict": True}}
        elif self.spec.structured == "json_object":
            body["response_format"] = {"type": "json_object"}
        body["messages"] = [{"role": "system", "content": system}, *messages]
        return base + "/chat/completions", headers, body

    def _reply(self, text: str, tool: str = RESULT_TOOL) -> _Reply:
        payload = _json_object(text)
        usage = self._usage(payload.get("usage"))
        if self.spec.provider == "anthropic":
            content = payload.get("content")
            if payload.get("stop_reason") == "refusal":
                raise Refused(f"{self.spec.model} refused to answer (stop_reason: refusal)")
            if not isinstance(content, list) or not content:  # like empty choices: nothing came back
                raise _Transient("the answer had no content")
            calls = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
            called = next((b for b in calls if b.get("name") == tool), None)
            text_out = "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
            wrong = f"it called the {calls[0].get('name')} tool; call {tool}" if calls and not called else None
            return _Reply(text=None if called else text_out, data=called.get("input") if called else None,
                          truncated=payload.get("stop_reason") == "max_tokens", usage=usage, problem=wrong)
        choices = payload.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise _Transient("the answer had no choices")
        choice = choices[0]
        message = choice.get("message") or {}
        if message.get("refusal"):
            raise Refused(f"{self.spec.model} refused to answer: {self._safe(str(message['refusal']))[:300]}")
        if choice.get("finish_reason") == "content_filter":
            raise Refused(f"{self.spec.model}: the provider's content filter stopped the answer")
        return _Reply(text=message.get("content") or "", data=None, truncated=choice.get("finish_reason") == "length",
                      usage=usage)

    def _billed(self, text: str) -> Usage:
        try:
            payload = json.loads(text)
        except ValueError:
            return Usage()
        return self._usage(payload.get("usage")) if isinstance(payload, dict) else Usage()

    def _usage(self, u: Any) -> Usage:
        if not isinstance(u, dict):
            return Usage()
        if self.spec.provider == "anthropic":
            # input_tokens excludes cache reads and cache writes; kbd's input_tokens is the whole prompt.
            read, write = _int(u.get("cache_read_input_tokens")), _int(u.get("cache_creation_input_tokens"))
            return Usage(_int(u.get("input_tokens")) + read + write, _int(u.get("output_tokens")), read, write)
        cached = _int((u.get("prompt_tokens_details") or {}).get("cached_tokens"))
        return Usage(_int(u.get("prompt_tokens")), _int(u.get("completion_tokens")), cached)

    @staticmethod
    def _parse(reply: _Reply, schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        if reply.problem:
            return {}, reply.problem
        data = reply.data
        if data is None:
            text = (reply.text or "").strip()
            if text.startswith("```"):  # some servers wrap JSON in a code fence despite instructions
                text = text.strip("`").removeprefix("json").strip()
            try:
                data = json.loads(text)
            except ValueError as exc:
                return {}, f"not JSON ({exc.msg} at character {exc.pos})"
        data = _drop_optional_nulls(data, schema)
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

    @staticmethod
    def _is_quota(status: int, text: str) -> bool:
        if status == 402:
            return True
        if status not in (400, 403, 429):
            return False
        lowered = text.lower()
        return any(marker in lowered for marker in QUOTA_MARKERS)

    def _safe(self, text: str) -> str:
        key = os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""
        return text.replace(key, "[api key]") if key else text


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


def _drop_optional_nulls(data: Any, schema: dict[str, Any]) -> Any:
    """Undo `strict_schema`'s nullable optionals: a null for a property the skill made optional
    means "absent"."""
    if not isinstance(data, dict) or schema.get("type") != "object":
        return data
    required = set(schema.get("required", []))
    properties = schema.get("properties", {})
    return {k: (_drop_optional_nulls(v, properties[k]) if k in properties else v)
            for k, v in data.items() if not (v is None and k in properties and k not in required
                                             and "null" not in str(properties[k].get("type")))}


def _json_object(text: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except ValueError:
        raise _Transient("the answer was not JSON (cut short or garbled on the wire)") from None
    if not isinstance(payload, dict):
        raise _Transient("the answer was not a JSON object")
    if "error" in payload or payload.get("type") == "error":  # some gateways answer 200 with an error body
        raise _Transient(f"HTTP 200 carrying an error: {_error_message(text)[:300]}")
    return payload


def _error_message(text: str) -> str:
    """The message of either provider's error body ({"error": {"message": ...}}), else the text."""
    try:
        payload = json.loads(text)
    except ValueError:
        return text
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        kind = error.get("type") or error.get("code")
        return f"{error['message']}" + (f" ({kind})" if kind else "")
    return text


def _about_schema(text: str) -> bool:
    try:
        error = json.loads(text).get("error") or {}
    except (ValueError, AttributeError):
        return False
    if not isinstance(error, dict):
        return False
    return (error.get("code") == "invalid_json_schema" or str(error.get("param", "")).startswith("response_format")
            or "schema" in str(error.get("message", "")).lower())


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0

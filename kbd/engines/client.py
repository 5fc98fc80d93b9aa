"""Model providers over plain httpx: OpenAI-compatible chat completions and Anthropic messages.

One call = one structured result: the reply must be JSON matching the caller's schema (sent in
the structured mode the config names or `auto` finds: kbd/engines/structured.py; Anthropic a tool
call whose input_schema is the result schema). The client owns everything that can go wrong on the
wire: retries with exponential backoff and jitter that honour `retry-after`, only for transport
failures, 429s and overloads; no retries for quota or spend-limit errors, model refusals, or a
request the server refused (a 4xx, or a 500 whose body names a request field: the error carries
the server's message and the fix, kbd/engines/refusals.py); a circuit breaker per endpoint that
only repeated overloads and connection failures open (a 429 is rate limiting, not an outage: it
slows every caller of the model down instead), one repair attempt for invalid JSON, values trimmed
to the schema's bounds, one retry with a larger output budget for truncated replies, and a total
deadline per request so a slow-drip body cannot hang a job. API keys come from the environment at
call time and never appear in an error message.

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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx

from kbd.engines.calls import (
    CircuitBreaker,
    Completion,
    Meter,
    ModelSpec,
    ModeMemory,
    NoMeter,
    Usage,
)
from kbd.engines.errors import BadOutput, ModelError, QuotaExceeded, Refused, RequestRefused, Truncated
from kbd.engines.refusals import error_message, names_a_field, redact, refusal
from kbd.engines.schema import schema_errors
from kbd.engines.structured import (
    AUTO,
    MODE_WORDS,
    MODES,
    drop_optional_nulls,
    fit_bounds,
    ollama_body,
    ollama_root,
    response_format,
    schema_in_prompt,
)
from kbd.engines.throttle import Throttle
from kbd.engines.vision import IMAGE_TOKENS, ImageInput, image_chars

_T = TypeVar("_T")
# Worth asking again: rate limits, timeouts and overloads. A 500 only when its body does not name
# a field of the request (then the server refused the request itself: kbd/engines/refusals.py).
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
QUOTA_MARKERS = ("insufficient_quota", "billing_hard_limit", "spend limit", "spending limit", "credit balance",
                 "quota exceeded", "exceeded your current quota")
ANTHROPIC_VERSION = "2023-06-01"
RESULT_TOOL = "record_result"
MAX_RATE_LIMIT_RETRIES = 30  # 429s are waited out (retry-after) this many times before a call gives up
@dataclass
class _Reply:
    text: str | None  # openai: message content; anthropic: text blocks when no tool was called
    data: Any  # anthropic: tool input (already JSON)
    truncated: bool
    usage: Usage
    problem: str | None = None  # anthropic: the model called another tool than the task's
    trimmed: int = 0


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
    modes: ModeMemory | None = None  # `structured: auto`: what worked before, per endpoint and model

    def __post_init__(self) -> None:
        self.http = httpx.Client(timeout=self.spec.timeout_seconds, transport=self.transport)
        if self.throttle is None:
            self.throttle = Throttle(self.spec.max_concurrency, self.spec.requests_per_minute,
                                     self.spec.tokens_per_minute)
        self.mode_reason = ""  # why the mode in use was chosen (`kbd doctor` shows it)
        self._mode: str | None = None if self.spec.structured == AUTO else self.spec.structured
        self._probing = threading.Lock()

    @property
    def where(self) -> str:
        """The endpoint and model a remembered mode belongs to."""
        return f"{self.spec.provider} {self.spec.base_url.rstrip('/')} {self.spec.model}"

    def structured_mode(self) -> str | None:
        """The mode requests go out in: the configured one, or what `auto` found (None: not yet known)."""
        if self.spec.provider != "openai":
            return "tool"
        if self._mode is None and self.modes is not None:
            known = self.modes.remembered(self.where)
            if known is not None and known[0] in MODES:
                self._mode, self.mode_reason = known[0], known[1]
        return self._mode

    def forget_mode(self) -> None:
        """Find the mode again on the next call (`kbd doctor` does, and so does a refused remembered mode)."""
        if self.spec.structured == AUTO:
            self._mode, self.mode_reason = None, ""

    def close(self) -> None:
        self.http.close()

    # -- the one public call ----------------------------------------------------------------
    def complete(self, system: str, user: str, schema: dict[str, Any], max_tokens: int | None = None,
                 meter: Meter | None = None, prefix: str = "", tool: str = RESULT_TOOL,
                 image: ImageInput | None = None) -> Completion:
        """`prefix` (the source, shared by every call about it) goes first in the user turn and is
        marked cacheable; `user` is the task; `image` (for a vision model) goes with the task. Every
        request is reserved and settled on `meter`."""
        meter = meter or NoMeter()
        mode = self.structured_mode()
        if mode is not None:
            try:
                return self._complete(mode, system, user, schema, max_tokens, meter, prefix, tool, image)
            except RequestRefused as exc:
                if not (exc.about_format and self.spec.structured == AUTO):
                    raise
                self.forget_mode()  # the server changed since the mode was remembered: find it again
        with self._probing:  # one call finds the mode; the others wait for it
            mode = self.structured_mode()
            if mode is not None:
                return self._complete(mode, system, user, schema, max_tokens, meter, prefix, tool, image)
            return self._complete_probing(system, user, schema, max_tokens, meter, prefix, tool, image)

    def _complete_probing(self, system: str, user: str, schema: dict[str, Any], max_tokens: int | None,
                          meter: Meter, prefix: str, tool: str, image: ImageInput | None) -> Completion:
        """`structured: auto` with no mode known: the call itself, in each mode in turn until the
        server accepts one; that mode is remembered, with why the ones before it were not."""
        tried: list[str] = []
        for mode in MODES:
            try:
                completion = self._complete(mode, system, user, schema, max_tokens, meter, prefix, tool, image)
            except RequestRefused as exc:
                if not exc.about_format:
                    raise
                tried.append(f"{mode} refused (HTTP {exc.status}: {_said(str(exc))})")
                continue
            except (BadOutput, Truncated, Refused):
                self._decided(mode, tried)  # the server took the mode; the model's answer was the trouble
                raise
            self._decided(mode, tried)
            return replace(completion, requests=completion.requests + len(tried))  # each refusal was one
        raise ModelError(f"{self.spec.base_url}: no way of sending a schema was accepted: " + "; ".join(tried))

    def _decided(self, mode: str, tried: list[str]) -> None:
        self._mode = mode
        self.mode_reason = "; ".join([*tried, f"{MODE_WORDS[mode]} accepted"])
        if self.modes is not None:
            self.modes.remember(self.where, mode, self.mode_reason)

    def _complete(self, mode: str, system: str, user: str, schema: dict[str, Any], max_tokens: int | None,
                  meter: Meter, prefix: str, tool: str, image: ImageInput | None = None) -> Completion:
        start = time.monotonic()
        budget = max_tokens or self.spec.max_output_tokens
        usage, requests = Usage(), 0
        content = self.user_content(prefix, user, schema, tool, mode)
        if image is not None:
            # Anthropic reads an image best before the text about it; OpenAI-compatible servers after it.
            text = [{"type": "text", "text": content}] if isinstance(content, str) else content
            content = ([image.part("anthropic"), *text] if self.spec.provider == "anthropic"
                       else [*text, image.part("openai")])
        messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
        repaired = grown = False
        while True:
            reply, tries = self._post_with_retries(system, messages, schema, budget, meter, tool, mode)
            usage, requests = usage + reply.usage, requests + tries
            if reply.truncated:
                if grown:
                    raise Truncated(f"{self.spec.model} stopped at the {budget}-token output limit twice")
                budget, grown = budget * 2, True
                continue
            data, problem = self._parse(reply, schema)
            if problem is None:
                return Completion(data, usage, requests, time.monotonic() - start, reply.trimmed)
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
                           max_tokens: int, meter: Meter, tool: str, mode: str) -> tuple[_Reply, int]:
        url, headers, body = self.build_request(system, messages, schema, max_tokens, tool, mode)
        return self._send(url, headers, body, meter, lambda text: self._reply(text, tool, mode), mode)

    def embed(self, texts: list[str], meter: Meter | None = None) -> tuple[list[list[float]], Usage, int]:
        """Vectors for `texts` from an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama,
        vLLM, llama.cpp, LM Studio), with the same throttle, budget, retries, breaker and key handling
        as `complete`. Returns the vectors in input order, the usage and the HTTP requests it took."""
        key = os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""
        headers = {"content-type": "application/json"}
        if key:
            headers["authorization"] = f"Bearer {key}"
        url = self.spec.base_url.rstrip("/") + "/embeddings"
        payload, attempts = self._send(url, headers, {"model": self.spec.model, "input": texts}, meter or NoMeter(),
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
              read: Callable[[str], _T], mode: str = "") -> tuple[_T, int]:
        """POST with retries: what `read` makes of the 200 answer (it raises _Transient for an answer
        worth asking again) and the HTTP requests it took. A refused request raises RequestRefused
        at once; only transport failures, 429s and overloads are asked again."""
        endpoint = self.spec.base_url
        encoded, images = image_chars(body)
        prompt_chars = len(json.dumps(body, ensure_ascii=False)) - encoded + int(images * IMAGE_TOKENS * 3.5)
        wire_budget = (body.get("max_tokens") or body.get("max_completion_tokens")
                       or (body.get("options") or {}).get("num_predict") or 0)  # Ollama's native /api/chat
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
            detail = self._safe(error_message(text)[:500])
            if self._is_quota(status, text):
                raise QuotaExceeded(f"{endpoint}: HTTP {status}, quota or spend limit reached: {detail}")
            if status not in RETRY_STATUSES or (status == 500 and names_a_field(text, body)):
                raise refusal(status, text, body, endpoint, self.spec.model, mode, self._key())
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

    def user_content(self, prefix: str, task: str, schema: dict[str, Any], tool: str = RESULT_TOOL,
                     mode: str = "json_schema") -> str | list[dict[str, Any]]:
        if self.spec.provider == "openai" and schema_in_prompt(mode):
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

    def build_request(self, system: str, messages: list[dict[str, Any]], schema: dict[str, Any],
                      max_tokens: int, tool: str = RESULT_TOOL, mode: str = "json_schema"
                      ) -> tuple[str, dict[str, str], dict[str, Any]]:
        key = self._key()
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
        if mode == "ollama":
            return (ollama_root(base) + "/api/chat", headers,
                    ollama_body(self.spec.model, system, messages, schema, max_tokens))
        body = {"model": self.spec.model}
        if self.spec.reasoning:
            # Reasoning models refuse max_tokens; max_completion_tokens covers reasoning + answer.
            body["max_completion_tokens"] = max_tokens + self.spec.reasoning_allowance()
            if self.spec.reasoning_effort is not None:
                body["reasoning_effort"] = self.spec.reasoning_effort
        else:
            body["max_tokens"] = max_tokens
        fmt = response_format(mode, schema)
        if fmt is not None:
            body["response_format"] = fmt
        body["messages"] = [{"role": "system", "content": system}, *messages]
        return base + "/chat/completions", headers, body

    def _reply(self, text: str, tool: str = RESULT_TOOL, mode: str = "") -> _Reply:
        payload = _json_object(text)
        if mode == "ollama":  # /api/chat: {"message": {...}, "done_reason": "stop" | "length", counts}
            message = payload.get("message")
            if not isinstance(message, dict):
                raise _Transient("the answer had no message")
            return _Reply(text=str(message.get("content") or ""), data=None, usage=self._usage(payload),
                          truncated=payload.get("done_reason") == "length")
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
        if not isinstance(payload, dict):
            return Usage()
        return self._usage(payload if "eval_count" in payload else payload.get("usage"))

    def _usage(self, u: Any) -> Usage:
        if not isinstance(u, dict):
            return Usage()
        if "eval_count" in u or "prompt_eval_count" in u:  # Ollama's native reply counts at its top level
            return Usage(_int(u.get("prompt_eval_count")), _int(u.get("eval_count")))
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
                # strict=False: a raw newline or tab inside a string (small models write them, seen
                # from SmolLM2 under llama.cpp's grammar) is kept as text, not a reason to repair.
                data = json.loads(text, strict=False)
            except ValueError as exc:
                return {}, f"not JSON ({exc.msg} at character {exc.pos})"
        data, reply.trimmed = fit_bounds(drop_optional_nulls(data, schema), schema)
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

    def _key(self) -> str:
        return os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""

    def _safe(self, text: str) -> str:
        return redact(text, self._key())


def _json_object(text: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except ValueError:
        raise _Transient("the answer was not JSON (cut short or garbled on the wire)") from None
    if not isinstance(payload, dict):
        raise _Transient("the answer was not a JSON object")
    if "error" in payload or payload.get("type") == "error":  # some gateways answer 200 with an error body
        raise _Transient(f"HTTP 200 carrying an error: {error_message(text)[:300]}")
    return payload


def _said(message: str) -> str:
    """The server's words out of a RequestRefused message, short."""
    said = message.split("): ", 1)[-1].split(". Fix:", 1)[0]
    return said[:160]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0

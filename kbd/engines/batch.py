"""Provider batch interfaces: many requests sent at once, answered within 24 hours at half price.

OpenAI (any server with its Batch API): the requests go up as a JSONL file (POST /files,
purpose "batch"; one line per request: custom_id, method, url, body), POST /batches starts the
batch, GET /batches/{id} polls it, and its output and error files (GET /files/{id}/content) hold
one line per request. Anthropic: POST /v1/messages/batches takes the requests (custom_id, params)
in one body, GET /v1/messages/batches/{id} polls, GET .../results streams one JSONL line per
request once it has ended. tests/fake_batch.py writes both protocols down in full and enforces
them. Each request's body is exactly what `ModelClient` would send synchronously (its request
builder makes it), and each answer is read by the same parser, so a batched result is checked
like any other. Results are billed at `BATCH_DISCOUNT` of the synchronous price.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from kbd.engines.client import RETRY_STATUSES, ModelClient, Usage, _Transient
from kbd.engines.errors import ModelError
from kbd.engines.refusals import error_message

BATCH_DISCOUNT = 0.5
COMPLETION_WINDOW = "24h"
OPENAI_ENDPOINT = "/v1/chat/completions"
MAX_REQUESTS = 10_000  # per batch, well inside both providers' limits (50,000 and 100,000)
_ENDED = {"completed", "failed", "expired", "cancelled"}  # OpenAI statuses after which nothing changes
_ATTEMPTS = 4
_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


@dataclass(frozen=True)
class BatchStatus:
    id: str
    ended: bool  # no more results will come
    status: str  # the provider's word: in_progress, completed, ended, failed, expired …
    done: int
    failed: int
    total: int
    problem: str = ""  # why a whole batch failed (OpenAI validation errors)


@dataclass(frozen=True)
class BatchResult:
    custom_id: str
    data: dict[str, Any] | None  # the structured result, when the answer was valid
    usage: Usage  # what the answer was billed for (at the synchronous rate)
    problem: str | None  # why there is no result


class BatchClient:
    """One model's batch interface, speaking through a ModelClient's HTTP connection and key."""

    def __init__(self, client: ModelClient) -> None:
        self.client = client
        self.spec = client.spec
        base = self.spec.base_url.rstrip("/")
        self.base = base if self.spec.provider == "openai" or base.endswith("/v1") else base + "/v1"

    def body(self, system: str, prefix: str, task: str, schema: dict[str, Any], max_tokens: int,
             tool: str) -> dict[str, Any]:
        """The request body, as the synchronous call would send it (`tool`: Anthropic's result tool)."""
        messages = [{"role": "user", "content": self.client.user_content(prefix, task, schema, tool)}]
        return self.client.build_request(system, messages, schema, max_tokens, tool)[2]

    # -- submit, poll, collect --------------------------------------------------------------
    def submit(self, requests: list[tuple[str, dict[str, Any]]]) -> str:
        """Send (custom_id, body) pairs as one batch; its id."""
        if self.spec.provider == "anthropic":
            payload = {"requests": [{"custom_id": cid, "params": body} for cid, body in requests]}
            return _id(self._json("POST", f"{self.base}/messages/batches", json=payload))
        lines = "".join(json.dumps({"custom_id": cid, "method": "POST", "url": OPENAI_ENDPOINT, "body": body},
                                   ensure_ascii=False) + "\n" for cid, body in requests)
        uploaded = self._json("POST", f"{self.base}/files", data={"purpose": "batch"},
                              files={"file": ("kbd-batch.jsonl", lines.encode("utf-8"), "application/jsonl")})
        batch = self._json("POST", f"{self.base}/batches",
                           json={"input_file_id": _id(uploaded), "endpoint": OPENAI_ENDPOINT,
                                 "completion_window": COMPLETION_WINDOW, "metadata": {"made_by": "kbd compile"}})
        return _id(batch)

    def poll(self, batch_id: str) -> BatchStatus:
        if self.spec.provider == "anthropic":
            b = self._json("GET", f"{self.base}/messages/batches/{batch_id}")
            counts = b.get("request_counts") or {}
            failed = sum(int(counts.get(k, 0)) for k in ("errored", "canceled", "expired"))
            done = int(counts.get("succeeded", 0))
            return BatchStatus(batch_id, b.get("processing_status") == "ended", str(b.get("processing_status")),
                               done, failed, done + failed + int(counts.get("processing", 0)))
        b = self._json("GET", f"{self.base}/batches/{batch_id}")
        counts = b.get("request_counts") or {}
        errors = (b.get("errors") or {}).get("data") or []
        problem = "; ".join(f"line {e.get('line')}: {e.get('message')}" if e.get("line") else str(e.get("message"))
                            for e in errors[:3])
        return BatchStatus(batch_id, b.get("status") in _ENDED, str(b.get("status")), int(counts.get("completed", 0)),
                           int(counts.get("failed", 0)), int(counts.get("total", 0)), problem)

    def results(self, batch_id: str, schema: dict[str, Any], tool: str) -> dict[str, BatchResult]:
        """Every answer of an ended batch, by custom_id, checked against `schema`."""
        out: dict[str, BatchResult] = {}
        if self.spec.provider == "anthropic":
            for line in self._lines(f"{self.base}/messages/batches/{batch_id}/results"):
                result = line.get("result") or {}
                if result.get("type") == "succeeded":
                    out[line["custom_id"]] = self._read(line["custom_id"], result.get("message"), schema, tool)
                else:
                    why = error_message(json.dumps(result.get("error"))) if result.get("error") else ""
                    out[line["custom_id"]] = BatchResult(line["custom_id"], None, Usage(),
                                                         f"{result.get('type', 'no result')} {why}".strip())
            return out
        batch = self._json("GET", f"{self.base}/batches/{batch_id}")
        for file_key in ("output_file_id", "error_file_id"):
            if not batch.get(file_key):
                continue
            for line in self._lines(f"{self.base}/files/{_id({'id': batch[file_key]})}/content"):
                cid = line.get("custom_id")
                response = line.get("response") or {}
                if response.get("status_code") == 200:
                    out[cid] = self._read(cid, response.get("body"), schema, tool)
                else:
                    error = line.get("error") or (response.get("body") or {}).get("error") or {}
                    status = f"HTTP {response['status_code']}: " if response.get("status_code") else ""
                    out[cid] = BatchResult(cid, None, self.client._usage((response.get("body") or {}).get("usage")),
                                           f"{status}{error.get('message') or error.get('code') or 'failed'}")
        return out

    def _read(self, custom_id: str, payload: Any, schema: dict[str, Any], tool: str) -> BatchResult:
        """One answer, read exactly as a synchronous reply is: refusals, truncation, schema."""
        text = json.dumps(payload)
        usage = self.client._billed(text)
        try:
            reply = self.client._reply(text, tool)
        except (_Transient, ModelError) as exc:
            return BatchResult(custom_id, None, usage, str(exc))
        if reply.truncated:
            return BatchResult(custom_id, None, usage, "stopped at the output limit")
        data, problem = self.client._parse(reply, schema)
        return BatchResult(custom_id, data if problem is None else None, usage, problem)

    # -- wire -------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = self.client.build_request("", [], {"type": "object"}, 1)[1]
        return {k: v for k, v in headers.items() if k != "content-type"}

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                response = self.client.http.request(method, url, headers=self._headers(), **kwargs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if attempt == _ATTEMPTS:
                    raise ModelError(f"{self.spec.base_url}: batch {method} failed ({type(exc).__name__})") from None
                time.sleep(self.client._backoff(attempt, None))
                continue
            if response.status_code == 200:
                return response
            if response.status_code not in RETRY_STATUSES or attempt == _ATTEMPTS:
                detail = self.client._safe(error_message(response.text)[:300])
                raise ModelError(f"{self.spec.base_url}: the batch interface answered HTTP {response.status_code} "
                                 f"to {method} {url.removeprefix(self.base)}: {detail}")
            time.sleep(min(30.0, self.client._backoff(attempt, response.headers.get("retry-after"))))
        raise AssertionError("unreachable")

    def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, url, **kwargs)
        try:
            payload = response.json()
        except ValueError:
            raise ModelError(f"{self.spec.base_url}: the batch interface answered something that is not JSON") from None
        if not isinstance(payload, dict) or ("id" not in payload and method == "POST"):
            raise ModelError(f"{self.spec.base_url}: the batch interface answered without an id")
        return payload

    def _lines(self, url: str) -> list[dict[str, Any]]:
        out = []
        for raw in self._send("GET", url).text.splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue  # a torn line: its request is treated as unanswered and retried normally
            if isinstance(line, dict) and isinstance(line.get("custom_id"), str):
                out.append(line)
        return out


def _id(payload: dict[str, Any]) -> str:
    """An id the provider gave: it goes into URLs and state.db, so it must look like one."""
    value = payload.get("id")
    if not isinstance(value, str) or not _ID.match(value):
        raise ModelError(f"the batch interface answered an id kbd cannot use: {str(value)[:80]!r}")
    return value

"""The providers' batch interfaces on the loopback fake (tests/fake_llm.py), as strict as the real
ones. `FakeBatches(fake)` mounts them on a FakeLLM; each request inside a batch is answered by the
fake's model (`answer`, by default the fake's `default`) after the same request rules a
synchronous request meets (tests/provider_rules.py). Batches end when the test says so
(`finish()`), or at once with `auto_finish`.

The protocols, as documented by the providers and relied on by kbd/engines/batch.py:

OpenAI Batch API (platform.openai.com/docs/guides/batch, API reference "Files" and "Batch"):
- POST /v1/files, multipart/form-data with `purpose=batch` and `file`: a JSONL file, one request
  per line: {"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {...}}; at most
  50,000 lines and 200 MB; answers a File object {"id": "file-…", "object": "file", "purpose", …}.
  A purpose outside the documented list is refused (400).
- POST /v1/batches {"input_file_id", "endpoint", "completion_window": "24h", "metadata"?}: the
  endpoint must be a supported one and the window 24h (400 otherwise); an unknown file is 404.
  The file is validated after creation: a line that is not JSON, lacks a field, repeats a
  custom_id, names another url than the endpoint, asks to stream, or names another model than
  the first line fails the whole batch (status "failed", `errors.data` [{code, message, line}]).
- GET /v1/batches/{id}: status validating | failed | in_progress | finalizing | completed |
  expired | cancelling | cancelled; request_counts {total, completed, failed}; output_file_id
  and error_file_id once it ends.
- GET /v1/files/{id}/content: output lines {"id", "custom_id", "response": {"status_code": 200,
  "request_id", "body": <chat.completion>}, "error": null}; the error file holds the requests
  that failed ({"response": {"status_code": 4xx/5xx, "body": {"error": …}}}) or expired
  ({"response": null, "error": {"code": "batch_expired", "message"}}). Lines come in any order.
- Completed requests are billed at half the synchronous price.

Anthropic Message Batches (docs.claude.com/en/docs/build-with-claude/batch-processing, API
reference "Message Batches"):
- POST /v1/messages/batches {"requests": [{"custom_id", "params": <Messages request>}]} with the
  usual x-api-key and anthropic-version headers; 1 to 100,000 requests; custom_id matches
  ^[a-zA-Z0-9_-]{1,64}$ and is unique in the batch; `stream` is not allowed in params. A request
  breaking these is refused whole (400 invalid_request_error); params are otherwise validated
  per request while processing (an invalid one ends "errored").
- GET /v1/messages/batches/{id}: {"id": "msgbatch_…", "type": "message_batch",
  "processing_status": in_progress | canceling | ended, "request_counts": {processing,
  succeeded, errored, canceled, expired}, "ended_at", "created_at", "expires_at", "results_url"}.
- GET /v1/messages/batches/{id}/results (only once ended): JSONL, one line per request in any
  order: {"custom_id", "result": {"type": "succeeded", "message": <Message>} | {"type":
  "errored", "error": {"type": "error", "error": {"type", "message"}}} | {"type": "canceled"} |
  {"type": "expired"}}.
- Billed at 50% of the standard price.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fake_llm import Action, FakeLLM, Received
from tests.provider_rules import anthropic_error, anthropic_problem, openai_error, openai_problem

OPENAI_ENDPOINTS = ("/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations")
FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
OPENAI_MAX_LINES = 50_000
ANTHROPIC_MAX_REQUESTS = 100_000
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class FakeBatches:
    def __init__(self, fake: FakeLLM, auto_finish: bool = False) -> None:
        self.fake = fake
        self.auto_finish = auto_finish
        self.answer: Callable[[Received], Action] | None = None  # None: the fake's default model
        self.expire: set[str] = set()  # custom_ids that expire instead of being answered
        self.files: dict[str, tuple[str, bytes]] = {}  # id → (purpose, bytes)
        self.batches: dict[str, dict[str, Any]] = {}  # id → the provider's batch object
        self.lines: dict[str, list[dict[str, Any]]] = {}  # batch id → its requests
        self.headers: dict[str, dict[str, str]] = {}  # batch id → the headers it was created with
        self.results: dict[str, list[dict[str, Any]]] = {}  # batch id → result lines
        self.calls: list[tuple[str, str]] = []  # (method, path) of every batch-API request
        self.answered: list[Received] = []  # the requests inside batches that the model answered
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake.extra = self.handle

    # -- the test's controls ----------------------------------------------------------------
    def finish(self, batch_id: str | None = None) -> None:
        """Process every request of the batch (or of every unfinished batch) and end it."""
        for bid in [batch_id] if batch_id else list(self.batches):
            if bid not in self.results:
                self._process(bid)

    # -- HTTP -------------------------------------------------------------------------------
    def handle(self, request: BaseHTTPRequestHandler) -> bool:
        path = request.path.split("?", 1)[0]
        if not re.match(r"^/v1/(files|batches|messages/batches)(/|$)", path):
            return False
        with self._lock:
            self.calls.append((request.command, path))
        headers = {k.lower(): v for k, v in request.headers.items()}
        length = int(headers.get("content-length", 0) or 0)
        raw = request.rfile.read(length) if length else b""
        if path.startswith("/v1/messages/batches"):
            status, body = self._anthropic(request.command, path, headers, raw)
        else:
            status, body = self._openai(request.command, path, headers, raw)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request.send_response(status)
        request.send_header("content-type", "application/binary" if isinstance(body, bytes) else "application/json")
        request.send_header("content-length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
        return True

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    # -- OpenAI -----------------------------------------------------------------------------
    def _openai(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        key = self.fake.accepted_key
        if key is not None and headers.get("authorization") != f"Bearer {key}":
            return openai_error(401, "Incorrect API key provided.", "invalid_request_error", None, "invalid_api_key")
        parts = path.strip("/").split("/")  # v1 files|batches [id] [content]
        if method == "POST" and parts == ["v1", "files"]:
            return self._upload(headers, raw)
        if method == "GET" and len(parts) == 4 and parts[1] == "files" and parts[3] == "content":
            if parts[2] not in self.files:
                return openai_error(404, f"No such File object: {parts[2]}", param="id")
            return 200, self.files[parts[2]][1]
        if method == "POST" and parts == ["v1", "batches"]:
            return self._create_openai(raw, headers)
        if method == "GET" and len(parts) == 3 and parts[1] == "batches":
            if parts[2] not in self.batches:
                return openai_error(404, f"No batch found with id '{parts[2]}'.", param="batch_id")
            return 200, self.batches[parts[2]]
        return openai_error(404, f"Invalid URL ({method} {path})")

    def _upload(self, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        match = re.search(r"boundary=\"?([^\";]+)\"?", headers.get("content-type", ""))
        if not headers.get("content-type", "").startswith("multipart/form-data") or not match:
            return openai_error(400, "Invalid request: expected multipart/form-data with `file` and `purpose`.")
        fields: dict[str, bytes] = {}
        for part in raw.split(b"--" + match.group(1).encode())[1:-1]:
            head, _, content = part.strip(b"\r\n").partition(b"\r\n\r\n")
            name = re.search(rb'name="([^"]+)"', head)
            if name:
                fields[name.group(1).decode()] = content
        purpose = fields.get("purpose", b"").decode()
        if "file" not in fields:
            return openai_error(400, "'file' is a required property", param="file")
        if purpose not in FILE_PURPOSES:
            return openai_error(400, f"'{purpose}' is not one of {list(FILE_PURPOSES)} - 'purpose'", param="purpose")
        file_id = self._new_id("file-")
        self.files[file_id] = (purpose, fields["file"])
        return 200, {"id": file_id, "object": "file", "bytes": len(fields["file"]), "created_at": 1790000000,
                     "filename": "input.jsonl", "purpose": purpose}

    def _create_openai(self, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        try:
            body = json.loads(raw)
        except ValueError:
            return openai_error(400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            return openai_error(400, "The body must be a JSON object.")
        for field_name in ("input_file_id", "endpoint", "completion_window"):
            if field_name not in body:
                return openai_error(400, f"Missing required parameter: '{field_name}'.", param=field_name)
        if body["endpoint"] not in OPENAI_ENDPOINTS:
            return openai_error(400, f"Invalid value: '{body['endpoint']}'. Supported values are: "
                                f"{', '.join(OPENAI_ENDPOINTS)}.", param="endpoint")
        if body["completion_window"] != "24h":
            return openai_error(400, f"Invalid value: '{body['completion_window']}'. Supported values are: '24h'.",
                                param="completion_window")
        found = self.files.get(str(body["input_file_id"]))
        if found is None:
            return openai_error(404, f"No such File object: {body['input_file_id']}", param="input_file_id")
        if found[0] != "batch":
            return openai_error(400, f"File {body['input_file_id']} was not uploaded with purpose 'batch'.",
                                param="input_file_id")
        batch_id = self._new_id("batch_")
        lines, errors = self._openai_lines(found[1], body["endpoint"])
        batch = {"id": batch_id, "object": "batch", "endpoint": body["endpoint"], "errors": None,
                 "input_file_id": body["input_file_id"], "completion_window": "24h",
                 "status": "failed" if errors else "in_progress", "output_file_id": None, "error_file_id": None,
                 "created_at": 1790000000, "failed_at": 1790000001 if errors else None,
                 "request_counts": {"total": 0 if errors else len(lines), "completed": 0, "failed": 0},
                 "metadata": body.get("metadata")}
        if errors:
            batch["errors"] = {"object": "list", "data": errors}
        self.batches[batch_id] = batch
        self.lines[batch_id] = [] if errors else lines
        self.headers[batch_id] = headers
        if self.auto_finish and not errors:
            self._process(batch_id)
        return 200, batch

    @staticmethod
    def _openai_lines(data: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        lines: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        model = None
        text = data.decode("utf-8", "replace")
        rows = text.split("\n")
        if rows and rows[-1] == "":
            rows.pop()
        if len(rows) > OPENAI_MAX_LINES:
            return [], [{"code": "too_many_requests", "message": f"The batch input file has {len(rows)} requests; "
                         f"the limit is {OPENAI_MAX_LINES}.", "line": None}]
        for number, row in enumerate(rows, start=1):
            def bad(code: str, message: str, line: int = number) -> None:
                errors.append({"code": code, "message": message, "param": None, "line": line})
            try:
                item = json.loads(row)
            except ValueError:
                bad("invalid_json_line", "This line is not parseable as valid JSON.")
                continue
            if not isinstance(item, dict) or not all(k in item for k in ("custom_id", "method", "url", "body")):
                bad("missing_required_parameter", "Each line needs custom_id, method, url and body.")
                continue
            if item["method"] != "POST":
                bad("invalid_method", "The only method supported is POST.")
            if item["url"] != endpoint:
                bad("mismatched_endpoint", f"The url {item['url']!r} does not match the batch's endpoint {endpoint!r}.")
            if item["custom_id"] in seen:
                bad("duplicate_custom_id", f"The custom_id {item['custom_id']!r} is used more than once.")
            seen.add(str(item["custom_id"]))
            body = item["body"]
            if not isinstance(body, dict):
                bad("invalid_request", "body must be an object.")
                continue
            if body.get("stream"):
                bad("invalid_request", "Streaming is not supported in a batch.")
            model = model or body.get("model")
            if body.get("model") != model:
                bad("mismatched_model", "All requests in a batch must use the same model.")
            lines.append(item)
        return lines, errors

    # -- Anthropic --------------------------------------------------------------------------
    def _anthropic(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        key = self.fake.accepted_key
        if "x-api-key" not in headers or (key is not None and headers["x-api-key"] != key):
            return anthropic_error(401, "authentication_error", "invalid x-api-key")
        if "anthropic-version" not in headers:
            return anthropic_error(400, "invalid_request_error", "anthropic-version: header is required")
        parts = path.strip("/").split("/")  # v1 messages batches [id] [results]
        if method == "POST" and len(parts) == 3:
            return self._create_anthropic(raw, headers)
        if method == "GET" and len(parts) in (4, 5):
            batch = self.batches.get(parts[3])
            if batch is None:
                return anthropic_error(404, "not_found_error", f"No batch found with id {parts[3]}")
            if len(parts) == 4:
                return 200, batch
            if parts[4] != "results":
                return anthropic_error(404, "not_found_error", "Not found")
            if batch["processing_status"] != "ended":
                return anthropic_error(400, "invalid_request_error",
                                       f"Batch {parts[3]} is still processing; results are available once it ends")
            return 200, "".join(json.dumps(line) + "\n" for line in self.results[parts[3]]).encode()
        return anthropic_error(404, "not_found_error", f"Not found: {method} {path}")

    def _create_anthropic(self, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        try:
            body = json.loads(raw)
        except ValueError:
            return anthropic_error(400, "invalid_request_error", "The request body is not valid JSON.")
        if not isinstance(body, dict) or set(body) != {"requests"}:
            extra = sorted(set(body) - {"requests"}) if isinstance(body, dict) else []
            return anthropic_error(400, "invalid_request_error", f"{extra[0]}: Extra inputs are not permitted"
                                   if extra else "requests: Field required")
        requests = body["requests"]
        if not isinstance(requests, list) or not 1 <= len(requests) <= ANTHROPIC_MAX_REQUESTS:
            return anthropic_error(400, "invalid_request_error",
                                   f"requests: must hold between 1 and {ANTHROPIC_MAX_REQUESTS} items")
        seen: set[str] = set()
        for i, item in enumerate(requests):
            if not isinstance(item, dict) or set(item) != {"custom_id", "params"}:
                return anthropic_error(400, "invalid_request_error",
                                       f"requests.{i}: needs exactly custom_id and params")
            cid = item["custom_id"]
            if not isinstance(cid, str) or not CUSTOM_ID.match(cid):
                return anthropic_error(400, "invalid_request_error", f"requests.{i}.custom_id: String should match "
                                       "pattern '^[a-zA-Z0-9_-]{1,64}$'")
            if cid in seen:
                return anthropic_error(400, "invalid_request_error",
                                       f"requests.{i}.custom_id: duplicate custom_id {cid!r}; each must be unique")
            seen.add(cid)
            if not isinstance(item["params"], dict):
                return anthropic_error(400, "invalid_request_error", f"requests.{i}.params: Input should be an object")
            if item["params"].get("stream"):
                return anthropic_error(400, "invalid_request_error",
                                       f"requests.{i}.params.stream: streaming is not supported in a batch")
        batch_id = self._new_id("msgbatch_")
        self.batches[batch_id] = {
            "id": batch_id, "type": "message_batch", "processing_status": "in_progress",
            "request_counts": {"processing": len(requests), "succeeded": 0, "errored": 0, "canceled": 0,
                               "expired": 0},
            "ended_at": None, "created_at": "2026-09-21T12:00:00Z", "expires_at": "2026-09-22T12:00:00Z",
            "archived_at": None, "cancel_initiated_at": None, "results_url": None}
        self.lines[batch_id] = requests
        self.headers[batch_id] = headers
        if self.auto_finish:
            self._process(batch_id)
        return 200, self.batches[batch_id]

    # -- processing -------------------------------------------------------------------------
    def _process(self, batch_id: str) -> None:
        batch = self.batches[batch_id]
        anthropic = batch.get("type") == "message_batch"
        if not anthropic and batch["status"] == "failed":
            return
        answer = self.answer or self.fake.default
        headers = {k: v for k, v in self.headers[batch_id].items()
                   if k in ("authorization", "x-api-key", "anthropic-version", "anthropic-beta")}
        headers["content-type"] = "application/json"
        outcomes: list[tuple[str, int | None, Any]] = []  # custom_id, status (None: expired), body
        for line in self.lines[batch_id]:
            cid = line["custom_id"]
            body = line["params"] if anthropic else line["body"]
            received = Received("/v1/messages" if anthropic else line["url"], dict(headers), body)
            problem = (anthropic_problem(headers, body, self.fake.accepted_key) if anthropic
                       else openai_problem(headers, body, self.fake.accepted_key))
            if cid in self.expire:
                outcomes.append((cid, None, None))
            elif problem is not None:
                received.refused = problem[0]
                outcomes.append((cid, *problem))
            else:
                with self.fake._lock:
                    self.fake._count_cache(received)
                action = answer(received)
                self.answered.append(received)
                outcomes.append((cid, action.status, action.body))
        if anthropic:
            self._end_anthropic(batch_id, outcomes)
        else:
            self._end_openai(batch_id, outcomes)

    def _end_openai(self, batch_id: str, outcomes: list[tuple[str, int | None, Any]]) -> None:
        ok, failed = [], []
        for n, (cid, status, body) in enumerate(outcomes):
            line: dict[str, Any] = {"id": f"batch_req_{n}", "custom_id": cid, "response": None, "error": None}
            if status is None:
                line["error"] = {"code": "batch_expired",
                                 "message": "This request could not be executed before the completion window expired."}
                failed.append(line)
                continue
            line["response"] = {"status_code": status, "request_id": f"req_{n}", "body": body}
            (ok if status == 200 else failed).append(line)
        batch = self.batches[batch_id]
        for lines, key in ((ok, "output_file_id"), (failed, "error_file_id")):
            if lines:
                file_id = self._new_id("file-")
                self.files[file_id] = ("batch_output", "".join(json.dumps(x) + "\n" for x in reversed(lines)).encode())
                batch[key] = file_id
        expired = any(status is None for _, status, _ in outcomes)
        batch.update(status="expired" if expired else "completed", completed_at=1790000100,
                     request_counts={"total": len(outcomes), "completed": len(ok), "failed": len(failed)})
        self.results[batch_id] = ok + failed

    def _end_anthropic(self, batch_id: str, outcomes: list[tuple[str, int | None, Any]]) -> None:
        lines = []
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for cid, status, body in outcomes:
            if status is None:
                result: dict[str, Any] = {"type": "expired"}
            elif status == 200:
                result = {"type": "succeeded", "message": body}
            else:
                error = body.get("error") if isinstance(body, dict) else None
                result = {"type": "errored", "error": {"type": "error", "error": error if isinstance(error, dict)
                                                       else {"type": "api_error", "message": str(body)}}}
            counts[result["type"]] += 1
            lines.append({"custom_id": cid, "result": result})
        self.batches[batch_id].update(
            processing_status="ended", request_counts=counts, ended_at="2026-09-21T13:00:00Z",
            results_url=f"{self.fake.url}/v1/messages/batches/{batch_id}/results")
        self.results[batch_id] = list(reversed(lines))

"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions and Anthropic messages
wire formats, for testing kbd's providers offline. Tests script its replies and faults (status
codes with retry-after, slow answers, malformed JSON, truncated output) and read what it received.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Action:
    status: int = 200
    body: Any = None  # dict → JSON; str → sent as is (malformed on purpose)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def openai_reply(content: str, finish: str = "stop", usage: tuple[int, int, int] = (100, 20, 0)) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion", "model": "test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": usage[0] + usage[1],
                      "prompt_tokens_details": {"cached_tokens": usage[2]}}}


def anthropic_reply(data: Any, stop: str = "tool_use", usage: tuple[int, int, int] = (100, 20, 0)) -> dict[str, Any]:
    return {"id": "msg_test", "type": "message", "role": "assistant", "model": "test", "stop_reason": stop,
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "record_result", "input": data}],
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1], "cache_read_input_tokens": usage[2]}}


EMBEDDING_DIMENSIONS = 64


def fake_embedding(text: str) -> list[float]:
    """A deterministic stand-in for a real embedding: hashed word features, where a word and its
    plural share a feature. Texts that share words point the same way."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        word = word[:-1] if len(word) > 3 and word.endswith("s") else word
        digest = hashlib.sha256(word.encode()).digest()
        vector[digest[0] % EMBEDDING_DIMENSIONS] += 1.0 if digest[1] % 2 else -1.0
    return vector


def embeddings_reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """OpenAI's POST /v1/embeddings, refusing what the real API refuses (no model, empty or
    non-string input, more than 2048 inputs) with its status and error shape."""
    def refuse(message: str, param: str) -> tuple[int, dict[str, Any]]:
        return 400, {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}

    if not isinstance(body.get("model"), str) or not body["model"]:
        return refuse("you must provide a model parameter", "model")
    texts = body.get("input")
    texts = [texts] if isinstance(texts, str) else texts
    if not isinstance(texts, list) or not texts or len(texts) > 2048:
        return refuse("'input' must be a non-empty string or array of at most 2048 strings", "input")
    if not all(isinstance(t, str) and t for t in texts):
        return refuse("'input' must contain only non-empty strings", "input")
    data = [{"object": "embedding", "index": i, "embedding": fake_embedding(t)} for i, t in enumerate(texts)]
    tokens = sum(len(t.split()) for t in texts)
    return 200, {"object": "list", "data": data, "model": body["model"],
                 "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


class FakeLLM:
    def __init__(self) -> None:
        self.script: deque[Action] = deque()
        self.received: list[Received] = []
        self.default: Callable[[Received], Action] = lambda r: Action(500, {"error": "nothing scripted"})
        self.accepted_key: str | None = None  # GET /models answers 401 to any other key
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests it was answering at one time
        self._lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def then(self, *actions: Action) -> FakeLLM:
        self.script.extend(actions)
        return self

    def _next(self, received: Received) -> Action:
        with self._lock:
            self.received.append(received)
            return self.script.popleft() if self.script else self.default(received)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                if self.path.rstrip("/").endswith("/embeddings"):  # search's semantic ranking
                    with fake._lock:
                        fake.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body))
                    action = Action(*embeddings_reply(body))
                else:
                    action = fake._next(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                with fake._lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                if action.delay:
                    time.sleep(action.delay)
                with fake._lock:
                    fake.in_flight -= 1
                payload = action.body if isinstance(action.body, str) else json.dumps(action.body)
                data = payload.encode()
                try:
                    self.send_response(action.status)
                    for key, value in action.headers.items():
                        self.send_header(key, value)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def do_GET(self) -> None:  # model lists, for `kbd doctor`
                auth = self.headers.get("authorization", "") or self.headers.get("x-api-key", "")
                ok = fake.accepted_key is None or fake.accepted_key in auth
                data = json.dumps({"data": [{"id": "test-model"}]} if ok else {"error": "bad key"}).encode()
                self.send_response(200 if ok else 401)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def fake_llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()

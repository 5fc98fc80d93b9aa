"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions and Anthropic messages
wire formats, for testing kbd's providers offline. Tests script its replies and faults (status
codes with retry-after, slow answers, slow-drip bodies, connections reset mid-body, malformed JSON,
truncated output) and read what it received.

Like the real services it refuses, with their status code and error body, every request they
would refuse (tests/provider_rules.py); a refused request never consumes a scripted reply. It
counts requests in flight, and it reports prompt caching as the providers do: OpenAI caches the
longest prompt prefix seen before, in 128-token steps from 1,024 tokens; Anthropic caches the
prefix up to the last `cache_control` block, reading it when seen before and writing it otherwise.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.provider_rules import anthropic_problem, llama_cpp_python_problem, ollama_problem, openai_problem

CHARS_PER_TOKEN = 4  # how the fake counts tokens
IMAGE_PROMPT = "·" * 85 * CHARS_PER_TOKEN  # an image counts as 85 tokens (OpenAI's low-detail price), not its base64


@dataclass
class Action:
    status: int = 200
    body: Any = None  # dict → JSON; str → sent as is (malformed on purpose)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer starts
    drip: float = 0.0  # seconds between 16-byte pieces of the body (a slow-drip body)
    cut: int | None = None  # close the connection after this many body bytes (a reset mid-body)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    prompt_tokens: int = 0  # the whole prompt, as the fake counts tokens
    cached_tokens: int = 0  # of which served from the provider's prompt cache
    cache_write_tokens: int = 0  # Anthropic: of which written to the cache
    refused: int | None = None  # the status the provider rules refused it with


def prompt_text(body: dict[str, Any]) -> str:
    """Everything a provider counts as prompt, in order (tools, system, messages)."""
    return "".join(_texts([body.get("tools"), body.get("system"), body.get("messages")]))


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    if isinstance(value, dict):
        if value.get("type") in ("image", "image_url"):
            return [IMAGE_PROMPT]
        if "text" in value:
            return [value["text"]]
        if "content" in value:
            return _texts(value["content"])
        return [json.dumps(value, sort_keys=True)]
    return []


def _asked_tool(received: Received) -> str:
    """The tool an obedient model calls: the forced one, else the one the task names, else the first."""
    choice = received.body.get("tool_choice") or {}
    if choice.get("type") == "tool":
        return str(choice["name"])
    named = re.search(r"calling the ([A-Za-z0-9_-]+) tool", first_user_text(received))
    return named.group(1) if named else str(received.body["tools"][0]["name"])


def last_user_text(received: Received) -> str:
    """The text of the last user message, whichever wire format carried it."""
    return _message_text(received.body["messages"][-1])


def first_user_text(received: Received) -> str:
    """The text of the first user message (the request itself, before any repair turns)."""
    return _message_text(next(m for m in received.body["messages"] if m["role"] == "user"))


def untrusted_blocks(received: Received) -> list[tuple[str, str]]:
    """Every `<untrusted source="…">` block of the request's first user message, as (label, text):
    what a model is given to work on (a clipping, a page's changed paragraphs)."""
    return [(html.unescape(label), text) for label, text in
            re.findall(r'<untrusted source="([^"]*)">\n(.*?)\n</untrusted>', first_user_text(received), re.S)]


def _message_text(message: dict[str, Any]) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def structured_reply(received: Received, data: Any, output_tokens: int | None = None) -> Action:
    """A successful structured answer in the wire format of the request, with the usage a real
    provider would report for it (prompt tokens, prompt-cache reads and writes)."""
    text = json.dumps(data)
    out = output_tokens if output_tokens is not None else max(1, len(text) // CHARS_PER_TOKEN)
    if received.path.endswith("/api/chat"):
        return Action(body=ollama_reply(text, usage=(received.prompt_tokens, out)))
    if received.path.endswith("/messages"):
        reply = anthropic_reply(data, usage=(received.prompt_tokens - received.cached_tokens
                                             - received.cache_write_tokens, out, received.cached_tokens))
        reply["content"][0]["name"] = _asked_tool(received)
        reply["usage"]["cache_creation_input_tokens"] = received.cache_write_tokens
        return Action(body=reply)
    return Action(body=openai_reply(text, usage=(received.prompt_tokens, out, received.cached_tokens)))


def openai_reply(content: str, finish: str = "stop", usage: tuple[int, int, int] = (100, 20, 0)) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion", "model": "test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": usage[0] + usage[1],
                      "prompt_tokens_details": {"cached_tokens": usage[2]}}}


def ollama_reply(content: str, done: str = "stop", usage: tuple[int, int] = (100, 20)) -> dict[str, Any]:
    """[OL] Ollama's native /api/chat answer with stream false."""
    return {"model": "test", "created_at": "2026-12-03T22:00:00Z", "message": {"role": "assistant", "content": content},
            "done": True, "done_reason": done, "total_duration": 1, "prompt_eval_count": usage[0],
            "eval_count": usage[1]}


def anthropic_reply(data: Any, stop: str = "tool_use", usage: tuple[int, int, int] = (100, 20, 0)) -> dict[str, Any]:
    return {"id": "msg_test", "type": "message", "role": "assistant", "model": "test", "stop_reason": stop,
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "record_result", "input": data}],
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1], "cache_read_input_tokens": usage[2]}}


EMBEDDING_DIMENSIONS = 64
# Words that mean the same to a person, as a real embedding model would place them together: each
# group is one concept, so a query can find a note that shares no word with it.
CONCEPTS = (
    ("vehicle", ("car", "automobile", "sedan", "vehicle", "truck", "motorcar")),
    ("upkeep", ("maintenance", "upkeep", "servicing", "repair", "mechanic", "overhaul")),
    ("sleep", ("sleep", "slumber", "nap", "insomnia", "drowsiness")),
    ("money", ("money", "cash", "finance", "budget", "savings")),
)
_CONCEPT_OF = {word: concept for concept, words in CONCEPTS for word in words}


def fake_embedding(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """A deterministic stand-in for a real embedding: a bag of hashed features, one per concept
    (the synonyms of CONCEPTS share one) or per other word, where a word and its plural share a
    feature. Texts that share words or meanings point the same way."""
    vector = [0.0] * dimensions
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        word = word[:-1] if len(word) > 3 and word.endswith("s") else word
        feature = _CONCEPT_OF.get(word, word)
        digest = hashlib.sha256(feature.encode()).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vector[index] += 1.0 if digest[4] % 2 else -1.0
    return vector


def embeddings_reply(body: dict[str, Any], dimensions: int = EMBEDDING_DIMENSIONS) -> tuple[int, dict[str, Any]]:
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
    data = [{"object": "embedding", "index": i, "embedding": fake_embedding(t, dimensions)}
            for i, t in enumerate(texts)]
    tokens = sum(len(t.split()) for t in texts)
    return 200, {"object": "list", "data": data, "model": body["model"],
                 "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


class FakeLLM:
    def __init__(self) -> None:
        self.script: deque[Action] = deque()
        self.received: list[Received] = []
        self.default: Callable[[Received], Action] = lambda r: Action(500, {"error": "nothing scripted"})
        self.embedding_dimensions = EMBEDDING_DIMENSIONS
        self.embeddings_fail: Action | None = None  # answer every /embeddings request with this
        self.accepted_key: str | None = None  # GET /models answers 401 to any other key
        # Which real server's rules it keeps (tests/provider_rules.py): "openai" (with Anthropic's
        # on /messages), "llama-cpp-python" or "ollama" (OpenAI's on /v1, its own on /api/chat).
        self.imitates = "openai"
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests it was answering at one time
        self.refusals: list[tuple[str, int, dict[str, Any]]] = []  # (path, status, error body) it answered
        # More protocols mounted on the same server (tests/fake_batch.py): True when it answered.
        self.extra: Callable[[BaseHTTPRequestHandler], bool] | None = None
        self._prefixes: set[str] = set()  # Anthropic: cached prefixes
        self._prompts: list[str] = []  # OpenAI: earlier prompts, for the longest cached prefix
        self._lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def then(self, *actions: Action) -> FakeLLM:
        self.script.extend(actions)
        return self

    def _next(self, received: Received) -> Action:
        problem = self._problem(received)
        with self._lock:
            self.received.append(received)
            if problem is not None:
                received.refused = problem[0]
                self.refusals.append((received.path, *problem))
                return Action(problem[0], problem[1])
            self._count_cache(received)
            if self.script:
                return self.script.popleft()
        return self.default(received)

    def _problem(self, received: Received) -> tuple[int, dict[str, Any]] | None:
        if self.imitates == "llama-cpp-python":
            return llama_cpp_python_problem(received.path, received.body)
        if received.path.endswith("/api/chat"):
            if self.imitates == "ollama":
                return ollama_problem(received.path, received.body)
            return 404, {"error": {"message": f"Invalid URL (POST {received.path})", "type": "invalid_request_error",
                                   "param": None, "code": None}}
        if received.path.endswith("/chat/completions"):
            return openai_problem(received.headers, received.body, self.accepted_key)
        if received.path.endswith("/messages"):
            return anthropic_problem(received.headers, received.body, self.accepted_key)
        return None

    def _count_cache(self, received: Received) -> None:
        body = received.body
        if not isinstance(body, dict) or "messages" not in body:
            return
        model = str(body.get("model"))
        prompt = model + "\x00" + prompt_text(body)
        received.prompt_tokens = (len(prompt) - len(model) - 1) // CHARS_PER_TOKEN
        if received.path.endswith("/messages"):
            marked = _cached_prefix(body)
            if marked is not None and len(marked) // CHARS_PER_TOKEN >= 1024:
                key = model + "\x00" + marked
                tokens = len(marked) // CHARS_PER_TOKEN
                if key in self._prefixes:
                    received.cached_tokens = tokens
                else:
                    received.cache_write_tokens = tokens
                    self._prefixes.add(key)
            return
        best = max((_common(prompt, p) for p in self._prompts), default=0) - len(model) - 1
        tokens = best // CHARS_PER_TOKEN
        if received.prompt_tokens >= 1024 and tokens >= 1024:
            received.cached_tokens = tokens // 128 * 128
        self._prompts.append(prompt)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if fake.extra is not None and fake.extra(self):
                    return
                with fake._lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                self.counted = True
                try:
                    self._answer()
                finally:
                    self._done()

            def _done(self) -> None:
                """Stop counting this request just before its last bytes go out: the client cannot
                finish reading (and start its next request) before that, so the count never
                overlaps one request's end with the next one's start."""
                if self.counted:
                    self.counted = False
                    with fake._lock:
                        fake.in_flight -= 1

            def _answer(self) -> None:
                length = int(self.headers.get("content-length", 0))
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = None
                if self.path.rstrip("/").endswith("/embeddings"):  # search's semantic ranking
                    with fake._lock:
                        fake.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body))
                    action = fake.embeddings_fail or Action(*embeddings_reply(body if isinstance(body, dict) else {},
                                                                              fake.embedding_dimensions))
                else:
                    action = fake._next(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if action.delay:
                    time.sleep(action.delay)
                payload = action.body if isinstance(action.body, str) else json.dumps(action.body)
                data = payload.encode()
                try:
                    self.send_response(action.status)
                    for key, value in action.headers.items():
                        self.send_header(key, value)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    if action.cut is not None:  # promise the whole body, send part, drop the connection
                        self._done()
                        self.wfile.write(data[:action.cut])
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    if action.drip:
                        for i in range(0, len(data), 16):
                            if i + 16 >= len(data):
                                self._done()
                            self.wfile.write(data[i:i + 16])
                            self.wfile.flush()
                            time.sleep(action.drip)
                        return
                    self._done()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a timeout test)

            def do_GET(self) -> None:  # model lists, for `kbd doctor`
                if fake.extra is not None and fake.extra(self):
                    return
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


def _cached_prefix(body: dict[str, Any]) -> str | None:
    """Anthropic: the prompt text up to and including the last block marked cache_control."""
    blocks: list[Any] = [*(body.get("tools") or []),
                         *(body["system"] if isinstance(body.get("system"), list) else
                           [{"text": body["system"]}] if isinstance(body.get("system"), str) else []),
                         *(b for m in body["messages"] for b in (m["content"] if isinstance(m["content"], list)
                                                                   else [{"text": m["content"]}]))]
    last = max((i for i, b in enumerate(blocks) if isinstance(b, dict) and "cache_control" in b), default=None)
    return None if last is None else "".join(t for b in blocks[:last + 1] for t in _texts([b]))


def _common(a: str, b: str) -> int:
    """Length of the common prefix of a and b (binary search over slices, fast on long prompts)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


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


# -- the ask skills (kbd ask) ---------------------------------------------------------------------
_PASSAGE = re.compile(r'<untrusted source="([^"]*)">\n(.*?)\n</untrusted>', re.DOTALL)


def ask_passages(received: Received) -> list[tuple[str, str]]:
    """(note path, passage text) of every passage in an ask request, in order."""
    out = []
    for source, body in _PASSAGE.findall(first_user_text(received)):
        if source in ("question", "problems found", "answer to check"):
            continue
        text = body.split("\n\n", 1)[1] if body.startswith("Title:") and "\n\n" in body else body
        out.append((source.split("#", 1)[0].replace("&amp;", "&").replace("&quot;", '"'), text))
    return out


def is_ask_request(received: Received) -> bool:
    return "You answer a question from passages" in first_user_text(received)


def is_answer_check(received: Received) -> bool:
    return "You check an answer to a question" in first_user_text(received)


def is_repair(received: Received) -> bool:
    return '<untrusted source="problems found">' in first_user_text(received)


class AskModel:
    """A model answering kbd's ask skills like a careful one would: one claim per passage (up to
    `claims`), quoting the passage's first sentence. With `invent` it makes citations up, every
    `1/invent`-th claim it makes, deterministically (a quote no note has, or a note it was not given), and
    keeps doing so in the repair unless `repairs` is true. As the verifier it raises `objections`
    in its first `objecting` checks, then says ok. Everything it answered is counted in `invented` and `honest`."""

    def __init__(self, claims: int = 4, invent: float = 0.0, kind: str = "quote", repairs: bool = False,
                 objections: list[str] | None = None, objecting: int = 1) -> None:
        self.claims = claims
        self.invent = invent
        self.kind = kind
        self.repairs = repairs
        self.objections = list(objections or [])
        self.objecting = objecting  # how many checks object (then it is satisfied)
        self.invented = 0
        self.honest = 0
        self.asked = 0
        self._claims = 0  # claims made so far: every 1/invent-th of them is invented
        self._lock = threading.Lock()

    def __call__(self, received: Received) -> Action:
        if is_answer_check(received):
            with self._lock:
                objections = self.objections if self.objecting > 0 else []
                self.objecting -= 1
            return structured_reply(received, {"ok": not objections, "objections": objections})
        if not is_ask_request(received):
            return Action(500, {"error": "not an ask request"})
        repair = is_repair(received)
        claims = []
        with self._lock:
            self.asked += 1
            for i, (path, text) in enumerate(ask_passages(received)[:self.claims]):
                sentence = re.split(r"(?<=[.!?])\s+", text.replace("\n", " "))[0][:300]
                n, self._claims = self._claims, self._claims + 1
                lies = int((n + 1) * self.invent) > int(n * self.invent)
                if lies and (not repair or not self.repairs):
                    self.invented += 1
                    if self.kind == "note":
                        claims.append({"text": f"Claim {i} from a note nobody wrote.",
                                       "citations": [{"note": "wiki/sources/Invented note.md", "quote": sentence}]})
                    else:
                        claims.append({"text": f"Invented claim {i}: the moon is made of cheese.",
                                       "citations": [{"note": path, "quote": "the moon is made of green cheese"}]})
                    continue
                self.honest += 1
                lead = "Put another way" if repair else "According to the notes"  # a retry says it differently
                claims.append({"text": f"{lead}, {sentence}", "citations": [{"note": path, "quote": sentence}]})
        return structured_reply(received, {"claims": claims})


# -- kbd's slide skills (make_slides, verify_slides), answered as an obedient model would -----------

_PASSAGE_BLOCK = re.compile(r'<untrusted source="P(\d+): ([^"]*)">\n(.*?)\n</untrusted>', re.DOTALL)


def slides_result(received: Received, extra_bullet: str | None = None) -> dict[str, Any]:
    """make_slides: one slide per passage the task gives (as many as it allows), the passage's first
    sentences as bullets, citing it; `extra_bullet` is added to the first slide (a made-up claim)."""
    text = first_user_text(received)
    allowed = int(re.search(r"At most (\d+) slides", text).group(1))
    slides = []
    for number, title, body in _PASSAGE_BLOCK.findall(text.split("Passages:", 1)[1])[:allowed]:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", body.strip()) if len(s.split()) > 3][:3]
        slides.append({"title": title.split(" — ")[0][:80], "bullets": sentences or [body[:150]],
                       "notes": f"Explain what {title[:60]} says.", "cites": [int(number)]})
    if extra_bullet and slides:
        slides[0]["bullets"].append(extra_bullet)
    return {"slides": slides}


def slides_model(received: Received) -> Action:
    """A model that knows kbd's slide skills: makes decks, and as the verifier finds nothing wrong;
    asked for a source summary (a compile in the same test), it quotes the source's first sentences."""
    text = first_user_text(received)
    if "You check a slide deck" in text:
        return structured_reply(received, {"ok": True, "objections": []})
    if "You make a slide deck" in text:
        return structured_reply(received, slides_result(received))
    body = text.split("<untrusted", 1)[1].split(">", 1)[1].split("</untrusted>", 1)[0]
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", body) if len(s.split()) > 5 and "Title:" not in s]
    return structured_reply(received, {"title": "ignored", "summary": sentences[:3] or ["Nothing."],
                                       "key_points": sentences[3:6], "concepts": [], "tags": []})

"""A loopback server that answers with the bytes a real server once answered.

bench/local_model.py records every exchange between kbd and a real llama-cpp-python server
(tests/recordings/llama_cpp_python.json). This server serves those answers again, so CI runs kbd
against the real server's behaviour without building or running it. A request is matched to a
recorded one by its exact body first; else by its shape (path, how the schema was sent, the
untrusted sources it carries, how many messages), so that a reworded prompt still finds its
answer; else by its kind (the shape without the sources: a skill that reads the most recent
notes may read others than it did when recorded). A refusal (any status but 200) answers every
request of its shape, as the real server would; a 200 is served once. A request nothing matches
gets 404 and is listed in `unmatched`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).parent / "recordings"
_LABEL = re.compile(r'<untrusted source="([^"]*)">')


def load(name: str = "llama_cpp_python.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDINGS / name).read_text(encoding="utf-8"))
    return data


def shape(method: str, path: str, body: Any) -> tuple[Any, ...]:
    if not isinstance(body, dict):
        return method, path
    fmt = (body.get("response_format") or {}).get("type", "none")
    messages = body.get("messages") or []
    text = "".join(m.get("content", "") for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str))
    return method, path, fmt, tuple(_LABEL.findall(text)), len(messages)


class Replay:
    def __init__(self, exchanges: list[dict[str, Any]]) -> None:
        self.exchanges = exchanges
        self.used: set[int] = set()
        self.received: list[dict[str, Any]] = []  # request bodies (method, path, body), in order
        self.served: list[int] = []  # status of each answer
        self.unmatched: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, method: str, path: str, body: Any) -> dict[str, Any] | None:
        with self.lock:
            self.received.append({"method": method, "path": path, "body": body})
            wanted = shape(method, path, body)
            for level in ("body", "shape", "kind"):
                for i, e in enumerate(self.exchanges):
                    request, response = e["request"], e["response"]
                    if (request["method"], request["path"]) != (method, path):
                        continue
                    if i in self.used and response["status"] == 200 and method == "POST":
                        continue
                    recorded = shape(method, path, request["body"])
                    if level == "body":
                        same = request["body"] == body
                    elif level == "shape":
                        same = recorded == wanted
                    else:  # the same kind of request about other notes (which notes a skill reads can vary)
                        same = recorded[:3] + recorded[4:] == wanted[:3] + wanted[4:]
                    if same:
                        self.used.add(i)
                        self.served.append(response["status"])
                        return response
            self.unmatched.append((method, path))
            return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                data = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
                try:
                    body = json.loads(data) if data else None
                except ValueError:
                    body = data.decode("utf-8", "replace")
                response = replay.answer(method, self.path, body)
                status = response["status"] if response else 404
                payload = (response["body"] if response else '{"detail":"no recorded exchange matches"}').encode()
                self.send_response(status)
                self.send_header("content-type", response["content_type"] if response else "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                self._serve("POST")

            def do_GET(self) -> None:
                self._serve("GET")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def replay(*phases: str) -> Iterator[Replay]:
    """A replay server for the recorded exchanges of `phases` (all, if none named)."""
    exchanges = [e for e in load()["exchanges"] if not phases or e["phase"] in phases]
    server = Replay(exchanges)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()

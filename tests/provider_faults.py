"""Provider faults for both wire formats (issue 8, acceptance 5), shared by the tests
(tests/test_provider_faults.py) and the benchmark (bench/llm.py --faults).

Each fault is what a real OpenAI or Anthropic endpoint (or a gateway in front of one) does on a
bad day; `run_fault` compiles a small vault while the first `times` requests meet the fault, then
the fault clears, and reports what happened: how many requests were made, how many sources were
compiled or failed, what was spent against the cap, and whether any note was left partial.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import frontmatter

from tests.clippings import make_clipping
from tests.fake_llm import Action, FakeLLM, Received, first_user_text, structured_reply
from tests.model_fixtures import honest_model

TIMEOUT_SECONDS = 1  # the vault's timeout_seconds: a delayed or dripping answer outlasts it
CAP_USD = 0.05


def _model(received: Received) -> Action:
    if "summary to check" in first_user_text(received):
        return structured_reply(received, {"ok": True, "objections": []})
    return honest_model(received)


def _anthropic(received: Received) -> bool:
    return received.path.endswith("/messages")


def _error(received: Received, status: int, kind: str, message: str) -> dict[str, object]:
    if _anthropic(received):
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


def _rate_limited(received: Received, headers: dict[str, str]) -> Action:
    return Action(429, _error(received, 429, "rate_limit_error", "Rate limit reached for requests"), headers)


def _empty(received: Received) -> Action:
    good = _model(received).body
    assert isinstance(good, dict)
    if _anthropic(received):
        return Action(body={**good, "content": [], "stop_reason": "end_turn"})
    return Action(body={**good, "choices": []})


def _schema_invalid(received: Received) -> Action:
    return structured_reply(received, {"title": 3, "summary": "not a list"})


def _wire(received: Received, **how: object) -> Action:
    good = _model(received)
    return Action(body=good.body, **how)  # type: ignore[arg-type]


FAULTS: dict[str, Callable[[Received], Action]] = {
    "429 with retry-after": lambda r: _rate_limited(r, {"retry-after": "1"}),
    "429 without retry-after": lambda r: _rate_limited(r, {}),
    "500 server error": lambda r: Action(500, _error(r, 500, "api_error", "Internal server error")),
    "503 unavailable": lambda r: Action(503, _error(r, 503, "service_unavailable", "The server is overloaded")),
    "529 overloaded": lambda r: Action(529, _error(r, 529, "overloaded_error", "Overloaded")),
    "timeout (no answer in time)": lambda r: _wire(r, delay=TIMEOUT_SECONDS + 0.6),
    "connection reset mid-body": lambda r: _wire(r, cut=40),
    "truncated JSON body": lambda r: Action(body=json.dumps(_model(r).body)[:60]),
    "schema-invalid JSON": _schema_invalid,
    "empty choices / content": _empty,
    "200 whose body is an error": lambda r: Action(200, _error(r, 500, "server_error", "upstream failed")),
    "slow-drip body": lambda r: _wire(r, drip=0.06),
}


@dataclass
class FaultRun:
    fault: str
    provider: str
    requests: int  # HTTP requests the compile made
    faulted: int  # of which met the fault
    compiled: int
    failed: int
    spent_usd: float
    partial_notes: list[str]


def configure(root: Path, url: str, provider: str) -> None:
    base = url + ("/v1" if provider == "openai" else "")
    (root / "kbd/config.yaml").write_text(
        f"models:\n  worker: {{provider: {provider}, base_url: \"{base}\", model: test-model, "
        f"api_key_env: KBD_TEST_KEY, timeout_seconds: {TIMEOUT_SECONDS}, "
        "price_per_mtok: {input: 1.0, output: 4.0}}\n"
        f"budget: {{per_run_usd: {CAP_USD}}}\n")


def add_sources(root: Path, count: int) -> None:
    raw = root / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        c = make_clipping(i, words=250)
        (raw / c.filename).write_text(c.text, encoding="utf-8")


def run_fault(server: FakeLLM, root: Path, provider: str, fault: str, times: int,
              compile_vault: Callable[[Path], tuple[int, int]]) -> FaultRun:
    """Compile with the first `times` requests meeting `fault`, then a healthy server."""
    left = {"n": times}
    lock = threading.Lock()

    def route(received: Received) -> Action:
        with lock:
            left["n"] -= 1
            faulty = left["n"] >= 0
        return FAULTS[fault](received) if faulty else _model(received)

    server.default = route
    before = len(server.received)
    compiled, failed = compile_vault(root)
    with sqlite3.connect(root / ".kbd/state.db") as db:
        spent = db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_calls").fetchone()[0]
    return FaultRun(fault, provider, len(server.received) - before, min(times, len(server.received) - before),
                    compiled, failed, float(spent), partial_notes(root))


def partial_notes(root: Path) -> list[str]:
    """Generated notes that do not parse or lack their summary: none may exist."""
    bad = []
    for path in sorted((root / "wiki").rglob("*.md")) if (root / "wiki").is_dir() else []:
        text = path.read_text(encoding="utf-8")
        try:
            post = frontmatter.loads(text)
        except Exception:
            bad.append(str(path))
            continue
        if post.get("type") == "source" and "> [!summary]" not in post.content:
            bad.append(str(path))
    return bad

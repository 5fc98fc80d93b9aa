"""The provider client against a real HTTP server on 127.0.0.1 that speaks both wire formats and
injects faults (part of the LLM-engine issue: providers, structured output, faults, secrets)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from kbd.engines.client import CircuitBreaker, ModelClient, ModelSpec
from kbd.engines.errors import BadOutput, EndpointDown, ModelError, QuotaExceeded, Truncated
from kbd.engines.throttle import Throttle
from tests.fake_llm import Action, FakeLLM, anthropic_reply, openai_reply
from tests.model_fixtures import KEY

pytestmark = pytest.mark.usefixtures("key")

SCHEMA = {"type": "object", "required": ["title", "points"], "additionalProperties": False,
          "properties": {"title": {"type": "string"}, "points": {"type": "array", "items": {"type": "string"}}}}
GOOD = {"title": "B-trees", "points": ["shallow", "wide"]}


@pytest.fixture
def model_reply() -> None:
    """Nothing scripted: each test says what the fake model answers."""
    return None


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KBD_TEST_KEY", KEY)


class Sleeps(list[float]):
    """Records the client's sleeps instead of sleeping, and moves the throttle's clock on by them."""

    now = 0.0

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def client(server: FakeLLM, provider: str = "openai", **spec: object) -> tuple[ModelClient, Sleeps]:
    sleeps = Sleeps()
    base = server.url + ("/v1" if provider == "openai" else "")
    made = ModelClient(ModelSpec(provider=provider, model="test-model", base_url=base, api_key_env="KBD_TEST_KEY",
                                 **spec), sleep=sleeps, throttle=Throttle(4, clock=sleeps.clock))
    return made, sleeps


def test_openai_structured_output_request_and_usage(server: FakeLLM) -> None:
    server.then(Action(body=openai_reply(json.dumps(GOOD), usage=(120, 30, 64))))
    c, _ = client(server)
    result = c.complete("system rules", "the source", SCHEMA, max_tokens=500)
    assert result.data == GOOD and result.requests == 1
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.cached_tokens) == (120, 30, 64)
    sent = server.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["response_format"] == {"type": "json_schema",
                                            "json_schema": {"name": "result", "schema": SCHEMA, "strict": True}}
    assert sent.body["messages"][0] == {"role": "system", "content": "system rules"}
    assert sent.body["max_tokens"] == 500 and "tools" not in sent.body


@pytest.mark.parametrize("mode", ["json_object", "prompt"])
def test_servers_with_less_structured_output_support(server: FakeLLM, mode: str) -> None:
    server.then(Action(body=openai_reply("```json\n" + json.dumps(GOOD) + "\n```")))
    c, _ = client(server, structured=mode)
    assert c.complete("rules", "source", SCHEMA).data == GOOD
    body = server.received[0].body
    # json_object carries the schema in the form llama.cpp's servers turn into a grammar
    assert body.get("response_format") == ({"type": "json_object", "schema": SCHEMA} if mode == "json_object"
                                           else None)
    assert '"required": ["title", "points"]' in body["messages"][-1]["content"], "the schema goes into the prompt"


def test_anthropic_forced_tool_call(server: FakeLLM) -> None:
    server.then(Action(body=anthropic_reply(GOOD, usage=(200, 40, 150))))
    c, _ = client(server, provider="anthropic")
    result = c.complete("rules", "source", SCHEMA)
    assert result.data == GOOD
    assert (result.usage.input_tokens, result.usage.cached_tokens) == (350, 150)
    sent = server.received[0]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == KEY and sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body["tools"][0]["input_schema"] == SCHEMA
    assert sent.body["tool_choice"] == {"type": "tool", "name": "record_result"}
    assert sent.body["system"] == "rules" and "authorization" not in sent.headers


def test_429_retry_after_in_seconds_and_as_a_date_is_honoured(server: FakeLLM) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server.then(Action(429, {"error": {"type": "rate_limit"}}, {"retry-after": "7"}),
                Action(429, {"error": {"type": "rate_limit"}}, {"retry-after": later}),
                Action(body=openai_reply(json.dumps(GOOD))))
    c, sleeps = client(server)
    assert c.complete("r", "s", SCHEMA).requests == 3
    assert sleeps[0] == 7.0 and 25 <= sleeps[1] <= 31


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503, 504, 529])
def test_transient_errors_are_retried_with_backoff(server: FakeLLM, status: int) -> None:
    server.then(Action(status, {"error": "busy"}), Action(status, {"error": "busy"}),
                Action(body=anthropic_reply(GOOD)))
    c, sleeps = client(server, provider="anthropic")
    assert c.complete("r", "s", SCHEMA).requests == 3
    assert len(sleeps) == 2 and all(0 <= s <= 30 for s in sleeps)


def test_a_timeout_is_retried(server: FakeLLM) -> None:
    server.then(Action(body=openai_reply(json.dumps(GOOD)), delay=1.5), Action(body=openai_reply(json.dumps(GOOD))))
    c, sleeps = client(server, timeout_seconds=0.3)
    assert c.complete("r", "s", SCHEMA).data == GOOD and len(sleeps) == 1


def test_quota_errors_are_never_retried(server: FakeLLM) -> None:
    server.then(Action(429, {"error": {"code": "insufficient_quota", "message": "You exceeded your current quota"}}))
    c, sleeps = client(server)
    with pytest.raises(QuotaExceeded):
        c.complete("r", "s", SCHEMA)
    assert len(server.received) == 1 and sleeps == []


def test_retries_are_bounded(server: FakeLLM) -> None:
    server.default = lambda r: Action(503, {"error": "down"})
    c, _ = client(server, max_retries=3)
    c.breaker = CircuitBreaker(threshold=100)
    with pytest.raises(ModelError, match="HTTP 503 after 4 attempts"):
        c.complete("r", "s", SCHEMA)
    assert len(server.received) == 4


def test_the_circuit_breaker_stops_calls_to_a_dead_endpoint_then_tries_again(server: FakeLLM) -> None:
    server.default = lambda r: Action(500, {"error": "down"})
    now = [1000.0]
    c, _ = client(server, max_retries=10)
    c.breaker = CircuitBreaker(threshold=3, cooldown_seconds=60, clock=lambda: now[0])
    with pytest.raises(EndpointDown, match=r"3 times in a row \(last: HTTP 500\)"):
        c.complete("r", "s", SCHEMA)
    assert len(server.received) == 3
    with pytest.raises(EndpointDown):
        c.complete("r", "s", SCHEMA)
    assert len(server.received) == 3, "an open breaker makes no request"
    now[0] += 61
    server.default = lambda r: Action(body=openai_reply(json.dumps(GOOD)))
    assert c.complete("r", "s", SCHEMA).data == GOOD


def test_invalid_json_gets_one_repair_attempt(server: FakeLLM) -> None:
    server.then(Action(body=openai_reply('{"title": "B-trees", "points": [')),
                Action(body=openai_reply(json.dumps(GOOD))))
    c, _ = client(server)
    result = c.complete("r", "s", SCHEMA)
    assert result.data == GOOD and result.requests == 2
    repair = server.received[1].body["messages"]
    assert repair[-2]["role"] == "assistant" and "not valid" in repair[-1]["content"]


def test_output_that_breaks_the_schema_twice_fails_cleanly(server: FakeLLM) -> None:
    wrong = {"title": 3, "points": "no", "extra": True}
    server.then(Action(body=anthropic_reply(wrong)), Action(body=anthropic_reply(wrong)))
    c, _ = client(server, provider="anthropic")
    with pytest.raises(BadOutput, match=r"\$\.title: expected string"):
        c.complete("r", "s", SCHEMA)
    assert len(server.received) == 2


def test_a_malformed_http_body_is_repaired_like_bad_json(server: FakeLLM) -> None:
    server.then(Action(body="{this is not json"), Action(body=openai_reply(json.dumps(GOOD))))
    c, _ = client(server)
    assert c.complete("r", "s", SCHEMA).data == GOOD


def test_truncated_output_is_retried_with_a_larger_budget_once(server: FakeLLM) -> None:
    server.then(Action(body=openai_reply('{"title": "B-tr', finish="length")),
                Action(body=openai_reply(json.dumps(GOOD))))
    c, _ = client(server)
    assert c.complete("r", "s", SCHEMA, max_tokens=100).data == GOOD
    assert [r.body["max_tokens"] for r in server.received] == [100, 200]
    server.then(Action(body=anthropic_reply({}, stop="max_tokens")),
                Action(body=anthropic_reply({}, stop="max_tokens")))
    c, _ = client(server, provider="anthropic")
    with pytest.raises(Truncated):
        c.complete("r", "s", SCHEMA, max_tokens=100)


def test_the_api_key_never_appears_in_errors_or_logs(server: FakeLLM, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server.then(Action(401, {"error": {"message": f"invalid key {KEY}"}}))
    c, _ = client(server)
    with pytest.raises(ModelError) as err:
        c.complete("r", "s", SCHEMA)
    assert KEY not in str(err.value) and "[api key]" in str(err.value)
    assert KEY not in caplog.text

"""Local models as first-class providers (issue 19): the structured mode a server takes, found and
remembered; refused requests that say why and are never retried; small-model robustness
(truncation, overlong values, notes written offline when the model cannot). Exercised against the
loopback fake keeping llama-cpp-python's and Ollama's rules (tests/provider_rules.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kbd.config import load_config
from kbd.engines.client import ModelClient, ModelSpec
from kbd.engines.errors import RequestRefused, TooLong
from kbd.engines.gateway import Caps, ModelGateway, Prices, Role
from kbd.engines.presets import models_block, parse_model, server_context
from kbd.engines.skills import load_skill, untrusted
from kbd.state import State
from tests.clippings import make_clipping
from tests.conftest import Vault, run_kbd
from tests.fake_llm import Action, FakeLLM, Received, first_user_text, openai_reply, structured_reply
from tests.model_fixtures import Reply, honest_model

RESULT = {"title": "T", "summary": ["The B-tree stays shallow."], "key_points": [], "concepts": [], "tags": []}


@pytest.fixture
def model_reply() -> Reply:
    return lambda r: structured_reply(r, RESULT)


def gateway(db: Path, server: FakeLLM, structured: str = "auto") -> ModelGateway:
    State(db).close()
    spec = ModelSpec("openai", "smollm2", server.url + "/v1", structured=structured, max_retries=5)
    return ModelGateway(db, {"worker": Role(spec, Prices())}, Caps(), "", "run",
                        clients={"worker": ModelClient(spec, sleep=lambda s: None)})


def formats(server: FakeLLM) -> list[str]:
    """How each request sent the schema, in order."""
    out = []
    for r in server.received:
        if r.path.endswith("/api/chat"):
            out.append("ollama")
        else:
            out.append((r.body.get("response_format") or {}).get("type", "prompt"))
    return out


def test_auto_finds_the_mode_llama_cpp_python_takes_and_remembers_it(tmp_path: Path, server: FakeLLM) -> None:
    server.imitates = "llama-cpp-python"
    skill = load_skill("summarize_source")
    gw = gateway(tmp_path / "state.db", server)
    assert gw.call(skill, untrusted("raw/a.md", "The B-tree stays shallow."), "ingest:a") == RESULT
    assert formats(server) == ["json_schema", "json_object"]
    assert server.received[0].refused == 500 and server.received[1].refused is None
    sent = server.received[1].body["response_format"]
    assert sent["schema"]["properties"]["tags"]["maxItems"] == 8, "the schema goes with json_object, bounds and all"
    gw.close()
    row = sqlite3.connect(tmp_path / "state.db").execute("SELECT mode, reason FROM structured_modes").fetchone()
    assert row[0] == "json_object" and "Input should be 'text' or 'json_object'" in row[1]
    # A later run (a new gateway on the same state.db) asks in the remembered mode at once.
    again = gateway(tmp_path / "state.db", server)
    again.call(skill, untrusted("raw/b.md", "LSM trees write fast."), "ingest:b")
    assert formats(server)[2:] == ["json_object"]
    again.close()


def test_a_500_naming_a_request_field_is_one_request_with_the_servers_message_and_the_fix(
        tmp_path: Path, server: FakeLLM) -> None:
    server.imitates = "llama-cpp-python"
    gw = gateway(tmp_path / "state.db", server, structured="json_schema")
    with pytest.raises(RequestRefused) as refused:
        gw.call(load_skill("summarize_source"), "task", "ingest:a")
    message = str(refused.value)
    assert len(server.received) == 1, "never retried"
    assert "HTTP 500" in message and "Input should be 'text' or 'json_object'" in message
    assert "Fix: set `structured: auto`" in message and "json_object" in message
    assert gw.clients["worker"].breaker.failures == 0, "a refused request is not an outage"
    gw.close()


def test_auto_falls_back_to_ollamas_native_format(tmp_path: Path, server: FakeLLM) -> None:
    server.imitates = "ollama"
    refusing = {"error": {"message": "response_format is not supported", "type": "invalid_request_error",
                          "param": "response_format", "code": None}}
    server.default = lambda r: structured_reply(r, RESULT) if r.path.endswith("/api/chat") else Action(400, refusing)
    gw = gateway(tmp_path / "state.db", server)
    assert gw.call(load_skill("summarize_source"), "The B-tree.", "ingest:a") == RESULT
    assert formats(server) == ["json_schema", "json_object", "ollama"]
    native = server.received[-1]
    assert native.path == "/api/chat" and native.refused is None
    assert native.body["format"]["required"] == ["title", "summary", "key_points", "concepts", "tags"]
    assert native.body["stream"] is False and native.body["options"]["num_predict"] == 1500
    gw.close()


def test_a_too_long_request_is_refused_with_the_fix_and_not_retried(tmp_path: Path, server: FakeLLM) -> None:
    server.default = lambda r: Action(400, {"error": {
        "message": "This model's maximum context length is 2048 tokens. However, you requested 3100 tokens (1600 "
                   "in the messages, 1500 in the completion). Please reduce the length of the messages or "
                   "completion.", "type": "invalid_request_error", "param": "messages",
        "code": "context_length_exceeded"}})
    gw = gateway(tmp_path / "state.db", server, structured="json_object")
    with pytest.raises(TooLong, match="lower `max_input_tokens`"):
        gw.call(load_skill("summarize_source"), "task", "ingest:a")
    assert len(server.received) == 1
    gw.close()


def _overlong(received: Received) -> Action:
    result = {**RESULT, "tags": [f"tag{i}" for i in range(20)], "title": "word " * 100}
    return structured_reply(received, result)


def test_overlong_arrays_and_strings_are_trimmed_to_the_schemas_bounds(tmp_path: Path, server: FakeLLM) -> None:
    server.default = _overlong
    gw = gateway(tmp_path / "state.db", server, structured="json_object")
    data = gw.call(load_skill("summarize_source"), "task", "ingest:a")
    assert len(data["tags"]) == 8 and len(data["title"]) <= 300 and not data["title"].endswith(" ")
    assert len(server.received) == 1, "trimmed, not repaired"
    gw.close()


def configure(vault: Vault, server: FakeLLM, structured: str = "") -> None:
    extra = f", structured: {structured}" if structured else ""
    (vault.root / "kbd/config.yaml").write_text(
        "models:\n  worker: {provider: openai, base_url: \"" + server.url + "/v1\", model: smollm2, "
        "max_concurrency: 1" + extra + "}\n")


def test_doctor_passes_with_auto_against_llama_cpp_python_and_says_which_mode_and_why(
        sample_vault: Vault, server: FakeLLM) -> None:
    server.imitates = "llama-cpp-python"
    server.default = lambda r: structured_reply(r, {"ok": True})
    configure(sample_vault, server)
    result = run_kbd("doctor", str(sample_vault.root))
    assert result.returncode == 0, result.stdout
    line = next(x for x in result.stdout.splitlines() if "worker request" in x)
    assert line.startswith("ok") and "structured: auto chose json_object" in line
    assert "json_schema refused (HTTP 500" in line


def test_a_note_the_model_cannot_write_is_written_offline_marked_and_redone(sample_vault: Vault,
                                                                           server: FakeLLM) -> None:
    def garbling(received: Received) -> Action:
        if "Why B-trees stay shallow" in first_user_text(received):
            return Action(body=openai_reply(json.dumps({"unexpected": "shape"})))
        return honest_model(received)

    server.default = garbling
    configure(sample_vault, server, structured="json_object")
    result = sample_vault.kbd("compile", ".")
    assert result.returncode == 0 and result.stdout.startswith("compiled 3 sources"), result.stdout + result.stderr
    note = sample_vault.note("wiki/sources/Why B-trees stay shallow.md")
    assert note["engine"] == "offline (model failed: no output matching the schema)"
    assert "could not write this summary" in result.stderr
    status = (sample_vault.wiki / "reports/Status.md").read_text()
    assert "**Written offline, the model failed**: 1 note" in status
    sources = (sample_vault.wiki / "sources").glob("*.md")
    others = [sample_vault.note(f"wiki/sources/{p.name}")["engine"] for p in sources if "B-trees" not in p.stem]
    assert others == ["openai:smollm2"] * 2
    server.default = honest_model  # the model works again
    redo = sample_vault.kbd("compile", ".", "--redo")
    assert redo.returncode == 0, redo.stdout + redo.stderr
    assert sample_vault.note("wiki/sources/Why B-trees stay shallow.md")["engine"] == "openai:smollm2"
    assert "Written offline" not in (sample_vault.wiki / "reports/Status.md").read_text()


def test_init_with_a_local_model_writes_its_preset(tmp_path: Path) -> None:
    result = run_kbd("init", str(tmp_path / "Vault"), "--model", "ollama:qwen3:8b")
    assert result.returncode == 0, result.stdout + result.stderr
    config = load_config(tmp_path / "Vault")
    worker = config.models["worker"]
    assert (worker.base_url, worker.model, worker.api_key_env) == ("http://localhost:11434/v1", "qwen3:8b", None)
    assert (worker.max_concurrency, worker.structured, worker.price_input, worker.price_output) == (1, "auto", 0, 0)
    assert worker.max_input_tokens is not None and worker.max_input_tokens >= 1000
    again = run_kbd("init", str(tmp_path / "Vault"), "--model", "vllm:some-model")
    assert "left as it is" in again.stdout and load_config(tmp_path / "Vault").models["worker"].model == "qwen3:8b"
    wrong = run_kbd("init", str(tmp_path / "Other"), "--model", "ollamma:qwen3")
    assert wrong.returncode == 2 and "ollama, llama.cpp, lmstudio, vllm" in wrong.stderr


def test_the_preset_takes_ollamas_context_from_api_show(server: FakeLLM) -> None:
    server.then(Action(body={"parameters": "num_ctx 8192\nstop \"<|im_end|>\"",
                             "model_info": {"qwen3.context_length": 40960}}))
    preset, model = parse_model("ollama:qwen3:8b")
    assert server_context(preset, model, server.url + "/v1") == 8192
    assert server.received[-1].path == "/api/show" and server.received[-1].body == {"model": "qwen3:8b"}
    assert "max_input_tokens: 6192" in models_block(preset, model, 8192)


def test_a_source_too_long_for_the_servers_context_is_summarised_in_smaller_parts(vault: Vault,
                                                                                   server: FakeLLM) -> None:
    limit = 6_000  # characters of task the server's context takes, the model's answer included

    def small_context(received: Received) -> Action:
        if len(first_user_text(received)) > limit:
            return Action(400, {"error": {"message": "This model's maximum context length is 2048 tokens. However, "
                                                     "you requested 4000 tokens.", "type": "invalid_request_error",
                                          "param": "messages", "code": "context_length_exceeded"}})
        return honest_model(received)

    server.default = small_context
    clipping = make_clipping(0, words=1400)
    vault.clip(clipping.filename, clipping.text)
    (vault.root / "kbd/config.yaml").write_text(
        "models:\n  worker: {provider: openai, base_url: \"" + server.url + "/v1\", model: smollm2, "
        "max_concurrency: 1, structured: json_object, max_input_tokens: 4000}\n")
    result = vault.kbd("compile", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    (note,) = (vault.wiki / "sources").glob("*.md")
    assert vault.note(f"wiki/sources/{note.name}")["engine"] == "openai:smollm2"
    refused = [r for r in server.received if r.refused or len(first_user_text(r)) > limit]
    assert len(refused) == 1, "one refusal, never retried as it was; then smaller parts"
    assert any("part 1 of" in first_user_text(r) for r in server.received[1:])


def test_a_raw_newline_inside_a_string_is_text_not_a_reason_to_repair(tmp_path: Path, server: FakeLLM) -> None:
    # What SmolLM2-135M wrote under llama-cpp-python's grammar (tests/recordings/): JSON whose strings
    # hold raw line breaks, which strict JSON refuses.
    server.then(Action(body=openai_reply('{"title": "B-trees", "summary": ["Shallow\nand wide."], "key_points": [],'
                                         ' "concepts": [], "tags": []}')))
    gw = gateway(tmp_path / "state.db", server, structured="json_object")
    data = gw.call(load_skill("summarize_source"), "task", "ingest:a")
    assert data["summary"] == ["Shallow\nand wide."] and len(server.received) == 1
    gw.close()


def test_a_reply_cut_off_every_time_is_retried_with_more_room_then_written_offline_and_marked(
        sample_vault: Vault, server: FakeLLM) -> None:
    def rambling(received: Received) -> Action:
        if "Why B-trees stay shallow" in first_user_text(received):
            return Action(body=openai_reply('{"title": "Why B-trees", "summary": ["They stay sh', finish="length"))
        return honest_model(received)

    server.default = rambling
    configure(sample_vault, server, structured="json_object")
    result = sample_vault.kbd("compile", ".")
    assert result.stdout.startswith("compiled 3 sources"), result.stdout + result.stderr
    note = sample_vault.note("wiki/sources/Why B-trees stay shallow.md")
    assert note["engine"] == "offline (model failed: output cut at the token limit)"
    cut = [r.body["max_tokens"] for r in server.received if "Why B-trees stay shallow" in first_user_text(r)]
    assert cut == [1500, 3000], "once more with twice the room; a short source has no smaller parts"

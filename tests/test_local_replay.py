"""kbd against the recorded answers of a real llama-cpp-python 0.3.36 server serving
SmolLM2-135M-Instruct (issue 19). bench/local_model.py made the recording
(tests/recordings/llama_cpp_python.json); tests/replay.py serves its bytes on 127.0.0.1, so these
run in CI without building or starting the server."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from bench.local_model import QUESTION, SKILL, long_clipping
from kbd.engines.client import ModelClient, ModelSpec
from kbd.engines.errors import RequestRefused
from tests.conftest import SAMPLES, Vault, run_kbd
from tests.replay import load, replay

CORPUS = Path(__file__).resolve().parent.parent / "bench" / "corpus"
RECORDED = load()
MODEL = "smollm2-135m"
SCHEMA = {"type": "object", "additionalProperties": False, "required": ["ok"],
          "properties": {"ok": {"type": "boolean"}}}


def configure(vault: Vault, url: str, structured: str = "auto") -> None:
    (vault.root / "kbd/config.yaml").write_text(
        f"models:\n  worker: {{provider: openai, base_url: \"{url}/v1\", model: {MODEL}, max_concurrency: 1, "
        f"structured: {structured}, timeout_seconds: 900, max_input_tokens: {RECORDED['n_ctx'] - 3000}}}\n"
        # The recordings predate image downloads, and bench/corpus embeds example.org images that
        # a test must never try to fetch (tests stay on 127.0.0.1).
        "images: {download: false}\n")


def recorded_clippings() -> list[str]:
    """The clippings the recorded compile summarised, in the order it sent them."""
    names: list[str] = []
    for e in RECORDED["exchanges"]:
        body = e["request"]["body"]
        if e["phase"] != "compile" or not isinstance(body, dict):
            continue
        for message in body.get("messages", []):
            for label in re.findall(r'<untrusted source="raw/([^"]*\.md)">', str(message.get("content", ""))):
                if html.unescape(label) not in names:
                    names.append(html.unescape(label))
    return names


def test_the_real_servers_500_for_json_schema_is_one_request_with_its_message_and_the_fix() -> None:
    (said,) = {json.loads(e["response"]["body"])["error"]["message"] for e in RECORDED["exchanges"]
               if e["response"]["status"] == 500}
    with replay("doctor-json_schema") as server:
        client = ModelClient(ModelSpec("openai", MODEL, server.url + "/v1", structured="json_schema"),
                             sleep=lambda s: pytest.fail("a refused request is never retried"))
        with pytest.raises(RequestRefused) as refused:
            client.complete("rules", "Reply with ok set to true.", SCHEMA)
    assert [r["path"] for r in server.received] == ["/v1/chat/completions"], "one request"
    message = str(refused.value)
    assert "HTTP 500" in message and " ".join(said.split())[:120] in message, "the server's own words, on one line"
    assert "Fix: set `structured: auto`" in message
    assert client.breaker.failures == 0


def test_doctor_with_json_schema_shows_the_servers_refusal_and_the_mode_that_works(vault: Vault) -> None:
    with replay("doctor-json_schema") as server:
        configure(vault, server.url, structured="json_schema")
        result = run_kbd("doctor", str(vault.root))
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if "worker request" in x)
    assert line.startswith("BAD") and "(HTTP 500): 1 validation error" in line and "Fix: set `structured: auto`" in line
    assert "This server works with `structured: json_object` (or `auto`)" in line
    assert server.unmatched == []


def test_doctor_with_auto_passes_against_the_recorded_server(vault: Vault) -> None:
    with replay("doctor-auto") as server:
        configure(vault, server.url)
        result = run_kbd("doctor", str(vault.root))
    assert result.returncode == 0, result.stdout
    line = next(x for x in result.stdout.splitlines() if "worker request" in x)
    assert "structured: auto chose json_object" in line and "json_schema refused (HTTP 500" in line
    assert server.unmatched == []


def test_the_recorded_compile_ask_and_custom_skill_replay_as_they_ran(vault: Vault) -> None:
    names = recorded_clippings()
    for name in names:
        source = SAMPLES / name if (SAMPLES / name).exists() else CORPUS / name
        vault.clip(name, source.read_bytes())
    with replay("compile", "ask", "skill") as server:
        configure(vault, server.url)
        compiled = vault.kbd("compile", ".")
        assert compiled.returncode == 0, compiled.stdout + compiled.stderr
        engines = [vault.note(f"wiki/sources/{p.name}")["engine"]
                   for p in sorted((vault.wiki / "sources").glob("*.md"))]
        assert len(engines) == len(names) == 13
        assert engines.count(f"openai:{MODEL}") >= 12, engines
        assert all(e == f"openai:{MODEL}" or e.startswith("offline (model failed: ") for e in engines), engines
        # The 135M model cited notes it was not given: kbd drops those claims and files no answer.
        asked = run_kbd("ask", str(vault.root), QUESTION)
        assert asked.returncode == 1, asked.stdout + asked.stderr
        answer = (vault.wiki / "answers" / "What does the write-ahead log guarantee.md").read_text()
        assert "claims were dropped" in answer and "Nothing in the wiki supports an answer" in answer
        (vault.root / "kbd/skills/takeaways.md").write_text(SKILL)
        skill = vault.kbd("skill", ".", "takeaways")
        assert skill.returncode == 0, skill.stdout + skill.stderr
        assert "> [!warning] Not verified" in (vault.wiki / "reports/Takeaways.md").read_text()
    assert server.unmatched == [], server.unmatched


def test_a_clipping_too_long_for_the_real_servers_context_is_written_offline_and_marked(vault: Vault) -> None:
    vault.clip("The whole reading list.md", long_clipping())
    with replay("too-long") as server:
        configure(vault, server.url, structured="json_object")
        config = vault.root / "kbd/config.yaml"
        config.write_text(config.read_text().replace(f"max_input_tokens: {RECORDED['n_ctx'] - 3000}",
                                                     "max_input_tokens: 40000"))
        result = vault.kbd("compile", ".")
    note = vault.note("wiki/sources/The whole reading list.md")
    assert note["engine"] == "offline (model failed: too long for the model's context)"
    assert "maximum context length is 8192 tokens" in result.stderr and "lower `max_input_tokens`" in result.stderr
    assert server.served == [400] and server.unmatched == []
    status = (vault.wiki / "reports/Status.md").read_text()
    assert "**Written offline, the model failed**: 1 note" in status

"""`kbd doctor` says what is wrong and never prints a key (part of the LLM-engine issue)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Vault, run_kbd
from tests.fake_llm import Action, FakeLLM, fake_llm, openai_reply
from tests.model_fixtures import KEY, configure


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    with fake_llm() as fake:
        fake.accepted_key = KEY
        yield fake


def test_a_ready_vault_with_a_model(vault: Vault, server: FakeLLM) -> None:
    configure(vault, server)
    server.default = lambda r: Action(body=openai_reply('{"ok": true}'))
    result = run_kbd("doctor", str(vault.root), env={"KBD_TEST_KEY": KEY})
    assert result.returncode == 0, result.stdout
    assert "ok   worker key" in result.stdout and "answers; model test-model" in result.stdout
    assert KEY not in result.stdout + result.stderr


def test_a_missing_key_a_rejected_key_and_a_dead_endpoint(vault: Vault, server: FakeLLM) -> None:
    configure(vault, server)
    missing = run_kbd("doctor", str(vault.root), env={"KBD_TEST_KEY": ""})
    assert missing.returncode == 1 and "$KBD_TEST_KEY is not set" in missing.stdout
    rejected = run_kbd("doctor", str(vault.root), env={"KBD_TEST_KEY": "sk-wrong-key-123"})
    assert rejected.returncode == 1 and "rejected the key (HTTP 401)" in rejected.stdout
    assert "sk-wrong-key-123" not in rejected.stdout
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    (vault.root / "kbd/config.yaml").write_text(
        f"models:\n  worker: {{provider: anthropic, base_url: \"http://127.0.0.1:{dead_port}\", model: m}}\n")
    dead = run_kbd("doctor", str(vault.root))
    assert dead.returncode == 1 and "is unreachable" in dead.stdout


def test_an_offline_vault_and_a_broken_config(vault: Vault) -> None:
    result = run_kbd("doctor", str(vault.root))
    assert result.returncode == 0 and "offline engine" in result.stdout
    (vault.root / "kbd/config.yaml").write_text("compile:\n  workers: lots\n")
    broken = run_kbd("doctor", str(vault.root))
    assert broken.returncode == 2 and "line 2, key `compile.workers`" in broken.stdout


def test_doctor_says_whether_word_frequencies_are_installed(vault: Vault, tmp_path: Path) -> None:
    # The quick start leaves the 57 MB wordfreq wheel out; the README's reading figures are with it (a review found
    # nothing told a user so). A stand-in package that fails to import plays a machine without it.
    result = run_kbd("doctor", str(vault.root))
    assert result.returncode == 0 and "word frequencies wordfreq is installed" in result.stdout, result.stdout
    stand_in = tmp_path / "without" / "wordfreq"
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text("raise ImportError('not installed')\n")
    path = os.pathsep.join(p for p in (str(stand_in.parent), os.environ.get("PYTHONPATH", "")) if p)
    without = run_kbd("doctor", str(vault.root), env={"PYTHONPATH": path})
    assert without.returncode == 0 and "all good" in without.stdout, without.stdout
    assert "wordfreq is not installed" in without.stdout and "pip install 'wordfreq==3.1.1'" in without.stdout


def test_doctor_sends_one_tiny_structured_request_per_model(vault: Vault, server: FakeLLM) -> None:
    configure(vault, server)
    server.default = lambda r: Action(body=openai_reply('{"ok": true}', usage=(60, 3, 0)))
    result = run_kbd("doctor", str(vault.root), env={"KBD_TEST_KEY": KEY})
    assert result.returncode == 0, result.stdout
    assert "ok   worker request" in result.stdout
    posts = [r for r in server.received if r.path.endswith("/chat/completions")]
    assert len(posts) == 1 and posts[0].body["response_format"]["json_schema"]["strict"] is True
    assert posts[0].refused is None


def test_doctor_shows_a_model_that_refuses_kbds_requests_before_a_compile(vault: Vault, server: FakeLLM) -> None:
    # A reasoning model refuses max_tokens (the fake answers as OpenAI does); here kbd sends
    # max_completion_tokens, so make the server refuse the schema instead, as a server without
    # strict-schema support would.
    configure(vault, server)
    config = vault.root / "kbd/config.yaml"
    config.write_text(config.read_text().replace("max_concurrency: 4", "max_concurrency: 4, structured: json_schema"))
    server.default = lambda r: Action(400, {"error": {"message": "Invalid schema for response_format 'result': "
                                                       "'anyOf' is not permitted.", "type": "invalid_request_error",
                                                       "param": "response_format", "code": "invalid_json_schema"}})
    result = run_kbd("doctor", str(vault.root), env={"KBD_TEST_KEY": KEY})
    assert result.returncode == 1
    assert "BAD  worker request" in result.stdout and "refused the result schema" in result.stdout
    assert "structured: auto" in result.stdout, "the fix is named"
    # The refused request went out once; doctor then looked for a mode that works, one request per mode.
    sent = [r.body.get("response_format", {}).get("type", "none") for r in server.received
            if r.path.endswith("/chat/completions")]
    assert sent == ["json_schema", "json_schema", "json_object", "none"], sent


def test_doctor_no_network_contacts_nothing(vault: Vault, server: FakeLLM) -> None:
    configure(vault, server)
    result = run_kbd("doctor", str(vault.root), "--no-network", env={"KBD_TEST_KEY": KEY})
    assert result.returncode == 0 and "not contacted (--no-network)" in result.stdout
    assert server.received == []

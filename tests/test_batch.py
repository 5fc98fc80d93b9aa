"""Batch backfills (issue 9, acceptance 8): `kbd compile --batch` sends the queued summaries through
the provider's batch interface, later runs collect them (after a restart too), partial failures
are retried normally, costs carry the batch discount and the budget holds a sent batch."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator

import httpx
import pytest

from kbd.compile.jobs import run_compile
from kbd.config import load_config
from kbd.jobs import JobContext
from kbd.state import State
from kbd.vault.layout import VaultLayout
from kbd.vault.note import file_sha256
from tests.conftest import Vault
from tests.fake_batch import FakeBatches
from tests.fake_llm import Action, FakeLLM, Received, fake_llm, last_user_text
from tests.model_fixtures import KEY, honest_model

pytestmark = pytest.mark.usefixtures("key")

NOTE = "wiki/sources/Why B-trees stay shallow.md"


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    with fake_llm() as fake:
        fake.default = honest_model
        fake.accepted_key = KEY
        yield fake


def configure(vault: Vault, server: FakeLLM, provider: str = "openai", budget: str = "") -> None:
    base = server.url + ("/v1" if provider == "openai" else "")
    (vault.root / "kbd/config.yaml").write_text(
        f"models:\n  worker: {{provider: {provider}, base_url: \"{base}\", model: test-model, "
        "api_key_env: KBD_TEST_KEY, price_per_mtok: {input: 1.0, output: 4.0}}\n" + budget)


def db(vault: Vault) -> sqlite3.Connection:
    return sqlite3.connect(vault.root / ".kbd/state.db")


def sources(vault: Vault) -> list[str]:
    return sorted(p.name for p in (vault.wiki / "sources").glob("*.md"))


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_batch_is_sent_survives_restarts_and_is_collected_at_half_price(sample_vault: Vault, server: FakeLLM,
                                                                          provider: str) -> None:
    batches = FakeBatches(server)
    configure(sample_vault, server, provider)
    planned = json.loads(sample_vault.kbd("plan", ".", "--json").stdout)
    assert planned["batch_cost_usd"] == pytest.approx(planned["cost_usd"] / 2)
    assert "with --batch about $" in sample_vault.kbd("plan", ".").stdout
    sent = sample_vault.kbd("compile", ".", "--batch")
    assert len(server.received) == 0, "nothing is asked synchronously"
    assert "sent batch" in sent.stdout and "3 clippings, 3 requests" in sent.stdout, sent.stdout
    expected_calls = ([("POST", "/v1/files"), ("POST", "/v1/batches")] if provider == "openai"
                      else [("POST", "/v1/messages/batches")])
    assert batches.calls == expected_calls
    with db(sample_vault) as conn:
        (batch_id, state, reserved), = conn.execute("SELECT id, state, reserved_usd FROM batches").fetchall()
        assert state == "submitted" and reserved > 0
        assert conn.execute("SELECT COUNT(*) FROM jobs WHERE state='batched'").fetchone()[0] == 3
    assert batch_id in batches.batches and sources(sample_vault) == []
    assert f"batch      {batch_id} ({provider}:test-model): sent, 3 requests" in sample_vault.kbd("status", ".").stdout
    assert f"**Batches sent**: {batch_id}" in sample_vault.status().replace("\\", "")
    assert json.loads(sample_vault.kbd("plan", ".", "--json").stdout)["in_batches"] == 3

    waiting = sample_vault.kbd("compile", ".")  # a new process: what it knows comes from state.db
    assert f"batch {batch_id}: in_progress (0 of 3 done)" in waiting.stdout, waiting.stdout
    assert len(server.received) == 0 and sources(sample_vault) == []

    batches.finish()
    collected = sample_vault.kbd("compile", ".")
    assert "collected 3 answers from batches" in collected.stdout, collected.stdout
    assert len(server.received) == 0, "every summary came from the batch"
    assert len(sources(sample_vault)) == 3
    assert sample_vault.note(NOTE)["engine"] == "openai:test-model".replace("openai", provider)
    with db(sample_vault) as conn:
        rows = conn.execute("SELECT input_tokens, output_tokens, cost_usd FROM llm_calls WHERE job LIKE '%(batch %' "
                            "AND outcome='ok'").fetchall()
        assert len(rows) == 3
        for tokens_in, tokens_out, cost in rows:
            assert cost == pytest.approx(0.5 * (tokens_in * 1.0 + tokens_out * 4.0) / 1e6)
        assert conn.execute("SELECT state FROM batches").fetchone()[0] == "collected"
    assert sample_vault.kbd("compile", ".").stdout.startswith("nothing to do")
    assert len(batches.answered) == 3
    if provider == "anthropic":  # the same result tool as a synchronous summary, so both share a cached prefix
        assert {t["name"] for t in batches.answered[0].body["tools"]} == {"record_summarize_source"}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_partial_failures_are_retried_normally(sample_vault: Vault, server: FakeLLM, provider: str) -> None:
    batches = FakeBatches(server, auto_finish=True)

    def flaky(received: Received) -> Action:
        if "B-trees" in last_user_text(received):
            return Action(500, {"error": {"message": "The server had an error", "type": "server_error"}})
        return honest_model(received)

    batches.answer = flaky
    batches.expire = {"r0"}
    configure(sample_vault, server, provider)
    sample_vault.kbd("compile", ".", "--batch")
    result = sample_vault.kbd("compile", ".", "--batch")
    assert "collected 1 answer from batches at the batch price; 2 failed and were retried normally" in result.stdout
    assert len(server.received) == 2, "the failed and the expired request are asked again, synchronously"
    assert len(sources(sample_vault)) == 3
    assert len(batches.batches) == 1, "a request that failed in a batch is not batched again"


def test_a_sent_batch_holds_its_cost_against_the_caps(sample_vault: Vault, server: FakeLLM) -> None:
    from tests.clippings import make_clipping

    FakeBatches(server)
    configure(sample_vault, server, budget="budget: {daily_usd: 0.02}\n")
    sample_vault.kbd("compile", ".", "--batch")
    with db(sample_vault) as conn:
        reserved = conn.execute("SELECT reserved_usd FROM batches").fetchone()[0]
    assert 0 < reserved < 0.02
    # Room for the batch, not for the batch and another clipping besides: the new one waits.
    c = make_clipping(3, words=6000)
    sample_vault.clip(c.filename, c.text)
    configure(sample_vault, server, budget=f"budget: {{daily_usd: {reserved + 0.005:.4f}}}\n")
    sample_vault.kbd("compile", ".")
    assert len(server.received) == 0
    assert "budget.daily_usd" in sample_vault.status().replace("\\", "")


def test_the_cap_limits_how_many_clippings_a_batch_takes(sample_vault: Vault, server: FakeLLM) -> None:
    FakeBatches(server)
    configure(sample_vault, server, budget="budget: {per_run_usd: 0.005}\n")
    result = sample_vault.kbd("compile", ".", "--batch")
    assert "1 clipping, 1 request" in result.stdout, result.stdout
    assert len(server.received) == 0
    assert "budget.per_run_usd" in sample_vault.status().replace("\\", "")


def test_kbd_run_collects_finished_batches(sample_vault: Vault, server: FakeLLM) -> None:
    batches = FakeBatches(server)
    configure(sample_vault, server)
    sample_vault.kbd("compile", ".", "--batch")
    batches.finish()
    # What the daemon runs at start-up and at each full rescan.
    config = load_config(sample_vault.root)
    layout = VaultLayout.from_config(sample_vault.root, config)
    state = State(layout.state_dir / "state.db")
    try:
        run_compile(JobContext(layout, config, state, threading.Event()), {})
    finally:
        state.close()
    assert len(sources(sample_vault)) == 3 and len(server.received) == 0


def test_batch_without_a_model_compiles_offline(sample_vault: Vault) -> None:
    result = sample_vault.kbd("compile", ".", "--batch")
    assert result.stdout.startswith("compiled 3 sources") and "--batch needs a model" in result.stderr


def test_the_fake_refuses_batches_the_real_services_refuse(server: FakeLLM) -> None:
    batches = FakeBatches(server)
    auth = {"authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=server.url, headers=auth) as http:
        assert http.post("/v1/files", data={"purpose": "batches"},
                         files={"file": ("a.jsonl", b"{}\n")}).status_code == 400
        line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m1"}}
        mixed = json.dumps(line) + "\n" + json.dumps({**line, "custom_id": "b", "body": {"model": "m2"}}) + "\n"
        file_id = http.post("/v1/files", data={"purpose": "batch"}, files={"file": ("a.jsonl", mixed.encode())}
                            ).json()["id"]
        assert http.post("/v1/batches", json={"input_file_id": file_id, "endpoint": "/v1/chat/completions",
                                              "completion_window": "1h"}).status_code == 400
        assert http.post("/v1/batches", json={"input_file_id": "file-nope", "endpoint": "/v1/chat/completions",
                                              "completion_window": "24h"}).status_code == 404
        failed = http.post("/v1/batches", json={"input_file_id": file_id, "endpoint": "/v1/chat/completions",
                                                "completion_window": "24h"}).json()
        assert failed["status"] == "failed" and failed["errors"]["data"][0]["code"] == "mismatched_model"
        assert http.post("/v1/batches", headers={"authorization": "Bearer wrong"}, json={}).status_code == 401
    anthropic = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=server.url, headers=anthropic) as http:
        params = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
        for requests in ([{"custom_id": "bad id!", "params": params}],
                         [{"custom_id": "a", "params": params}, {"custom_id": "a", "params": params}],
                         [{"custom_id": "a", "params": {**params, "stream": True}}], []):
            refused = http.post("/v1/messages/batches", json={"requests": requests})
            assert refused.status_code == 400 and refused.json()["error"]["type"] == "invalid_request_error"
        made = http.post("/v1/messages/batches", json={"requests": [{"custom_id": "a", "params": params}]}).json()
        assert made["processing_status"] == "in_progress"
        assert http.get(f"/v1/messages/batches/{made['id']}/results").status_code == 400, "results only once ended"
        assert http.post("/v1/messages/batches", headers={"anthropic-version": ""},
                         json={"requests": []}).status_code in (400, 401)
    assert batches.answered == []


def test_concepts_added_while_a_batch_runs_do_not_cost_the_answers_again(sample_vault: Vault,
                                                                         server: FakeLLM) -> None:
    batches = FakeBatches(server)
    configure(sample_vault, server)
    sample_vault.kbd("compile", ".", "--batch")
    # Meanwhile another compile made a concept that these clippings mention: the engine's
    # requests now carry it as a naming hint.
    with db(sample_vault) as conn:
        conn.execute("INSERT INTO concepts(key, note_name, source_count) VALUES('b tree', 'B-tree', 2)")
    batches.finish()
    sample_vault.kbd("compile", ".")
    assert len(server.received) == 0 and len(sources(sample_vault)) == 3


def test_a_clipping_deleted_while_its_batch_runs_is_simply_dropped(sample_vault: Vault, server: FakeLLM) -> None:
    batches = FakeBatches(server)
    configure(sample_vault, server)
    sample_vault.kbd("compile", ".", "--batch")
    (sample_vault.raw / "Why B-trees stay shallow.md").unlink()
    sample_vault.sync_raw()
    batches.finish()
    result = sample_vault.kbd("compile", ".")
    assert result.stdout.startswith("compiled 2 sources") and "skipped" not in result.stdout + result.stderr
    assert len(sources(sample_vault)) == 2 and len(server.received) == 0
    assert "Skipped files**: 0" in sample_vault.status()


def test_a_long_source_sends_its_parts_in_the_batch_and_combines_them_after(vault: Vault, server: FakeLLM) -> None:
    from tests.clippings import make_clipping

    batches = FakeBatches(server, auto_finish=True)
    long = make_clipping(21, words=11_000)
    vault.clip(long.filename, long.text)
    configure(vault, server)
    config = vault.root / "kbd/config.yaml"
    config.write_text(config.read_text().replace("model: test-model", "model: test-model, max_input_tokens: 8000"))
    assert "1 clipping, 3 requests" in vault.kbd("compile", ".", "--batch").stdout
    vault.kbd("compile", ".")
    assert len(batches.answered) == 3 and len(server.received) == 1, "the parts in the batch, their combination after"
    assert len(sources(vault)) == 1


def test_redo_through_a_batch(sample_vault: Vault, server: FakeLLM) -> None:
    batches = FakeBatches(server, auto_finish=True)
    sample_vault.compile()
    configure(sample_vault, server)
    assert "3 clippings, 3 requests" in sample_vault.kbd("compile", ".", "--redo", "--batch").stdout
    result = sample_vault.kbd("compile", ".")
    assert "redid 3 notes" in result.stdout and len(server.received) == 0 and len(batches.answered) == 3
    assert sample_vault.note(NOTE)["engine"] == "openai:test-model"


def test_a_batch_for_a_model_no_longer_configured_is_left_and_its_clippings_compiled(sample_vault: Vault,
                                                                                    server: FakeLLM) -> None:
    FakeBatches(server)
    configure(sample_vault, server)
    sample_vault.kbd("compile", ".", "--batch")
    config = sample_vault.root / "kbd/config.yaml"
    config.write_text(config.read_text().replace("model: test-model", "model: test-model-2"))
    result = sample_vault.kbd("compile", ".")
    assert "which the config no longer names" in result.stderr and result.stdout.startswith("compiled 3 sources")
    assert len(server.received) == 3 and sample_vault.note(NOTE)["engine"] == "openai:test-model-2"
    with db(sample_vault) as conn:
        assert conn.execute("SELECT state FROM batches").fetchone()[0] == "abandoned"


def test_a_clipping_changed_while_its_batch_runs_is_compiled_once_from_its_new_text(sample_vault: Vault,
                                                                                   server: FakeLLM) -> None:
    batches = FakeBatches(server)
    configure(sample_vault, server)
    sample_vault.kbd("compile", ".", "--batch")
    path = sample_vault.raw / "Why B-trees stay shallow.md"
    sample_vault.clip(path.name, path.read_text() + "\nA fresh closing paragraph says the B-tree stays wonderfully "
                      "shallow in practice.\n")
    sample_vault.kbd("compile", ".")
    assert len(server.received) == 1, "the new version is compiled at once"
    batches.finish()
    sample_vault.kbd("compile", ".")
    assert len(server.received) == 1, "the batch's answer for the old version is not used to redo it"
    assert len(sources(sample_vault)) == 3
    assert sample_vault.note(NOTE)["input_hash"] == file_sha256(path.read_bytes())
    log = (sample_vault.wiki / "log.md").read_text()
    assert log.count("| Why B-trees stay shallow") == 1, "compiled once, not again when the batch came back"

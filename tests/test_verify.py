"""The verify gate (part of the LLM-engine issue): a verifier model checks every summary against
its source; one rejection means one retry with its objections, a second means `verified: false`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Vault
from tests.fake_llm import Action, FakeLLM, Received, openai_reply
from tests.model_fixtures import honest_model

pytestmark = pytest.mark.usefixtures("key")


def verdict(ok: bool, *objections: str) -> Action:
    return Action(body=openai_reply(json.dumps({"ok": ok, "objections": list(objections)})))


@pytest.fixture
def model_reply() -> None:
    """Nothing scripted: each test says what the fake model answers."""
    return None


def configure(vault: Vault, server: FakeLLM, verdicts: list[Action]) -> None:
    def route(received: Received) -> Action:
        if received.body["model"] == "verifier-model":
            return verdicts.pop(0) if verdicts else verdict(True)
        reply = honest_model(received)
        if "A reviewer found these problems" in received.body["messages"][-1]["content"]:
            # A model given objections revises its answer (so the verifier is asked again, not its cache).
            result = json.loads(reply.body["choices"][0]["message"]["content"])
            result["key_points"] = [*result["key_points"], "Revised after review."]
            reply.body["choices"][0]["message"]["content"] = json.dumps(result)
        return reply

    server.default = route
    common = f"base_url: \"{server.url}/v1\", api_key_env: KBD_TEST_KEY"
    (vault.root / "kbd/config.yaml").write_text(
        f"models:\n  worker: {{provider: openai, {common}, model: test-model}}\n"
        f"  verifier: {{provider: openai, {common}, model: verifier-model, "
        "price_per_mtok: {input: 15, output: 75}}\n")


def _by_model(server: FakeLLM) -> tuple[list[Received], list[Received]]:
    worker = [r for r in server.received if r.body["model"] == "test-model"]
    return worker, [r for r in server.received if r.body["model"] == "verifier-model"]


def test_an_approved_summary_is_verified(vault: Vault, server: FakeLLM) -> None:
    configure(vault, server, [verdict(True)])
    vault.clip("a.md", "---\ntitle: A\n---\nThe B-tree keeps its height low because each node holds many keys.\n")
    vault.compile()
    worker, verifier = _by_model(server)
    assert (len(worker), len(verifier)) == (1, 1)
    assert "summary to check" in verifier[0].body["messages"][-1]["content"]
    assert vault.note("wiki/sources/A.md")["verified"] is True


def test_one_rejection_retries_with_the_objections(vault: Vault, server: FakeLLM) -> None:
    configure(vault, server, [verdict(False, "It invents a 2019 benchmark."), verdict(True)])
    vault.clip("a.md", "---\ntitle: A\n---\nThe B-tree keeps its height low because each node holds many keys.\n")
    vault.compile()
    worker, verifier = _by_model(server)
    assert (len(worker), len(verifier)) == (2, 2)
    assert "It invents a 2019 benchmark." in worker[1].body["messages"][-1]["content"]
    assert vault.note("wiki/sources/A.md")["verified"] is True


def test_two_rejections_write_the_note_unverified_with_the_objections(vault: Vault, server: FakeLLM) -> None:
    configure(vault, server, [verdict(False, "Claims the tree is binary."), verdict(False, "Still claims binary.")])
    vault.clip("a.md", "---\ntitle: A\n---\nThe B-tree keeps its height low because each node holds many keys.\n")
    vault.compile()
    note = vault.note("wiki/sources/A.md")
    assert note["verified"] is False
    assert "> [!warning] Not verified" in note.content and "Still claims binary." in note.content
    status = vault.status()
    assert "## Unverified summaries" in status and "[[wiki/sources/A|A]]" in status


def test_the_grounding_check_catches_invented_numbers_without_a_verifier(vault: Vault, server: FakeLLM) -> None:
    invented = {"title": "x", "summary": ["The B-tree has 42 levels, the article says."], "key_points": [],
                "concepts": [], "tags": []}
    server.default = lambda r: Action(body=openai_reply(json.dumps(invented)))
    (vault.root / "kbd/config.yaml").write_text(
        f"models:\n  worker: {{provider: openai, base_url: \"{server.url}/v1\", api_key_env: KBD_TEST_KEY, "
        "model: test-model}\n")
    vault.clip("a.md", "---\ntitle: A\n---\nThe B-tree keeps its height low because each node holds many keys.\n")
    vault.compile()
    note = vault.note("wiki/sources/A.md")
    assert note["verified"] is False and "the number 42 does not appear in the clipping" in note.content


def test_plan_counts_the_verifiers_calls(vault: Vault, server: FakeLLM) -> None:
    configure(vault, server, [])
    vault.clip("a.md", "---\ntitle: A\n---\nThe B-tree keeps its height low because each node holds many keys.\n")
    plan = json.loads(vault.kbd("plan", ".", "--json").stdout)
    assert plan["calls"] == 2 and plan["cost_usd"] > 0
    vault.compile()
    assert len(server.received) == 2

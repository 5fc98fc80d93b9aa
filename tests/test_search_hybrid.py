"""`--mode hybrid` (issue 10, acceptance 6): embeddings from an OpenAI-compatible endpoint (the
loopback fake in tests/fake_llm.py), cached by content hash, fused with BM25 by reciprocal rank
fusion, through kbd's client and budget."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from kbd.config import load_config
from kbd.search import ensure_index, search_vault
from kbd.search.embed import RRF_K, fuse
from tests.conftest import Vault, run_kbd
from tests.fake_llm import FakeLLM, fake_llm


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm() as server:
        yield server


def configure(vault: Vault, fake: FakeLLM, extra: str = "") -> None:
    (vault.root / "kbd/config.yaml").write_text(
        f"search:\n  embeddings: test-embed\n  embeddings_url: {fake.url}/v1\n{extra}")


def write_notes(vault: Vault) -> None:
    (vault.root / "notes").mkdir(exist_ok=True)
    (vault.root / "notes/Orchard.md").write_text("# Orchard\n\nApple trees need pruning in winter.\n\n"
                                                 "Pears ripen after apples.\n")
    (vault.root / "notes/Smoothie.md").write_text("# Smoothie\n\nBlend apple, banana and yoghurt.\n")
    (vault.root / "notes/Tax.md").write_text("# Tax\n\nThe return is due in April.\n")


def embedded_texts(fake: FakeLLM) -> list[str]:
    return [t for r in fake.received if r.path.endswith("/embeddings") for t in r.body["input"]]


def test_hybrid_needs_an_embeddings_model_and_bm25_needs_no_network(vault: Vault) -> None:
    write_notes(vault)
    result = run_kbd("search", str(vault.root), "apple", "--mode", "hybrid")
    assert result.returncode == 2 and "search.embeddings" in result.stderr
    assert run_kbd("search", str(vault.root), "apple").returncode == 0


def test_hybrid_ranks_by_fused_ranks_and_embeds_each_passage_once(vault: Vault, fake: FakeLLM) -> None:
    write_notes(vault)
    configure(vault, fake)
    config = load_config(vault.root)
    results = search_vault(vault.root, config, "apple banana", mode="hybrid")
    assert {h.path for h in results.hits} == {"notes/Orchard.md", "notes/Smoothie.md"}
    assert results.hits[0].path == "notes/Smoothie.md"  # both words, and the closest vector
    assert results.hits[0].score == pytest.approx(2 / (RRF_K + 1), abs=1e-6)
    first = embedded_texts(fake)
    assert "apple banana" in first and len(first) == 3  # the query and one passage per candidate
    assert search_vault(vault.root, config, "apple banana", mode="hybrid").hits == results.hits
    assert embedded_texts(fake) == first  # vectors came from the cache: no request at all
    (vault.root / "notes/Smoothie.md").write_text("# Smoothie\n\nBlend apple, banana and oats.\n")
    ensure_index(vault.root, config)  # as `kbd search`, `kbd run` and `kbd compile` do
    search_vault(vault.root, config, "apple banana", mode="hybrid")
    again = embedded_texts(fake)[len(first):]
    assert len(again) == 1 and "oats" in again[0]  # only the changed note is embedded again
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        calls = db.execute("SELECT role, model, input_tokens, outcome FROM llm_calls").fetchall()
    assert calls and all(c[0] == "embeddings" and c[1] == "test-embed" and c[2] > 0 and c[3] == "ok" for c in calls)


def test_a_spent_budget_leaves_the_bm25_results_with_a_warning(vault: Vault, fake: FakeLLM) -> None:
    write_notes(vault)
    configure(vault, fake, "  embeddings_price: 1000000\nbudget:\n  daily_usd: 0.0001\n")
    result = run_kbd("search", str(vault.root), "apple banana", "--mode", "hybrid", "--json")
    assert result.returncode == 0, result.stderr
    assert "semantic ranking unavailable" in result.stderr and "daily_usd" in result.stderr
    assert embedded_texts(fake) == []
    bm25 = run_kbd("search", str(vault.root), "apple banana", "--json")
    assert result.stdout == bm25.stdout


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = dict(fuse(["a", "b", "c"], ["c", "b", "a"]))
    assert fused["b"] == pytest.approx(2 / (RRF_K + 2))
    assert fused["a"] == fused["c"] == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + 3))
    assert [p for p, _ in fuse(["a", "b"], ["b", "a"], ["b"])] == ["b", "a"]

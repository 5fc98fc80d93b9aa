"""Semantic search (issue 10, acceptance 6): every passage of every note embedded through an
OpenAI-compatible endpoint (the loopback fake in tests/fake_llm.py, whose vectors place synonyms
together), vectors kept current through the index's one writer path, searched exhaustively and
fused with BM25 by reciprocal rank fusion; through kbd's client, budget and concurrency cap."""

from __future__ import annotations

import json
import math
import random
import sqlite3
from collections.abc import Iterator

import pytest

from kbd.config import load_config
from kbd.search import ensure_index, search_vault, sync_vectors, update_index
from kbd.search.embed import RRF_K, fuse
from kbd.search.vectors import Matrix, quantise
from tests.conftest import Vault, run_kbd
from tests.fake_llm import Action, FakeLLM, fake_llm
from tests.test_daemon import FAST, wait_for
from tests.test_search import daemon_running


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
    (vault.root / "notes/Garage visit.md").write_text(
        "# Garage visit\n\nThe sedan went to the mechanic for its yearly servicing: new brake pads, "
        "fresh oil and a check of the tyres.\n")


def embedded_texts(fake: FakeLLM) -> list[str]:
    return [t for r in fake.received if r.path.endswith("/embeddings") for t in r.body["input"]]


def stored_paths(vault: Vault) -> set[str]:
    if not (vault.root / ".kbd/vectors.db").exists():
        return set()
    with sqlite3.connect(vault.root / ".kbd/vectors.db") as db:
        try:
            return {r[0] for r in db.execute("SELECT path FROM embedded_notes")}
        except sqlite3.OperationalError:  # the daemon's background thread is creating the file right now
            return set()


def test_a_query_sharing_no_word_with_a_note_finds_it_by_meaning_in_hybrid_mode_only(
        vault: Vault, fake: FakeLLM) -> None:
    write_notes(vault)
    configure(vault, fake)
    bm25 = run_kbd("search", str(vault.root), "automobile upkeep", "--mode", "bm25", "--json")
    assert bm25.returncode == 1, bm25.stdout  # no note has either word
    assert embedded_texts(fake) == []  # and bm25 made no request
    hybrid = run_kbd("search", str(vault.root), "automobile upkeep", "--json")  # hybrid: the default with embeddings
    assert hybrid.returncode == 0, hybrid.stderr
    hits = json.loads(hybrid.stdout)["hits"]
    assert hits[0]["path"] == "notes/Garage visit.md"
    assert "mechanic" in hits[0]["snippet"]  # the passage that matched by meaning
    assert hits[0]["score"] == pytest.approx(1 / (RRF_K + 1), abs=1e-6)


def test_hybrid_fuses_word_and_meaning_ranks_and_embeds_each_passage_once(vault: Vault, fake: FakeLLM) -> None:
    write_notes(vault)
    configure(vault, fake)
    config = load_config(vault.root)
    ensure_index(vault.root, config)  # as `kbd search`, `kbd serve`, `kbd mcp` and `kbd run` do
    first = embedded_texts(fake)
    assert any("Smoothie" in t for t in first) and any("Tax" in t for t in first)  # every note, not candidates
    results = search_vault(vault.root, config, "apple banana")
    assert results.hits[0].path == "notes/Smoothie.md"  # both words and the closest vector: first in both
    assert results.hits[0].score == pytest.approx(2 / (RRF_K + 1), abs=1e-6)
    assert {"notes/Orchard.md", "notes/Smoothie.md"} <= {h.path for h in results.hits}
    queried = embedded_texts(fake)
    assert queried[len(first):] == ["apple banana"]  # only the query was embedded
    assert search_vault(vault.root, config, "apple banana").hits == results.hits
    ensure_index(vault.root, config)
    assert embedded_texts(fake) == queried  # unchanged notes and a repeated query: no request at all
    (vault.root / "notes/Smoothie.md").write_text("# Smoothie\n\nBlend apple, banana and oats.\n")
    ensure_index(vault.root, config)
    again = embedded_texts(fake)[len(queried):]
    assert len(again) == 1 and "oats" in again[0]  # only the changed note is embedded again
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        calls = db.execute("SELECT role, model, input_tokens, outcome FROM llm_calls").fetchall()
    assert calls and all(c[0] == "embeddings" and c[1] == "test-embed" and c[2] > 0 and c[3] == "ok" for c in calls)


def test_a_fresh_process_reads_the_matrix_snapshot_and_a_change_replaces_it(vault: Vault, fake: FakeLLM) -> None:
    from kbd.search import vectors

    write_notes(vault)
    configure(vault, fake)
    config = load_config(vault.root)
    ensure_index(vault.root, config)
    first = search_vault(vault.root, config, "automobile upkeep").hits
    (snapshot,) = (vault.root / ".kbd").glob("vectors-*.matrix")
    written = snapshot.stat().st_mtime_ns
    vectors._matrices.clear()  # as a new process would start
    assert search_vault(vault.root, config, "automobile upkeep").hits == first
    assert snapshot.stat().st_mtime_ns == written  # read, not rebuilt
    (vault.root / "notes/Bus.md").write_text("# Bus\n\nThe truck needs an overhaul.\n")
    ensure_index(vault.root, config)
    vectors._matrices.clear()
    hits = [h.path for h in search_vault(vault.root, config, "automobile upkeep").hits]
    assert set(hits[:2]) == {"notes/Bus.md", "notes/Garage visit.md"}  # the new note is searched
    assert snapshot.stat().st_mtime_ns != written
    snapshot.write_bytes(snapshot.read_bytes()[:-100])  # damaged: rebuilt from the store, same answers
    vectors._matrices.clear()
    assert [h.path for h in search_vault(vault.root, config, "automobile upkeep").hits] == hits


def test_vectors_follow_exactly_the_notes_written_and_deleted(vault: Vault, fake: FakeLLM) -> None:
    write_notes(vault)
    configure(vault, fake)
    config = load_config(vault.root)
    ensure_index(vault.root, config)
    before = len(embedded_texts(fake))
    (vault.root / "notes/Tax.md").write_text("# Tax\n\nThe return is due in April; keep the receipts.\n")
    (vault.root / "notes/Orchard.md").write_text("# Orchard\n\nApple trees need pruning in winter.\n\nChanged.\n")
    update_index(vault.root, config, ["notes/Tax.md"])  # what the daemon or a compile saw change
    sent = embedded_texts(fake)[before:]
    assert len(sent) == 1 and "receipts" in sent[0]  # exactly that note; Orchard waits for its own event
    (vault.root / "notes/Smoothie.md").unlink()
    update_index(vault.root, config, ["notes/Smoothie.md"])
    assert "notes/Smoothie.md" not in stored_paths(vault)
    with sqlite3.connect(vault.root / ".kbd/vectors.db") as db:
        orphans = db.execute("SELECT COUNT(*) FROM embeddings WHERE key NOT IN (SELECT key FROM passages)").fetchone()
    assert orphans == (0,)  # a deleted or edited note's old vectors are gone
    assert all(h.path != "notes/Smoothie.md" for h in search_vault(vault.root, config, "yoghurt banana").hits)


def test_the_daemon_embeds_the_users_notes_as_they_change_and_drops_deleted_ones(vault: Vault, fake: FakeLLM) -> None:
    write_notes(vault)
    configure(vault, fake, FAST + "  watcher: polling\n")
    with daemon_running(vault) as running:  # its start embeds the vault
        wait_for(lambda: "notes/Tax.md" in stored_paths(vault), what="the start-up sync")
        # and its start-up scan, by which time the watcher has its first snapshot (see test_search.py)
        wait_for(lambda: running.runs() >= 1, what="the start-up scan")
        (vault.root / "notes/Cars.md").write_text("# Cars\n\nOur automobile is twelve years old.\n")
        wait_for(lambda: "notes/Cars.md" in stored_paths(vault), what="the new note")
        # Embedded, so a poll has seen it: its removal is now an event of the next poll.
        (vault.root / "notes/Cars.md").unlink()
        wait_for(lambda: "notes/Cars.md" not in stored_paths(vault), what="the delete")
    assert sum("Tax" in t for t in embedded_texts(fake)) == 1  # unchanged notes were embedded once


def test_compile_embeds_the_notes_it_writes(vault: Vault, fake: FakeLLM) -> None:
    configure(vault, fake)
    config = load_config(vault.root)
    ensure_index(vault.root, config)
    vault.clip("Night owls.md", "---\ntitle: Night owls\n---\n# Night owls\n\nPeople who stay up late sleep "
               "less on workdays. Insomnia is more common among them, and a nap rarely makes up for it.\n")
    result = run_kbd("compile", str(vault.root))
    assert result.returncode == 0, result.stderr
    paths = stored_paths(vault)
    assert "raw/Night owls.md" in paths and "wiki/sources/Night owls.md" in paths
    hits = search_vault(vault.root, config, "slumber").hits  # no note has the word; two have its meaning
    # The clipping and its summary are one article: one result of the first three, naming the other.
    assert {"raw/Night owls.md", "wiki/sources/Night owls.md"} <= {p for h in hits[:3] for p in (h.path, *h.also)}


def test_bm25_mode_and_field_filters_make_no_request(vault: Vault, fake: FakeLLM) -> None:
    write_notes(vault)
    configure(vault, fake)
    config = load_config(vault.root)
    ensure_index(vault.root, config, vectors=False)
    assert [h.path for h in search_vault(vault.root, config, "apple", mode="bm25").hits][:1] == ["notes/Orchard.md"]
    assert embedded_texts(fake) == []
    sync_vectors(vault.root, config)
    sent = len(embedded_texts(fake))
    hits = search_vault(vault.root, config, "in:notes automobile").hits  # a filter the vectors cannot follow
    assert hits == search_vault(vault.root, config, "in:notes automobile", mode="bm25").hits
    assert len(embedded_texts(fake)) == sent


def test_hybrid_needs_an_embeddings_model_and_bm25_needs_no_network(vault: Vault) -> None:
    write_notes(vault)
    result = run_kbd("search", str(vault.root), "apple", "--mode", "hybrid")
    assert result.returncode == 2 and "search.embeddings" in result.stderr
    assert run_kbd("search", str(vault.root), "apple").returncode == 0
    assert not (vault.root / ".kbd/vectors.db").exists()


def test_a_spent_budget_leaves_the_bm25_results_with_a_warning(vault: Vault, fake: FakeLLM) -> None:
    write_notes(vault)
    configure(vault, fake, "  embeddings_price: 1000000\nbudget:\n  daily_usd: 0.0001\n")
    result = run_kbd("search", str(vault.root), "apple banana", "--mode", "hybrid", "--json")
    assert result.returncode == 0, result.stderr
    assert "semantic ranking unavailable" in result.stderr and "daily_usd" in result.stderr
    assert embedded_texts(fake) == []
    bm25 = run_kbd("search", str(vault.root), "apple banana", "--mode", "bm25", "--json")
    assert result.stdout == bm25.stdout


def test_an_endpoint_that_fails_leaves_the_bm25_results_and_embeds_later(vault: Vault, fake: FakeLLM) -> None:
    write_notes(vault)
    configure(vault, fake)
    config = load_config(vault.root)
    fake.embeddings_fail = Action(400, {"error": {"message": "model not loaded", "type": "invalid_request_error",
                                                  "param": None, "code": None}})
    ensure_index(vault.root, config)
    assert stored_paths(vault) == set()  # nothing half-written
    results = search_vault(vault.root, config, "apple")
    assert results.hits[0].path == "notes/Orchard.md"
    assert results == search_vault(vault.root, config, "apple", mode="bm25")
    fake.embeddings_fail = None
    ensure_index(vault.root, config)  # the next sync catches up
    assert {"notes/Orchard.md", "notes/Tax.md", "notes/Garage visit.md"} <= stored_paths(vault)


@pytest.mark.parametrize("numpy", [False, True], ids=["stdlib", "numpy"])
def test_quantised_scores_rank_like_exact_dot_products(numpy: bool) -> None:
    rng = random.Random(3)
    dims = 96

    def unit(v: list[float]) -> list[float]:
        norm = math.sqrt(sum(x * x for x in v))
        return [x / norm for x in v]

    vectors = [unit([rng.gauss(0, 1) for _ in range(dims)]) for _ in range(300)]
    query = unit([rng.gauss(0, 1) for _ in range(dims)])
    rows = [(f"n{i // 3:03}.md", "note", i % 3, *quantise(v)) for i, v in enumerate(vectors)]
    matrix = Matrix(rows, numpy=numpy)
    assert (matrix.np is not None) == numpy  # numpy is in the dev lock: both paths are tested
    found = matrix.nearest(*quantise(query), limit=100)
    exact = {f"n{i:03}.md": max(sum(a * b for a, b in zip(query, vectors[3 * i + j], strict=True)) for j in range(3))
             for i in range(100)}
    assert len(found) == 100
    for path, score, seq in found:
        assert score == pytest.approx(exact[path], abs=0.02)
        assert sum(a * b for a, b in zip(query, vectors[int(path[1:4]) * 3 + seq], strict=True)) == \
            pytest.approx(exact[path], abs=0.02)  # the passage it names is (within rounding) the closest one
    best = sorted(exact, key=lambda p: -exact[p])
    assert set(best[:5]) <= {p for p, _, _ in found[:10]}
    assert matrix.nearest(*quantise(query), limit=10, note_type="concept") == []
    typed = [(path, "concept" if path < "n050" else "note", seq, scale, data) for path, _, seq, scale, data in rows]
    concepts = Matrix(typed, numpy=numpy).nearest(*quantise(query), limit=10, note_type="concept")
    assert [p for p, _, _ in concepts] == [p for p, _, _ in found if p < "n050"][:10]


def test_the_stdlib_and_numpy_searches_agree() -> None:
    rng = random.Random(5)
    rows = [(f"n{i // 5:04}.md", "note", i % 5, *quantise([rng.gauss(0, 1) for _ in range(64)])) for i in range(2_000)]
    query = quantise([rng.gauss(0, 1) for _ in range(64)])
    plain, fast = Matrix(rows, numpy=False).nearest(*query, 50), Matrix(rows, numpy=True).nearest(*query, 50)
    assert [(p, s) for p, _, s in plain] == [(p, s) for p, _, s in fast]
    assert [x for _, x, _ in plain] == pytest.approx([x for _, x, _ in fast], rel=1e-4)


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = dict(fuse(["a", "b", "c"], ["c", "b", "a"]))
    assert fused["b"] == pytest.approx(2 / (RRF_K + 2))
    assert fused["a"] == fused["c"] == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + 3))
    assert [p for p, _ in fuse(["a", "b"], ["b", "a"], ["b"])] == ["b", "a"]

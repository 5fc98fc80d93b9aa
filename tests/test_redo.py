"""Engine changes are noticed (issue 9, acceptance 3): every summary records what made it; a new
model, skill or set of constraints makes the older summaries out of date, which `kbd plan`
prices, `kbd status` and Status.md count, and `kbd compile --redo` redoes within the budget."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from kbd.engines.provenance import OFFLINE, MadeBy
from kbd.state import MIGRATIONS
from tests.conftest import Vault
from tests.fake_llm import FakeLLM
from tests.model_fixtures import configure, honest_model
from tests.test_verify import verdict

pytestmark = pytest.mark.usefixtures("key")

NOTE = "wiki/sources/Why B-trees stay shallow.md"


def plan(vault: Vault) -> dict:
    return json.loads(vault.kbd("plan", ".", "--json").stdout)


def test_adding_a_model_redoes_nothing_until_asked_and_plan_prices_the_redo(sample_vault: Vault,
                                                                             server: FakeLLM) -> None:
    sample_vault.compile()
    assert sample_vault.note(NOTE)["engine"] == "offline"
    configure(sample_vault, server)

    result = sample_vault.kbd("compile", ".")
    assert len(server.received) == 0, "a model change alone spends nothing"
    assert sample_vault.note(NOTE)["engine"] == "offline"
    assert "3 notes made by an older engine" in result.stdout and "kbd compile --redo" in result.stdout

    planned = plan(sample_vault)
    assert planned["sources"] == [] and planned["calls"] == 0
    assert planned["redo"]["notes"] == 3 and planned["redo"]["reasons"] == {"engine": 3}
    assert planned["redo"]["calls"] == 3 and planned["redo"]["cost_usd"] > 0
    text = sample_vault.kbd("plan", ".").stdout
    assert "3 notes made by an older engine than openai:test-model (engine changed for 3)" in text
    assert "`kbd compile --redo` would make 3 model calls" in text
    assert "**Made by an older engine**: 3 notes" in sample_vault.status()
    status = sample_vault.kbd("status", ".").stdout
    assert "engine     openai:test-model; 3 notes made by an older engine" in status
    assert json.loads(sample_vault.kbd("status", ".", "--json").stdout)["out_of_date"] == 3
    assert len(server.received) == 0, "plan and status spend nothing"

    result = sample_vault.kbd("compile", "--redo", str(sample_vault.root))  # the vault after a bare --redo
    assert len(server.received) == 3
    assert "redid 3 notes with the current engine" in result.stdout
    note = sample_vault.note(NOTE)
    assert note["engine"] == "openai:test-model"
    assert re.fullmatch(r"summarize_source v1 \([0-9a-f]{8}\)", note["skill"]), note["skill"]
    assert note["constraints"].startswith("sha256:")
    assert plan(sample_vault)["redo"]["notes"] == 0
    assert "Made by an older engine" not in sample_vault.status()
    assert "## [" in (sample_vault.wiki / "log.md").read_text() and "redo | Why B-trees stay shallow" in (
        sample_vault.wiki / "log.md").read_text()


def test_redo_limit_redoes_only_that_many(sample_vault: Vault, server: FakeLLM) -> None:
    sample_vault.compile()
    configure(sample_vault, server)
    sample_vault.kbd("compile", ".", "--redo", "--limit", "1")
    assert len(server.received) == 1
    assert plan(sample_vault)["redo"]["notes"] == 2
    assert sample_vault.kbd("compile", ".", "--limit", "1", check=False).returncode == 2
    assert sample_vault.kbd("compile", ".", "--redo=some", check=False).returncode == 2


@pytest.mark.parametrize("change", ["constraints", "model", "skill override", "verifier"])
def test_what_makes_notes_out_of_date(sample_vault: Vault, server: FakeLLM, change: str) -> None:
    configure(sample_vault, server)
    sample_vault.compile()
    assert plan(sample_vault)["redo"]["notes"] == 0
    config = sample_vault.root / "kbd/config.yaml"
    if change == "constraints":
        (sample_vault.root / "kbd/constraints.md").write_text("- Write in British English.\n")
    elif change == "model":
        config.write_text(config.read_text().replace("model: test-model", "model: test-model-2"))
    elif change == "skill override":
        # Same name and version, a different prompt: still a different skill.
        from importlib import resources

        builtin = resources.files("kbd.engines").joinpath("skills", "summarize_source.md").read_text()
        (sample_vault.root / "kbd/skills/summarize_source.md").write_text(builtin + "\nKeep it short.\n")
    else:
        server.default = lambda r: verdict(True) if r.body["model"] == "verifier-model" else honest_model(r)
        config.write_text(config.read_text() + config.read_text().split("\n", 1)[1].replace(
            "worker:", "verifier:").replace("model: test-model", "model: verifier-model"))
    before = len(server.received)
    sample_vault.compile()
    assert len(server.received) == before, "noticing a change spends nothing"
    planned = plan(sample_vault)
    expected = {"constraints": "constraints", "model": "model", "skill override": "skill", "verifier": "verifier"}
    assert planned["redo"]["notes"] == 3 and planned["redo"]["reasons"] == {expected[change]: 3}
    sample_vault.kbd("compile", ".", "--redo")
    assert len(server.received) > before
    assert plan(sample_vault)["redo"]["notes"] == 0


def test_a_note_the_user_edited_is_never_redone(sample_vault: Vault, server: FakeLLM) -> None:
    sample_vault.compile()
    edited = sample_vault.root / NOTE
    edited.write_text(edited.read_text() + "\nMy own remark.\n")
    mine = edited.read_bytes()
    configure(sample_vault, server)
    sample_vault.compile()
    assert plan(sample_vault)["redo"]["notes"] == 2
    sample_vault.kbd("compile", ".", "--redo=all")
    assert len(server.received) == 2, "the edited note's clipping is not sent"
    assert edited.read_bytes() == mine


def test_redo_stays_within_the_budget(sample_vault: Vault, server: FakeLLM) -> None:
    sample_vault.compile()
    configure(sample_vault, server, "budget: {per_run_usd: 0.0001}\n")
    sample_vault.kbd("compile", ".", "--redo")
    assert len(server.received) == 0
    assert "Paused" in sample_vault.status()
    assert sample_vault.note(NOTE)["engine"] == "offline"


def test_redo_all_redoes_notes_the_current_engine_made(sample_vault: Vault, server: FakeLLM) -> None:
    configure(sample_vault, server)
    sample_vault.compile()
    assert sample_vault.kbd("compile", ".", "--redo").stdout.startswith("nothing to do")
    result = sample_vault.kbd("compile", ".", "--redo=all")
    # The concepts the first pass found now go into each request: new input, new calls.
    assert len(server.received) == 6 and "redid 3 notes" in result.stdout


def test_summaries_made_before_the_record_existed(sample_vault: Vault) -> None:
    """The migration gives offline summaries the record of the offline engine that made them
    (version 1, out of date since the curating engine); a model-made one's is unknown."""
    before = MadeBy(engine="offline", skill="extractive v1")
    assert any(before.key() in m and "made_by" in m for m in MIGRATIONS) and before != OFFLINE
    sample_vault.compile()
    with sqlite3.connect(sample_vault.root / ".kbd/state.db") as db:
        db.execute("UPDATE sources SET made_by=NULL WHERE raw_path LIKE '%B-trees%'")
    assert plan(sample_vault)["redo"] == {**plan(sample_vault)["redo"], "notes": 1, "reasons": {"unknown engine": 1}}


def test_redoing_a_source_does_not_pay_for_its_copies(vault: Vault, server: FakeLLM) -> None:
    from tests.conftest import clipper_note

    body = "A B-tree keeps its height low because every page holds many keys, so lookups touch few pages."
    vault.clip("Original.md", clipper_note("B-trees stay shallow", body, source="https://example.org/btree"))
    vault.clip("Copy.md", clipper_note("B-trees stay shallow (again)", body + " Clipped twice.",
                                       source="https://example.org/btree"))
    vault.compile()
    assert len(list((vault.wiki / "sources").glob("*.md"))) == 1, "the copy joined the original's note"
    configure(vault, server)
    assert plan(vault)["redo"]["notes"] == 1
    vault.kbd("compile", ".", "--redo")
    assert len(server.received) == 1

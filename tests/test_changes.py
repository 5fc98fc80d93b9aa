"""Acceptance 4: edits, deletions and renames of raw notes flow through to the wiki."""

from __future__ import annotations

import re
import sqlite3

from tests.conftest import Vault

BTREE = "Why B-trees stay shallow"


def test_editing_a_raw_note_updates_its_summary_and_the_concepts_it_touches(sample_vault: Vault) -> None:
    sample_vault.compile()
    path = sample_vault.raw / f"{BTREE}.md"
    text = path.read_text().replace(
        "Range scans are cheap as well, because leaf pages are linked and sorted.",
        "Range scans are cheap as well, because leaf pages are linked and sorted. "
        "A fractal tree index buffers messages inside every internal node of the tree. "
        "The fractal tree index was designed to cut the write amplification of a B-tree.")
    sample_vault.clip(path.name, text)
    (sample_vault.raw / "Fractal trees.md").write_text(
        "---\ntitle: Fractal trees\n---\nA fractal tree index keeps buffers in its nodes. "
        "Every fractal tree index flushes messages downwards in batches, which is what makes writes cheap.\n")
    sample_vault.sync_raw()
    report = sample_vault.compile()
    assert report.ingested == 2 and report.engine_calls == 2

    concept = sample_vault.note("wiki/concepts/Fractal tree index.md")
    assert sorted(concept["sources"]) == ["[[wiki/sources/Fractal trees|Fractal trees]]",
                                          f"[[wiki/sources/{BTREE}|{BTREE}]]"]
    source = sample_vault.note(f"wiki/sources/{BTREE}.md")
    assert "[[wiki/concepts/Fractal tree index|Fractal tree index]]" in source["concepts"]
    assert re.search(r"^## \[.*\] update \| Why B-trees stay shallow$", (sample_vault.wiki / "log.md").read_text(),
                     re.M)


def test_deleting_a_raw_note_removes_its_summary_and_its_bullets(sample_vault: Vault) -> None:
    sample_vault.compile()
    assert "Why B-trees stay shallow" in (sample_vault.wiki / "concepts/B-tree.md").read_text()
    (sample_vault.raw / f"{BTREE}.md").unlink()
    sample_vault.sync_raw()
    report = sample_vault.compile()
    assert report.removed == 1 and report.engine_calls == 0
    assert not (sample_vault.wiki / f"sources/{BTREE}.md").exists()
    for path, text in sample_vault.generated().items():
        if path != "wiki/log.md":
            assert f"sources/{BTREE}" not in text, f"{path} still links the deleted source"
    log = (sample_vault.wiki / "log.md").read_text()
    assert re.search(r"^## \[.*\] remove \| Why B-trees stay shallow$", log, re.M)
    assert f"[[wiki/sources/{BTREE}" not in log, "log entries of removed sources no longer link them"


def test_a_concept_below_the_threshold_loses_its_article(sample_vault: Vault) -> None:
    sample_vault.compile()
    assert (sample_vault.wiki / "concepts/LSM tree.md").exists()
    (sample_vault.raw / "LSM trees explained.md").unlink()
    sample_vault.sync_raw()
    sample_vault.compile()
    # Only the write-ahead log article still mentions LSM trees now: one source is not enough.
    assert not (sample_vault.wiki / "concepts/LSM tree.md").exists()
    assert "LSM tree|" not in (sample_vault.wiki / "index.md").read_text()


def test_renaming_a_raw_note_is_a_move_not_a_delete_and_a_duplicate(sample_vault: Vault) -> None:
    sample_vault.compile()
    before = (sample_vault.wiki / f"sources/{BTREE}.md").read_text()
    (sample_vault.raw / f"{BTREE}.md").rename(sample_vault.raw / "btree-depth (clipped).md")
    sample_vault.sync_raw()
    report = sample_vault.compile()
    assert report.moved == 1 and report.removed == 0 and report.engine_calls == 0
    sources = sorted(p.name for p in (sample_vault.wiki / "sources").glob("*.md"))
    assert sources.count(f"{BTREE}.md") == 1 and len(sources) == 3
    after = (sample_vault.wiki / f"sources/{BTREE}.md").read_text()
    assert "[[raw/btree-depth (clipped)|" in after
    assert after.replace("btree-depth (clipped)", BTREE) == before
    assert re.search(r"^## \[.*\] move \| Why B-trees stay shallow$", (sample_vault.wiki / "log.md").read_text(),
                     re.M)


def test_renaming_a_note_titled_by_its_file_name_renames_its_summary(vault: Vault) -> None:
    body = "The buffer pool keeps hot pages in memory. A buffer pool evicts cold pages first, mostly."
    vault.clip("old name.md", body)
    vault.compile()
    assert (vault.wiki / "sources/old name.md").exists()
    (vault.raw / "old name.md").rename(vault.raw / "new name.md")
    vault.sync_raw()
    report = vault.compile()
    assert report.moved == 1 and report.engine_calls == 0
    assert sorted(p.name for p in (vault.wiki / "sources").glob("*.md")) == ["new name.md"]
    log = (vault.wiki / "log.md").read_text()
    assert "[[wiki/sources/new name|new name]]" in log and "sources/old name" not in log, \
        "every log entry of the source links its summary under the new name"


def test_log_kept_entry_by_entry_equals_one_rebuilt_from_scratch(sample_vault: Vault) -> None:
    sample_vault.compile()
    (sample_vault.raw / f"{BTREE}.md").rename(sample_vault.raw / "btree (moved).md")
    (sample_vault.raw / "LSM trees explained.md").unlink()
    sample_vault.clip("Another note.md", "The buffer pool keeps hot pages in memory. It evicts cold pages first.")
    sample_vault.sync_raw()
    sample_vault.compile()
    kept = (sample_vault.wiki / "log.md").read_text()
    assert kept.count("\n## [") == 7  # three ingests, a move, a removal, an ingest, the page the removal retired
    assert "retire | " in kept

    (sample_vault.wiki / "log.md").unlink()
    with sqlite3.connect(sample_vault.root / ".kbd/state.db") as db:
        db.execute("UPDATE log_entries SET rendered=NULL, rendered_for=NULL")
        db.execute("INSERT OR IGNORE INTO dirty(note) VALUES('log')")
    sample_vault.compile()
    assert (sample_vault.wiki / "log.md").read_text() == kept

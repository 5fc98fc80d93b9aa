"""What the README and docs/compile.md promise the reader: a synthesis on every concept, an index with one-line
descriptions that stays navigable at any size, short notes for description-only clippings, and one
source note per article however many times it was clipped."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from kbd.adopt import adopt_notes
from kbd.compile import model
from kbd.config import load_config
from tests.conftest import Vault, clipper_note, unresolved_links

TIL = Path(__file__).parent / "real_pages" / "til-jbranchaud"
POOL = ("The buffer pool keeps hot pages in memory. A buffer pool with a clock sweep evicts cold pages first. "
        "Sizing the buffer pool is the most important tuning decision.")


def pool_note(i: int, extra: str = "") -> str:
    return clipper_note(f"Pool note {i}", f"{POOL} Server {i} runs the clock sweep nightly. {extra}")


def synthesis(vault: Vault, concept: str) -> str:
    text = (vault.wiki / f"concepts/{concept}.md").read_text()
    return text.split("> [!abstract] Synthesis", 1)[1].split("\n\n", 1)[0]


def test_every_concept_has_a_synthesis_recomputed_when_a_source_joins_or_leaves(vault: Vault) -> None:
    for i in range(2):
        vault.clip(f"n{i}.md", pool_note(i))
    vault.compile()
    two = synthesis(vault, "Buffer pool")
    assert "2 of 2 sources agree" in two and "Pool note 0" in two and "Pool note 1" in two
    vault.clip("n2.md", pool_note(2))
    vault.compile()
    three = synthesis(vault, "Buffer pool")
    assert "3 of 3 sources agree" in three
    (vault.raw / "n0.md").unlink()
    (vault.raw / "n1.md").unlink()
    vault.sync_raw()
    vault.clip("n3.md", pool_note(3))
    vault.compile()
    after = synthesis(vault, "Buffer pool")
    assert "2 of 2 sources" in after and "Pool note 0" not in after and "Pool note 3" in after
    page = (vault.wiki / "concepts/Buffer pool.md").read_text()
    body = page.split("## What the sources say", 1)[1]
    assert body.count("The buffer pool keeps hot pages in memory") <= 1, "a quoted sentence is not repeated"


def test_index_gives_every_source_and_concept_a_description_grouped_by_letter(sample_vault: Vault) -> None:
    sample_vault.compile()
    index = (sample_vault.wiki / "index.md").read_text()
    assert "### L" in index and "### W" in index
    assert ("[[wiki/sources/LSM trees, explained without the hype|LSM trees, explained without the hype]] — "
            "How log-structured merge trees turn random writes into sequential ones") in index
    concepts = index.split("## Concepts", 1)[1]
    lines = [ln for ln in concepts.splitlines() if ln.startswith("- [[")]
    assert lines and all(re.match(r"- \[\[[^]]+\]\] \(\d+ sources\) — \S", ln) for ln in lines), lines


def test_a_large_wiki_gets_per_letter_index_notes_and_they_follow_it(vault: Vault,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "INDEX_INLINE_MAX", 4)
    monkeypatch.setattr(model, "PAGE_BUDGET", 250)
    titles = [f"{letter} note {i}" for letter in "ABC" for i in range(4)]
    for t in titles:
        vault.clip(f"{t}.md", clipper_note(t, f"{POOL} This is {t}, with its own details number {len(t)}."))
    vault.compile()
    index = (vault.wiki / "index.md").read_text()
    assert "- A (4): [[wiki/index/Sources A|Sources: A]]" in index
    pages = sorted(p.name for p in (vault.wiki / "index").glob("Sources *.md"))
    assert "Sources A.md" in pages and "Sources A 2.md" in pages, "a group over the budget is split"
    listed = "".join((vault.wiki / "index" / p).read_text() for p in pages)
    for t in titles:
        assert listed.count(f"[[wiki/sources/{t}|{t}]] — ") == 1, t
    a2 = (vault.wiki / "index/Sources A 2.md").read_text()
    assert "Page 2 of" in a2 and "[[wiki/index|Index]]" in a2
    assert unresolved_links(vault.root, vault.generated()) == []
    for t in titles[4:]:
        (vault.raw / f"{t}.md").unlink()
    vault.sync_raw()
    vault.compile()
    assert not list((vault.wiki / "index").glob("Sources *.md")), "sub-index notes go when no longer needed"
    assert "### A" in (vault.wiki / "index.md").read_text()


def test_a_concept_many_sources_mention_shows_the_most_relevant_first_and_the_rest_on_a_sub_page(
        vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "CONCEPT_SOURCES_SHOWN", 3)
    for i in range(8):
        vault.clip(f"n{i}.md", pool_note(i, "The buffer pool is large. " * (i % 4)))
    vault.compile()
    page = (vault.wiki / "concepts/Buffer pool.md").read_text()
    assert "## What the sources say: the 3 most relevant of 8" in page
    shown = re.findall(r"^- \[\[wiki/sources/(Pool note \d)\|", page.split("## What the sources say", 1)[1], re.M)
    db = sqlite3.connect(vault.root / ".kbd/state.db")
    ranked = [t for t, in db.execute(
        "SELECT s.title FROM source_concepts sc JOIN sources s ON s.id=sc.source_id JOIN concepts c ON c.key=sc.key "
        "WHERE c.note_name='Buffer pool' ORDER BY sc.score DESC, lower(s.title)")]
    db.close()
    assert shown == ranked[:3]
    sub = (vault.wiki / "index/mentions/Buffer pool.md").read_text()
    assert "[[wiki/index/mentions/Buffer pool|Buffer pool: sources]]" in page
    assert sorted(re.findall(r"\[\[wiki/sources/(Pool note \d)\|", sub)) == sorted(ranked[3:])
    assert unresolved_links(vault.root, vault.generated()) == []
    for i in range(5):
        (vault.raw / f"n{i}.md").unlink()
    vault.sync_raw()
    vault.compile()
    assert not (vault.wiki / "index/mentions/Buffer pool.md").exists()


def test_a_clipping_of_only_properties_with_a_description_becomes_a_short_source_note(vault: Vault) -> None:
    vault.clip("bookmark.md", '---\ntitle: "Crash recovery in SQLite"\nsource: "https://example.org/crash"\n'
                              'description: "How SQLite recovers from a crash with its rollback journal."\n---\n')
    vault.clip("bare.md", "---\ntitle: Nothing to say\n---\n")
    vault.compile()
    note = vault.note("wiki/sources/Crash recovery in SQLite.md")
    assert "How SQLite recovers from a crash with its rollback journal." in note.content
    assert note["source"] == "https://example.org/crash"
    assert "raw/bare.md" in vault.status() and "no body text" in vault.status()


ARTICLE = ("Write-ahead logging makes a database durable. Every change is appended to the log before the page "
           "is modified, so a crash can be repaired by replaying the log from the last checkpoint. Checkpoints "
           "bound how much of the log a recovery must read, and group commit amortises the cost of the flush.")


def test_copies_of_one_article_become_one_source_note_that_links_both(vault: Vault) -> None:
    url = "https://example.org/wal"
    # In one compile the clipping first by path is the original.
    vault.clip("1 WAL.md", clipper_note("Write-ahead logging", ARTICLE, source=url))
    vault.clip("2 WAL.md", clipper_note("Write-ahead logging", ARTICLE, source=url + "/?utm_source=feed"))
    vault.clip("3 Elsewhere.md", clipper_note("WAL, syndicated", "  " + ARTICLE.upper() + "\n",
                                            source="https://mirror.example.com/x"))
    result = vault.kbd("compile")
    assert result.stdout.startswith("compiled 1 source; wiki has 1 source, 0 concepts; 2 copies of articles "
                                    "already there joined their notes"), result.stdout
    assert [p for p in vault.generated() if p.startswith("wiki/sources/")] == ["wiki/sources/Write-ahead logging.md"]
    note = vault.note("wiki/sources/Write-ahead logging.md")
    assert note["clipping"] == "[[raw/1 WAL|1 WAL]]"
    assert note["copies"] == ["[[raw/2 WAL|2 WAL]]", "[[raw/3 Elsewhere|3 Elsewhere]]"]
    assert "Also clipped as [[raw/2 WAL|2 WAL]], [[raw/3 Elsewhere|3 Elsewhere]]" in note.content
    log = (vault.wiki / "log.md").read_text().replace("\\", "")
    assert "raw/2 WAL.md is a copy of raw/1 WAL.md (same URL)" in log
    assert "raw/3 Elsewhere.md is a copy of raw/1 WAL.md (same text)" in log
    assert len(re.findall(r"^## \[.*\] duplicate \| ", log, re.M)) == 2
    index = (vault.wiki / "index.md").read_text()
    assert "1 source," in index and index.count("[[wiki/sources/") == 1
    assert not list((vault.wiki / "concepts").glob("*.md")), "copies never count as a second source"
    assert unresolved_links(vault.root, vault.generated()) == []


def test_when_the_first_clipping_goes_a_copy_takes_over_and_a_changed_copy_stands_alone(vault: Vault) -> None:
    vault.clip("a.md", clipper_note("Write-ahead logging", ARTICLE, source="https://example.org/wal"))
    vault.clip("b.md", clipper_note("Write-ahead logging", ARTICLE, source="https://example.org/wal"))
    vault.compile()
    (vault.raw / "a.md").unlink()
    vault.sync_raw()
    report = vault.compile()
    assert report.sources == 1
    note = vault.note("wiki/sources/Write-ahead logging.md")
    assert note["clipping"] == "[[raw/b|b]]" and "copies" not in note.metadata
    assert "raw/a.md was deleted; its summary was removed; its copy raw/b.md takes over" in \
        (vault.wiki / "log.md").read_text()
    vault.clip("a.md", clipper_note("Write-ahead logging", ARTICLE, source="https://example.org/wal"))
    vault.compile()
    assert vault.note("wiki/sources/Write-ahead logging.md")["copies"] == ["[[raw/a|a]]"]
    vault.clip("a.md", clipper_note("Checkpoints", "A different article about checkpoints entirely. " * 3,
                                    source="https://example.org/checkpoints"))
    report = vault.compile()
    assert report.sources == 2
    assert "copies" not in vault.note("wiki/sources/Write-ahead logging.md").metadata
    assert (vault.wiki / "sources/Checkpoints.md").exists()


def test_a_copy_whose_original_changes_is_compiled_again_in_the_same_run(vault: Vault) -> None:
    vault.clip("a.md", clipper_note("Write-ahead logging", ARTICLE, source="https://example.org/wal"))
    vault.clip("b.md", clipper_note("Write-ahead logging", ARTICLE, source="https://example.org/wal"))
    vault.compile()
    vault.clip("a.md", clipper_note("Write-ahead logging", ARTICLE + " Updated.", source="https://example.org/x"))
    report = vault.compile()
    assert report.sources == 2, "b no longer matches a, so it is a source of its own at once"


def test_a_long_log_moves_its_oldest_entries_to_numbered_parts(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "PAGE_BUDGET", 500)
    for i in range(12):
        vault.clip(f"n{i}.md", pool_note(i))
    vault.compile()
    log = (vault.wiki / "log.md").read_text()
    parts = sorted((vault.wiki / "index").glob("Log *.md"))
    assert parts and "Older entries: [[wiki/index/Log 1|Log, part 1]]" in log
    everything = log + "".join(p.read_text() for p in parts)
    assert len(re.findall(r"^## \[.*\] ingest \| ", everything, re.M)) == 12, "every entry is kept, once"
    assert all(p.stat().st_size < 1000 for p in [vault.wiki / "log.md", *parts])
    assert unresolved_links(vault.root, vault.generated()) == []


def test_an_edited_sub_page_is_kept_and_adopt_hands_it_back(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "CONCEPT_SOURCES_SHOWN", 2)
    for i in range(4):
        vault.clip(f"n{i}.md", pool_note(i))
    vault.compile()
    sub = vault.wiki / "index/mentions/Buffer pool.md"
    sub.write_text(sub.read_text() + "\nmy note\n")
    vault.clip("n4.md", pool_note(4))
    vault.compile()
    assert sub.read_text().endswith("my note\n")
    assert "wiki/index/mentions/Buffer pool" in vault.status()
    results = adopt_notes(vault.root, load_config(vault.root), ["wiki/index/mentions/Buffer pool.md"])
    assert [r.adopted for r in results] == [True]
    vault.compile()
    assert "my note" not in sub.read_text() and "Pool note" in sub.read_text()


def test_titles_are_grouped_under_their_first_letter_digits_and_other_last(vault: Vault) -> None:
    for i, title in enumerate(["Über caches", "2024 outage report", "日本 notes", "apple pages", "Zebra tables"]):
        vault.clip(f"t{i}.md", clipper_note(title, f"{POOL} Page {i} of the set, titled {title}."))
    vault.compile()
    sources = (vault.wiki / "index.md").read_text().split("## Sources", 1)[1].split("## Concepts", 1)[0]
    assert re.findall(r"^### (.+)$", sources, re.M) == ["A", "U", "Z", "0-9", "Other"]
    assert sources.index("Über caches") > sources.index("### U") > sources.index("apple pages")


def test_a_concepts_index_description_does_not_depend_on_the_order_notes_were_compiled(vault: Vault,
                                                                                       tmp_path: Path) -> None:
    # Two of Josh Branchaud's TILs (tests/real_pages/til-jbranchaud) say "API endpoint" in one sentence each, which
    # score the same: compiled one after the other, the index described *API endpoint* by the note compiled first,
    # compiled at once by the other one.
    first, second = "download-a-file-with-curl.md", "build-a-hash-of-model-attributes.md"
    for name in (first, second):
        vault.clip(name, (TIL / name).read_text(encoding="utf-8"))
        vault.compile()
    at_once = Vault(tmp_path / "at-once")
    for name in (second, first):
        at_once.clip(name, (TIL / name).read_text(encoding="utf-8"))
    at_once.compile()
    described = [next(line for line in (v.wiki / "index.md").read_text(encoding="utf-8").splitlines()
                      if line.startswith("- [[wiki/concepts/API endpoint|")) for v in (vault, at_once)]
    assert described[0] == described[1], described

"""PDF papers in raw/ (issue 20, part 1): a PDF becomes a source note as a clipping does, read in a
capped worker process; two-column pages read in order; headers, footers, page numbers and the
reference list dropped; line-end hyphenation joined; the summary drawn from the abstract; scanned
and hostile PDFs are skipped with a reason in Status.md, never a note, never a traceback.

The PDFs are made by tests/pdf_maker.py with the layouts of arXiv papers (the real papers measured
for the issue may not be redistributed)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from kbd.papers.authors import authors_from_title_block
from kbd.papers.layout import clean_text
from kbd.papers.read import Caps, read_pdf
from kbd.vault.note import RawNote, Rejection
from tests.conftest import Vault
from tests.fake_llm import fake_llm
from tests.model_fixtures import KEY, honest_model
from tests.pdf_maker import (
    decompression_bomb,
    deep_objects,
    paper_pdf,
    sample_paper,
    scanned_pdf,
    xref_loop,
)


def _text(note: RawNote) -> str:
    return "\n".join(b.text for b in note.document.blocks)


def test_two_column_paper_drawn_row_by_row_reads_column_by_column(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "paper.pdf").write_bytes(paper_pdf(sample_paper(), interleave=True))
    note = read_pdf(tmp_path, "raw/paper.pdf", 5_000_000)
    assert isinstance(note, RawNote), note
    text = _text(note)
    order = [(int(s), int(k)) for s, k in re.findall(r"Section (\d+) sentence (\d+) ", text)]
    assert len(order) >= 50
    assert order == sorted(order), "sentences out of reading order"
    assert note.title == "Fast Recovery for Consensus Protocols"
    assert note.meta.author == ["Ada Example", "Grace Sample"]
    assert note.meta.published == "2025-03-14"
    # Furniture and references gone; hyphenated line ends joined.
    assert "Preprint. Under review." not in text
    assert not any(re.fullmatch(r"\d+", b.text.strip()) for b in note.document.blocks)
    assert "A paper about replication number" not in text
    assert "expl-" not in text and "ackn-" not in text and "acknowledgements matter" in text
    assert note.document.blocks[0].text.startswith("Abstract")


def test_pdf_compiles_to_a_source_note_summarised_from_its_abstract(vault: Vault) -> None:
    paper = sample_paper()
    vault.clip("Fast recovery.pdf", paper_pdf(paper, interleave=True))
    report = vault.compile()
    assert report.ingested == 1
    note = vault.note("wiki/sources/Fast Recovery for Consensus Protocols.md")
    assert note["clipping"] == "[[raw/Fast recovery.pdf|Fast recovery.pdf]]"
    assert note["author"] == ["Ada Example", "Grace Sample"]
    assert str(note["published"]) == "2025-03-14"
    summary = note.content.split("> [!summary]", 1)[1].split("\n## ", 1)[0]
    sentences = [s.strip("> ").strip() for s in summary.strip().splitlines() if s.strip("> ").strip()]
    assert sentences and all(s in paper.abstract for s in sentences), sentences
    # Content-hashed like a note: an unchanged PDF is not read again.
    mtimes = vault.mtimes()
    again = vault.compile()
    assert again.ingested == 0 and vault.mtimes() == mtimes


def test_scanned_pdf_gets_a_status_line_and_no_note(vault: Vault) -> None:
    vault.clip("Scanned letter.pdf", scanned_pdf())
    report = vault.compile()
    assert report.ingested == 0 and report.newly_skipped == 1
    assert not list((vault.wiki / "sources").glob("*.md"))
    status = vault.status()
    assert "raw/Scanned letter.pdf — PDF: no text layer (a scanned PDF?)" in status


@pytest.mark.parametrize("name, make", [("bomb", lambda: decompression_bomb(512)), ("deep", deep_objects),
                                        ("loop", xref_loop)])
def test_hostile_pdf_is_skipped_with_a_reason_within_its_caps(tmp_path: Path, name: str, make) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / f"{name}.pdf").write_bytes(make())
    caps = Caps(seconds=20, memory_mb=400)
    started = time.monotonic()
    result = read_pdf(tmp_path, f"raw/{name}.pdf", 5_000_000, caps)
    assert time.monotonic() - started < caps.seconds + 5
    assert isinstance(result, Rejection), result
    assert result.reason.startswith("PDF") and "Traceback" not in result.reason


def test_worker_over_its_memory_cap_or_deadline_is_stopped(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "paper.pdf").write_bytes(paper_pdf(sample_paper(), min_pages=40))
    starved = read_pdf(tmp_path, "raw/paper.pdf", 5_000_000, Caps(memory_mb=24))
    assert isinstance(starved, Rejection) and "needs more than 24 MB" in starved.reason, starved
    late = read_pdf(tmp_path, "raw/paper.pdf", 5_000_000, Caps(seconds=0.05))
    assert isinstance(late, Rejection) and "took longer than 0.05 s" in late.reason, late


def test_not_a_pdf_and_too_many_pages_are_named(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "fake.pdf").write_bytes(b"<html>not a pdf</html>")
    fake = read_pdf(tmp_path, "raw/fake.pdf", 5_000_000)
    assert isinstance(fake, Rejection) and "not a PDF" in fake.reason
    (tmp_path / "raw" / "long.pdf").write_bytes(paper_pdf(sample_paper(), min_pages=12))
    long = read_pdf(tmp_path, "raw/long.pdf", 5_000_000, Caps(pages=10))
    assert isinstance(long, Rejection) and "over the 10-page limit" in long.reason


def test_a_paper_larger_than_the_note_cap_is_read(vault: Vault) -> None:
    """A paper's PDF is mostly figures: up to 50 MB is read although clippings stop at 5 MB."""
    vault.clip("Big figures.pdf", paper_pdf(sample_paper(), padding=6_000_000))
    assert vault.compile().ingested == 1
    assert (vault.wiki / "sources" / "Fast Recovery for Consensus Protocols.md").is_file()


def test_tex_accents_and_ligatures_read_as_words() -> None:
    assert clean_text("En conf´erence, le d´epˆot, ﬁxed") == "En conférence, le dépôt, fixed"


def test_authors_are_read_from_the_title_block_only_when_they_read_cleanly() -> None:
    assert authors_from_title_block(["Ada B. Example Grace Sample", "Example Labs",
                                     "{ada, grace}@example.org"]) == ["Ada B. Example", "Grace Sample"]
    assert authors_from_title_block(["Ada Example ∗, Lin Sample & Kai de Vries", "University of Nowhere"]) == [
        "Ada Example", "Lin Sample", "Kai de Vries"]
    # Three names run together with three addresses: cut in pairs it would be four, so none is guessed.
    assert authors_from_title_block(["Ada Lin Example Grace Kai Sample Tom R. Writer",
                                     "ada@x.org grace@x.org", "tom@x.org"]) == []
    assert authors_from_title_block(["We study how replicas agree."]) == []


def test_a_long_paper_goes_to_the_model_in_parts_as_a_long_clipping_does(
        vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KBD_TEST_KEY", KEY)
    vault.clip("Long paper.pdf", paper_pdf(sample_paper(), min_pages=12))
    with fake_llm() as server:
        server.default = honest_model
        (vault.root / "kbd/config.yaml").write_text(
            f"models:\n  worker: {{provider: openai, base_url: \"{server.url}/v1\", model: gpt-4o-mini, "
            f"api_key_env: KBD_TEST_KEY, max_input_tokens: 8000}}\n")
        report = vault.compile()
        assert report.ingested == 1
        assert len(server.received) > 2, "a paper over the part size is summarised in parts, then combined"
        assert max(r.prompt_tokens for r in server.received) <= 8000
    assert (vault.wiki / "sources" / "Fast Recovery for Consensus Protocols.md").is_file()

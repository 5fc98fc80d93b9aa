"""Acceptance 2 and 3: what `kbd compile` produces, and that a re-run does nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

import yaml

from kbd.vault.markdown import parse_markdown, split_sentences
from tests.clippings import make_clipping
from tests.conftest import Vault, clipper_note, unresolved_links

FORBIDDEN = set('\\/:*?"<>|#^[]%')


class _Sample(NamedTuple):
    file: str
    title: str


SAMPLE_NAMES = [_Sample("Why B-trees stay shallow.md", "Why B-trees stay shallow"),
                _Sample("LSM trees explained.md", "LSM trees, explained without the hype"),
                _Sample("What a write-ahead log guarantees.md", "What a write-ahead log guarantees")]


def _compile_corpus(vault: Vault, n: int = 12) -> None:
    for i in range(n):
        c = make_clipping(i, words=600)
        vault.clip(c.filename, c.text)
    report = vault.compile()
    assert report.ingested == n


def test_the_summary_line_counts_in_words_a_person_would_use(vault: Vault) -> None:
    vault.clip("Only one.md", clipper_note("Only one", "The buffer pool keeps hot pages in memory."))
    assert vault.kbd("compile", ".").stdout == "compiled 1 source; wiki has 1 source, 0 concepts\n"
    assert vault.kbd("compile", ".").stdout == "nothing to do: 1 source, 0 concepts up to date\n"


def test_compile_writes_summaries_concepts_index_log_and_status(sample_vault: Vault) -> None:
    result = sample_vault.kbd("compile", ".")
    assert re.fullmatch(r"compiled 3 sources; wiki has 3 sources, \d+ concepts\n", result.stdout)
    sources = sorted(p.name for p in (sample_vault.wiki / "sources").glob("*.md"))
    assert sources == ["LSM trees, explained without the hype.md", "What a write-ahead log guarantees.md",
                       "Why B-trees stay shallow.md"]
    concepts = {p.stem for p in (sample_vault.wiki / "concepts").glob("*.md")}
    assert {"B-tree", "LSM tree", "Write-ahead log"} <= concepts
    # Each sample mentions write amplification once, in passing (its 12th-15th concept): no source is
    # about it, so it gets no page (issue 23: a page needs a source that ranks it among its 3 strongest).
    assert "Write amplification" not in concepts

    note = sample_vault.note("wiki/sources/Why B-trees stay shallow.md")
    assert note["type"] == "source"
    assert note["clipping"] == "[[raw/Why B-trees stay shallow|Why B-trees stay shallow]]"
    assert note["source"] == "https://example.org/posts/btree-depth"
    assert note["author"] == ["Ada Example"]
    assert str(note["published"]) == "2025-03-14"
    assert "[[wiki/concepts/B-tree|B-tree]]" in note["concepts"]
    assert note["engine"] == "offline" and note["verified"] is True
    assert note["input_hash"].startswith("sha256:")
    assert "> [!summary]" in note.content and "## Related sources" in note.content

    concept = sample_vault.note("wiki/concepts/Write-ahead log.md")
    assert len(concept["sources"]) == 3, "all three samples discuss the write-ahead log"
    assert "## What the sources say (3)" in concept.content
    assert concept["related"], "a concept links to related concepts"

    index = (sample_vault.wiki / "index.md").read_text()
    for name in sources:
        assert f"[[wiki/sources/{name[:-3]}|" in index
    for name in concepts:
        assert f"[[wiki/concepts/{name}|{name}]]" in index
    log = (sample_vault.wiki / "log.md").read_text()
    assert len(re.findall(r"^## \[\d{4}-\d\d-\d\d \d\d:\d\d\] ingest \| ", log, re.M)) == 3
    assert "3 sources" in sample_vault.status()


def test_summary_sentences_are_copied_verbatim_from_the_source(sample_vault: Vault) -> None:
    sample_vault.compile()
    raw = (sample_vault.raw / "Why B-trees stay shallow.md").read_text()
    # The body, or the clipping's own `description` (what a summary falls back to without an abstract).
    plain = parse_markdown(raw.split("---", 2)[2]).plain_text() + "\n" + raw.split("---", 2)[1]
    note = sample_vault.note("wiki/sources/Why B-trees stay shallow.md")
    summary = [line[2:] for line in note.content.splitlines() if line.startswith("> ") and "[!" not in line]
    assert 3 <= len(summary) <= 6
    for sentence in summary:
        assert sentence.replace("\\", "") in plain


def test_every_wikilink_kbd_writes_resolves_under_obsidian_rules(vault: Vault) -> None:
    _compile_corpus(vault)
    # A user note that shares a summary's name must not capture kbd's links.
    generated = vault.generated()
    first_source = next(p for p in generated if p.startswith("wiki/sources/"))
    (vault.root / Path(first_source).name).write_text("a user note with the same name")
    assert unresolved_links(vault.root, generated) == []
    for path, text in generated.items():
        for target in re.findall(r"\[\[([^|\]#]+)", text):
            assert target.startswith(("wiki/", "raw/")), f"{path}: link [[{target}]] is not path-qualified"


def test_frontmatter_parses_and_each_property_keeps_one_type(vault: Vault) -> None:
    _compile_corpus(vault)
    types: dict[str, set[str]] = {}
    for path, text in vault.generated().items():
        assert text.startswith("---\n"), path
        data = yaml.safe_load(text.split("---\n", 2)[1])
        assert isinstance(data, dict), path
        for key, value in data.items():
            assert key == key.lower(), f"{path}: property {key} is not lowercase"
            assert not isinstance(value, dict), f"{path}: property {key} is nested"
            types.setdefault(key, set()).add(type(value).__name__)
    mixed = {k: v for k, v in types.items() if len(v) > 1}
    assert mixed == {}, f"properties with more than one type: {mixed}"


def test_generated_file_names_are_safe_and_unique_ignoring_case(vault: Vault) -> None:
    titles = ['What is "fan-out"? A/B test: 100% #1 [draft] | part^2 <b>', "Same title", "SAME TITLE",
              "x" * 400, " . leading dots and spaces . ", "Ünïcödé title — ✓ 日本語のタイトル", "CON", "a\tb\x07c"]
    for i, title in enumerate(titles):
        body = "Fan-out and the B-tree page matter here. " * 3 + f"Entry {i} talks about the B-tree page layout."
        vault.clip(f"note {i}.md", clipper_note(title.replace('"', '\\"').replace("\x07", "\\a").replace("\t", "\\t"),
                                                body))
    vault.compile()
    names = [p.name for p in vault.wiki.rglob("*.md")]
    lowered = [n.casefold() for n in names]
    assert len(set(lowered)) == len(lowered)
    for name in names:
        stem = name[:-3]
        assert not FORBIDDEN & set(stem), name
        assert not any(ord(c) < 32 or ord(c) == 127 for c in stem), name
        assert stem == stem.strip(" ."), name
        assert len(name.encode()) <= 200, name
    for path in (vault.wiki / "sources").glob("*.md"):
        note = vault.note(path.relative_to(vault.root).as_posix())
        if note["title"] != path.stem:
            assert note["aliases"] == [note["title"]], "the exact title goes into aliases"


def test_rerun_on_unchanged_vault_writes_nothing_and_does_no_engine_work(sample_vault: Vault) -> None:
    first = sample_vault.compile()
    assert first.engine_calls == 3
    before = sample_vault.mtimes()
    again = sample_vault.compile()
    assert again.engine_calls == 0 and again.written == 0 and not again.changed_anything
    assert sample_vault.mtimes() == before
    result = sample_vault.kbd("compile", ".")
    assert result.stdout.startswith("nothing to do: 3 sources")
    assert sample_vault.mtimes() == before


def test_touching_a_raw_note_without_changing_it_costs_no_engine_work(sample_vault: Vault) -> None:
    sample_vault.compile()
    before = sample_vault.mtimes()
    (sample_vault.raw / "Why B-trees stay shallow.md").touch()
    report = sample_vault.compile()
    assert report.engine_calls == 0
    assert sample_vault.mtimes() == before


def test_status_json_reports_counts(sample_vault: Vault) -> None:
    sample_vault.compile()
    data = json.loads(sample_vault.kbd("status", ".", "--json").stdout)
    assert data["sources"] == 3 and data["concepts"] >= 3  # no page for passing mentions (issue 23)
    assert data["last_run"]["ingested"] == 3 or data["last_run"]["ingested"] == 0
    assert data["rejected"] == [] and data["failed_jobs"] == []


def test_each_concept_of_a_source_quotes_its_own_sentence(sample_vault: Vault) -> None:
    """A sentence is quoted for two concepts only when one of them appears in no other sentence."""
    sample_vault.compile()
    for sample in SAMPLE_NAMES:
        note = (sample_vault.wiki / f"sources/{sample.title}.md").read_text()
        raw = (sample_vault.raw / sample.file).read_text().split("---", 2)[2]
        sentences = [x.lower() for b in parse_markdown(raw).prose() for x in split_sentences(b.text)]
        section = note.split("## Concepts", 1)[1].split("##", 1)[0]
        quoted = [(re.search(r"\|([^\]]+)\]\]", line).group(1), line.split(" — ", 1)[1])
                  for line in section.splitlines() if " — " in line]
        for sentence in {s for _, s in quoted}:
            sharing = [n for n, s in quoted if s == sentence]
            if len(sharing) > 1:
                only_here = [n for n in sharing if sum(n.lower() in x for x in sentences) == 1]
                assert only_here, f"{sample.title}: {sharing} share a sentence though each has others"

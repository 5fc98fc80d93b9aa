"""The log only grows; the work of writing it must not grow with it. Issue 8's soak found a daemon
whose memory grew with its history: every compile rendered, sanitised and compared every part of
the log again. Now only the newest page is rendered, plus any part an entry of which changed or
whose file is not as kbd wrote it."""

from __future__ import annotations

import re

import pytest

from kbd.compile import model
from kbd.compile.model import WikiModel
from kbd.compile.run import open_state
from kbd.config import load_config
from kbd.vault.layout import VaultLayout
from kbd.vault.write import VaultWriter
from tests.conftest import Vault, clipper_note, unresolved_links


def note(i: int, title: str | None = None) -> str:
    return clipper_note(title or f"Pool note {i}", f"The buffer pool keeps hot pages in memory. Server {i} runs "
                        "the clock sweep nightly, and the buffer pool evicts cold pages first.")


def log_parts(vault: Vault) -> dict[str, str]:
    parts = sorted((vault.wiki / "index").glob("Log *.md"))
    return {p.relative_to(vault.root).as_posix(): p.read_text() for p in parts}


def render_log(vault: Vault, new_entries: int = 0) -> model.Rendered:
    """What the next compile would render for the log, after `new_entries` more entries."""
    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    state = open_state(layout)
    try:
        with state.transaction():
            state.db.executemany("INSERT INTO log_entries(time, kind, title, source_id) VALUES(?, 'ingest', ?, NULL)",
                                 [("2026-11-26T01:00:00", f"Later {i}") for i in range(new_entries)])
        wiki = WikiModel(state, layout, config.compile.max_concepts_per_source, VaultWriter(layout, state).as_written)
        return wiki.render("log")
    finally:
        state.close()


def compile_a_long_log(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    """12 clippings with pages of 400 bytes: a log of several parts."""
    monkeypatch.setattr(model, "PAGE_BUDGET", 400)
    for i in range(12):
        vault.clip(f"n{i}.md", note(i))
    vault.compile()


def test_a_compile_renders_only_the_newest_log_page_however_long_the_log(
        vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    compile_a_long_log(vault, monkeypatch)
    parts = log_parts(vault)
    assert len(parts) >= 3
    unchanged = render_log(vault)
    assert unchanged.pages == [] and sorted(unchanged.kept_pages) == sorted(parts)
    one_more = render_log(vault, new_entries=1)
    assert len(one_more.log_entries) == 1, "an entry is rendered once, then stored"
    assert len(one_more.pages) <= 1, "at most the page the new entry pushed out of log.md is rendered"
    assert len(one_more.pages) + len(one_more.kept_pages) >= len(parts)


def test_a_log_part_is_rewritten_when_an_entry_in_it_changes_or_its_file_is_gone(
        vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    compile_a_long_log(vault, monkeypatch)
    vault.clip("n0.md", note(0, title="Renamed pool note"))  # the summary's title and name change
    vault.compile()
    everything = (vault.wiki / "log.md").read_text() + "".join(log_parts(vault).values())
    assert "Renamed pool note" in everything and "|Pool note 0]]" not in everything
    assert unresolved_links(vault.root, vault.generated()) == [], "no part keeps a link to the old name"
    renamed = log_parts(vault)
    (vault.root / sorted(renamed)[0]).unlink()
    vault.clip("n12.md", note(12))
    vault.compile()
    assert log_parts(vault).keys() >= renamed.keys(), "a part deleted by hand is written again"
    assert log_parts(vault)[sorted(renamed)[0]] == renamed[sorted(renamed)[0]]
    everything = (vault.wiki / "log.md").read_text() + "".join(log_parts(vault).values())
    assert len(re.findall(r"^## \[.*\] ingest \| ", everything, re.M)) == 13, "every entry is kept, once"

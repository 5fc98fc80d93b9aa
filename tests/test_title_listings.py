"""A concept page lists the sources whose title names it (issue 23: "core topics list their titled
sources"), and that listing never decides whether the page exists (kbd/compile/titled.py).

The pages are whole pages of Obsidian Help's `en/Import notes/` (development half of bench/heldout.py),
copied unchanged into tests/real_pages/ (README there). *Import Markdown files* says "import" only in
"import Markdown files into Obsidian": the engine's concepts of it are Markdown's, not Import's.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kbd.migrations import MIGRATIONS
from tests.conftest import Vault

PAGES = Path(__file__).parent / "real_pages"
IMPORT_PAGES = ("Import Textbundle files", "Import from Roam Research", "Import Markdown files")


def clip(vault: Vault, *titles: str) -> None:
    for title in titles:
        vault.clip(f"Import notes/{title}.md", (PAGES / f"{title}.md").read_text(encoding="utf-8"))


def import_page(vault: Vault) -> str:
    path = vault.wiki / "concepts" / "Import.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_a_concept_page_lists_every_source_whose_title_names_it(vault: Vault) -> None:
    clip(vault, *IMPORT_PAGES)
    vault.compile()
    page = import_page(vault)
    for title in IMPORT_PAGES:
        assert f"|{title}]]" in page, (title, page)
    # Its title ties *Import Markdown files* to Import, and its summary's line about importing is quoted
    # (in the synthesis here, so its bullet is the link alone).
    assert ("This makes it easy to import Markdown files into Obsidian. ([[wiki/sources/Import Markdown files|"
            "Import Markdown files]])") in page, page
    source = (vault.wiki / "sources" / "Import Markdown files.md").read_text(encoding="utf-8")
    assert "[[wiki/concepts/Import|Import]]" in source, source
    index = (vault.wiki / "index.md").read_text(encoding="utf-8")
    assert "[[wiki/concepts/Import|Import]] (3 sources)" in index, index  # as many as the page lists


def test_a_page_made_later_lists_the_titled_sources_compiled_before_it(vault: Vault) -> None:
    clip(vault, "Import from Roam Research", "Import Markdown files")
    vault.compile()
    assert not import_page(vault)  # one source about importing: no page yet
    clip(vault, "Import Textbundle files")
    vault.compile()  # *Import Markdown files* is not summarised again, yet the new page lists it
    assert "|Import Markdown files]]" in import_page(vault), import_page(vault)
    source = (vault.wiki / "sources" / "Import Markdown files.md").read_text(encoding="utf-8")
    assert "[[wiki/concepts/Import|Import]]" in source, source


def test_a_title_listing_never_keeps_a_page_alive(vault: Vault) -> None:
    clip(vault, *IMPORT_PAGES)
    vault.compile()
    assert import_page(vault)
    # Left with one source that is about importing and one that only its title lists: no page, and no link to it.
    (vault.raw / "Import notes" / "Import Textbundle files.md").unlink()
    vault.sync_raw()
    vault.compile()
    assert not import_page(vault)
    for title in ("Import Markdown files", "Import from Roam Research"):
        source = (vault.wiki / "sources" / f"{title}.md").read_text(encoding="utf-8")
        assert "wiki/concepts/Import|" not in source, source


def test_a_vault_compiled_before_lists_its_titled_sources_at_the_next_compile(vault: Vault) -> None:
    clip(vault, *IMPORT_PAGES)
    vault.compile()
    # As a kbd without title listings left it: no listing, its schema one migration short, and the page
    # due to be written again (without the migration, it would be written without the listing).
    db = sqlite3.connect(vault.root / ".kbd" / "state.db")
    with db:
        db.execute("DELETE FROM source_concepts WHERE key='import' AND sentence='' AND score=0")
        db.execute("INSERT OR IGNORE INTO dirty(note) VALUES('concept:import')")
        db.execute(f"PRAGMA user_version={len(MIGRATIONS) - 1}")
    db.close()
    vault.compile()
    assert "|Import Markdown files]]" in import_page(vault), import_page(vault)

"""What a name is, as a reader of the page sees it (issue 23, point 1): a note's title, a word glued to a
number, capitalised words that name one thing, a button's label, a product named without its maker.

Every page below is a whole page of Obsidian Help (github.com/obsidianmd/obsidian-help, `en/`), from
the development half of bench/heldout.py, copied unchanged into tests/real_pages/ (README there).
"""

from __future__ import annotations

from pathlib import Path

import frontmatter

from kbd.engines.base import SourceInput, SourceSummary
from kbd.engines.offline import OfflineEngine
from kbd.vault.markdown import parse_markdown
from kbd.vault.note import ClipperMeta, note_title
from tests.conftest import Vault

PAGES = Path(__file__).parent / "real_pages"


def page(name: str) -> SourceSummary:
    post = frontmatter.loads((PAGES / f"{name}.md").read_text(encoding="utf-8"))
    meta = ClipperMeta(title=name, description=post.get("description"))
    return OfflineEngine().summarize_source(SourceInput(name, parse_markdown(post.content), meta))


def names(summary: SourceSummary) -> set[str]:
    return {c.name for c in summary.concepts}


def concept_pages(vault: Vault) -> set[str]:
    return {p.stem for p in (vault.wiki / "concepts").glob("*.md")}


def test_a_note_with_no_title_property_and_no_h1_is_titled_by_its_file_name() -> None:
    # Settings.md opens with a paragraph, then "## Open Settings": a section, not the page.
    body = frontmatter.loads((PAGES / "Settings.md").read_text(encoding="utf-8")).content
    assert note_title(None, parse_markdown(body), "Settings") == "Settings"


def test_the_letters_of_a_word_glued_to_a_number_are_not_a_name() -> None:
    # "Obsidian supports [[2-factor authentication]] (2FA) for Obsidian accounts, but it does not support 2FA
    # for opening and using the base application": no concept "FA", nor "Factor authentication".
    found = names(page("Security considerations for teams"))
    assert not {n for n in found if n.upper() == "FA" or n.lower().startswith(("fa ", "factor"))}, found


def test_capitalised_words_together_are_one_name() -> None:
    # "Live Preview" is an editing mode of Obsidian; "Preview" alone is a word of two other things.
    found = names(page("Views and editing mode"))
    assert "Live Preview" in found, found
    assert "Preview" not in found, found


def test_a_buttons_label_is_not_a_concept_where_the_page_uses_its_verb_with_an_object() -> None:
    # "A context menu will pop up. Select **Manage Vaults...**." beside "manage your vaults".
    found = names(page("Manage vaults"))
    assert not {n for n in found if n.startswith("Manage ")}, found
    assert "Vault switcher" in found or "Vault" in found or "Vaults" in found, found


def test_a_product_named_without_its_maker_has_no_page_beside_the_full_name(vault: Vault) -> None:
    for name in ("Introduction to Obsidian Sync", "Switch to Obsidian Sync", "Status icon and messages",
                 "Sync settings and selective syncing"):
        vault.clip(f"{name}.md", (PAGES / f"{name}.md").read_text(encoding="utf-8"))
    vault.compile()
    # No page "Obsidian" yet: "Sync" is a name of its own here.
    assert {"Obsidian Sync", "Sync"} <= concept_pages(vault), concept_pages(vault)
    for name in ("About Obsidian", "Update Obsidian"):
        vault.clip(f"{name}.md", (PAGES / f"{name}.md").read_text(encoding="utf-8"))
    vault.compile()
    pages = concept_pages(vault)
    assert {"Obsidian", "Obsidian Sync"} <= pages, pages
    assert "Sync" not in pages, pages  # the maker's page came later: the short name's page is retired
    assert "[[wiki/concepts/Sync|" not in "".join(p.read_text() for p in vault.wiki.rglob("*.md"))

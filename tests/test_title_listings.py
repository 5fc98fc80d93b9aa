"""A concept page lists the sources whose title names it (issue 23: "core topics list their titled
sources"), and that listing never decides whether the page exists (kbd/compile/titled.py).

The pages are whole pages of Obsidian Help's `en/Import notes/` (development half of bench/heldout.py),
copied unchanged into tests/real_pages/ (README there). *Import Markdown files* says "import" only in
"import Markdown files into Obsidian": the engine's concepts of it are Markdown's, not Import's.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kbd.compile.titled import names_the_page, title_names
from kbd.engines.base import concept_key
from kbd.migrations import MIGRATIONS
from tests.conftest import Vault, clipper_note

PAGES = Path(__file__).parent / "real_pages"
IMPORT_PAGES = ("Import Textbundle files", "Import from Roam Research", "Import Markdown files")


def clip(vault: Vault, *titles: str) -> None:
    for title in titles:
        vault.clip(f"Import notes/{title}.md", (PAGES / f"{title}.md").read_text(encoding="utf-8"))


def clip_notes(vault: Vault, notes: dict[str, str], twice: bool = False) -> None:
    """Web Clipper notes titled by the keys, each body written once (or twice, for a longer note)."""
    for title, body in notes.items():
        vault.clip(f"{title}.md", clipper_note(title, f"{body}\n\n{body}" if twice else body))


def import_page(vault: Vault) -> str:
    path = vault.wiki / "concepts" / "Import.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_a_concept_page_lists_every_source_whose_title_names_it(vault: Vault) -> None:
    clip(vault, *IMPORT_PAGES)
    vault.compile()
    page = import_page(vault)
    for title in IMPORT_PAGES:
        assert f"|{title}]]" in page, (title, page)
    # Its title ties *Import Markdown files* to Import, and its summary's line about importing is quoted.
    assert ("- [[wiki/sources/Import Markdown files|Import Markdown files]] — This makes it easy to import "
            "Markdown files into Obsidian.") in page, page
    source = (vault.wiki / "sources" / "Import Markdown files.md").read_text(encoding="utf-8")
    assert "[[wiki/concepts/Import|Import]]" in source, source
    index = (vault.wiki / "index.md").read_text(encoding="utf-8")
    assert "[[wiki/concepts/Import|Import]] (3 sources)" in index, index  # as many as the page lists


def test_a_source_links_back_every_page_its_title_names_however_many_concepts_it_has(vault: Vault) -> None:
    config = vault.root / "kbd" / "config.yaml"  # one concept link per source note, the strongest
    text = config.read_text(encoding="utf-8")
    assert "max_concepts_per_source: 12" in text
    config.write_text(text.replace("max_concepts_per_source: 12", "max_concepts_per_source: 1"), encoding="utf-8")
    clip(vault, *IMPORT_PAGES)
    vault.compile()
    assert "|Import Markdown files]]" in import_page(vault)
    source = (vault.wiki / "sources" / "Import Markdown files.md").read_text(encoding="utf-8")
    assert "[[wiki/concepts/Import|Import]]" in source, source


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
    # As a kbd without title listings left it: no listing, its schema short of that migration and those after
    # it, and the page due to be written again (without the migration, it would be written without the listing).
    listings = next(i for i, m in enumerate(MIGRATIONS) if "SELECT 'source:' || id FROM sources" in m)
    db = sqlite3.connect(vault.root / ".kbd" / "state.db")
    with db:
        db.execute("DELETE FROM source_concepts WHERE key='import' AND sentence='' AND score=0")
        db.execute("INSERT OR IGNORE INTO dirty(note) VALUES('concept:import')")
        db.execute("ALTER TABLE concepts DROP COLUMN form_name")  # the migrations after it
        for column in ("shown", "once", "marked"):
            db.execute(f"ALTER TABLE source_concepts DROP COLUMN {column}")
        db.execute(f"PRAGMA user_version={listings}")
    db.close()
    vault.compile()
    assert "|Import Markdown files]]" in import_page(vault), import_page(vault)


def notes_of(vault: Vault) -> dict[str, str]:
    return {p.relative_to(vault.wiki).as_posix(): p.read_text(encoding="utf-8")
            for folder in ("concepts", "sources") for p in sorted((vault.wiki / folder).glob("*.md"))}


def fresh_compile_of(vault: Vault, root: Path) -> Vault:
    fresh = Vault(root)
    for path in sorted(vault.raw.rglob("*.md")):
        fresh.clip(path.relative_to(vault.raw).as_posix(), path.read_bytes())
    fresh.compile()
    return fresh


# A settings page that says nothing about importing, titled with the plural (found by a review).
PANEL = clipper_note("Imports Panel Settings", "The panel keeps its layout between sessions. Each workspace "
                     "remembers which panes were open. Backups of the layout are kept for a week.")


def test_a_page_made_later_lists_what_a_fresh_compile_lists(vault: Vault, tmp_path: Path) -> None:
    clip(vault, "Import from Roam Research", "Import Markdown files")
    vault.clip("Imports Panel Settings.md", PANEL)
    vault.compile()
    clip(vault, "Import Textbundle files")
    vault.compile()  # the page "Import" is made now: a title in the plural names it too
    assert "|Imports Panel Settings]]" in import_page(vault), import_page(vault)
    assert notes_of(vault) == notes_of(fresh_compile_of(vault, tmp_path / "fresh"))


def test_a_listing_added_to_a_page_reaches_the_other_sources_related_lists(vault: Vault, tmp_path: Path) -> None:
    clip(vault, *IMPORT_PAGES)
    vault.compile()
    vault.clip("Imports Panel Settings.md", PANEL)
    vault.compile()  # the three import pages now share Import with it, as a fresh compile says
    source = (vault.wiki / "sources" / "Import Textbundle files.md").read_text(encoding="utf-8")
    assert "|Imports Panel Settings]]" in source, source
    assert notes_of(vault) == notes_of(fresh_compile_of(vault, tmp_path / "fresh"))


def test_a_listings_quote_never_keeps_a_page_whose_source_about_it_went(vault: Vault, tmp_path: Path) -> None:
    # Found by a review: the listing of "Markwhen Editor Shortcuts" quotes "The Markwhen Editor has …", a
    # name written inside a sentence, which once counted as the prose naming the concept.
    notes = {
        "Markwhen": "Markwhen is a text format for writing timelines. Markwhen files use one line per event, with "
                    "a date range and a description. Markwhen renders the timeline as a Gantt chart or a calendar "
                    "in its editor.",
        "Timelines and Markwhen": "Project plans often need a calendar view. A plain list of dates is hard to "
                                  "read once it grows. A chart that shows overlapping work helps a team plan the "
                                  "next quarter. markwhen can help here.",
        "Calendars and Markwhen": "Calendars show each day of a month in a grid. A shared calendar helps a family "
                                  "plan the week. Paper calendars still sell well in stores every December.",
        "Markwhen Editor Shortcuts": "The Markwhen Editor has keyboard shortcuts for common actions. Press Ctrl+S to "
                                     "save the timeline and Ctrl+K to open the command palette. The shortcuts can "
                                     "be changed in the settings dialog of the Markwhen Editor.",
    }
    clip_notes(vault, notes)
    vault.compile()
    (vault.raw / "Markwhen.md").unlink()
    vault.sync_raw()
    vault.compile()
    assert notes_of(vault) == notes_of(fresh_compile_of(vault, tmp_path / "fresh"))


# Josh Branchaud's TILs (development half, tests/real_pages/til-jbranchaud): Next.js' `.env` files spelled "Env",
# Ruby's `ENV` spelled so, and four notes on "env files".
ENV_NOTES = ("precedence-of-dot-env-files", "use-dotenv-in-a-non-rails-project", "load-and-use-env-var-in-node-script",
             "read-existing-dot-env-file-into-env-vars", "open-connections-to-multiple-databases",
             "run-the-development-server-from-another-port")
ENV_LATER = "avoid-accidentally-disabling-pry"  # one more note on Ruby's `ENV`


def clip_til(vault: Vault, *names: str) -> None:
    for name in names:
        vault.clip(f"{name}.md", (PAGES / "til-jbranchaud" / f"{name}.md").read_text(encoding="utf-8"))


def pages_and_mentions(vault: Vault) -> tuple[set[str], set[tuple[str, str, int, str]]]:
    """The concept pages (a page keeps the capitals it was made with), and every mention and title listing."""
    with sqlite3.connect(vault.root / ".kbd" / "state.db") as db:
        pages = {r[0].casefold() for r in db.execute("SELECT note_name FROM concepts")}
        rows = set(db.execute("SELECT sc.key, sc.name, sc.rank, s.raw_path FROM source_concepts sc "
                              "JOIN sources s ON s.id=sc.source_id"))
    return pages, rows


def test_a_page_its_sources_now_spell_otherwise_decides_as_a_fresh_compile(vault: Vault, tmp_path: Path) -> None:
    # Compiled as clipped, the page was made as *Env* (one note spelled it so, one "ENV"), and "Env file" was its
    # form, listed on it; a third note spelling "ENV" makes the sources' spelling "ENV", which a name in capitals
    # keeps: "Env file" is no form of it. The page, its forms and its title listings are decided again, as a
    # compile of all seven at once decides them (it kept *Env* and listed "Env file" under it, a page short).
    clip_til(vault, *ENV_NOTES)
    vault.compile()
    clip_til(vault, ENV_LATER)
    vault.compile()
    fresh = Vault(tmp_path / "fresh")
    clip_til(fresh, *ENV_NOTES, ENV_LATER)
    fresh.compile()
    assert pages_and_mentions(vault) == pages_and_mentions(fresh)
    assert "env file" in pages_and_mentions(vault)[0]


def test_a_title_names_a_page_by_its_name_singular_or_plural_and_an_everyday_word_where_it_leads() -> None:
    # Titles of Obsidian Help and of the clippings (bench/heldout.py's corpora), and the pages they name or not.
    named = [("Import CSV files", "Import"), ("Local and remote vaults", "Vault"), ("Plugin security", "Plugins"),
             ("Set up Obsidian Sync", "Obsidian"), ("Knowledge Graphs and AI", "Knowledge graph")]
    unnamed = [("Symbolic links and junctions", "Link"),  # a kind of link of the file system, not a note's
               ("Social media link previews", "Link"),
               ("Building Your Own Schema.org", "Build"),  # "building" shares the key, not the word
               ("en_wikipedia_org_wiki_Knowledge_graph", "Knowledge graph")]  # a file name names nothing
    for title, page in named + unnamed:
        key = concept_key(page)
        assert names_the_page(title, title_names(title), key, page) == ((title, page) in named), (title, page)
    # A name the prose writes with its capital ("written in Rust") is named by a title that writes it so.
    assert names_the_page("Rust 1.80 released", title_names("Rust 1.80 released"), "rust", "Rust", True)
    assert not names_the_page("How to remove rust from a bike", title_names("How to remove rust from a bike"),
                              "rust", "Rust", True)
    # A title in lowercase throughout says nothing by its case, so it names no such page: not a blog's "rust
    # removal tips for old tools" (found by a review), and so not Foam's command page "foam daily" either
    # (docs/user/tools/cli/daily.md of github.com/foambubble/foam), which a reader would list under Foam.
    for title, key, page in (("rust removal tips for old tools", "rust", "Rust"), ("foam daily", "foam", "Foam")):
        assert not names_the_page(title, title_names(title), key, page, True), title


def test_a_listing_gives_way_to_the_mention_an_alias_moves_onto_its_page(vault: Vault, tmp_path: Path) -> None:
    # Found by a review: "Write-ahead logging in SQLite" says only "WAL", and its title lists it on the page
    # "Write-ahead logging"; once another note defines "write-ahead logging (WAL)", its "WAL" mentions move
    # to that page, and must replace the listing, not vanish under it.
    bodies = {
        "Write-ahead logging explained": "Write-ahead logging is a technique databases use to make changes durable. "
        "With write-ahead logging, every change is first appended to a log file before the data pages are "
        "modified. If the database crashes, write-ahead logging lets it replay the log and recover.",
        "How write-ahead logging works": "In write-ahead logging, the log record describing a change must reach "
        "stable storage before the changed page does. Write-ahead logging therefore turns random writes into "
        "sequential appends. Many storage engines implement write-ahead logging in a similar way.",
        "Write-ahead logging in SQLite": "SQLite offers a WAL mode. In WAL mode, readers do not block writers and "
        "writers do not block readers. The WAL file grows until a checkpoint copies its pages back into the "
        "database file. Checkpoints in SQLite run automatically when the WAL reaches a thousand pages.",
        "Durability in databases": "Databases use write-ahead logging (WAL) to survive crashes. The WAL records each "
        "change before it is applied. After a crash, the database replays the WAL to restore a consistent state.",
    }
    durability = bodies.pop("Durability in databases")
    clip_notes(vault, bodies, twice=True)
    vault.compile()
    clip_notes(vault, {"Durability in databases": durability})
    vault.compile()
    for title in list(bodies)[:2]:
        (vault.raw / f"{title}.md").unlink()
    vault.sync_raw()
    vault.compile()
    # A fresh compile of the two notes left makes the page too (it names it "WAL", the incremental one
    # keeps the name it had: that difference is older than title listings).
    fresh = fresh_compile_of(vault, tmp_path / "fresh")
    pages = [p for p in notes_of(vault) if p.startswith("concepts/")]
    assert len(pages) == 1 and len([p for p in notes_of(fresh) if p.startswith("concepts/")]) == 1, pages
    page = notes_of(vault)[pages[0]]
    assert "|Write-ahead logging in SQLite]] — " in page or "([[wiki/sources/Write-ahead logging in SQLite|" in page, \
        page  # quoted, as a source that says it, not a bare title listing


def test_an_abbreviation_lists_the_titles_that_write_it_in_capitals(vault: Vault) -> None:
    # Found by a review: the page "PET" (positron emission tomography) listed pet-care articles.
    notes = {
        "PET imaging in oncology": "PET scans show how tissues use glucose. Oncologists use PET to stage lymphoma "
        "and lung cancer. A PET tracer such as FDG collects in active tumours. Combining PET with CT improves "
        "anatomical detail.",
        "Advances in PET detectors": "New PET detectors use silicon photomultipliers. Time-of-flight PET sharpens "
        "images and lowers dose. Total-body PET scanners image the whole body at once. Hospitals are replacing "
        "older PET systems.",
        "PET and MRI compared": "Hospitals choose between scanners by what a clinician needs to see. Soft tissue "
        "contrast favours one machine, metabolism the other. Costs differ by a factor of two.",
        "Pet insurance explained": "Insurance policies cover vet bills after an excess. Lifetime cover renews every "
        "year for chronic conditions. Older animals cost more to insure.",
    }
    clip_notes(vault, notes, twice=True)
    vault.compile()
    page = (vault.wiki / "concepts" / "PET.md").read_text(encoding="utf-8")
    assert "|PET and MRI compared]]" in page, page
    assert "Pet insurance" not in page, page

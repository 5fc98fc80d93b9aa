"""A phrase of everyday words is a name only where some source marks it as one (issue 23: "every
concept page a reader opens is worth opening"): links to it, emphasises it, or writes it in its title or a
heading. "The link destination", "a web page", "the property name" are descriptions.

The pages are whole pages of Obsidian Help (development half of bench/heldout.py), copied unchanged
into tests/real_pages/ (README there): *Internal links*, *Embed files* and *Aliases* each say "link
destination" in passing; *Page preview* links two of its names.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kbd.compile.concepts import _names_it, is_a_passing_description, is_marked, why_no_page
from kbd.compile.titled import TITLE_RANK
from kbd.engines import commonness
from kbd.engines.base import PAGE_RANK, SourceInput, phrase_tokens
from kbd.engines.commonness import is_everyday_phrase
from kbd.engines.offline import OfflineEngine
from kbd.migrations import MIGRATIONS
from kbd.state import State
from kbd.vault.markdown import parse_markdown
from tests.conftest import Vault
from tests.test_concept_evidence import compile_real_pages
from tests.test_lint import lint

PAGES = Path(__file__).parent / "real_pages"
LINKING = ("Internal links", "Embed files", "Aliases")


def clip(vault: Vault, *titles: str) -> None:
    vault.no_image_downloads()  # *Embed files* embeds an image of publish.obsidian.md
    for title in titles:
        vault.clip(f"{title}.md", (PAGES / f"{title}.md").read_text(encoding="utf-8"))


def concept_pages(vault: Vault) -> set[str]:
    return {p.stem for p in (vault.wiki / "concepts").glob("*.md")}


def test_a_page_marks_what_it_links_and_emphasises() -> None:
    document = parse_markdown("Enable [[Page preview]] or [the core plugin](https://help.obsidian.md/x) to see "
                              "**Reading view** and *Live Preview* ([[Help/Web page#Definition]]), not the link "
                              "destination.")
    assert document.marked == ["Page preview", "the core plugin", "Reading view", "Live Preview", "Definition",
                               "Web page"]


def test_a_page_marks_what_it_highlights() -> None:
    # Obsidian Help, `en/Obsidian Sync/Plans and storage limits.md` (development half), a line verbatim: Obsidian's
    # highlight, which the Web Clipper's highlighter writes too, marks as emphasis does (a review's case: a phrase
    # the user highlighted counted as an aside). An equality in prose or code is no highlight.
    line = ("1. If you don’t see **Vault size over limit**, it means ==you haven’t hit the size limit== yet. "
            "Check that `a == b` holds, or that x == y.")
    assert parse_markdown(line).marked == ["Vault size over limit", "you haven’t hit the size limit"]


def test_a_concept_says_whether_its_source_marks_it() -> None:
    body = (PAGES / "Internal links.md").read_text(encoding="utf-8").split("---", 2)[2]
    summary = OfflineEngine().summarize_source(SourceInput(title="Internal links", document=parse_markdown(body)))
    marked = {c.name: c.marked for c in summary.concepts}
    assert marked["Markdown format"] is True, marked  # "**Markdown format**:" over its example
    assert marked["Link destination"] is False, marked  # "as the link destination": words, not a mark
    # *Page preview* links two of its names ([[File explorer]], [[core plugin|Core plugins]]): too few to
    # say anything by leaving the others plain.
    body = (PAGES / "Page preview.md").read_text(encoding="utf-8").split("---", 2)[2]
    summary = OfflineEngine().summarize_source(SourceInput(title="Page preview", document=parse_markdown(body)))
    assert all(c.marked for c in summary.concepts), [(c.name, c.marked) for c in summary.concepts]


def test_a_phrase_of_everyday_words_no_source_marks_gets_no_page(vault: Vault) -> None:
    clip(vault, *LINKING)
    vault.compile()
    pages = concept_pages(vault)
    assert "Link destination" not in pages, pages
    assert "Internal link" in pages, pages  # everyday words too, but a title's name, linked from the others


def test_only_phrases_of_everyday_words_need_a_mark() -> None:
    assert is_everyday_phrase("Link destination")
    assert is_everyday_phrase("Web page")
    assert not is_everyday_phrase("Write-ahead log")  # a hyphenated modifier: a term
    assert not is_everyday_phrase("Pittsburgh Sleep Quality Index")
    assert not is_everyday_phrase("Obsidian Sync")  # a rare word names the thing
    assert not is_everyday_phrase("Page")  # one word: the title rule decides (kbd/compile/concepts.py)
    assert not is_everyday_phrase("Python 3")


def test_a_page_that_marks_none_of_its_names_leaves_none_plain() -> None:
    # Anki's *Display issues on Linux* (README there) emphasises no name of its own, so its "graphics driver" is as
    # good a name as any of it: among its strongest, not pushed behind them as an unmarked description.
    body = (PAGES / "anki" / "platform" / "linux" / "display-issues.md").read_text(encoding="utf-8")
    summary = OfflineEngine().summarize_source(SourceInput(title="Display Issues on Linux",
                                                           document=parse_markdown(body)))
    strongest = {c.name: c.marked for c in summary.concepts[:PAGE_RANK]}
    assert strongest.get("Graphics driver") is True, strongest


def test_a_renamed_clipping_marks_by_its_new_title(vault: Vault, tmp_path: Path) -> None:
    # *Web viewer* says "web page" and marks it nowhere; *Clip web pages*, titled by its file name, marks it
    # there only: renamed, its summary stays, but its title no longer names the page.
    clip(vault, "Web viewer", "Clip web pages")
    vault.compile()
    assert "Web page" in concept_pages(vault)
    (vault.raw / "Clip web pages.md").rename(vault.raw / "Web Clipper howto.md")
    vault.sync_raw()
    vault.compile()
    assert "Web page" not in concept_pages(vault)
    fresh = Vault(tmp_path / "fresh")
    for path in sorted(vault.raw.rglob("*.md")):
        fresh.clip(path.relative_to(vault.raw).as_posix(), path.read_bytes())
    fresh.compile()
    assert concept_pages(fresh) == concept_pages(vault)


def test_lint_offers_no_page_for_a_phrase_compiling_refuses(vault: Vault) -> None:
    # Three help pages say "web page"; none links, emphasises or heads a section with it. *Web viewer* marks
    # fewer than three names of its own, so the plain phrase is among its strongest (rank 2) all the same.
    clip(vault, "Web viewer", "Settings", "Glossary")
    vault.compile()
    assert "Web page" not in concept_pages(vault)
    with sqlite3.connect(vault.root / ".kbd" / "state.db") as db:
        assert db.execute("SELECT MIN(rank), MAX(marked) FROM source_concepts WHERE key='web page'").fetchone() \
            == (2, 0)
    report = lint(vault)
    assert [f.message for f in report.findings if f.check == "unlinked_names"] == []


COLUMNS = ("marked", "once", "shown")  # as the migrations add them


@pytest.mark.parametrize(("column", "default"), [("marked", 1), ("once", 0), ("shown", 1)])
def test_a_vault_compiled_before_marks_keeps_its_pages(vault: Vault, column: str, default: int) -> None:
    clip(vault, *LINKING)
    vault.compile()
    pages = concept_pages(vault)
    # As a kbd before the column left it: its schema short of that migration and of those after it, every
    # page due to be looked at again.
    added = next(i for i, m in enumerate(MIGRATIONS) if f"ADD COLUMN {column} " in m)
    db = sqlite3.connect(vault.root / ".kbd" / "state.db")
    with db:
        db.execute("ALTER TABLE concepts DROP COLUMN form_name")  # the migration after them
        for dropped in reversed(COLUMNS[COLUMNS.index(column):]):
            db.execute(f"ALTER TABLE source_concepts DROP COLUMN {dropped}")
        db.execute("INSERT OR IGNORE INTO dirty(note) SELECT 'concept:' || key FROM concepts")
        db.execute(f"PRAGMA user_version={added}")
    db.close()
    vault.compile()
    assert concept_pages(vault) == pages
    with sqlite3.connect(vault.root / ".kbd" / "state.db") as db:
        # Rows of summaries made before count as marked, as said more than once and as shown, until their engine
        # redoes them (`kbd compile --redo`).
        assert {r[0] for r in db.execute(f"SELECT {column} FROM source_concepts")} == {default}


HANDY_WAY = ("restarting-sequences-when-truncating-tables", "build-a-hash-of-model-attributes",
             "cast-common-boolean-like-values-to-booleans", "specify-new-attributes-for-find-or-create-by",
             "skip-the-front-of-an-array-with-drop")


def test_an_aside_every_note_makes_once_gets_no_page(vault: Vault) -> None:
    # Five TILs (tests/real_pages/til-jbranchaud, development half) each call something "a handy way" in one
    # sentence ("PostgreSQL's truncate feature is a handy way to clear out all the data from a table"). A TIL
    # marks none of its names, so each counts as marked and the phrase rule above never bit: a page *Handy way*
    # quoting five asides (twelve notes on the test half), the only page these five made.
    pages = compile_real_pages(vault, "til-jbranchaud", HANDY_WAY)
    assert "Handy way" not in pages, pages


def test_a_phrase_a_note_comes_back_to_keeps_its_page(vault: Vault) -> None:
    # "Feature branch" in passing, once in each of two TILs, is an aside; a third TIL says it in two sentences
    # ("I'm on a short-lived feature branch…", "…at multiple points on this feature branch…"): a name.
    pages = compile_real_pages(vault, "til-jbranchaud", ("checkout-previous-branch",
                                                         "grep-for-a-pattern-on-another-branch"))
    assert "Feature branch" not in pages, pages
    pages = compile_real_pages(vault, "til-jbranchaud", ("undo-latest-changes-committed-to-specific-file",))
    assert "Feature branch" in pages, pages


def test_a_phrase_notes_that_mark_their_names_leave_plain_is_a_description(vault: Vault) -> None:
    # Four of Willison's TILs on Fly (test half) say "Fly application" once each. Three link or mark names of
    # their own and leave it plain ("…create a brand new Fly application…"); the fourth marks too few names to
    # tell, so the engine counts all of its names as marked, and that fallback alone made a page *Fly application*
    # of four asides beside *Fly*.
    pages = compile_real_pages(vault, "til/fly", ("django-sql-dashboard", "fly-logs-to-s3", "varnish-on-fly",
                                                  "wildcard-dns-ssl"))
    assert "Fly application" not in pages, pages
    state = State(vault.root / ".kbd" / "state.db")
    rows = state.db.execute("SELECT marked, shown FROM source_concepts WHERE key='fly application'").fetchall()
    assert sorted(map(tuple, rows)) == [(0, 0), (0, 0), (0, 0), (1, 0)]  # three left plain, one fallback
    assert not is_marked(state, "fly application", "Fly application")
    # Rows of a kbd from before `shown` (its default 1) count as marked wherever `marked` says so, as they did.
    state.db.execute("UPDATE source_concepts SET shown=1")
    assert is_marked(state, "fly application", "Fly application")


def test_without_word_frequencies_a_fallback_mark_still_counts(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without `wordfreq` every two plain words are everyday, "Isaac Newton" as much as "blog posts" (a review's
    # case: 59 pages of six corpora went): the plain notes are no evidence then.
    compile_real_pages(vault, "til/fly", ("django-sql-dashboard", "fly-logs-to-s3", "varnish-on-fly",
                                          "wildcard-dns-ssl"))
    state = State(vault.root / ".kbd" / "state.db")
    try:
        monkeypatch.setattr(commonness, "zipf_frequency", None)
        assert is_marked(state, "fly application", "Fly application")
    finally:
        monkeypatch.undo()


TEST_SUITE = ("run-scheduled-action-to-commit-regular-updates", "npm-run-has-some-typo-aliases",
              "preserve-color-output-for-task-command", "find-or-create-a-record-with-factory-bot",
              "configure-tests-to-run-in-random-order", "find-minimal-set-of-tests-causing-a-flicker",
              "use-specific-cache-store-in-a-single-test", "rerun-only-failures-with-rspec")


def test_a_phrase_more_notes_mark_than_leave_plain_keeps_its_page(vault: Vault) -> None:
    # Eight of Branchaud's TILs (development half) say "test suite": six mark too few names to tell, two link
    # theirs and leave it plain. One such note must not take away a page many notes make (a review's case: adding
    # the GitHub Actions note to the others retired *Test suite*).
    pages = compile_real_pages(vault, "til-jbranchaud", TEST_SUITE)
    assert "Test suite" in pages, pages
    rows = State(vault.root / ".kbd" / "state.db").db.execute(
        "SELECT marked, shown FROM source_concepts WHERE key='test suit' AND rank < ?", (TITLE_RANK,)).fetchall()
    assert sorted(map(tuple, rows)) == [(0, 0), (0, 0)] + [(1, 0)] * 6


def test_a_phrase_a_note_capitalises_or_quotes_is_a_name(vault: Vault) -> None:
    # Two Postgres TILs (development half) say "insert statement" once each; one writes it as a name, "an `INSERT`
    # statement" (the other: "one large insert statement").
    pages = compile_real_pages(vault, "til-jbranchaud", ("insert-just-the-defaults",
                                                         "batch-insert-records-with-create-many"))
    assert "INSERT statement" in pages, pages
    insert_statement = phrase_tokens("insert statement")
    assert _names_it("If you are constructing an INSERT statement for a table whose required columns…",
                     insert_statement)
    assert not _names_it("This will perform one large insert statement which will generally be faster…",
                         insert_statement)
    assert not _names_it("Insert statements are slow.", insert_statement)  # a sentence's own capital
    # Joplin's help (development half) quotes a label of its settings, the one time it says the phrase; single
    # and other quotation marks quote too (a review's cases), an apostrophe does not.
    banner = phrase_tokens("note banner")
    assert _names_it('To do so, open your Profile page and go to the "Published note banner" section:', banner)
    for quoted in ("go to the ‘Published note banner’ section", "go to the 'note banner' section",
                   "go to the «note banner» section", "go to the „note banner“ section"):
        assert _names_it(quoted, banner), quoted
    assert not _names_it("Joplin's note banner isn't shown", banner)
    assert not _names_it("1. Insert statements are slow.", insert_statement)  # a list's number starts no sentence


def test_a_phrase_a_note_emphasises_keeps_its_page(vault: Vault) -> None:
    # Two TILs (development half) say "process id" once each; one emphasises it, "their `pid` (_process id_)": a
    # name the page marks, though a TIL marks too few names for `marked` to tell (a review's case: a user's bold,
    # link or heading must keep the page).
    pages = compile_real_pages(vault, "til-jbranchaud", ("list-parent-pid-with-ps", "get-the-pid-of-the-session"))
    assert "Process id" in pages, pages


def test_without_word_frequencies_no_phrase_is_taken_for_an_aside(vault: Vault,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Without `wordfreq` every plain word counts as everyday, "pgcrypto extension" as much as "handy way" (a
    # review's case): the rule is not trusted then.
    compile_real_pages(vault, "til-jbranchaud", HANDY_WAY)
    state = State(vault.root / ".kbd" / "state.db")
    assert is_a_passing_description(state, "handy way", "Handy way")
    try:
        monkeypatch.setattr(commonness, "zipf_frequency", None)
        commonness.is_everyday_noun.cache_clear()
        assert not is_a_passing_description(state, "handy way", "Handy way")
    finally:
        monkeypatch.undo()
        commonness.is_everyday_noun.cache_clear()  # its answers without word frequencies must not outlive the test


def test_lint_offers_no_page_for_an_aside(vault: Vault) -> None:
    # The five TILs that say "a handy way" once each: a ticked "create a page" would be refused by the compile, and
    # offered again at every lint (a review's case).
    compile_real_pages(vault, "til-jbranchaud", HANDY_WAY)
    offered = [f.message for f in lint(vault).findings if f.check == "unlinked_names"]
    assert not [m for m in offered if "Handy way" in m], offered


def test_a_page_the_rules_retire_is_named_in_the_log_and_the_compile_output(vault: Vault) -> None:
    # The third TIL on a feature branch goes: the two left say it in passing, and *Feature branch* is retired. Links
    # to it in the user's notes no longer resolve, so the compile says so and log.md names the page (a review's
    # case: an upgrade's `kbd compile --redo` retired 60 pages without a word).
    compile_real_pages(vault, "til-jbranchaud", ("checkout-previous-branch", "grep-for-a-pattern-on-another-branch",
                                                 "undo-latest-changes-committed-to-specific-file"))
    assert "Feature branch" in concept_pages(vault)
    before = concept_pages(vault)
    (vault.raw / "undo-latest-changes-committed-to-specific-file.md").unlink()
    vault.sync_raw()
    result = vault.kbd("compile", ".")
    retired = before - concept_pages(vault)
    assert "Feature branch" in retired
    assert f"retired {len(retired)} concept pages (see wiki/log.md)" in result.stdout, result.stdout
    log = (vault.wiki / "log.md").read_text(encoding="utf-8")
    assert all(f"retire | {page}" in log for page in retired) and "links to it no longer resolve" in log, log


GIT_COMMANDS = ("run-a-git-command-from-outside-the-repo", "list-most-git-commands", "intent-to-add",
                "set-default-branch-name-for-new-repos", "open-an-integrated-terminal-window", "dry-runs-in-git",
                "caching-credentials", "delete-all-untracked-files", "override-the-global-git-ignore-file")


def test_lint_offers_no_page_any_rule_of_the_compile_refuses(vault: Vault) -> None:
    # Nine TILs on git (development half): "git commands" and "a git repository" are Git's, whose page lists their
    # notes (kbd/compile/titled.py). `kbd lint` offered a page for each, which the compile then refused (a second
    # review: half the create-page boxes of an 843-note vault failed when ticked).
    pages = compile_real_pages(vault, "til-jbranchaud", GIT_COMMANDS)
    assert "Git" in pages and not pages & {"Git commands", "Git repository"}, pages
    offered = [f.message for f in lint(vault).findings if f.check == "unlinked_names"]
    assert not [m for m in offered if "“Git commands”" in m or "“Git repository”" in m], offered
    state = State(vault.root / ".kbd" / "state.db")
    assert why_no_page(state, "git command", "Git commands") == "one of a page's everyday belongings"


def test_a_first_compile_retires_nothing(vault: Vault) -> None:
    # A page made and retired in one pass (a longer name's page decides a shorter one's) was never there: the
    # tests' TILs, compiled at once, logged five retired pages before.
    names = tuple(sorted(p.stem for p in (PAGES / "til-jbranchaud").glob("*.md")))
    compile_real_pages(vault, "til-jbranchaud", names)
    assert "retire | " not in (vault.wiki / "log.md").read_text(encoding="utf-8")

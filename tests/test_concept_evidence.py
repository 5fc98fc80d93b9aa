"""Which names become concepts, decided by how the article uses them (issue 23, point 1).

Every text below is a real page or a verbatim extract of one, from the development halves:
- [POP] Obsidian Help (github.com/obsidianmd/obsidian-help, `en/User interface/Pop-out windows.md`),
  the whole page, in tests/real_pages/.
- [ROAM] Obsidian Help, `en/Import notes/Import from Roam Research.md`, the whole page, in tests/real_pages/.
- [DOCS] Obsidian Help, four whole pages in tests/real_pages/: "Drag and drop", "Attachments",
  "Create a base", "Introduction to Bases".
- [NARR] Kurt Cagle, "Narrative Models vs. Conceptual Models" (The Ontologist), as clipped in the
  public Obsidian vault github.com/alec-stealthea/Obsidian (`Clippings/The Ontologist/`): three of
  its paragraphs, verbatim.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import frontmatter

from kbd.compile.concepts import (
    TASK_VERBS_META,
    look_again_at_titles_of_changed_task_verbs,
    task_verbs,
    title_before_its_site,
)
from kbd.compile.titled import is_a_form_of
from kbd.engines.base import SourceInput, SourceSummary
from kbd.engines.offline import OfflineEngine
from kbd.engines.title_words import is_a_task_title, not_its_topic, opens_as_a_task, task_verb
from kbd.state import State
from kbd.vault.markdown import parse_markdown
from kbd.vault.note import ClipperMeta
from tests.conftest import Vault

PAGES = Path(__file__).parent / "real_pages"

# [NARR], paragraphs 3, 6 and 12 of the clipping.
NARRATIVE_MODELS = (
    "Most data representations are ultimately acyclic graphs. Relational databases are conventionally acyclic - "
    "while it is possible to create a circular reference in a relational database, most such databases will "
    "actively throw an error if one is detected, because a processor can easily end up in an infinite loop if it "
    "encounters one. Most object models are trees, with XML and JSON (and other similar formats such as YAML) "
    "being representations of such graphs in different notations. RDF is a cyclic graph that is usually acyclic, "
    "but it doesn’t have to be. This is important, because it implies that you can represent all acyclic graphs "
    "using RDF, but also most cyclic graphs if you’re creative about how you manage iteration.\n\n"
    "In declarative models, a node representing an entity has both properties (characteristics that **define** "
    "that entity) and inbound context **references**, that talk _about_ the entity in some way. For instance, in "
    "a database, the row identifier in a given table - its **primary key** , typically holds information that "
    "give table characteristics for that row (it’s properties), while a **foreign key** is a reference to that "
    "primary key. An **attribute** is a value for a given property that contains a literal value - a string, a "
    "number, a date, etc.\n\n"
    "Semantic models such as RDF place the relationship (the predicate) between the object and the subject (such "
    "as “has gender”. However, this is mainly a historical convention rather than any explicit mathematical "
    "requirement, largely because such expressions somewhat mirror subject verb object relationships. However, "
    "in the vast number of cases, the determining factor for the relationship can be thought of as the "
    "following:\n")


def summarise(body: str, title: str, description: str | None = None) -> SourceSummary:
    meta = ClipperMeta(title=title, description=description)
    return OfflineEngine().summarize_source(SourceInput(title, parse_markdown(body), meta))


def page(name: str) -> SourceSummary:
    post = frontmatter.loads((PAGES / f"{name}.md").read_text(encoding="utf-8"))
    return summarise(post.content, name, post.get("description"))


def names(summary: SourceSummary) -> set[str]:
    return {c.name for c in summary.concepts}


def compile_real_pages(vault: Vault, folder: str, names: tuple[str, ...]) -> set[str]:
    """Clip these whole notes of tests/real_pages/<folder>, compile, and give the concept pages' names."""
    for name in names:
        vault.clip(f"{name}.md", (PAGES / folder / f"{name}.md").read_text(encoding="utf-8"))
    vault.compile()
    return {p.stem for p in (vault.wiki / "concepts").glob("*.md")}


def test_a_verb_with_its_object_is_never_a_concept() -> None:
    found = names(page("Pop-out windows"))  # "right-click a note", "Right-click a tab", "right-click a link"
    assert "Right-click" not in found
    assert {"Pop-out windows", "Command palette", "File explorer"} <= found


def test_an_everyday_word_that_heads_different_names_is_not_a_concept_of_its_own() -> None:
    # "pop-out windows", "vault window", "destination window": three things, none of them "Window".
    assert "Window" not in names(page("Pop-out windows"))
    # "object models", "declarative models", "semantic models", and a title naming two more kinds.
    found = names(summarise(NARRATIVE_MODELS, "Narrative Models vs. Conceptual Models"))
    assert not {"Model", "Models"} & found
    assert {"RDF", "Object models"} <= found


def test_a_vague_modifier_before_a_proper_name_is_not_part_of_the_name() -> None:
    found = names(page("Import from Roam Research"))  # "You will need the official Obsidian Importer plugin"
    assert not {n for n in found if n.startswith("official")}, found
    assert "Obsidian Importer plugin" in found or "Importer plugin" in found


def test_an_everyday_word_gets_a_page_only_where_a_title_names_it(vault: Vault) -> None:
    # Two short pages that repeat "file" ("Drag tabs", "Add an attachment") and are about something else;
    # two pages on bases, one titled "Create a new base".
    for name in ("Drag and drop", "Attachments", "Create a base", "Introduction to Bases"):
        vault.clip(f"{name}.md", (PAGES / f"{name}.md").read_text(encoding="utf-8"))
    vault.compile()
    pages = {p.stem for p in (vault.wiki / "concepts").glob("*.md")}
    assert "File" not in pages and "Files" not in pages, pages
    assert "Base" in pages or "Bases" in pages, pages


def test_a_fairly_common_word_the_sources_write_in_lowercase_needs_a_title_too(vault: Vault) -> None:
    # Three TILs (tests/real_pages/til, development half) say "token": OAuth's access tokens, a model's 15038
    # tokens, a setup wizard's token. Rarer than the everyday words ("token" has a Zipf frequency of 3.8), it
    # made a page *Token* that merged the three; no title names it. "Playwright" (3.4) is written with its
    # capital inside the sentences of two others, as a name is: it keeps its page.
    vault.no_image_downloads()
    for name in ("google-oauth-cli-application", "larger-context-openai-models-llm", "openclaw-docker",
                 "playwright-mcp-claude-code", "testing-electron-playwright"):
        vault.clip(f"{name}.md", (PAGES / "til" / f"{name}.md").read_text(encoding="utf-8"))
    vault.compile()
    pages = {p.stem for p in (vault.wiki / "concepts").glob("*.md")}
    assert "Token" not in pages and "Tokens" not in pages, pages
    assert "Playwright" in pages, pages


def test_an_everyday_word_a_task_title_acts_on_is_not_the_pages_topic(vault: Vault) -> None:
    # Three TILs (tests/real_pages/til-jbranchaud, development half): "Replace A Character" is about Vim's `r`
    # command, the others say "character" in passing. The title named the word on its own, so a page
    # *Characters* merged a Vim keystroke, Postgres identifiers and text width; titles written as tasks or
    # questions made 44 such pages of 936 notes (*Run*, *Query*, *Script*).
    for name in ("replace-a-character", "max-identifier-length-is-63-bytes", "format-long-lines-to-text-width"):
        vault.clip(f"{name}.md", (PAGES / "til-jbranchaud" / f"{name}.md").read_text(encoding="utf-8"))
    vault.compile()
    pages = {p.stem for p in (vault.wiki / "concepts").glob("*.md")}
    assert not pages & {"Character", "Characters"}, pages


def test_a_title_with_an_article_is_a_task_and_a_name_is_not() -> None:
    for title in ("Replace A Character", "Check If A File Has Changed In A Script", "Who Are My Ancestors?",
                  "Create a base"):
        assert is_a_task_title(title), title
    for title in ("Introduction to Bases", "ITS Theme", "Sleep and depression", "Default Rails Deploy Script",
                  "Deck Options", "Running and walking"):
        assert not is_a_task_title(title), title
    # Found by a review: a title that opens with a word that is a noun too, or with a verb's other forms, is a
    # name ("Computed Property Names In ES6", "Lag window function in SQLite", "Test Coverage Stats With Jest":
    # real TIL titles; "Notes on Memory", "Study Guide: Memory": the review's).
    for title in ("Computed Property Names In ES6", "Lag window function in SQLite", "Read Only Input Elements",
                  "Test Coverage Stats With Jest", "Notes on Memory", "Study Guide: Memory", "Changes in Memory"):
        assert not is_a_task_title(title), title


def test_a_title_that_opens_with_a_verb_is_a_task() -> None:
    # Simon Willison's TILs (development half): "files" in these titles is what the task acts on; with
    # "Piping echo to a file…" and "Saving an in-memory SQLite database to a file…" they made a page *File*
    # of 17 notes.
    for title in ("Show files opened by pytest tests", 'Using psutil to investigate "Too many open files"',
                  "Manage vaults"):
        assert is_a_task_title(title), title


def test_a_title_that_opens_with_a_word_and_its_particle_or_quantifier_is_a_task() -> None:
    # Josh Branchaud's TILs (development and test halves): these titles gave *Union*, *Undo*, *File* and *Clean*
    # pages of notes that act on the word.
    for title in ("Union All Rows Including Duplicates", "Undo Some Command Line Editing",
                  "Turn Off Display Of Tabs For Files", "Print Out Files In Reverse",
                  "Clean Out Working Copy With Patched Restore"):
        assert is_a_task_title(title), title
    # A quantifier that opens a title, or a noun before a preposition, makes no verb (the first two: a hostile
    # review's titles of health articles).
    for title in ("All About Sleep", "Several Myths About Sleep", "Three Body Problem", "Notes on Memory",
                  "Changes in Memory", "Sleep and depression"):
        assert not is_a_task_title(title), title


def test_what_a_title_counts_or_says_of_its_subject_is_not_its_topic() -> None:
    # Branchaud's TILs: "List All Commits Where File Was Added Or Deleted" and "List All Files Changed Between Two
    # Branches" made *Commit* and *Branch* topics; "New Dates Can Take Out Of Bounds Values" and "Numbers Are
    # Empty" made *Bounds* and *Empty*.
    assert "commit" in not_its_topic("List All Commits Where File Was Added Or Deleted")
    assert {"file", "branch"} <= not_its_topic("List All Files Changed Between Two Branches")
    assert "bound" in not_its_topic("New Dates Can Take Out Of Bounds Values")
    assert "empty" in not_its_topic("Numbers Are Empty")
    # A claim is about its subject, and a question about what it asks of (a review's "Sleep Can Be Improved At
    # Any Age"; SilverBullet's "Where schemas are used"; "What is a vault?").
    assert "sleep" not in not_its_topic("Sleep Can Be Improved At Any Age")
    assert "sleep" not in not_its_topic("Several Myths About Sleep")
    assert not not_its_topic("Where schemas are used") and not not_its_topic("What is a vault?")


def test_two_verbs_joined_by_and_open_a_task() -> None:
    # Real titles: "Format" of the first (Branchaud's test half) made *Format*, a page of 17 notes that format
    # things; "Count" of the second (development half) made *Count*. The rest are of the development halves of
    # Branchaud's TILs, Foam and Willison's TILs.
    for title in ("Format And Display Small Amounts Of Columnar Data", "List And Count All Posts In TIL Repo",
                  "Find And Follow Server Logs", "Seeding And Generating Random Integers", "Search and Navigate Notes",
                  "Search and replace with regular expressions in VS Code"):
        assert is_a_task_title(title), title
    # Two names joined by "and" stay names (Obsidian Help's page titles, development half).
    for title in ("Sync settings and selective syncing", "Views and editing mode", "Drag and drop",
                  "Sleep and depression"):
        assert not is_a_task_title(title), title


def test_an_article_after_of_is_no_task() -> None:
    # "Anatomy of a plugin" (Obsidian's developer docs) is about plugins; "PID Of The Current Shell" and "Naming Of
    # The Vercel Config File" (Branchaud's TILs) are about what they name. All of development halves.
    for title in ("Anatomy of a plugin", "PID Of The Current Shell", "Naming Of The Vercel Config File"):
        assert not is_a_task_title(title), title
    assert is_a_task_title("Switch Versions of a Brew Formula")  # the article after a verb's object


def test_another_counts_an_instance_but_a_claims_subject_is_its_topic() -> None:
    # Branchaud's TILs, development half: "another" counts one more branch, table, port; in "String Contains
    # Another String" the first "String" is the claim's subject.
    assert "branch" in not_its_topic("Grep For A Pattern On Another Branch")
    assert "port" in not_its_topic("Run The Development Server From Another Port")
    assert "string" not in not_its_topic("String Contains Another String")


def test_an_everyday_word_needs_most_of_its_titles_about_it(vault: Vault) -> None:
    # Eight TILs on strings (tests/real_pages/til-jbranchaud, development half): seven titles act on a string
    # ("Parse A String Into Individual Fields", "Join A List Of Strings"), one claim is about strings ("String
    # Contains Another String"). One title about the word among seven tasks is no sign the notes are: no page
    # *String* (on the development half also *Load*; on the test half *String* again, 14 notes).
    pages = compile_real_pages(vault, "til-jbranchaud", (
        "compute-md5-digest-of-a-string", "include-captures-with-string-split", "parse-a-string-into-individual-fields",
        "string-contains-another-string", "trim-leading-and-trailing-space-from-string",
        "two-ways-to-escape-a-quote-in-a-string", "join-a-list-of-strings", "create-a-map-of-strings"))
    assert not pages & {"String", "Strings"}, pages


def test_an_article_alone_is_no_sure_task_for_the_count_of_titles(vault: Vault) -> None:
    # A review's five clippings on sleep (tests/review_cases/sleep): four titles have an article or a possessive
    # ("The Truth About Sleep", "Caffeine and Your Sleep"), which makes them no title of a page about the word,
    # but none opens as a task; counted as tasks they took *Sleep* away.
    for title in ("The Truth About Sleep", "Sleep: A Beginner's Guide", "Caffeine and Your Sleep",
                  "How Exercise Affects Your Sleep", "Yet Another Sleep Tracker"):
        assert not opens_as_a_task(title), title
    for name in sorted((Path(__file__).parent / "review_cases" / "sleep").glob("*.md")):
        vault.clip(name.name, name.read_text(encoding="utf-8"))
    vault.compile()
    assert (vault.wiki / "concepts" / "Sleep.md").exists()


def test_an_everyday_word_half_its_titles_are_about_keeps_its_page(vault: Vault) -> None:
    # Four pages of Obsidian's developer docs (tests/real_pages/obsidian-developer-docs, development half): two
    # titles are tasks ("Build a plugin", "Release your plugin with GitHub Actions"), two are about plugins
    # ("Anatomy of a plugin", "Submission requirements for plugins").
    pages = compile_real_pages(vault, "obsidian-developer-docs", (
        "Anatomy of a plugin", "Build a plugin", "Release your plugin with GitHub Actions",
        "Submission requirements for plugins"))
    assert pages & {"Plugin", "Plugins"}, pages


def test_a_word_most_quotes_write_in_lowercase_is_no_name_for_task_titles(vault: Vault) -> None:
    # Seven TILs on dates (tests/real_pages/til-jbranchaud, development half), all titled as tasks or claims
    # ("Day Of Week For A Date", "ISO-8601 Formatted Dates Are Interpreted As UTC"). Two quotes write JavaScript's
    # and Ruby's `Date` class ("The new Date() constructor", "the given Date object"), five write "date": the
    # word is no name, so the task titles do not make it their topic (with the rest of the half: *Date*, *Path*,
    # *Pattern*, *Database*; on the test half *Array* and *Index*).
    pages = compile_real_pages(vault, "til-jbranchaud", (
        "convert-seconds-to-date-object", "iso-8601-formatted-dates-are-interpreted-as-utc",
        "day-of-week-by-name-for-a-date", "day-of-week-for-a-date", "shift-the-month-on-a-date-object",
        "print-datetime-represented-by-unix-timestamp", "print-the-current-date-in-human-readable-format"))
    assert not pages & {"Date", "Dates"}, pages


def test_a_form_word_alone_needs_a_title_of_its_own(vault: Vault) -> None:
    # Four of Simon Willison's TILs (tests/real_pages/til, development half) on writing documentation: each has
    # "documentation" as its strongest name, as notes of every kind have "file" or "code"; a page *Documentation*
    # merged Sphinx, Read the Docs and a model's prompt. No title is the word alone (a docs page "Server" is).
    vault.no_image_downloads()
    pages = compile_real_pages(vault, "til", (
        "docs-from-tests", "documentation-seo-canonical", "literalinclude-with-markers", "sphinx-autodoc"))
    assert not pages & {"Documentation", "Docs"}, pages


TMUX_SESSIONS = ("change-base-directory-of-existing-session", "change-base-directory-without-detaching",
                 "create-a-named-tmux-session", "kill-the-current-session", "open-new-window-with-a-specific-directory",
                 "set-environment-variables-when-creating-session", "set-up-forwarding-prefix-for-nested-session")
TMUX = ("change-the-default-prefix-key", "show-the-current-value-for-an-option")


def test_a_name_with_a_lowercase_form_word_after_it_is_the_names_page(vault: Vault) -> None:
    # Nine TILs on tmux (tests/real_pages/til-jbranchaud, development half). Seven made a page *Tmux session*
    # beside *Tmux*; the seven are tmux's: its page lists them, "Kill The Current Session" too, which names tmux
    # only so. tmux is written in lowercase, and English has no such word, so "tmux session" is tmux's in every
    # note that says it: the notes on sessions alone make *Tmux*, no *Tmux session*.
    pages = compile_real_pages(vault, "til-jbranchaud", TMUX_SESSIONS)
    assert "Tmux" in pages and not pages & {"Tmux session", "Tmux sessions"}, pages
    pages = compile_real_pages(vault, "til-jbranchaud", TMUX)
    assert "Tmux" in pages and not pages & {"Tmux session", "Tmux sessions"}, pages
    tmux = (vault.wiki / "concepts" / "Tmux.md").read_text(encoding="utf-8")
    assert "## What the sources say (9)" in tmux and "[[wiki/sources/Kill The Current Session|" in tmux, tmux


def test_a_names_commands_in_the_plural_are_the_names_page(vault: Vault) -> None:
    # Nine TILs on git (tests/real_pages/til-jbranchaud, development half): "List Most Git Commands", "run the
    # following git command", "Run A Git Command From Outside The Repo" made a page *Git commands* beside *Git*
    # (on the test half too, 8 notes). What git is run as, in the plural too, is git's: its page lists them.
    pages = compile_real_pages(vault, "til-jbranchaud", (
        "run-a-git-command-from-outside-the-repo", "list-most-git-commands", "intent-to-add",
        "set-default-branch-name-for-new-repos", "open-an-integrated-terminal-window", "dry-runs-in-git",
        "caching-credentials", "delete-all-untracked-files", "override-the-global-git-ignore-file"))
    assert "Git" in pages and not pages & {"Git commands", "Git command"}, pages
    git = (vault.wiki / "concepts" / "Git.md").read_text(encoding="utf-8")
    assert "[[wiki/sources/List Most Git Commands|" in git and "[[wiki/sources/Run A Git Command From" in git, git
    # A note that says only "various git commands" is git's too, as one that says "a git command" is.
    assert "[[wiki/sources/Open An Integrated Terminal Window|" in git, git


def test_a_form_is_spelled_as_its_names_page() -> None:
    # Branchaud's TILs (development half): *ENV* is Ruby's ENV, "Load A Dot Env File In Node" a .env file of its
    # own (a review's case); *Joplin Server* is a product; "Messaging app" meets *Message* by its stem only.
    assert is_a_form_of("tmux session", "Tmux") and is_a_form_of("Git log command", "Git log")
    assert not is_a_form_of("Env file", "ENV") and not is_a_form_of("Joplin Server", "Joplin")
    assert not is_a_form_of("Messaging app", "Message")
    # A form word alone is a page's topic where a page is titled with it, its site's name aside (a review's case).
    assert title_before_its_site("Databases – Notion Help Center") == "Databases"
    assert title_before_its_site("Server") == "Server"


def test_a_name_with_the_form_it_takes_is_the_names_page(vault: Vault) -> None:
    # Two TILs (tests/real_pages/til, development half) on CSV: each has "CSV files" or "CSV file" as its
    # strongest name, which made a page *CSV file* beside *CSV* (and in the whole collection *Python code*,
    # *Python script* and *SQLite database* beside *Python* and *SQLite*). They are CSV's sources.
    pages = compile_real_pages(vault, "til", ("finding-bom-csv-files-with-ripgrep", "one-line-csv-operations"))
    assert "CSV" in pages and not pages & {"CSV file", "CSV files"}, pages
    csv = (vault.wiki / "concepts" / "CSV.md").read_text(encoding="utf-8")
    assert "Finding CSV files that start with a BOM" in csv and "One-liner for running queries" in csv, csv


def test_a_name_task_titles_give_keeps_its_page(vault: Vault) -> None:
    # Found by a review: TILs on React (tests/real_pages/til-jbranchaud, test half) are titled as tasks ("Use An
    # XState Machine With React"), and "react" is an everyday word: *React* lost its page. Their prose writes it
    # as a name ("When rendering, React expects…"), so their titles count.
    vault.no_image_downloads()
    for name in ("rendering-multiple-nodes-with-fragments", "use-an-xstate-machine-with-react",
                 "add-react-with-webpacker-to-a-new-rails-app", "render-an-array-of-elements-with-react-16"):
        vault.clip(f"{name}.md", (PAGES / "til-jbranchaud" / f"{name}.md").read_text(encoding="utf-8"))
    vault.compile()
    assert "React" in {p.stem for p in (vault.wiki / "concepts").glob("*.md")}


# Two real pages as an HTML-to-Markdown crawl saved them (github.com/NISHANTTMAURYA/dlrl,
# `dataset/raw_markdown/`, development half): verbatim extracts, each page's opening sentence and the
# newsletter form it carries.
NATURE_CHATGPT = (
    "# ChatGPT: five priorities for research\n\n"
    "Since a chatbot called ChatGPT was released late last year, it has become apparent that this type of "
    "artificial intelligence (AI) technology will have huge implications on the way in which researchers work.\n\n"
    "## Sign up to Nature Briefing\n\n"
    "An essential round-up of science news, opinion and analysis, delivered to your inbox every weekday.\n\n"
    "Email address\n\n"
    "Sign up\n\n"
    "Sign up for the _Nature Briefing_ newsletter — what matters in science, free to your inbox daily.\n\n"
    "Email address\n\n"
    "Sign up\n")
SERIOUS_EATS_FOOD_LAB = (
    "  * Newsletter\n\n"
    "Email Address\n\n"
    "There was an error. Please try again.\n\n"
    "Congrats, you’re signed up!\n\n"
    "  * Get fresh recipes, cooking tips, deal alerts, and more! \n\n"
    "Email Address\n\n"
    "There was an error. Please try again.\n\n"
    "# The Food Lab\n\n"
    "The Food Lab unravels the mysteries of home cooking through science with J. Kenji López-Alt. \n")


def test_a_name_every_source_has_only_as_a_label_gets_no_page(vault: Vault) -> None:
    # Both pages have the form's "Email address" among their strongest names, and neither says a
    # sentence about it: a page for it would quote two labels.
    vault.clip("nature_com_articles_d41586-023-00288-7.md", NATURE_CHATGPT)
    vault.clip("seriouseats_com_the-food-lab.md", SERIOUS_EATS_FOOD_LAB)
    vault.compile()
    with sqlite3.connect(vault.root / ".kbd/state.db") as db:
        ranked = dict(db.execute("SELECT key, MAX(rank) FROM source_concepts GROUP BY key HAVING COUNT(*) = 2"))
    # Both pages have it (among their three strongest names until the names the pages mark came first:
    # tests/test_marked_names.py); a page for it would quote two labels...
    assert "email address" in ranked, ranked
    pages = {p.stem.lower() for p in (vault.wiki / "concepts").glob("*.md")}
    assert "email address" not in pages, pages  # ...but neither says anything about it
    # A third page says a sentence with it in passing (the Anki manual's *Add-ons*, development corpus):
    # now a source says something, but none that ranks it first does; the form is still no sign that a
    # page is about it.
    vault.clip("addons.md", (PAGES / "anki" / "addons.md").read_text(encoding="utf-8"))
    vault.compile()
    pages = {p.stem.lower() for p in (vault.wiki / "concepts").glob("*.md")}
    assert "email address" not in pages, pages


PRINTING = ("print-data-to-formatted-table", "print-version-information", "print-out-files-in-reverse")
FILTERING = ("filter-by-type", "filter-by-truthy-values-with-boolean-function",
             "list-rds-snapshots-with-matching-identifier-prefix")


def test_a_title_opening_with_a_word_the_vault_opens_tasks_with_is_no_title_about_it(vault: Vault) -> None:
    # Josh Branchaud's TILs (test half): "Print Out Files In Reverse" opens as a task by its particle, and the
    # collection titles every note so: "Print Version Information" and "Print Data To Formatted Table" act on
    # what they name too, no titles about printing, and *Print* was a page of what they act on.
    assert "Print" not in compile_real_pages(vault, "til-jbranchaud", PRINTING)


def test_a_page_goes_when_its_word_starts_opening_tasks(vault: Vault) -> None:
    # The same collection, added as a user clips it: "Filter By Type", "Filter By Truthy Values With Boolean
    # Function" and an AWS note on `--filters` make *Filters* (a Ruby method, a JavaScript one and a CLI flag in
    # one page); "Filter Out Results Based On List Of Values" makes "Filter" a verb of the vault's titles, and the
    # page goes, named in the log, as a compile of all four at once never makes it.
    assert "Filters" in compile_real_pages(vault, "til-jbranchaud", FILTERING)
    assert compile_real_pages(vault, "til-jbranchaud", ("filter-out-results-based-on-list-of-values",)) == set()
    assert "retire | Filters" in (vault.wiki / "log.md").read_text(encoding="utf-8")


EXCEPTIONS = ("assert-an-exception-is-raised", "commit-writes-from-executed-sqlite-statements",
              "pattern-match-on-exceptions", "retry-a-block-after-an-exception",
              "use-rescue-as-part-of-inline-statement", "what-to-do-when-you-dont-rescue")


def test_a_title_that_opens_with_a_task_word_is_no_sure_task_to_count(vault: Vault) -> None:
    # A review's case, Branchaud's TILs: "Assert Two Arrays Have The Same Items With RSpec" makes "assert" a word
    # the vault opens tasks with; "Assert An Exception Is Raised" is then no title about exceptions (it was not,
    # by its article), but it is no sure task on them either: *Exception*, six notes on rescue and retry, stays.
    pages = compile_real_pages(vault, "til-jbranchaud",
                               (*EXCEPTIONS, "assert-two-arrays-have-the-same-items-with-rspec"))
    assert "Exception" in pages, pages


def test_an_article_or_a_question_word_never_opens_a_task() -> None:
    # A review's case: "The Two Types Of Insomnia" opened as a task by its quantifier, so "the" became a word the
    # vault opens tasks with, and "The Truth About Sleep" a task: four notes on sleep lost *Sleep*.
    assert not opens_as_a_task("The Two Types Of Insomnia") and task_verb("The Two Types Of Insomnia") == ""
    assert task_verb("A Back Door Into The Kernel") == task_verb("What Are The Two Kinds Of Sleep?") == ""
    assert task_verb("Print Out Files In Reverse") == "print"

def test_titles_are_read_again_when_a_word_starts_or_stops_opening_tasks(vault: Vault) -> None:
    # Whether "Filter By Type" names its topic depends on the vault's other titles: when "filter" stops (or
    # starts) opening a sure task anywhere, the words such titles name are looked at again, though no note
    # that mentions them changed.
    compile_real_pages(vault, "til-jbranchaud", (*FILTERING, "filter-out-results-based-on-list-of-values"))
    state = State(vault.root / ".kbd" / "state.db")
    verbs = task_verbs(state)
    assert "filter" in verbs and not [n for n in state.dirty() if n.startswith("concept:")]
    look_again_at_titles_of_changed_task_verbs(state, verbs - {"filter"})
    assert "concept:filter" in state.dirty()
    assert "filter" not in task_verbs_kept(state)


def task_verbs_kept(state: State) -> set[str]:
    return set(json.loads(state.get_meta(TASK_VERBS_META) or "[]"))

"""Issue 23's twenty-ninth round, from held-out how-to questions and a review: the code a page shows without a colon or
a fence, and what a lead-in, a question or a section says it does. A sentence that names the command its code runs
leads that code in ("We can allow HTTPS traffic with the `allow` command.", then `sudo ufw allow https`); code
indented four spaces after a paragraph is code; a lead-in that only points at its code ("Run the following commands in
a terminal:", "Here's the full recipe:") does what its heading does, one that shows an error or what the writer wanted
does nothing; "How do I make Anki pick up …?" asks Anki to pick up; a condition is no step; a section whose heading does
what is asked says how in its first sentences; a link with a word or three is never a summary's line. Whole real pages
(tests/real_pages, README there)."""

from __future__ import annotations

from kbd.engines.answer_candidates import _does
from kbd.engines.answers import Passage
from kbd.engines.base import word_key
from kbd.engines.offline_answer import OfflineAnswerer
from kbd.engines.procedures import (
    asked_action,
    asked_particle,
    introduces,
    only_says_steps_follow,
)
from tests.conftest import Vault
from tests.test_heading_code import answer, blocks_of


def test_a_sentence_that_names_its_command_shows_it(vault: Vault) -> None:
    # Branchaud's *Allow HTTPS Through Your UFW Firewall* (a held-out page of session 53's questions): the section's
    # first code has a lead-in ("…checked with the `status` command:"), so no later code is the heading's; the answer
    # led with "We can allow HTTPS traffic with the allow command." and no command.
    vault.clip_real_pages("til-jbranchaud/allow-https-through-your-ufw-firewall.md")
    lead = answer(vault, "How do I allow HTTPS through my UFW firewall?")[0]
    assert lead["citations"][0]["quote"] == "We can allow HTTPS traffic with the allow command.", lead
    assert [c["text"] for c in lead["code"]] == ["$ sudo ufw allow https"], lead


def test_each_sentence_shows_the_code_that_runs_what_it_names() -> None:
    # *Counting Records With Ecto*: three ways, each a sentence naming its function, then the query and what it
    # printed. The first code is the title's (no lead-in). The third names `:count`, which only the code after it
    # runs; the second names `count`, which the code above it runs too: which one it speaks of, the words cannot tell
    # (a review's "With `explain`, you get cost estimates…", said of the `explain` above, showed the `explain analyze`
    # below).
    shown = {b.text: b.shows.text.split("\n")[0] for b in blocks_of("til-jbranchaud/counting-records-with-ecto.md")
             if b.shows and not b.under_heading}
    assert shown == {
        "Lastly, Ecto.Repo has the aggregate/4 function which provides a :count option.":
            '> Repo.aggregate(from(p in "people"), :count, :id)',
    }, shown


def test_code_that_shows_an_error_is_no_sentences_command() -> None:
    # *Set A Statement Timeout Threshold For A Session*: "…a query that I know will exceed that threshold (`pg_sleep`)."
    # names what the code runs, but the code shows the error it gets: no way to do anything.
    blocks = blocks_of("til-jbranchaud/set-a-statement-timeout-threshold-for-a-session.md")
    sleep = next(b for b in blocks if b.text.startswith("Now that the statement_timeout is set to 30s"))
    assert sleep.shows is None, sleep
    # The sentences above the two `set` blocks name nothing the code runs ("Here I set it to 30 seconds."): the first
    # is the title's code, the second no one's.
    assert [b.under_heading for b in blocks if b.shows] == [True], [b for b in blocks if b.shows]


def test_a_condition_is_no_step() -> None:
    # The Anki manual's *Installing & Upgrading Anki on Windows*: its "Add-on Compatibility" led "How do I upgrade Anki
    # on Windows?" with "If you upgrade to the latest Anki version and find an add-on… stops working…".
    assert not _does("If you upgrade to the latest Anki version and find an add-on you cannot live without stops "
                     "working, you can download older Anki versions from the releases page.", "upgrade", {"anki"})
    # A step that opens with what to do stays one (*Installing & Upgrading Anki on macOS*).
    assert _does("To upgrade Anki, close Anki if it is open, and then follow the steps above.", "upgrade", {"anki"})


def test_a_section_whose_heading_does_what_is_asked_answers_from_its_summary_too(vault: Vault) -> None:
    # "## Upgrading" says how in its first sentence; the summary quotes it too, under the page's title, where no
    # heading says it upgrades, and the summary's line is cited first. The requirements led before.
    vault.clip_real_pages("anki/platform/windows/installing.md", "anki/platform/windows/display-issues.md")
    lead = answer(vault, "How do I upgrade Anki on Windows?")[0]
    assert lead["text"] == "If upgrading from Anki 2.1.6+, there is no need to uninstall the previous version first.", \
        lead
    # Under a heading that does something else, the same words are no step: "## Requirements" for "How do I install…?"
    # is still answered by the steps under "## Installing".
    install = answer(vault, "How do I install Anki on Windows?")[0]
    assert install["text"].startswith("To install Anki:"), install


def test_code_indented_after_a_lead_in_is_its_code(vault: Vault) -> None:
    # Simon Willison's *Seeing files opened by a process using opensnoop* (test half): "In one terminal window, run
    # this:", then the command indented four spaces, no fence. The command was read as nothing at all: the answer led
    # with another note's "See also" link and never showed it.
    blocks = blocks_of("til/open-files-with-opensnoop.md")
    run = next(b for b in blocks if b.text == "In one terminal window, run this:")
    assert run.shows is not None and run.shows.text == "sudo opensnoop 2>/dev/null | grep atuin", run
    vault.clip_real_pages("til/open-files-with-opensnoop.md", "til/fs-usage.md")
    lead = answer(vault, "How do I see files opened by a process using opensnoop?")[0]
    assert lead["text"] == "In one terminal window, run this:", lead
    assert [c["text"] for c in lead["code"]] == ["sudo opensnoop 2>/dev/null | grep atuin"], lead


def test_an_indented_example_is_code_to_its_last_indented_line() -> None:
    # The Anki manual's *Deck Options*: "For example, let's say you have this collection:", then a deck tree indented
    # as code; its second line ("Deck A::Subdeck B (Preset 2)") was read as a list item of the page's text.
    blocks = blocks_of("anki/deck-options.md")
    example = next(b for b in blocks if b.text == "For example, let's say you have this collection:")
    assert example.shows is not None and example.shows.text == "- Deck A (Preset 1)\n  - Deck A::Subdeck B (Preset 2)"
    assert not any(b.text == "Deck A::Subdeck B (Preset 2)" for b in blocks)
    assert any(b.text.startswith("Preset 1 and Preset 2 are identical") for b in blocks)


def test_a_definitions_indented_lines_are_no_code() -> None:
    # Material for MkDocs' *Ensuring data privacy* (test half): Python-Markdown's definition (":   This property
    # allows…") indents its body, a list of cookies among it; they are the page's text, not code.
    blocks = blocks_of("mkdocs-material/ensuring-data-privacy.md")
    assert any(b.text.startswith("GitHub – github (enabled by default)") for b in blocks)
    assert not any(b.shows and "__GitHub__" in b.shows.text for b in blocks)


def test_what_a_named_thing_is_made_to_do_is_asked(vault: Vault) -> None:
    # The Anki manual's *Anki not picking up GTK theme on Gnome/Linux* (test half): "How do I make Anki pick up the GTK
    # theme on Gnome?" asks Anki to pick it up, and "Run the following commands in a terminal:" says only that commands
    # follow: the page's title says what they do. The answer led with the last step ("Then log out and log back…").
    assert (asked_action("How do I make Anki pick up the GTK theme on Gnome?"),
            asked_particle("How do I make Anki pick up the GTK theme on Gnome?")) == ("pick", "up")
    assert asked_action("How do I make a new vault?") == "make"
    assert only_says_steps_follow("Run the following commands in a terminal:")
    assert not only_says_steps_follow("Run the following command to install the CLI:")
    vault.clip_real_pages("anki/platform/linux/gtk-theme.md")
    lead = answer(vault, "How do I make Anki pick up the GTK theme on Gnome?")[0]
    assert lead["code"][0]["text"].startswith("theme=$(gsettings get org.gnome.desktop.interface gtk-theme)"), lead


def test_a_list_item_that_is_only_a_link_is_no_key_point(vault: Vault) -> None:
    # *Using fs_usage to see what files a process is using* ends with "## See also these TILs" and two links; the
    # second, "Seeing files opened by a process using opensnoop", was a key point of its summary, and an answer's lead.
    vault.clip_real_pages("til/fs-usage.md")
    summary = (vault.wiki / "sources" / "Using fs_usage to see what files a process is using.md").read_text(
        encoding="utf-8")
    assert "Seeing files opened by a process using opensnoop" not in summary
    assert "Using lsof on macOS" not in summary
    assert "sudo fs_usage" in summary or "fs_usage command" in summary, summary


def test_a_lead_in_that_only_points_at_its_code_does_what_its_title_does(vault: Vault) -> None:
    # Simon Willison's *Installing lxml for Python on an M1/M2 Mac* (test half): "…so the fix for me was to do this:",
    # then `pipenv --python …`. The answer led with "I ran into this error while trying to run `pip install lxml`…:"
    # and the error it printed. *Running cog automatically against GitHub pull requests*: "This goes in
    # `.github/workflows/cog.yml`:", then the workflow; the answer led with a sentence about it.
    assert only_says_steps_follow("I'm using pipenv to manage my environments, so the fix for me was to do this:")
    assert only_says_steps_follow("This goes in .github/workflows/cog.yml:")
    assert only_says_steps_follow("Here's what I came up with, using jqplay.org:")
    vault.clip_real_pages("til/lxml-m1-mac.md", "til/cog.md")
    lxml = answer(vault, "How do I install lxml for Python on an M1/M2 Mac?")[0]
    assert lxml["text"].endswith("so the fix for me was to do this:"), lxml
    assert lxml["code"][0]["text"] == "pipenv --python /opt/homebrew/bin/python3.11", lxml
    cog = answer(vault, "How do I run cog automatically against GitHub pull requests?")[0]
    assert cog["text"] == "This goes in .github/workflows/cog.yml:", cog
    assert cog["code"][0]["text"].startswith("name: Run Cog\n"), cog


def test_a_lead_in_to_the_error_someone_ran_into_is_no_procedure() -> None:
    error = "I ran into this error while trying to run pip install lxml on an M2 Mac, inside a virtual environment I " \
            "had intitially created using pipenv shell:"
    page = Passage(path="raw/lxml-m1-mac.md", title="Installing lxml for Python on an M1/M2 Mac", note_type="raw",
                   heading=None, block=None, text=error, tokens=40, note_hash="sha256:0", score=1.0, kbd_owned=False)
    assert not introduces(error, "run", {"lxml", "pip"}, page)
    assert introduces("Run the following command to install lxml:", "install", {"lxml", "python"}, page)


def test_a_name_the_code_above_runs_too_or_only_its_output_shows_leads_nothing_in() -> None:
    # A review's finds. Branchaud's *Difference Between Explain And Explain Analyze*: "With `explain`, you get cost
    # estimates of the `insert` statement." speaks of the `explain` above it, not the `explain analyze` below.
    explain = blocks_of("til-jbranchaud/difference-between-explain-and-explain-analyze.md")
    said = next(b for b in explain if b.text.startswith("With explain, you get cost estimates"))
    assert said.shows is None, said
    # Material for MkDocs' *Creating a reproduction*: "Now, when running `mkdocs build`, a file called `example.zip` is
    # automatically created…", then the build's log, which names example.zip: output, not what to run.
    zipped = next(b for b in blocks_of("mkdocs-material/creating-a-reproduction.md")
                  if b.text.startswith("Now, when running mkdocs build"))
    assert zipped.shows is None, zipped


def test_a_lead_in_to_what_the_writer_wanted_or_a_file_they_had_is_no_procedure() -> None:
    # Simon Willison's *Search and replace with regular expressions in VS Code*: "I wanted to replace all instances of
    # this:", then the text to replace; Branchaud's *Capture An Output Value For Use In A Later Step*: "Here's the
    # .tool-versions file included in my repository:", then the file the workflow reads. Both led their answers.
    title = "Capture An Output Value For Use In A Later Step"
    page = Passage(path="raw/x.md", title=title, note_type="raw", heading=title, block=None, text="", tokens=0,
                   note_hash="sha256:0", score=1.0, kbd_owned=False)
    assert not introduces("I wanted to replace all instances of this:", "replace", {word_key("instances")}, page)
    assert introduces("To replace all instances of this, run:", "replace", {word_key("instances")}, page)
    assert not only_says_steps_follow("Here's the .tool-versions file included in my repository:")
    assert introduces("Here's how you can do that with the Rails migration DSL:", "capture", {"output"}, page)


def test_a_made_to_do_question_needs_a_verb_after_its_name() -> None:
    # A review's finds: "be", "the", "not" and "on" were taken for what was asked.
    assert asked_action("How do I let Cursor be launched from the CLI?") == "let"
    assert asked_action("How do I make Zettlr the default app for Markdown files?") == "make"
    assert asked_action("How do I make Prettier not format a statement?") == "make"
    assert asked_action("How do I get Anki on my phone?") == "get"
    assert asked_action("How do I get GitHub Actions to capture an output value?") == "capture"
    assert asked_action("How do I get Anki flashcards into Obsidian?") == "get"


def test_only_a_sections_opening_says_how(vault: Vault) -> None:
    # The Anki manual's *Styling & HTML* (test half): "How do I style my cards with HTML?" led with "Simple color names
    # like "blue"…", a sentence from the middle of "## Card Styling", as if it opened the section.
    vault.clip_real_pages("anki/templates/styling.md")
    lead = answer(vault, "How do I style my cards with HTML?")[0]
    assert not lead["text"].startswith("Simple color names"), lead


def test_a_link_with_a_word_or_three_is_no_key_point(vault: Vault) -> None:
    # Simon Willison's *Trying out SQLite extensions on macOS* ends "See [Loading SQLite extensions in Python on
    # macOS](…)."; that paragraph was its summary's line for *SQLite extension* and opened the concept's synthesis once
    # a lone link item was no longer quoted (a review's find). With two more TILs on SQLite extensions the concept has
    # its page; the source is on it, with nothing of the link quoted.
    vault.clip_real_pages("til/trying-macos-extensions.md", "til/steampipe.md", "til/cr-sqlite-macos.md")
    concept = (vault.wiki / "concepts" / "SQLite extension.md").read_text(encoding="utf-8")
    assert "Trying out SQLite extensions on macOS" in concept
    assert "See Loading SQLite extensions" not in concept, concept
    summary = (vault.wiki / "sources" / "Trying out SQLite extensions on macOS.md").read_text(encoding="utf-8")
    assert "See Loading SQLite extensions" not in summary, summary


def test_a_summarys_copy_of_a_sections_opening_says_how_too() -> None:
    # The Anki manual's Windows page as the development corpus retrieved it: its summary (first) says the requirements
    # and "If upgrading from Anki 2.1.6+…" under the page's title, where no heading says it upgrades; the clipping's
    # "## Upgrading" says it, with less of the question's words ("Windows" is only in the title).
    title = "Installing & Upgrading Anki on Windows"
    upgrading = "If upgrading from Anki 2.1.6+, there is no need to uninstall the previous version first."
    summary = Passage(path=f"wiki/sources/{title}.md", title=title, note_type="source", heading=title, block=None,
                      text="Recent Anki releases require a computer running the 64 bit version of Windows 10 or 11.\n"
                      f"{upgrading}", tokens=40, note_hash="sha256:0", score=1.0, kbd_owned=True)
    clipping = Passage(path="raw/platform/windows/installing.md", title=title, note_type="raw", heading="Upgrading",
                       block=None, text=f"{upgrading} All you need to do is close Anki if it is open, and then follow "
                       "the installation steps above.", tokens=40, note_hash="sha256:1", score=0.7, kbd_owned=False,
                       opens_section=True)
    draft = OfflineAnswerer().draft("How do I upgrade Anki on Windows?", [summary, clipping], [])
    assert draft.claims[0].text == upgrading, draft.claims[0]

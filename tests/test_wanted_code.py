"""Issue 23's thirty-first round, from the held-out how-to questions of session 55: the code a TIL gives for what its
writer wanted. "Create a temporary table in Postgres like so" leads in the code after it, with no colon. "Here's a
pattern I found for pretty-printing ANY JSON value…" or "I wanted to run a query … using curl…" says what the lead-in
after it on its line ("Create a template … with the following:", "Here's the recipe I came up with…:") gives the code
for; "I tried this:" gives what failed. A paragraph that does what the title does ("You can remove a `not null`
constraint…") takes the code the title leads in from code shown before it ("…you do so by _setting_ it."). Whole real
pages (tests/real_pages, README there)."""

from __future__ import annotations

from kbd.engines.answers import Passage
from kbd.engines.procedures import gives_the_solution, goal_before, is_lead_in, leads_in_code
from tests.conftest import Vault
from tests.test_heading_code import answer, blocks_of


def _page(title: str, text: str) -> Passage:
    return Passage(path=f"raw/{title}.md", title=title, note_type="clipping", heading=title, block=None, text=text,
                   tokens=0, note_hash="", score=0.0, kbd_owned=False)


def test_a_sentence_that_ends_like_so_leads_in_its_code(vault: Vault) -> None:
    # Josh Branchaud's *Temporary Tables*: "Create a temporary table in Postgres like so", then the SQL. The answer led
    # with the sentence and no code.
    vault.clip_real_pages("til-jbranchaud/temporary-tables.md", "til-jbranchaud/update-the-url-of-a-remote.md",
                          "til-jbranchaud/limit-execution-time-of-statements.md")
    lead = answer(vault, "How do I create a temporary table?")[0]
    assert lead["citations"][0]["quote"] == "Create a temporary table in Postgres like so", lead
    assert lead["code"][0]["text"].startswith("create temp table posts ("), lead
    # *Limit Execution Time Of Statements*: "If you do want to limit your statements, to say, 1 second, you can set the
    # execution time like so", then the `set`: it does what is asked as a lead-in, by its "to limit".
    lead = answer(vault, "How do I limit the execution time of statements in Postgres?")[0]
    assert lead["citations"][0]["quote"].startswith("If you do want to limit your statements"), lead
    assert lead["code"][0]["text"].startswith("> set statement_timeout = '1s';"), lead
    assert leads_in_code("You can repeat a command any number of times like so")
    assert leads_in_code("With the fd command, all the found files are output line by line like so.")
    assert not leads_in_code("It works like something else entirely.")


def test_the_lead_in_after_what_the_writer_wanted_gives_the_code_that_does_it(vault: Vault) -> None:
    # Simon Willison's *Pretty-printing all read-only JSON in the Django admin* and *Using curl to run GraphQL queries
    # from the command line*: the sentence that says what is done led, and the code was not shown. A verb written with a
    # hyphen ("pretty-print") is one word.
    vault.clip_real_pages("til/pretty-print-json-admin.md", "til/graphql-with-curl.md", "til/compile-spellfix-osx.md")
    lead = answer(vault, "How do I pretty-print JSON in the Django admin?")[0]
    assert lead["citations"][0]["quote"] == (
        "Here's a pattern I found for pretty-printing ANY JSON value that is displayed in a read-only field in the "
        "admin. Create a template called admin/change_form.html and populate it with the following:"), lead
    assert lead["code"][0]["text"].startswith('{% extends "admin/change_form.html" %}'), lead
    lead = answer(vault, "How do I run a query against the GitHub GraphQL API using curl?")[0]
    assert lead["citations"][0]["quote"].startswith("I wanted to run a query against the GitHub GraphQL API using "
                                                    "curl on the command line"), lead
    assert lead["citations"][0]["quote"].endswith("Here's the recipe I came up with (tested in both bash and zsh), "
                                                  "with TOKEN replaced by my GitHub API personal access token:"), lead
    assert lead["code"][0]["text"].startswith("curl -s https://api.github.com/graphql -X POST"), lead


def test_what_the_writer_tried_is_no_code_that_does_what_they_wanted(vault: Vault) -> None:
    # *Compiling the SQLite spellfix.c module on macOS*: "I wanted to browse a backup copy of my Plex database… I tried
    # this:", then the command that failed.
    wanted = "I wanted to browse a backup copy of my Plex database, which is a SQLite file."
    page = _page("Compiling the SQLite spellfix.c module on macOS", f"{wanted} I tried this:")
    assert goal_before("I tried this:", wanted, "browse", {"backup", "copy", "plex", "database"}, page) == ""
    assert goal_before("This works:", wanted, "browse", {"backup", "copy", "plex", "database"},
                       _page(page.title, f"{wanted} This works:")) == wanted
    # On a line of its own, a lead-in goes on from no sentence: a paragraph's story ends with its paragraph.
    assert goal_before("This works:", wanted, "browse", {"backup", "copy", "plex", "database"},
                       _page(page.title, f"{wanted}\nThis works:")) == ""
    vault.clip_real_pages("til/compile-spellfix-osx.md", "til/pretty-print-json-admin.md")
    lead = answer(vault, "How do I browse a backup copy of my Plex database?")[0]
    assert "I tried this:" not in lead["citations"][0]["quote"], lead


def test_a_paragraph_that_does_what_the_heading_does_takes_its_code(vault: Vault) -> None:
    # Branchaud's *Remove Not Null Constraint From A Column* shows first how to add one (`set not null`), then "You can
    # remove a `not null` constraint from a column, by _dropping_ it." and `drop not null`; *Update The URL Of A Remote*
    # shows `git remote -v` first. The code shown first led both answers.
    blocks = blocks_of("til-jbranchaud/remove-not-null-constraint-from-a-column.md")
    assert [b.text[:28] for b in blocks if b.under_heading] == ["You can remove a not null co"]
    vault.clip_real_pages("til-jbranchaud/remove-not-null-constraint-from-a-column.md",
                          "til-jbranchaud/update-the-url-of-a-remote.md", "til-jbranchaud/temporary-tables.md")
    lead = answer(vault, "How do I remove a not null constraint from a column?")[0]
    assert lead["citations"][0]["quote"] == "You can remove a not null constraint from a column, by dropping it.", lead
    assert "drop not null;" in lead["code"][0]["text"], lead
    lead = answer(vault, "How do I update the URL of a remote?")[0]
    assert lead["citations"][0]["quote"].startswith("Now, to update the URL for that remote, I can use"), lead
    assert lead["code"][0]["text"].startswith("$ git remote set-url origin"), lead
    # A later paragraph that only names the heading's words takes nothing: *Get The Last Item From An Array* shows two
    # ways, "…pipe the array to the `last` function." first, then "Another approach is to use an array index
    # expression to positionally grab the last element of the array…".
    first = [b for b in blocks_of("til-jbranchaud/get-the-last-item-from-an-array.md") if b.under_heading]
    assert [b.text[:40] for b in first] == ["The one that is perhaps a bit more intui"], first
    # Nor does one that does it again, another way: *Set A Statement Timeout Threshold For A Session*, "You can set this
    # threshold with a `set` statement.", then "You can also set the threshold with a string argument…".
    first = [b for b in blocks_of("til-jbranchaud/set-a-statement-timeout-threshold-for-a-session.md")
             if b.under_heading]
    assert [b.text[:40] for b in first] == ["You can set this threshold with a set st"], first


def test_one_of_a_pages_ways_does_what_its_title_does(vault: Vault) -> None:
    # Branchaud's *Adding Composite Uniqueness Constraints*: "There are two ways…" led, with no code. "The first
    # approach is to create a `constraint` directly on the table:" adds one, whatever its own verb.
    vault.clip_real_pages("til-jbranchaud/adding-composite-uniqueness-constraints.md",
                          "til-jbranchaud/remove-not-null-constraint-from-a-column.md")
    lead = answer(vault, "How do I add a composite uniqueness constraint?")[0]
    assert lead["citations"][0]["quote"] == "The first approach is to create a constraint directly on the table:", lead
    assert lead["code"][0]["text"].startswith("alter table pokemons_trainers"), lead
    assert gives_the_solution("The second approach is to create a unique index:")
    assert not gives_the_solution("One way to fix that is to run the Homebrew Python directly like this:")


def test_a_recap_or_an_aside_takes_no_headings_code_and_a_sentence_that_names_it_shows_it(vault: Vault) -> None:
    # A review's finds (development half). A paragraph that does the heading's verb took the heading's code from one
    # that shows how: in the past tense ("We've marked our articles for destruction…" on *Mark For Destruction*), with a
    # light verb ("I'm able to use the `author_id` variable…" on *Use Variables In An Anonymous Function*, "Doing a dry
    # run is a great way…" on *Do A Dry-Run Of An Rsync*); and one that names its code ("To tell `JSON.parse` to use a
    # class other than `Hash`, include the `object_class` option.") lost it to its heading, whose code is shown only
    # for a question that does what the heading does. It shows it too.
    def headed(page: str) -> list[str]:
        return [b.text[:40] for b in blocks_of(f"til-jbranchaud/{page}.md") if b.under_heading]

    assert headed("mark-for-destruction") == ["Let's say we have users who author artic"]
    assert headed("use-variables-in-an-anonymous-function") == ["Within that code block I can declare one"]
    assert headed("do-a-dry-run-of-an-rsync") == ["The -n (or --dry-run) flag on its own wo"]
    named = [b for b in blocks_of("til-jbranchaud/parse-json-into-an-open-struct.md")
             if b.text.startswith("To tell JSON.parse to use a class other than Hash")]
    assert named and named[0].shows is not None and (named[0].names_code or not named[0].under_heading), named
    vault.clip_real_pages("til-jbranchaud/parse-json-into-an-open-struct.md", "til-jbranchaud/temporary-tables.md")
    lead = answer(vault, "How do I tell JSON.parse to use a different object class?")[0]
    assert lead["citations"][0]["quote"].startswith("To tell JSON.parse to use a class other than Hash"), lead
    assert "object_class: OpenStruct" in lead["code"][0]["text"], lead


def test_like_this_with_no_code_after_it_leads_nothing_in() -> None:
    # A review's find: *Make Remove Column Migration Reversible* ends "Be sure you're ready to part with this data
    # before deploying a migration like this.", which led for what to check before deploying; read as a lead-in, it
    # lost that lead.
    said = "Be sure you're ready to part with this data before deploying a migration like this."
    assert not is_lead_in(said)
    [block] = [b for b in blocks_of("til-jbranchaud/make-remove-column-migration-reversible.md") if said in b.text]
    assert block.shows is None

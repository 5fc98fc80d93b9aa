"""Issue 23's thirtieth round, from the held-out how-to questions of session 54: what a TIL gives as its solution, and
what "this" is. "Solution: use heredoc syntax:" and "The solution was to allow MySQL to
`ignore`…" do what the page's title does, whatever their own verb; a fix met on the way does not. "Here is what it
looks like to create an index … with the `include` keyword:" only points at its code, however long it is. "I wanted to
pass the following as an argument…:" shows what the writer had, not what to do. "You can do this by calling
`test.only()`…" does what the sentence before it wants. Whole real pages (tests/real_pages, README there)."""

from __future__ import annotations

from dataclasses import replace

from kbd.engines.answers import Passage
from kbd.engines.offline_answer import OfflineAnswerer
from kbd.engines.procedures import gives_the_solution, introduces, what_came_before
from tests.conftest import Vault
from tests.test_heading_code import answer


def _page(title: str) -> Passage:
    return Passage(path=f"raw/{title}.md", title=title, note_type="clipping", heading=title, block=None, text="",
                   tokens=0, note_hash="", score=0.0, kbd_owned=False)


def test_a_solution_label_leads_in_the_code_that_does_what_the_title_does(vault: Vault) -> None:
    # Simon Willison's *Passing command arguments using heredoc syntax*: "Problem: …", then "Solution: use heredoc
    # syntax:" and the command. The answer led with "I wanted to pass the following as an argument to the sqlite-utils
    # CLI tool:" and the SQL to pass, which is no way to pass it.
    vault.clip_real_pages("til/argument-heredoc.md", "til/django-group-permissions-markdown.md")
    lead = answer(vault, "How do I pass command arguments using heredoc syntax?")[0]
    assert lead["citations"][0]["quote"] == "Solution: use heredoc syntax:", lead
    assert lead["code"][0]["text"].startswith('sqlite-utils sfms.db --attach index2 index.db "$(cat <<EOF'), lead
    page = _page("Passing command arguments using heredoc syntax")
    assert not introduces("I wanted to pass the following as an argument to the sqlite-utils CLI tool:", "pass",
                          {"command", "argument", "heredoc", "syntax"}, page)


def test_a_fix_met_on_the_way_is_no_solution(vault: Vault) -> None:
    # *Building a Markdown summary of Django group permissions*: "The fix was to add a `coalesce()` … like this:" mends
    # a null the query met; the query is what the page builds.
    vault.clip_real_pages("til/django-group-permissions-markdown.md")
    lead = answer(vault, "How do I build a Markdown summary of Django group permissions?")[0]
    assert lead["citations"][0]["quote"].startswith("Here's a query I figured out today"), lead
    assert not gives_the_solution("The fix was to add a coalesce() - which returns the first not-null argument - "
                                  "like this:")


def test_the_pages_solution_sentence_is_how_to_do_what_its_title_does(vault: Vault) -> None:
    # Josh Branchaud's *Ignore Duplicates When Inserting Records*: a story, the failing insert, then "The solution was
    # to allow MySQL to `ignore` the duplicate records and insert the rest." and the insert that does.
    vault.clip_real_pages("til-jbranchaud/ignore-duplicates-when-inserting-records.md",
                          "til-jbranchaud/include-columns-in-a-covering-index.md")
    lead = answer(vault, "How do I ignore duplicates when inserting records?")[0]
    assert lead["citations"][0]["quote"] == \
        "The solution was to allow MySQL to ignore the duplicate records and insert the rest.", lead
    assert lead["code"][0]["text"].startswith("insert ignore into MerchantAccount"), lead
    # Under a title that does something else, a solution does nothing asked.
    assert not introduces("Solution: use heredoc syntax:", "ignore", {"duplicate", "record"},
                          _page("Passing command arguments using heredoc syntax"))


def test_a_long_pointer_lead_in_does_what_its_title_does(vault: Vault) -> None:
    # *Include Columns In A Covering Index*: "Here is what it looks like to create an index for this query with the
    # `include` keyword:" (88 characters after "Here is") points at the answer's code; the definition above it led.
    vault.clip_real_pages("til-jbranchaud/include-columns-in-a-covering-index.md",
                          "til-jbranchaud/ignore-duplicates-when-inserting-records.md")
    lead = answer(vault, "How do I include columns in a covering index?")[0]
    assert lead["citations"][0]["quote"].startswith("Here is what it looks like to create an index"), lead
    assert lead["code"][0]["text"].startswith("create index user_id_on_events_idx"), lead


def test_a_sentence_that_does_what_the_one_before_wants_says_how(vault: Vault) -> None:
    # *Tell Jest To Focus On Running Only One Test*: "These are some of the reasons you may want to tell Jest to focus
    # in and only run one particular `test` block." led; the next sentence says how.
    vault.clip_real_pages("til-jbranchaud/tell-jest-to-focus-on-running-only-one-test.md",
                          "til-jbranchaud/splat-arguments-to-a-function.md", "til/testing-electron-playwright.md",
                          "til-jbranchaud/make-action-mailer-synchronous-in-test.md")
    lead = answer(vault, "How do I tell Jest to focus on one test?")[0]
    assert lead["citations"][0]["quote"] == "You can do this by calling test.only() instead of test().", lead
    # *Splat Arguments To A Function*: "You want to be able to splat the array…", then "This can be done by using
    # `apply`." and the call.
    splat = answer(vault, "How do I splat arguments to a function?")[0]
    assert splat["citations"][0]["quote"] == "This can be done by using apply.", splat
    assert splat["code"][0]["text"].startswith("> adder.apply(undefined, [1,2,3])"), splat
    # It holds the words of what it refers to, not the title's: *Make ActionMailer Synchronous In Test* says no "send
    # emails"; "…you may prefer ActiveJob to send the emails synchronously." does, then "This can be done by…".
    mail = answer(vault, "How do I send emails synchronously in tests?")[0]
    assert mail["citations"][0]["quote"].startswith("This can be done by changing the queue_adapter back to :inline"), \
        mail
    # As a lead-in it is quoted with the sentence it refers to: Willison's *Testing Electron apps with Playwright…*.
    install = answer(vault, "How do I install the Playwright test package?")[0]
    assert install["citations"][0]["quote"] == \
        "You need to install the @playwright/test package. You can do that like so:", install
    assert install["code"][0]["text"] == "npm i -D @playwright/test", install
    # After a sentence that wants something else, it does nothing asked.
    page = _page("Tell Jest To Focus On Running Only One Test")
    assert not what_came_before("You can do this by calling test.only() instead of test().",
                                "Sometimes one test is inadvertently dependent on another.", "tell",
                                {"jest", "focus", "test"}, page)
    # What a program or the writer did, after what was wanted, says no step (Willison's *Crawling Datasette with
    # Datasette* and *Social media cards for my TILs*).
    assert not what_came_before("To do this, I needed the content of those tutorials in a SQLite database table.",
                                "I wanted to add the new tutorials on https://datasette.io/tutorials to the search "
                                "index that is used by the https://datasette.io/-/beta search engine.", "add",
                                {"tutorial", "search", "index"}, _page("Crawling Datasette with Datasette"))
    assert not what_came_before("To do this, it looks through all 400+ TILs in the database.",
                                "The rest of the script figures out which screenshots to generate, generates them and "
                                "uploads them to S3.", "generate", {"screenshot"},
                                _page("Social media cards for my TILs"))
    # The words before it in its own sentence may want it: "If you don't want Anki to compare accents…, you can do so
    # by using `type:nc` in your fields" (the Anki manual's *Field Replacements*, "### Ignoring Diacritics").
    assert what_came_before("If you don't want Anki to compare accents on characters in your typed input with the "
                            "correct answer, you can do so by using type:nc in your fields", "", "compare",
                            {"accent", "character"}, _page("Field Replacements")).startswith("If you don't want Anki")


def test_a_summarys_line_refers_to_no_line_before_it() -> None:
    # A summary's key points follow each other in no page: "You can do this by…" there does nothing asked, and the line
    # that says what is wanted, with all the question's words, leads.
    summary = replace(_page("Tell Jest To Focus On Running Only One Test"), path="wiki/sources/Jest.md",
                      note_type="source", kbd_owned=True, score=1.0,
                      text="Test output can be noisy.\nThese are some of the reasons you may want to tell Jest to "
                           "focus in and only run one particular test block.\nYou can do this by calling test.only() "
                           "instead of test().")
    claims = OfflineAnswerer().draft("How do I tell Jest to focus on one test?", [summary], []).claims
    assert claims[0].text.startswith("These are some of the reasons"), claims

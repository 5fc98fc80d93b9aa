"""Issue 23's thirty-second round, from the held-out how-to questions of session 56: a TIL that tells how its writer
got something working ("I needed to run Selenium on macOS for the first time today. Here's how I got it working.",
"I used the following pattern with pyenv…"), then gives its steps as lead-ins and code in sections of their own, is
answered with those steps, each with its code; and a section whose heading does what is asked ("## Using Snippets")
is read, though other passages of its page name the thing more often. Whole real pages (tests/real_pages, README
there)."""

from __future__ import annotations

from kbd.ask.answer import check_draft
from kbd.ask.retrieve import retrieve
from kbd.config import load_config
from kbd.engines.answer_candidates import gather_candidates, read_question
from kbd.engines.answers import LEAD_LABEL, CitedQuote, Draft, DraftClaim
from kbd.engines.base import word_key
from kbd.engines.procedures import asked_action, is_walkthrough_step
from tests.conftest import Vault
from tests.test_heading_code import answer

PYENV = "How do I quickly test code in a different Python version with pyenv?"


def test_a_walkthrough_is_answered_with_its_lead_ins_and_their_code(vault: Vault) -> None:
    # Simon Willison's *Quickly testing code in a different Python version using pyenv* (test half): the answer led
    # with "I used the following pattern…" and no code; the commands are in the sections below it.
    vault.clip_real_pages("walkthroughs/quick-testing-pyenv.md", "walkthroughs/selenium-python-macos.md",
                          "walkthroughs/django-sql-dashboard.md")
    assert asked_action(PYENV) == "test"  # "quickly" says how, not what
    lead = answer(vault, PYENV)[0]
    lines = lead["citations"][0]["quote"].split("\n")
    assert lines[0] == "I used the following pattern with pyenv to quickly run the tests against that specific " \
                       "version.", lead
    code = {lines[c["line"]]: c["text"] for c in lead["code"]}
    assert code["I installed 3.8.17 like this:"] == "pyenv install 3.8.17", lead
    assert code["Now I can run the tests like this:"] == "/tmp/py38env/bin/pytest", lead
    assert "This outputs (on my machine):" not in lines, lead  # what a program printed is no step
    # The same in Willison's *Downloading archived Git repositories from archive.softwareheritage.org*.
    assert not is_walkthrough_step("This returned JSON that looks like this:")
    assert not is_walkthrough_step("The result starts like this:")
    assert is_walkthrough_step("Then decompress it:")
    # *Installing Selenium for Python on macOS with ChromeDriver*: the goal before "Here's how I got it working." on
    # its line is quoted with it; the title does what is asked. "…I got an error complaining…:" shows an error.
    lead = answer(vault, "How do I install Selenium for Python on macOS?")[0]
    lines = lead["citations"][0]["quote"].split("\n")
    assert lines[0] == "I needed to run Selenium on macOS for the first time today. Here's how I got it working.", lead
    code = {lines[c["line"]]: c["text"] for c in lead["code"]}
    assert code["I installed Selenium using pip for Python 3:"] == "pip install selenium", lead
    assert not any("got an error" in line for line in lines), lead
    # It ends where the page turns to a task of its own: "## Installing geckodriver for Firefox".
    assert not any("geckodriver" in c["text"] for c in lead["code"]), lead
    # A walkthrough answers what its page does, not each thing one of its steps does: its step answers that.
    claims = answer(vault, "How do I create a virtual environment with a pyenv Python?")
    assert claims[0]["citations"][0]["quote"] == "I created a temporary virtual environment in /tmp like this:", claims
    assert not any("\n" in c["citations"][0]["quote"] for c in claims), claims


def test_a_walkthrough_is_filed_as_steps_each_with_its_code(vault: Vault) -> None:
    vault.clip_real_pages("walkthroughs/django-sql-dashboard.md", "walkthroughs/quick-testing-pyenv.md")
    vault.kbd("ask", ".", "How do I configure Django SQL Dashboard for Fly PostgreSQL?")
    [note] = (vault.root / "wiki" / "answers").glob("*.md")
    text = note.read_text(encoding="utf-8")
    lead = text[text.index(f"**{LEAD_LABEL}:**"):]
    assert lead.startswith(f"**{LEAD_LABEL}:** “Here's how I did it.”"), lead[:300]
    step = "- “I revoked access entirely to the django_session table:”\n"
    assert step in lead, lead[:2000]
    after = lead[lead.index(step) + len(step):]
    assert after.startswith("  ```sql\n  -- Revoke access to django_session\n"
                            "  REVOKE SELECT ON TABLE django_session FROM dashboardrole;\n  ```"), after[:300]


def test_only_the_offline_walkthrough_may_quote_lines_its_note_has_apart(vault: Vault) -> None:
    # A model's quote must be side by side in its note, as before; the offline engine's walkthrough is marked as one,
    # and its lines must each be in the note whole and in the note's order.
    vault.clip_real_pages("walkthroughs/quick-testing-pyenv.md")
    plan = retrieve(vault.root, load_config(vault.root), PYENV)
    path = "raw/quick-testing-pyenv.md"
    apart = "I installed 3.8.17 like this:\nNow I can run the tests like this:"
    kept, failures = check_draft(Draft([DraftClaim(apart, (CitedQuote(path, apart),))]), plan)
    assert not kept and "does not occur" in failures[0].reason, failures
    kept, _ = check_draft(Draft([DraftClaim(apart, (CitedQuote(path, apart),), stitched=True)]), plan)
    assert [c.text for c in kept] == [apart.replace("\n", " ")]
    backwards = "Now I can run the tests like this:\nI installed 3.8.17 like this:"
    kept, failures = check_draft(Draft([DraftClaim(backwards, (CitedQuote(path, backwards),), stitched=True)]), plan)
    assert not kept and "does not occur" in failures[0].reason, failures


def test_a_section_whose_heading_does_what_is_asked_answers_it(vault: Vault) -> None:
    # Zettlr's *Snippets* (test half): "## Using Snippets" was never retrieved (three other sections of the page named
    # snippets and "use-cases"), and "But the use-cases for snippets go beyond this." led, read as using them.
    vault.clip_real_pages("walkthroughs/snippets.md", "walkthroughs/image-viewer.md")
    lead = answer(vault, "How do I use snippets?")[0]
    assert lead["citations"][0]["quote"] == "Snippets can be inserted into any Markdown document at any point by " \
                                            "triggering the autocomplete feature.", lead
    plan = retrieve(vault.root, load_config(vault.root), "How do I use snippets?")
    use_cases = [c for c in gather_candidates(read_question("How do I use snippets?"), plan.passages)
                 if c.sentence == "But the use-cases for snippets go beyond this."]
    assert use_cases and not any(c.does for c in use_cases), use_cases  # "the use" is a noun
    # Zettlr's *Image Viewer* (development half): a section's own step leads its opening, which says what the viewer
    # does ("Zettlr uses the image viewer to display images, but only if…").
    lead = answer(vault, "How do I enable the image viewer?")[0]
    assert lead["citations"][0]["quote"].startswith("To enable Zettlr to open images for you, go inside the "
                                                    "Preferences window"), lead


def test_a_sections_opening_that_describes_or_says_a_default_does_not_take_its_heading(vault: Vault) -> None:
    # Development halves. The Obsidian developer docs' *Set up and claim*: under "### Add funding links", "These links
    # are shown on all of your plugin and theme pages." names no funding. Material for MkDocs' *Navigation*: under "##
    # Configuring the archive", "By default, the blog archive lists posts by year only." says what is, not how to
    # change it. Josh Branchaud's *Quickly Fix A Misspelled Word*: "In Fix The Spelling Of A Word, I describe how…"
    # names another TIL; its "Fix" is no step. Each led once the rules above were first written (the last with the
    # adverb read as no verb: before, "quickly" was the asked verb and nothing did it).
    vault.clip_real_pages("walkthroughs/Set up and claim.md", "walkthroughs/navigation.md",
                          "walkthroughs/quickly-fix-a-misspelled-word.md", "walkthroughs/footnotes.md")
    for question in ("How do I add funding links?", "How do I add funding links to my plugin page?"):
        lead = answer(vault, question)[0]
        assert lead["citations"][0]["quote"].startswith("Under Funding links, select Add funding link"), lead
    # Foam's *Footnotes*: "## Writing Footnotes" says how in its lead-in and code ("Use standard Markdown footnote
    # syntax:"), which does what the heading does; "Footnote IDs can be numbers or words." after them says no more than
    # what IDs may be, and is not read with the heading's verb.
    question = "How do I write footnotes?"
    claims = answer(vault, question)
    [syntax] = [c for c in claims if c["citations"][0]["quote"] == "Use standard Markdown footnote syntax:"]
    assert syntax["code"][0]["text"].startswith("The study confirmed the hypothesis.[^1]"), syntax
    plan = retrieve(vault.root, load_config(vault.root), question)
    found = gather_candidates(read_question(question), plan.passages)
    assert any(c.does and c.code for c in found if c.sentence == "Use standard Markdown footnote syntax:"), found
    ids = [c for c in found if c.sentence == "Footnote IDs can be numbers or words."]
    assert ids and not any(word_key("write") in c.words for c in ids), ids
    lead = answer(vault, "How do I configure the archive?")[0]
    assert lead["citations"][0]["quote"] == "If you want to add listings by month, you can configure the date " \
                                            "format for the archive.", lead
    question = "How do I quickly fix a misspelled word?"
    plan = retrieve(vault.root, load_config(vault.root), question)
    named = [c for c in gather_candidates(read_question(question), plan.passages)
             if c.sentence.startswith("In Fix The Spelling Of A Word")]
    assert named and not any(c.does for c in named), named


def test_a_sections_first_procedure_does_not_take_the_lead_from_a_step_before_it(vault: Vault) -> None:
    # A review's cases, development halves. Zettlr's *Pomodoro Timer*: "Access the Pomodoro timer by clicking on the
    # circle…" says how, and the lead-in after it lists settings. Willison's *Using LD_PRELOAD to run any version of
    # SQLite with Python*: under "## Running Datasette", "We need to install `pip`:" opens the section, and "Now run it
    # like this:" does what is asked in its own words.
    vault.clip_real_pages("walkthroughs/pomodoro.md", "walkthroughs/ld-preload.md", "walkthroughs/footnotes.md")
    lead = answer(vault, "How do I use the Pomodoro timer?")[0]
    assert lead["citations"][0]["quote"].startswith("Access the Pomodoro timer by clicking on the circle"), lead
    question = "How do I run Datasette against an old SQLite version with LD_PRELOAD?"
    lead = answer(vault, question)[0]
    assert lead["citations"][0]["quote"] == "Now run it like this:", lead
    plan = retrieve(vault.root, load_config(vault.root), question)
    found = gather_candidates(read_question(question), plan.passages)
    assert not any(c.does for c in found if c.sentence == "We need to install pip:"), found


def test_what_a_step_made_is_no_lead_in_that_does_what_is_asked(vault: Vault) -> None:
    # Material for MkDocs' *Blog support just landed* (development half): under "### Creating a standalone blog", "You
    # can bootstrap a new project using the `mkdocs` executable:" opens the section; "This will create the following
    # structure:" after it shows what the command made, and does not take its place.
    vault.clip_real_pages("walkthroughs/blog-support-just-landed.md")
    lead = answer(vault, "How do I create a standalone blog?")[0]
    assert lead["citations"][0]["quote"] == "You can bootstrap a new project using the mkdocs executable:", lead


def test_what_the_writer_tried_first_does_not_open_a_section_as_its_answer(vault: Vault) -> None:
    # A review's cases, development half of Willison's TILs. *Logging OpenAI API requests and responses using HTTPX*:
    # "Initially I tried displaying the response body using this:", then "But... this broke!". *Publishing a Web
    # Component to npm*: "My first version of this ran directly in my browser because I imported lit directly like
    # so:", the setup Vite replaced. Each had become the lead as the section's opening lead-in.
    vault.clip_real_pages("walkthroughs/openai-log-requests-responses.md", "walkthroughs/publish-web-component.md")
    for question, tried in (("How do I log OpenAI API requests with HTTPX?", "Initially I tried"),
                            ("How do I use Vite to load the lit dependency?", "My first version of this")):
        plan = retrieve(vault.root, load_config(vault.root), question)
        earlier = [c for c in gather_candidates(read_question(question), plan.passages)
                   if c.sentence.startswith(tried)]
        assert not any(c.does for c in earlier), earlier
        lead = answer(vault, question)[0]
        assert not lead["citations"][0]["quote"].startswith(tried), lead

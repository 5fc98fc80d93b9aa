"""Issue 23's twenty-sixth round: "How do I …?" on documentation, on whole pages (tests/real_pages/procedures, README
there). The answer to "How do I invite a user to a shared vault?" is a procedure: the lead-in "To invite a user to
share a remote vault:" and its six steps, quoted together; the lead-in alone answered nothing and one step alone ("In
Invite user, enter the email…") led."""

from __future__ import annotations

import json
from pathlib import Path

from kbd.ask.blocks import note_blocks
from kbd.ask.retrieve import NoteText, _passages, question_terms
from kbd.ask.slides import deck_from_answer
from kbd.engines.answers import Answer, Citation, Claim, Passage
from kbd.engines.offline_answer import OfflineAnswerer
from kbd.engines.procedures import headed_steps, introduces, procedures
from kbd.render.answer import AnswerNote, render_answer_note
from tests.conftest import Vault

REAL = Path(__file__).parent / "real_pages"


def clip(vault: Vault, *pages: str) -> Vault:
    vault.clip_real_pages(*pages)
    return vault


def claims(vault: Vault, question: str) -> list[dict]:
    """The answer's claims as `kbd ask --json` gives them, not filed."""
    out = json.loads(vault.kbd("ask", ".", question, "--no-file", "--json").stdout)
    return out["claims"]


def lead_quote(vault: Vault, question: str) -> list[str]:
    """The lines of the answer's first quote: a procedure's lead-in, then its steps."""
    return claims(vault, question)[0]["citations"][0]["quote"].split("\n")


def test_a_how_to_answer_quotes_the_lead_in_with_its_steps(vault: Vault) -> None:
    # Obsidian help's *Collaborate on a shared vault* (development half): "In Invite user, enter the email of the user
    # you want to invite." led before, a step out of its procedure.
    clip(vault, "procedures/Collaborate on a shared vault.md")
    lines = lead_quote(vault, "How do I invite a user to a shared vault?")
    assert lines == ["To invite a user to share a remote vault:", "Open Settings.", "In the side menu, select Sync.",
                     "Next to Remote vault, select Manage.",
                     "Next to the remote vault you want to share, select Manage sharing .",
                     "In Invite user, enter the email of the user you want to invite.", "Select Add."], lines
    # A step is quoted once: in its procedure, not again on its own.
    rest = [c["text"] for c in claims(vault, "How do I invite a user to a shared vault?")[1:]]
    assert "In Invite user, enter the email of the user you want to invite." not in rest, rest
    printed = vault.kbd("ask", ".", "How do I invite a user to a shared vault?", "--no-file").stdout
    # Numbered as the page numbers them.
    assert "1. To invite a user to share a remote vault:\n   1. Open Settings.\n   2. In the side menu" in printed, \
        printed


def test_a_filed_procedure_lists_its_steps_under_the_best_match(vault: Vault) -> None:
    clip(vault, "procedures/Collaborate on a shared vault.md")
    vault.kbd("ask", ".", "How do I invite a user to a shared vault?")
    note = (vault.wiki / "answers" / "How do I invite a user to a shared vault.md").read_text(encoding="utf-8")
    best = next(i for i, line in enumerate(note.splitlines()) if line.startswith("**Best match:**"))
    lines = note.splitlines()[best:best + 9]
    assert lines[0].startswith("**Best match:** “To invite a user to share a remote vault:” — [[")
    assert lines[0].endswith("^claim-1") and lines[1] == ""
    assert lines[2:8] == ["1. “Open Settings.”", "2. “In the side menu, select Sync.”",
                          "3. “Next to Remote vault, select Manage.”",
                          "4. “Next to the remote vault you want to share, select Manage sharing .”",
                          "5. “In Invite user, enter the email of the user you want to invite.”", "6. “Select Add.”"]


def test_a_procedure_below_the_lead_lists_its_steps_under_its_quote() -> None:
    # The renderer alone (a pure function): a procedure quoted as evidence nests its steps under its item.
    def cited(quote: str) -> Citation:
        return Citation(path="raw/sync.md", title="Sync", quote=quote, heading=None, block=None,
                        note_hash="sha256:0", note_type="raw")

    answer = Answer(question="How do I exclude a folder?", engine="offline", extractive=True, claims=[
        Claim("By default, Obsidian syncs all files and folders in your vault.",
              (cited("By default, Obsidian syncs all files and folders in your vault."),)),
        Claim("To exclude a specific folder from syncing: Open Settings → Sync. Select Done.",
              (cited("To exclude a specific folder from syncing:\nOpen Settings → Sync.\nSelect Done."),), True),
        Claim("There are three ways to define menu entries: Automatically In front matter",
              (cited("There are three ways to define menu entries:\nAutomatically\nIn front matter"),))])
    note = render_answer_note(AnswerNote(answer, "2026-12-07T06:00:00+00:00"))
    assert "- “To exclude a specific folder from syncing:” — [[raw/sync|Sync]] ^claim-2\n" \
           "    1. “Open Settings → Sync.”\n    2. “Select Done.”" in note, note
    # A bulleted list stays bulleted: its items are ways or options, not steps in an order.
    assert "^claim-3\n    - “Automatically”\n    - “In front matter”" in note, note
    assert Claim.from_json(answer.claims[1].to_json()).numbered and not answer.claims[2].to_json().get("numbered")


def test_a_lead_in_does_what_is_asked_when_the_verb_follows_a_to_and_its_page_names_the_thing(vault: Vault) -> None:
    # Joplin's *End-To-End Encryption* (development half): "To enable it, please follow these steps:" under "Enabling
    # E2EE"; "Do not manually enable encryption on multiple devices in parallel…" led. Zettlr's *Troubleshooting*
    # (development half) and Hugo's *Configure menus* (development half) put the verb after "to".
    clip(vault, "procedures/e2ee.md", "procedures/troubleshooting.md", "procedures/menus.md")
    lines = lead_quote(vault, "How do I enable end-to-end encryption?")
    assert lines[0] == "To enable it, please follow these steps:", lines
    assert lines[1].startswith("On your first device (eg. on the desktop application), go to the Encryption")
    assert lines[-1] == "Repeat step 5 for each device.", lines  # six long steps: a passage's usual size held four
    lines = lead_quote(vault, "How do I reset my Zettlr installation?")
    assert lines[0] == "If you want to completely reset your local Zettlr installation, follow these steps:", lines
    assert lines[1].startswith("First ensure that the application is closed")
    lines = lead_quote(vault, "How do I define menu entries?")
    assert lines[0] == "There are three ways to define menu entries:" and lines[-1] == "In your project configuration"


def test_to_make_sure_is_no_step_that_makes_anything(vault: Vault) -> None:
    # Tasks' *Auto-Suggest* (test half; found in the round's own diffs): "Things to be aware of, to make sure your
    # Tasks searches work as you intend:" led "How do I make a task recur?".
    clip(vault, "procedures/Auto-Suggest.md")
    assert not lead_quote(vault, "How do I make a task recur?")[0].startswith("Things to be aware of")
    page = Passage(path="raw/Auto-Suggest.md", title="Auto-Suggest", note_type="raw", heading="Details", block=None,
                   text="", tokens=0, note_hash="sha256:0", score=1.0, kbd_owned=False)
    lead_in = "Things to be aware of, to make sure your Tasks searches work as you intend:"
    assert not introduces(lead_in, "make", {"task", "recur"}, page)
    assert introduces("To make a task recur:", "make", {"task", "recur"}, page)


def test_steps_do_not_go_on_past_a_code_block(vault: Vault) -> None:
    # Material's *Setting up versioning* (test half; found in the round's own diffs): "…add the following lines to
    # mkdocs.yml:" introduces code, and the list item after the code ("You can also define multiple aliases…") is no
    # step of it.
    clip(vault, "procedures/setting-up-versioning.md")
    quotes = [c["citations"][0]["quote"] for c in claims(vault, "How do I set up versioning?")]
    assert not any("add the following lines to mkdocs.yml:\nYou can also define" in q for q in quotes), quotes
    blocks, _ = note_blocks((REAL / "procedures" / "setting-up-versioning.md").read_text(encoding="utf-8"))
    after = next(b for b in blocks if b.text.startswith("You can also define multiple aliases"))
    assert after.item and after.after_code


def test_a_lead_in_opens_its_passage_and_keeps_its_steps() -> None:
    # Zettlr's *Troubleshooting*: packed by size alone, a passage ended on the lead-in and its steps began the next.
    page = (REAL / "procedures" / "troubleshooting.md").read_text(encoding="utf-8")
    blocks, headings = note_blocks(page)
    note = NoteText(path="raw/troubleshooting.md", title="Troubleshooting", note_type="raw", sha256="sha256:0",
                    kbd_owned=False, blocks=tuple(blocks), headings=frozenset(headings))
    found = [p for p, _ in _passages(note, question_terms("How do I reset my Zettlr installation?"), 300)]
    led = [p for p in found if "follow these steps:" in p.text]
    assert len(led) == 1 and led[0].text.startswith("If you want to completely reset"), [p.text[:80] for p in led]
    lead_in = "If you want to completely reset your local Zettlr installation, follow these steps:"
    steps = procedures(led[0])[lead_in].lines
    assert steps[0].startswith("First ensure that the application is closed") and len(steps) >= 3


def test_an_outline_line_and_kbds_own_key_points_are_no_lead_ins() -> None:
    # Every line of a Logseq page is a list item: "To install the Logseq desktop app, head over to Logseq.com and click
    # the blue button that says Download desktop app:" is no procedure's lead-in (Logseq's *How to create a new graph*).
    text = ("To install the Logseq desktop app, head over to Logseq.com and click the blue button that says Download "
            "desktop app:\nThe site will automatically determine what Operating System you're using.")
    outline = Passage(path="raw/graph.md", title="How to create a new graph", note_type="raw", heading=None,
                      block=None, text=text, tokens=40, note_hash="sha256:0", score=1.0, kbd_owned=False,
                      items=frozenset({0, 1}))
    assert procedures(outline) == {}
    paragraph = Passage(**{**outline.__dict__, "items": frozenset({1})})
    assert [p.lines for p in procedures(paragraph).values()] == [
        ("The site will automatically determine what Operating System you're using.",)]
    summary = Passage(**{**paragraph.__dict__, "kbd_owned": True})
    assert procedures(summary) == {}


def test_an_engine_cites_no_quote_too_short_to_check() -> None:
    # Anki's *Managing Files* (development half) lists where Anki is installed; "Linux: /usr/local/share/anki" is two
    # words as quotes are checked, and the answer said "1 claim dropped" under its own quote.
    text = ("Anki is installed in the following locations by default:\nWindows: %LOCALAPPDATA%\\Programs\\Anki\n"
            "macOS: /Applications/Anki.app\nLinux: /usr/local/share/anki")
    files = Passage(path="raw/files.md", title="Managing Files", note_type="raw", heading="Program Files", block=None,
                    text=text, tokens=30, note_hash="sha256:0", score=1.0, kbd_owned=False)
    quoted = [c.citations[0].quote for c in OfflineAnswerer().draft("Where is Anki installed on Linux?", [files],
                                                                    []).claims]
    assert "Linux: /usr/local/share/anki" not in quoted, quoted


def test_a_short_lead_in_leads_with_its_steps_and_its_page_says_what_it_installs(vault: Vault) -> None:
    # Anki's *Installing & Upgrading Anki on Linux* (development half): "To install Anki:" is three words, and "Linux"
    # is only in the page's title; "This makes it easier to install Anki on distros that…" led.
    clip(vault, "anki/platform/linux/installing.md")
    lines = lead_quote(vault, "How do I install Anki on Linux?")
    assert lines[0] == "To install Anki:", lines
    assert lines[1] == "Download Anki from https://apps.ankiweb.net to your Downloads folder.", lines


def test_a_procedure_passage_comes_first_and_keeps_all_its_steps(vault: Vault) -> None:
    # Zettlr's *Migrating to a New Computer* (development half): the passage of "…involves four steps…:" tied with the
    # page's opening and with sections under later headings, and was left out for them; its four steps are long, and
    # a passage of the usual size held two.
    clip(vault, "procedures/migrating.md")
    lines = lead_quote(vault, "How do I migrate Zettlr to a new computer?")
    assert lines[0].startswith("Migrating your data to a new computer involves four steps"), lines
    assert lines[4] == "Open your workspaces again, one by one, until all are back up.", lines
    # Its fifth step is a link alone ("[setup your reference manager](../editor/citations.md)"), a step all the same.
    assert lines[5:] == ["Finally, setup your reference manager again, if applicable."], lines


def test_a_noun_after_the_is_no_step_that_does_it() -> None:
    # Jekyll's *Merging a Pull Request* (test half; found on the round's held-out questions): "The merge request is made
    # up of three things:" led "How do I merge a pull request?", its list the parts of a bot's command.
    page = Passage(path="raw/merging-a-pull-request.md", title="Merging a Pull Request", note_type="raw",
                   heading="Merging", block=None, text="", tokens=0, note_hash="sha256:0", score=1.0, kbd_owned=False)
    assert not introduces("The merge request is made up of three things:", "merge", {"pull", "request"}, page)
    assert introduces("To merge a pull request, leave a comment thanking the contributor, then add the special merge "
                      "request:", "merge", {"pull", "request"}, page)


def test_a_sections_list_under_a_heading_that_does_what_is_asked_is_the_answer(vault: Vault) -> None:
    # Obsidian help's *Audio recorder* and *Manage sites* (development half): "## Record audio in a note", then three
    # numbered steps and no lead-in; "Audio recorder is a core plugin that lets you record…" led, and for the site ID
    # the step "Click Edit site ID to the right of the site you want to edit.".
    clip(vault, "Audio recorder.md", "Manage sites.md")
    assert lead_quote(vault, "How do I record audio in a note?") == [
        "Create a new note or open an existing note.",
        "In the ribbon, click Start/stop recording to start recording. The recording starts as soon as the icon "
        "changes color.",
        "Click the icon again to stop the recording and add it to your note."]
    printed = vault.kbd("ask", ".", "How do I change the site ID?", "--no-file").stdout
    assert printed.split("\n\n")[1].startswith("1. Change the site ID:\n   1. In ribbon"), printed
    vault.kbd("ask", ".", "How do I record audio in a note?")
    note = (vault.wiki / "answers" / "How do I record audio in a note.md").read_text(encoding="utf-8")
    assert "**Best match:** [[raw/Audio recorder#Record audio in a note|Audio recorder › Record audio in a note]] " \
           "^claim-1\n\n1. “Create a new note or open an existing note.”\n" in note, note


def test_only_a_heading_that_does_what_is_asked_leads_its_list(vault: Vault) -> None:
    # Obsidian help's *Themes* (development half): four sections of steps that each open Settings and select Manage;
    # "How do I uninstall a theme?" is answered by the list under "Uninstall an existing theme" alone.
    clip(vault, "Themes.md")
    first = claims(vault, "How do I uninstall a theme?")[0]["citations"][0]
    assert first["anchor"] == "#Uninstall an existing theme", first
    assert first["quote"].split("\n")[-1] == "Select the theme you want to use, and then select Uninstall.", first


def test_a_list_cut_in_two_passages_is_led_only_by_its_own_lead_in() -> None:
    # Obsidian help's *Manage sites* (development half), cut into passages of 30 tokens: a passage that begins in the
    # middle of a section's list does not begin its procedure.
    page = (REAL / "Manage sites.md").read_text(encoding="utf-8")
    blocks, headings = note_blocks(page)
    note = NoteText(path="raw/Manage sites.md", title="Manage sites", note_type="raw", sha256="sha256:0",
                    kbd_owned=False, blocks=tuple(blocks), headings=frozenset(headings))
    found = [p for p, _ in _passages(note, question_terms("How do I change the site ID?"), 30)]
    under = [p for p in found if p.heading == "Change the site ID"]
    assert len(under) > 1 and under[0].opens_section and not any(p.opens_section for p in under[1:])
    assert headed_steps(under[0]) and not any(headed_steps(p) for p in under[1:])


def test_a_numbered_lists_items_are_told_from_a_bulleted_lists() -> None:
    # Obsidian help's *Themes* numbers its steps; Tasks' *Auto-Suggest* lists what may happen, in bullets.
    themes, _ = note_blocks((REAL / "Themes.md").read_text(encoding="utf-8"))
    assert next(b for b in themes if b.text == "Open Settings.").numbered
    suggest, _ = note_blocks((REAL / "procedures" / "Auto-Suggest.md").read_text(encoding="utf-8"))
    bullet = next(b for b in suggest if b.text == "Multiple plugins try to provide suggestions simultaneously")
    assert bullet.item and not bullet.numbered


def test_turning_on_is_not_turning_off(vault: Vault) -> None:
    # Obsidian help's *Plugin security* (development half; found by the round's review): "To turn off Restricted
    # mode:" and "To turn on Restricted mode:" tied ("on" and "off" are stopwords), and the first led both questions.
    clip(vault, "procedures/Plugin security.md")
    assert lead_quote(vault, "How do I turn on Restricted mode?")[0] == "To turn on Restricted mode:"
    assert lead_quote(vault, "How do I turn off Restricted mode?")[0] == "To turn off Restricted mode:"
    # The particle may end the question (a second review).
    assert lead_quote(vault, "How do I turn Restricted mode on?")[0] == "To turn on Restricted mode:"


def test_no_sentence_of_a_procedure_is_quoted_again_on_its_own(vault: Vault) -> None:
    # Jekyll's *Travis CI* (development half; found by the round's review): step 4 is two sentences, "Optionally
    # configure the build by clicking on the gear icon. Further configuration happens via your .travis.yml file.",
    # and each was quoted again below the procedure.
    clip(vault, "procedures/travis-ci.md")
    found = claims(vault, "How do I enable Travis builds?")
    assert found[0]["citations"][0]["quote"].startswith("To enable Travis builds for your GitHub repository:")
    rest = " ".join(c["text"] for c in found[1:])
    assert "Optionally configure the build" not in rest and "Further configuration happens" not in rest, rest
    # Nor before it: a step that ranks above its procedure gives way to it, not quoted twice.
    texts = [c["text"] for c in claims(vault, "How do I flick the repository switch on?")]
    assert sum("Flick the repository switch on so that it turns blue." in t for t in texts) == 1, texts


def test_a_numbered_step_that_is_a_link_is_still_a_step(vault: Vault) -> None:
    # Obsidian help's *Refund policy* (development half; found by the round's review): "1. Log into [your Obsidian
    # account](…)." was left out as a block of links, and the procedure began at its second step, numbered 1.
    clip(vault, "Refund policy.md")
    lines = lead_quote(vault, "How do I request a refund?")
    assert lines[:2] == ["Log into your Obsidian account.", "Under Billing → Invoices and refunds, select View."], lines


def test_a_sections_list_after_the_code_that_ended_the_section_before_is_its_own() -> None:
    # Obsidian help's *Download and install Obsidian* (test half; a bug the round's review found): "## Install Obsidian
    # on Android" follows a code block that ends the Linux section, and its steps were read as "after code".
    page = (REAL / "procedures" / "Download and install Obsidian.md").read_text(encoding="utf-8")
    blocks, _ = note_blocks(page)
    first = next(b for b in blocks if b.heading == "Install Obsidian on Android")
    assert first.item and first.numbered and not first.after_code, first


def test_a_lead_in_that_only_says_steps_follow_takes_its_headings_verb() -> None:
    # Obsidian Tasks' *Make a query user interface* (test half; the round's review): "## How to set it up", then
    # "Follow these steps, which assume you have already turned off Obsidian's Restricted mode:".
    page = Passage(path="raw/Make a query user interface.md", title="Make a query user interface", note_type="raw",
                   heading="How to set it up", block=None, text="", tokens=0, note_hash="sha256:0", score=1.0,
                   kbd_owned=False)
    lead_in = "Follow these steps, which assume you have already turned off Obsidian's Restricted mode:"
    assert introduces(lead_in, "set", {"query", "user", "interface"}, page, "up")
    assert not introduces(lead_in, "make", {"query", "user", "interface"}, page)


def test_a_deck_of_an_answer_gives_a_procedure_slides_of_its_own() -> None:
    # `kbd ask … --format marp` ran a procedure's six steps into one bullet, cut after three (the round's review).
    def cited(quote: str, heading: str) -> Citation:
        return Citation(path="raw/e2ee.md", title="End-To-End Encryption (E2EE)", quote=quote, heading=heading,
                        block=None, note_hash="sha256:0", note_type="raw")

    steps = [f"Step number {n} of enabling encryption." for n in range(1, 7)]
    answer = Answer(question="How do I enable end-to-end encryption?", engine="offline", extractive=True, claims=[
        Claim("…", (cited("\n".join(["To enable it, please follow these steps:", *steps]), "Enabling E2EE"),), True),
        Claim("Joplin supports end-to-end encryption (E2EE) on all the applications.",
              (cited("Joplin supports end-to-end encryption (E2EE) on all the applications.", "Intro"),))])
    deck = deck_from_answer(answer, "How do I enable end-to-end encryption?", 20)
    titles = [s.title for s in deck.slides]
    # The heading names what the steps do where the lead-in only says that steps follow.
    assert titles == ["Enabling E2EE (1 of 2)", "Enabling E2EE (2 of 2)", "End-To-End Encryption (E2EE)"], titles
    # Six steps are three and three, not five and one; each slide's notes quote its own steps (a second review).
    assert deck.slides[0].bullets[0] == "1. Step number 1 of enabling encryption."
    assert deck.slides[1].bullets == tuple(f"{n}. Step number {n} of enabling encryption." for n in (4, 5, 6))
    assert "Step number 6" in deck.slides[1].notes and "Step number 6" not in deck.slides[0].notes


def test_steps_under_a_heading_no_link_can_name_still_say_which_section() -> None:
    # A heading with "|" or ":" cannot be linked exactly; the steps quoted without it still name it (the review).
    quote = "Open the widget panel.\nSelect Configure."
    citation = Citation(path="raw/widget.md", title="Widget", quote=quote, heading="Set up: the widget | panel",
                        block=None, note_hash="sha256:0", note_type="raw")
    answer = Answer(question="How do I set up the widget?", engine="offline", extractive=True,
                    claims=[Claim("Open the widget panel. Select Configure.", (citation,))])
    note = render_answer_note(AnswerNote(answer, "2026-12-07T06:00:00+00:00"))
    assert "**Best match:** [[raw/widget|Widget › Set up: the widget - panel]] ^claim-1" in note, note


def test_a_list_goes_on_past_the_code_under_its_items(vault: Vault) -> None:
    # Josh Branchaud's TIL *Different Ways To Define An Interval* (development half; the round's review): each of its
    # four numbered ways has a code block under it, and the procedure stopped at the first.
    # In its folder, as the corpus has it: "postgres/" says what the note is about, as its title does not.
    vault.clip("postgres/different-ways-to-define-an-interval.md",
               (REAL / "procedures" / "different-ways-to-define-an-interval.md").read_text(encoding="utf-8"))
    vault.compile()
    lines = lead_quote(vault, "How do I define an interval in Postgres?")
    assert lines[0] == "Here are four different ways to define an interval:" and len(lines) == 5, lines
    assert lines[4].startswith("The make_interval function can take various forms of arguments"), lines


def test_a_label_of_two_things_is_no_step(vault: Vault) -> None:
    # Obsidian Tasks' *Task Dependencies* (development half; the round's review): "Searching and dependencies:", a
    # known limitation's label, led "How do I search dependencies?".
    clip(vault, "procedures/Task Dependencies.md")
    assert lead_quote(vault, "How do I search dependencies?")[0] != "Searching and dependencies:"
    page = Passage(path="raw/Task Dependencies.md", title="Task Dependencies", note_type="raw",
                   heading="Known Limitations", block=None, text="", tokens=0, note_hash="sha256:0", score=1.0,
                   kbd_owned=False)
    assert not introduces("Searching and dependencies:", "search", {"depend"}, page)
    assert introduces("Migrating your data to a new computer involves four steps:", "migrate", {"computer"}, page)


def test_a_run_of_numbered_links_is_a_menu_not_steps() -> None:
    # USA.gov's *How to vote* as a crawler saved it (development half of the web-page corpus): a breadcrumb of numbered
    # links ("1. [ Home ](/)", "2. [ Voting and elections ](…)") is a site's menu; a numbered step that is a link
    # beside steps of words stays (Obsidian help's *Refund policy*).
    blocks, _ = note_blocks((REAL / "procedures" / "usa_gov_how-to-vote.md").read_text(encoding="utf-8"))
    assert not any(b.text in ("Home", "Voting and elections") for b in blocks), [b.text for b in blocks][:20]
    blocks, _ = note_blocks((REAL / "Refund policy.md").read_text(encoding="utf-8"))
    assert any(b.text == "Log into your Obsidian account." and b.numbered for b in blocks)


def test_a_procedure_for_another_thing_or_direction_does_not_lead(vault: Vault) -> None:
    # Found by the round's second review. Obsidian help's *Download and install Obsidian* (test half): "Install Obsidian
    # on Android" led "How do I install Obsidian on iOS?" on the one word "Obsidian"; *Views and editing mode*
    # (development half) and *Plugin security*: "To switch to Reading view:" led "How can I switch on Restricted
    # mode?" ("mode" in its page's title).
    clip(vault, "procedures/Download and install Obsidian.md", "Views and editing mode.md",
         "procedures/Plugin security.md")
    first = claims(vault, "How do I install Obsidian on iOS?")[0]["citations"][0]
    assert first["anchor"] != "#Install Obsidian on Android", first
    assert not lead_quote(vault, "How can I switch on Restricted mode?")[0].startswith("To switch to Reading view")
    page = Passage(path="raw/Views and editing mode.md", title="Views and editing mode", note_type="raw",
                   heading="Reading view", block=None, text="", tokens=0, note_hash="sha256:0", score=1.0,
                   kbd_owned=False)
    assert not introduces("To switch to Reading view:", "switch", {"restrict", "mode"}, page, "on")
    assert introduces("To switch to Reading view:", "switch", {"read", "view"}, page)


def test_a_note_whose_procedure_is_a_sections_list_gives_that_passage_first(vault: Vault) -> None:
    # Obsidian's developer docs, *Build a theme* (development half; the second review): "## Step 2: Enable the theme"
    # and its three steps tied with the page's other sections, and three passages of a note were taken before it.
    clip(vault, "obsidian-developer-docs/Build a theme.md")
    assert lead_quote(vault, "How do I enable the theme?")[0] == "In Obsidian, open Settings."
    printed = vault.kbd("ask", ".", "How do I enable the theme?", "--no-file").stdout
    assert "1. Step 2: Enable the theme:\n   1. In Obsidian, open Settings." in printed, printed

"""Issue 23's twenty-seventh round: the code a lead-in introduces, on whole pages (tests/real_pages/code and others,
README there). Documentation answers "How do I …?" with a lead-in and code ("To add a custom icon for your plugin, use
the addIcon() utility:", then the program); code was never quoted, and the answer was the lead-in alone, which says
nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from kbd.ask.answer import check_draft
from kbd.ask.blocks import MAX_CODE_LINES, Block, note_blocks
from kbd.ask.retrieve import NoteText, RetrievalPlan, _passages, _said_by_summary, question_terms
from kbd.ask.slides import deck_from_answer
from kbd.engines.answers import Answer, Citation, CitedQuote, Claim, Code, Draft, DraftClaim, Passage
from kbd.engines.base import word_key
from kbd.engines.offline_answer import OfflineAnswerer
from kbd.engines.procedures import introduces, procedures
from kbd.render.answer import AnswerNote, render_answer_note
from kbd.render.slides import render_deck
from kbd.vault.dialects import opens_code
from tests.conftest import Vault

REAL = Path(__file__).parent / "real_pages"


def blocks_of(page: str) -> list:
    return note_blocks((REAL / page).read_text(encoding="utf-8"))[0]


def lead(vault: Vault, question: str) -> dict:
    """The answer's first claim as `kbd ask --json` gives it, not filed."""
    return json.loads(vault.kbd("ask", ".", question, "--no-file", "--json").stdout)["claims"][0]


def test_a_how_to_answer_shows_the_code_its_lead_in_introduces(vault: Vault) -> None:
    # The Obsidian developer docs' *Icons* (development half): the lead-in led alone, and the program was not shown.
    vault.clip_real_pages("code/Icons.md")
    claim = lead(vault, "How do I add a custom icon for my plugin?")
    assert claim["citations"][0]["quote"] == "To add a custom icon for your plugin, use the addIcon() utility:", claim
    [code] = claim["code"]
    assert code["line"] == 0 and code["language"] == "ts", code
    assert code["text"].startswith("import { addIcon, Plugin } from 'obsidian';\n\nexport default class"), code
    assert "addIcon('circle', `<circle cx=\"50\" cy=\"50\" r=\"50\" fill=\"currentColor\" />`);" in code["text"]
    # Code answers "How do I …?"; for "What is …?" the same lead-in is quoted without it.
    other = json.loads(vault.kbd("ask", ".", "What is the addIcon utility?", "--no-file", "--json").stdout)["claims"]
    assert other and not any("code" in c for c in other), other
    printed = vault.kbd("ask", ".", "How do I add a custom icon for my plugin?", "--no-file").stdout
    assert "1. To add a custom icon for your plugin, use the addIcon() utility:\n" \
           "       import { addIcon, Plugin } from 'obsidian';\n\n       export default class" in printed, printed


def test_an_answer_says_where_it_leaves_a_long_code_block_out() -> None:
    # Where the lead-in's code is too long to quote, the note says so under it: a lead-in with nothing under it
    # ("…a WebSocket location:") looked like a broken answer.
    quote = "Example data:"
    answer = Answer(question="How do I flatten nested JSON?", engine="offline", extractive=True, claims=[
        Claim(quote, (Citation("raw/jq.md", "jq", quote, note_type="raw"),), code=((0, Code("json", "", 61)),))])
    note = render_answer_note(AnswerNote(answer, asked="2026-12-07T00:00:00+00:00"))
    assert "^claim-1\n\n*In the note: 61 lines of code, too long to quote.*\n\n" in note, note
    # Below the lead, in a list item: a paragraph of its own, or it runs on from the item's line and hides `^claim-2`.
    answer = Answer(question="How do I flatten nested JSON?", engine="offline", extractive=True, claims=[
        Claim("A lead.", (Citation("raw/jq.md", "jq", "A lead sentence here.", note_type="raw"),)), *answer.claims])
    note = render_answer_note(AnswerNote(answer, asked="2026-12-07T00:00:00+00:00"))
    assert "^claim-2\n\n  *In the note: 61 lines of code, too long to quote.*\n" in note, note
    assert "claim-2" in {b.block for b in note_blocks(note.split("---\n", 2)[2], quoted_lines=True)[0]}


def test_a_filed_answer_puts_the_code_in_a_fence_under_its_lead_in(vault: Vault) -> None:
    vault.clip_real_pages("code/Icons.md")
    vault.kbd("ask", ".", "How do I add a custom icon for my plugin?")
    lines = (vault.wiki / "answers" / "How do I add a custom icon for my plugin.md").read_text(
        encoding="utf-8").splitlines()
    best = next(i for i, line in enumerate(lines) if line.startswith("**Best match:**"))
    assert lines[best].endswith("^claim-1") and lines[best + 1] == "", lines[best:best + 3]
    # The code holds backticks (a template literal): the fence has more of them than any run in the code.
    assert lines[best + 2] == "```ts" and lines[best + 3] == "import { addIcon, Plugin } from 'obsidian';", \
        lines[best:best + 5]
    end = lines.index("```", best + 3)
    assert lines[end - 1] == "}" and lines[end + 1] == "", lines[best:end + 2]


def test_hugo_code_toggle_is_the_code_a_lead_in_introduces(vault: Vault) -> None:
    # Hugo's *robots.txt template* (development half) shows configuration in `{{< code-toggle >}}` … `{{< /code-toggle
    # >}}`: "To generate a robots.txt file from a template, change your project configuration:" said nothing more.
    vault.clip_real_pages("code/robots.md")
    claim = lead(vault, "How do I generate a robots.txt file?")
    assert claim["citations"][0]["quote"].startswith("To generate a robots.txt file from a template"), claim
    assert [(c["line"], c["language"], c["text"]) for c in claim["code"]] == [(0, "toml", "enableRobotsTXT = true")], \
        claim


def test_each_step_shows_the_code_inside_its_item(vault: Vault) -> None:
    # The developer docs' *Build a plugin* (development half): "2. Clone the sample plugin using Git." ends with no
    # colon, and its command is indented under it, inside its list item.
    blocks = blocks_of("obsidian-developer-docs/Build a plugin.md")
    shown = {b.text: b.shows.text for b in blocks if b.shows}
    assert shown["Clone the sample plugin using Git."] == \
        "git clone https://github.com/obsidianmd/obsidian-sample-plugin.git", shown
    assert shown["Install dependencies."] == "npm install" and shown["Compile the source code. The following command "
                                                                     "keeps running in the terminal and rebuilds the "
                                                                     "plugin when you modify the source code."] == \
        "npm run dev", shown
    # SilverBullet's *Distribution and Testing* (development half): the first of five steps shows a library page.
    vault.clip_real_pages("silverbullet/Distribution and Testing.md")
    vault.kbd("ask", ".", "How do I create a Meta Page for my plug?")
    note = (vault.wiki / "answers" / "How do I create a Meta Page for my plug.md").read_text(encoding="utf-8")
    # The step that ends with a colon is quoted alone, with the page its code shows.
    assert "**Best match:** “Create a Meta Page under Library/yourname/Your Thing with frontmatter that lists the " \
           "plug file:” — [[" in note, note
    best = note.split("**Best match:**", 1)[1].split("\n")
    assert best[2:5] == ["```yaml", "---", "name: Library/yourname/Your Thing"] and "This library adds …" in best, best


def test_a_lead_in_with_its_code_outranks_a_step_that_names_the_tool(vault: Vault) -> None:
    # Jekyll's *Ruby 101* (development half): "Install Bundler using gem install bundler." installs Bundler, not the
    # gems; the lead-in with its commands does what is asked and counts as a procedure does.
    vault.clip_real_pages("code/ruby-101.md")
    claim = lead(vault, "How do I install gems with Bundler?")
    quote = "To install gems in your Gemfile using Bundler, run the following in the directory that has the Gemfile:"
    assert claim["citations"][0]["quote"] == quote, claim
    assert claim["code"][0]["text"] == "bundle install\nbundle exec jekyll serve", claim


def test_a_step_that_ends_with_a_colon_introduces_its_code_and_no_step_after_it() -> None:
    # SilverBullet's *Distribution and Testing*: "1. Create a Meta Page … that lists the plug file:" is a lead-in of the
    # page its code shows; the steps after it are the list's, not its.
    blocks = blocks_of("silverbullet/Distribution and Testing.md")
    note = NoteText(path="raw/d.md", title="Distribution and Testing", note_type="raw", sha256="sha256:0",
                    kbd_owned=False, blocks=tuple(blocks), headings=frozenset())
    [passage] = [p for p, _ in _passages(note, question_terms("How do I create a Meta Page?"), 300)
                 if "Create a Meta Page" in p.text]
    step = "Create a Meta Page under Library/yourname/Your Thing with frontmatter that lists the plug file:"
    found = procedures(passage)[step]
    assert found.lines == () and found.lead_in_code is not None, found
    assert found.lead_in_code.language == "yaml" and found.lead_in_code.text.startswith("---\nname: Library/")


def test_a_lead_in_of_two_sentences_is_quoted_whole_with_its_code() -> None:
    # Jekyll's *Order of interpretation* (development half): "For example, suppose you have the following property in
    # your front matter: …. You could do this:" and the script after it (past a `{% raw %}` marker, no text); "You
    # could do this:" alone said nothing of what it does, and the sentence before it was quoted again on its own.
    blocks = blocks_of("code/orderofinterpretation.md")
    note = NoteText(path="raw/o.md", title="Order of interpretation", note_type="raw", sha256="sha256:0",
                    kbd_owned=False, blocks=tuple(blocks), headings=frozenset())
    found = [p for p, _ in _passages(note, question_terms("How do I populate a script with Liquid?"), 300)]
    [passage] = [p for p in found if "You could do this:" in p.text]
    [steps] = [s for s in procedures(passage).values() if s.lead_in.endswith("You could do this:")]
    assert steps.lead_in.startswith("For example, suppose you have the following property in your front matter:")
    assert steps.lead_in_code is not None and steps.lead_in_code.text.startswith('<button onclick="someFunction()">')
    quotes = [c.citations[0].quote for c in OfflineAnswerer().draft("How do I use a front matter property?", [passage],
                                                                    []).claims]
    assert steps.lead_in in quotes and not any(q.startswith("For example") and q != steps.lead_in for q in quotes), \
        quotes
    # Hugo's *Shortcode* (development half): "This will output the following HTML. Note how the first two img
    # shortcodes inherit … whereas the third img only uses src:" is one lead-in; its second sentence is not quoted
    # again on its own, with the same HTML under it.
    note = NoteText(path="raw/s.md", title="Shortcode", note_type="raw", sha256="sha256:0", kbd_owned=False,
                    blocks=tuple(blocks_of("code/shortcode.md")), headings=frozenset())
    question = "How do I inherit the class value of a parent gallery shortcode?"
    passages = [p for p, _ in _passages(note, question_terms(question), 300) if "output the following HTML" in p.text]
    quotes = [c.citations[0].quote for c in OfflineAnswerer().draft(question, passages, []).claims]
    assert quotes[0].startswith("This will output the following HTML. Note how the first two img shortcodes"), quotes
    assert not any(q.startswith("Note how the first two img") for q in quotes), quotes


def test_a_block_cut_into_pieces_keeps_its_code_on_the_last() -> None:
    # A block longer than a passage is cut at sentence ends ("Compile the source code. The following command keeps
    # running…", with `npm run dev` under it, in *Build a plugin*): the code follows its last piece.
    blocks = blocks_of("obsidian-developer-docs/Build a plugin.md")
    note = NoteText(path="raw/b.md", title="Build a plugin", note_type="raw", sha256="sha256:0", kbd_owned=False,
                    blocks=tuple(blocks), headings=frozenset())
    found = [p for p, _ in _passages(note, question_terms("How do I compile the source code?"), 35)]
    shown = {p.text.split("\n")[at]: code.text for p in found for at, code in p.code}
    assert shown["The following command keeps running in the terminal and rebuilds the plugin when you modify the "
                 "source code."] == "npm run dev", shown
    assert "Compile the source code." not in shown, shown


def test_a_clippings_lead_in_is_kept_with_its_code_though_its_summary_says_the_lead_in() -> None:
    # A summary that says a clipping's every sentence speaks for it, and the clipping's passage was left out; a
    # summary has no code, so a passage with code stays (a short page's summary said "To add a custom icon …:" alone).
    clipping = NoteText(path="raw/Icons.md", title="Icons", note_type="raw", sha256="sha256:0", kbd_owned=False,
                        blocks=tuple(blocks_of("code/Icons.md")), headings=frozenset())
    lead_in = "To add a custom icon for your plugin, use the addIcon() utility:"
    summary = NoteText(path="wiki/sources/Icons.md", title="Icons", note_type="source", sha256="sha256:1",
                       kbd_owned=True, blocks=(Block(None, None, lead_in),), headings=frozenset(),
                       clipping="raw/Icons.md")
    [passage] = [p for p, _ in _passages(clipping, question_terms("How do I add a custom icon?"), 300)
                 if p.text == lead_in]
    notes = {clipping.path: clipping, summary.path: summary}
    assert passage.code and not _said_by_summary(passage, notes)
    assert _said_by_summary(replace(passage, code=()), notes)


def test_a_lead_in_that_shows_an_error_is_no_procedure(vault: Vault) -> None:
    # Willison's *Using C_INCLUDE_PATH to install Python packages* and *Getting Python MD5 to work with FIPS systems*
    # (development half): "I tried to install … and got this error:" and "…attempting to run Datasette on a FIPS system
    # produces the following runtime error:" name the asked verb and introduce what failed; they led with the error.
    vault.clip_real_pages("code/using-c-include-path-to-install-python-packages.md", "code/md5-fips.md")
    claim = lead(vault, "How do I install Python packages using C_INCLUDE_PATH?")
    # The command after "I used the following one-liner…:" is a paragraph of inline code: the code it introduces.
    assert claim["citations"][0]["quote"] == \
        "I used the following one-liner to successfully install the package:", claim
    assert claim["code"][0]["text"].startswith("C_INCLUDE_PATH=/usr/local/Cellar/python@3.10/") and \
        claim["code"][0]["text"].endswith("pip install datasette-bplist"), claim
    quotes = [c["citations"][0]["quote"] for c in json.loads(vault.kbd(
        "ask", ".", "How do I run Datasette on a FIPS system?", "--no-file", "--json").stdout)["claims"]]
    assert not quotes[0].endswith("produces the following runtime error:"), quotes


def test_code_in_a_callout_is_the_code_its_lead_in_introduces(vault: Vault) -> None:
    # Tasks' *Filters* (development half) writes its examples in callouts: "> To find tasks which really do start
    # before tomorrow:", then "> ````text" and the query; the lead-in led alone.
    vault.clip_real_pages("code/Filters.md")
    claim = lead(vault, "How do I find tasks which really do start before tomorrow?")
    assert claim["citations"][0]["quote"] == "To find tasks which really do start before tomorrow:", claim
    assert "( (starts before tomorrow) AND (has start date) )" in claim["code"][0]["text"], claim
    assert not any(line.startswith(">") for line in claim["code"][0]["text"].split("\n")), claim
    # A quote's fence left open ends with the quote: the text after the callout is no code.
    page = (REAL / "code" / "Filters.md").read_text(encoding="utf-8")
    unclosed = page.replace("> ( (starts before tomorrow) AND (has start date) )\n> ```\n> ````\n",
                            "> ( (starts before tomorrow) AND (has start date) )\n")
    assert unclosed != page
    texts = [b.text for b in note_blocks(unclosed)[0]]
    assert any(t.startswith("See Dates") or t.startswith("See created date") for t in texts), texts[-40:]


def test_a_step_that_names_an_error_it_raises_is_still_a_step() -> None:
    # Hugo's *Page resources* (development half): "Render a single image, and throw an error if the file does not
    # exist:" is an instruction, its template after it; only a lead-in that ends with what was printed shows output.
    blocks = blocks_of("code/page-resources.md")
    note = NoteText(path="raw/page-resources.md", title="Page resources", note_type="raw", sha256="sha256:0",
                    kbd_owned=False, blocks=tuple(blocks), headings=frozenset())
    lead_in = "Render a single image, and throw an error if the file does not exist:"
    [passage] = [p for p, _ in _passages(note, question_terms("How do I render a single image?"), 300)
                 if lead_in in p.text]
    assert introduces(lead_in, "render", {word_key("image")}, passage)
    assert procedures(passage)[lead_in].lead_in_code.text.startswith('{{ $path := "images/a.jpg" }}')
    assert not introduces("When I tried to render the image I saw this error:", "render", {word_key("image")}, passage)


def test_a_step_quoted_alone_shows_its_command(vault: Vault) -> None:
    # *Build a plugin*: "Clone the sample plugin using Git." is a step of no lead-in's procedure (its section opens with
    # prose); quoted alone, it still shows the command indented under it.
    vault.clip_real_pages("obsidian-developer-docs/Build a plugin.md")
    claim = lead(vault, "How do I clone the sample plugin?")
    assert claim["citations"][0]["quote"] == "Clone the sample plugin using Git.", claim
    assert claim["code"] == [{"line": 0, "language": "bash",
                              "text": "git clone https://github.com/obsidianmd/obsidian-sample-plugin.git"}], claim


def test_a_megabyte_of_minified_code_after_a_lead_in_is_left_to_its_note(vault: Vault) -> None:
    # *Icons* with its program minified onto one line of a megabyte (hostile text): one line is no guard; the answer
    # leads with the lead-in, shows none of it and says so.
    page = (REAL / "code" / "Icons.md").read_text(encoding="utf-8")
    start = page.index("```ts\nimport { addIcon") + len("```ts\n")
    end = page.index("```", start)
    vault.no_image_downloads()
    # A short block right after it is no lead-in's either: it would stand for the one left out.
    vault.clip("Icons.md", page[:start] + "addIcon('x', '" + "x" * 1_000_000 + "');\n```\n```ts\nconsole.log(1);\n" +
               page[end:])
    vault.compile()
    claim = lead(vault, "How do I add a custom icon for my plugin?")
    assert claim["citations"][0]["quote"] == "To add a custom icon for your plugin, use the addIcon() utility:", claim
    assert claim["code"] == [{"line": 0, "language": "ts", "text": "", "left_out": 1}], str(claim)[:300]
    printed = vault.kbd("ask", ".", "How do I add a custom icon for my plugin?", "--no-file").stdout
    assert "use the addIcon() utility:\n       (in the note: 1 line of code, too long to quote)\n" in printed, printed


def test_code_under_a_heading_is_the_headings_not_the_lead_in_above_it() -> None:
    # Willison's *The most basic possible Hugo site* (development half): "I created three files in this directory:",
    # then each file under a heading of its name and its code; none of the three is the lead-in's.
    blocks = blocks_of("code/hugo-basic.md")
    lead_in = next(b for b in blocks if b.text.endswith("I created three files in this directory:"))
    assert lead_in.shows is None


def test_code_at_the_margin_after_a_list_is_no_items() -> None:
    # Obsidian Web Clipper's *Logic* (development half): a list of what is truthy ends "- Everything else is
    # **truthy**.", and the example after it, at the margin, is out of the list; the example after "Use {% else %} … to
    # chain multiple conditions:" is that lead-in's, and none follows "Use {% if %} to conditionally include content…".
    blocks = blocks_of("code/Logic.md")
    shown = {b.text: b.shows for b in blocks}
    assert shown["Everything else is truthy."] is None
    # The example after "Use {% if %}…" is no lead-in's: its heading's, "## Conditionals", which does nothing asked
    # (tests/test_heading_code.py).
    use_if = next(b for b in blocks if b.text.startswith("Use {% if %} to conditionally include content"))
    assert use_if.under_heading, use_if
    assert shown["Use {% else %} to provide fallback content, and {% elseif %} to chain multiple conditions:"].text \
        .startswith('{% if status == "published" %}\nLive article'), shown


def test_a_rule_or_a_block_of_links_between_a_lead_in_and_code_parts_them() -> None:
    # *Icons* with a rule, or a paragraph of links, put between its lead-in and its program (a reviewer's edits): the
    # code is no longer right after the lead-in, and is not shown as its.
    page = (REAL / "code" / "Icons.md").read_text(encoding="utf-8")
    written = "To add a custom icon for your plugin, use the [[addIcon|addIcon()]] utility:\n"
    lead_in = "To add a custom icon for your plugin, use the addIcon() utility:"

    def shown_with(between: str) -> Code | None:
        assert written in page
        return next(b for b in note_blocks(page.replace(written, f"{written}\n{between}\n"))[0]
                    if b.text == lead_in).shows

    assert shown_with("---") is None
    assert shown_with("See [the guide](https://example.com/guide) and [the API](https://example.com/api).") is None
    # A marker that shows nothing (Liquid's `{% raw %}`, as Jekyll's *Order of interpretation* has) parts nothing.
    assert shown_with("{% raw %}") is not None


def test_a_step_indented_with_a_tab_keeps_its_code() -> None:
    # Obsidian indents a list item's lines with a tab: *Build a plugin* as Obsidian would save it after an edit.
    page = (REAL / "obsidian-developer-docs" / "Build a plugin.md").read_text(encoding="utf-8")
    tabbed = "\n".join("\t" + line[3:] if line.startswith("   ") else line for line in page.split("\n"))
    shown = {b.text: b.shows for b in note_blocks(tabbed)[0] if b.shows}
    assert shown["Clone the sample plugin using Git."].text == \
        "git clone https://github.com/obsidianmd/obsidian-sample-plugin.git", list(shown)


def test_code_after_a_paragraph_that_introduces_nothing_is_never_shown() -> None:
    # Simon Willison's *Looping over comma-separated values in Bash* (development half): "To loop over that file and
    # print each line:" introduces its loop; the output after "Output:" and the file's content are shown by their own
    # lead-ins; the paragraph "The trick is to set the Bash IFS…" introduces nothing and has no code.
    blocks = blocks_of("code/loop-over-csv.md")
    shown = {b.text: b.shows for b in blocks if b.shows}
    assert all(text.rstrip().endswith(":") for text in shown), list(shown)
    assert shown["To loop over that file and print each line:"].text.startswith("for line in $(cat /tmp/data.txt);")
    trick = next(b for b in blocks if b.text.startswith("The trick is to set the Bash IFS"))
    assert trick.shows is None


def test_a_code_block_longer_than_an_answer_shows_is_left_to_its_note() -> None:
    # Willison's *Flattening nested JSON objects with jq*: "Example data:" introduces 61 lines, a file to read in its
    # note, not a step: only its length is kept, to say so; the jq program after "Here's the recipe…:" is shown.
    blocks = blocks_of("til/flatten-nested-json-objects-jq.md")
    example = next(b for b in blocks if b.text == "Example data:")
    assert example.shows == Code("json", "", left_out=61), example.shows
    assert any(b.shows and b.shows.text and len(b.shows.text.splitlines()) <= MAX_CODE_LINES for b in blocks)


def test_a_fence_inside_the_code_is_part_of_it_and_the_note_fences_it_longer(vault: Vault) -> None:
    # Tasks' *Task Dependencies* (development half) shows a Tasks query as a reader writes it, "```tasks" and all,
    # inside a fence of four backticks: the inner "```" closes nothing.
    vault.clip_real_pages("procedures/Task Dependencies.md")
    claim = lead(vault, "How do I find tasks that are not blocked?")
    assert claim["citations"][0]["quote"] == "To find tasks which are not blocked and can be acted on, use:", claim
    assert claim["code"][0]["text"] == "```tasks\nnot done\nis not blocked\n```", claim
    vault.kbd("ask", ".", "How do I find tasks that are not blocked?")
    note = (vault.wiki / "answers" / "How do I find tasks that are not blocked.md").read_text(encoding="utf-8")
    assert "\n````text\n```tasks\nnot done\nis not blocked\n```\n````\n" in note, note


def test_the_checker_leaves_out_code_that_does_not_follow_its_line_in_the_note() -> None:
    # An engine shows code only where the note's own lead-in introduces it: code put under another line, or code the
    # note does not have, is left out of the claim, and the answer says so.
    blocks = blocks_of("code/robots.md")
    note = NoteText(path="raw/robots.md", title="robots.txt template", note_type="raw", sha256="sha256:0",
                    kbd_owned=False, blocks=tuple(blocks), headings=frozenset())
    lead_in = "To generate a robots.txt file from a template, change your project configuration:"
    passage = Passage(path=note.path, title=note.title, note_type="raw", heading=None, block=None, text=lead_in,
                      tokens=20, note_hash="sha256:0", score=1.0, kbd_owned=False)
    plan = RetrievalPlan(question="How do I generate a robots.txt file?", budget=1000, passages=[passage],
                         notes={note.path: note}, hits=[note.path], left_out=0)

    def checked(code: Code) -> tuple[list[Claim], list]:
        return check_draft(Draft([DraftClaim(lead_in, (CitedQuote(note.path, lead_in),), code=((0, code),))]), plan)

    claims, failures = checked(Code("toml", "enableRobotsTXT = true"))
    assert claims[0].code == ((0, Code("toml", "enableRobotsTXT = true")),) and not failures
    claims, failures = checked(Code("", "rm -rf ~"))
    assert claims[0].code == () and claims[0].text == lead_in, claims
    assert failures and "does not follow its line in raw/robots.md" in failures[0].reason
    # The note's own code, under a line that does not introduce it, is left out too.
    other = "Search engines that honor the Robots Exclusion Protocol will interpret this as permission to crawl"
    claims, failures = check_draft(Draft([DraftClaim(other, (CitedQuote(note.path, other),),
                                                     code=((0, Code("toml", "enableRobotsTXT = true")),))]), plan)
    assert claims[0].text == other and claims[0].code == () and failures, claims


def test_a_fences_language_is_its_first_word_or_pandocs_class() -> None:
    # Pandoc's attributes ("{#id .haskell}", Zettlr's and Quarto's pages) named the language "#id".
    assert [opens_code(f"```{info}").language for info in ("sh", 'python title="x.py"', "{.python}",
                                                             "{#id .haskell}", "{#id}", "")] == \
        ["sh", "python", "python", "haskell", "", ""]


def test_code_round_trips_through_the_answers_json() -> None:
    # What state.db keeps of an answer: a procedure's code comes back as it was shown.
    claim = Claim("To install it, run:", (Citation("raw/x.md", "X", "To install it, run:"),),
                  code=((0, Code("sh", "pip install x")),))
    assert Claim.from_json(json.loads(json.dumps(claim.to_json()))) == claim
    assert "code" not in Claim("Plain.", claim.citations).to_json()


def test_the_offline_answer_carries_each_steps_code_with_the_procedure() -> None:
    # A lead-in's steps each with the code inside its item (Build a plugin's *Step 2*, as a passage): the claim keeps
    # them by the line of the quote they follow.
    text = "To build the plugin:\nNavigate to the plugin directory.\nInstall dependencies."
    passage = Passage(path="raw/build.md", title="Build a plugin", note_type="raw", heading="Step 2: Build the plugin",
                      block=None, text=text, tokens=20, note_hash="sha256:0", score=1.0, kbd_owned=False,
                      items=frozenset({1, 2}), numbered=frozenset({1, 2}),
                      code=((1, Code("bash", "cd obsidian-sample-plugin")), (2, Code("bash", "npm install"))))
    assert procedures(passage)["To build the plugin:"].code == ((0, Code("bash", "cd obsidian-sample-plugin")),
                                                                (1, Code("bash", "npm install")))
    [claim] = OfflineAnswerer().draft("How do I build the plugin?", [passage], []).claims
    assert claim.code == ((1, Code("bash", "cd obsidian-sample-plugin")), (2, Code("bash", "npm install")))
    note = render_answer_note(AnswerNote(Answer("How do I build the plugin?", "offline", True, [
        Claim(claim.text, (Citation("raw/build.md", "Build a plugin", claim.text, note_type="raw"),), True,
              claim.code)]), asked="2026-12-07T00:00:00+00:00"))
    assert "1. “Navigate to the plugin directory.”\n   ```bash\n   cd obsidian-sample-plugin\n   ```\n" \
           "2. “Install dependencies.”\n   ```bash\n   npm install\n   ```" in note, note



def test_a_deck_of_the_answer_shows_a_lead_ins_code_on_its_slide() -> None:
    # Marp shows a fenced block as code: the lead-in is the slide's title, its code the slide; a program longer than a
    # slide holds is left to its note, and the slide says so.
    def deck_of(code: Code) -> str:
        quote = "To add a custom icon for your plugin, use the addIcon() utility:"
        answer = Answer(question="How do I add a custom icon?", engine="offline", extractive=True, claims=[
            Claim(quote, (Citation("raw/Icons.md", "Icons", quote, note_type="raw"),), code=((0, code),))])
        return render_deck(deck_from_answer(answer, "Icons", 10), "wiki/slides/Icons.md")

    short = deck_of(Code("ts", "addIcon('circle', `<circle />`);"))
    assert "## To add a custom icon for your plugin, use the addIcon() utility\n\n```ts\n" \
           "addIcon('circle', `<circle />`);\n```" in short, short
    long = deck_of(Code("ts", "\n".join(f"line({n});" for n in range(40))))
    assert "line(0);" not in long and "In the note it cites: 40 lines of code, too long for a slide." in long, long

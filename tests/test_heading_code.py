"""Issue 23's twenty-eighth round: the code a heading leads in, on whole pages (tests/real_pages/code and others,
README there). Documentation and TILs put their code under a heading that says what it does ("### Customize the
Scrollbar", a TIL's title "Set Up Vim-Plug With Neovim"), after a paragraph that introduces nothing with a colon; the
code was nobody's, and "How do I …?" was answered by a sentence around it, never by the code."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from kbd.ask.blocks import _PRINTS_ERROR, note_blocks
from kbd.ask.retrieve import NoteText, _passages, _said_by_summary, question_terms
from kbd.engines.answers import Passage
from kbd.engines.procedures import introduces
from tests.conftest import Vault

REAL = Path(__file__).parent / "real_pages"


def blocks_of(page: str) -> list:
    return note_blocks((REAL / page).read_text(encoding="utf-8"))[0]


def answer(vault: Vault, question: str) -> list[dict]:
    """The answer's claims as `kbd ask --json` gives them, not filed."""
    return json.loads(vault.kbd("ask", ".", question, "--no-file", "--json").stdout)["claims"]


def test_a_sections_first_code_answers_how_to_under_a_heading_that_says_so(vault: Vault) -> None:
    # Zettlr's *Custom CSS* (development half): "### Customize the Scrollbar", one sentence, then the CSS. The answer
    # was the sentence alone ("You can customize the scrollbar in order to…"), which says what, not how.
    vault.clip_real_pages("code/custom-css.md")
    lead = answer(vault, "How do I customize the scrollbar?")[0]
    assert lead["citations"][0]["quote"] == "You can customize the scrollbar in order to minimize its size at rest, " \
                                            "and expand it only when hovering over it.", lead
    [code] = lead["code"]
    assert code["line"] == 0 and code["language"] == "css", code
    assert code["text"].startswith("::-webkit-scrollbar {\n  width: 12px;") and code["text"].endswith(
        "::-webkit-scrollbar-track {\n  background: transparent;\n}"), code
    # Another section's heading leads in its own code, not this one; "What …?" is answered without code.
    colors = answer(vault, "How do I customize font colors?")[0]
    assert colors["code"][0]["text"].startswith("/* Quotes */\nbody .cm-editor .cm-quote {"), colors
    what = answer(vault, "What does the scrollbar do at rest?")
    assert what and not any("code" in c for c in what), what


def test_only_the_first_code_of_a_section_is_its_headings() -> None:
    # *Customize font colors* has two blocks of CSS; the second follows "You can also change the color of Markdown
    # syntax elements…", and is not the heading's. Its paragraph's last sentence names what the CSS styles ("Again,
    # replace `body` with `body.dark`…"): the paragraph's, as a lead-in's (the twenty-ninth round's rule).
    # "### Customize the Appearance of Tags" has a lead-in.
    blocks = blocks_of("code/custom-css.md")
    led = {b.text[:40]: b.shows for b in blocks if b.shows and b.under_heading}
    assert "It's possible to change font colors of s" in led and "You can customize the scrollbar in order" in led
    also = next(b for b in blocks if b.text.startswith("You can also change the color of Markdown syntax"))
    assert also.shows is not None and also.shows.text.startswith("/* Bold marks */") and not also.under_heading
    tags = next(b for b in blocks if b.text.startswith("You can change the appearance of tags"))
    assert tags.shows is not None and not tags.under_heading


def test_a_tils_title_leads_in_the_code_after_its_story(vault: Vault) -> None:
    # Branchaud's *Set Up Vim-Plug With Neovim* (development half): three paragraphs, then the command. Its summary
    # says the paragraphs; the clipping's passage is kept beside it for its code.
    vault.clip_real_pages("code/set-up-vim-plug-with-neovim.md")
    lead = answer(vault, "How do I set up vim-plug with Neovim?")[0]
    assert lead["citations"][0]["quote"].endswith("That's where you want to install vim-plug."), lead
    assert lead["citations"][0]["path"].startswith("raw/"), lead
    assert lead["code"][0]["text"].startswith("sh -c 'curl -fLo \"${XDG_DATA_HOME:-$HOME/.local/share}\"/nvim"), lead


def test_a_clipping_passage_with_its_headings_code_is_kept_beside_its_summary() -> None:
    clipping = NoteText(path="raw/vim-plug.md", title="Set Up Vim-Plug With Neovim", note_type="raw", sha256="sha256:0",
                        kbd_owned=False, blocks=tuple(blocks_of("code/set-up-vim-plug-with-neovim.md")),
                        headings=frozenset())
    # Its last paragraph names the command ("…install vim-plug."), so the code is shown after it too; without that, the
    # heading's code alone keeps the passage.
    found = [replace(p, code=()) for p, _ in _passages(clipping, question_terms("How do I install vim-plug?"), 300)
             if p.heading_code]
    assert found, found
    summary = NoteText(path="wiki/sources/vim-plug.md", title="Set Up Vim-Plug With Neovim", note_type="source",
                       sha256="sha256:1", kbd_owned=True, blocks=clipping.blocks, headings=frozenset(),
                       clipping="raw/vim-plug.md")
    notes = {clipping.path: clipping, summary.path: summary}
    assert not _said_by_summary(found[0], notes, how_to=True)
    assert _said_by_summary(found[0], notes)  # the code answers "How do I …?" only: for "What …?" the summary speaks


def test_a_heading_that_does_two_things_does_each_and_a_doubled_consonant_is_the_verb(vault: Vault) -> None:
    # Jekyll's *GitHub Pages* (development half): "### Running and Testing Locally", then the command; "Running" was
    # not "run", and "X-ing and Y" read as a label of two things ("Searching and dependencies:").
    passage = Passage("raw/github-pages.md", "GitHub Pages", "raw", "Running and Testing Locally", None, "", 0, "", 0.0,
                      False)
    assert introduces("Running and Testing Locally", "run", {"test", "local", "github", "page"}, passage)
    assert introduces("Setting up the uv virtual environment", "set", {"uv", "virtual"}, passage, "up")
    assert not introduces("Searching and dependencies:", "search", {"dependency"}, passage)
    vault.clip_real_pages("code/github-pages.md")
    lead = answer(vault, "How do I run and test locally for GitHub Pages?")[0]
    assert lead["code"][0]["text"] == 'bundle exec jekyll serve --baseurl=""', lead


def test_a_file_name_caption_parts_no_lead_in_from_its_code() -> None:
    # The Rust book's *Publishing a Crate to Crates.io* (development half): "…to use the new name for publishing, like
    # so:", then '<span class="filename">Filename: Cargo.toml</span>', then the TOML. The caption stood between them.
    blocks = blocks_of("code/ch14-02-publishing-to-crates-io.md")
    like_so = next(b for b in blocks if b.text.endswith("to use the new name for publishing, like so:"))
    assert like_so.shows is not None and like_so.shows.text == '[package]\nname = "guessing_game"', like_so
    assert not any(b.text.startswith("Filename:") for b in blocks)


def test_a_block_that_only_includes_a_file_shows_no_code() -> None:
    # The Rust book's listings are mdBook includes ("{{#rustdoc_include ../listings/…/main.rs}}"): the page has no
    # code to show, and a sentence was quoted with the include under it.
    blocks = blocks_of("rust-book/ch12-01-accepting-command-line-arguments.md")
    assert not any(b.shows and "{{#" in b.shows.text for b in blocks)
    assert any(b.shows for b in blocks_of("code/ch14-02-publishing-to-crates-io.md"))


def test_retrieval_takes_first_the_passage_whose_heading_leads_in_its_code(vault: Vault) -> None:
    # Hugo's *Taxonomies* method page (development half): "## List all content in a given taxonomy", a paragraph, then
    # the template. The page's other passages, which name taxonomies as often, were taken before it.
    vault.clip_real_pages("code/Taxonomies.md")
    lead = answer(vault, "How do I list all content in a given taxonomy?")[0]
    assert "{{ range $term, $taxonomy := .Site.Taxonomies.featured }}" in lead["code"][0]["text"], lead


def test_a_heading_leads_in_the_code_that_names_what_it_names_not_the_counterexample(vault: Vault) -> None:
    # Branchaud's *Allow Associations To Be Optional* (development half): the page shows first the `belongs_to` that is
    # required, to say what goes wrong, then the one with `optional: true`. The first code of a TIL is often the
    # problem; the heading leads in its section's first code that names a word of it, else its first.
    vault.clip_real_pages("til-jbranchaud/allow-associations-to-be-optional.md")
    lead = answer(vault, "How do I allow associations to be optional?")[0]
    assert lead["citations"][0]["quote"] == "The most explicit and precise way to make a relation optional is to " \
                                            "declare it as such in the belongs_to directive.", lead
    assert lead["code"][0]["text"] == "class Book < ApplicationRecord\n  belongs_to :author, optional: true\nend", lead


def test_a_section_whose_lead_in_introduces_code_leaves_no_code_to_its_heading() -> None:
    # Obsidian Help's *Embed files* (development half): "## Embed an image in a note", "To embed an image:" and its
    # code, then "You can change the image dimensions…" and another example. The lead-in says what its code does; the
    # later example is no answer to "How do I embed an image in a note?".
    blocks = blocks_of("Embed files.md")
    section = [b for b in blocks if b.heading == "Embed an image in a note"]
    assert next(b for b in section if b.text == "To embed an image:").shows.text == "![[Engelbart.jpg]]"
    assert not any(b.under_heading for b in section), [b.text for b in section if b.under_heading]


def test_a_long_paragraph_above_the_headings_code_is_quoted_from_its_last_sentences(vault: Vault) -> None:
    # *Dive into Deep Learning*'s *Automatic Differentiation* (development half): "## Detaching Computation", a
    # paragraph of 847 characters, then the code. An answer quotes at most 600: the sentences that end at the code.
    vault.clip_real_pages("code/autograd.md")
    lead = answer(vault, "How do I detach computation?")[0]
    quote = lead["citations"][0]["quote"]
    assert quote.startswith("The following toy example makes this clearer:") and len(quote) <= 600, quote
    assert quote.endswith("(not 3 * x * x as you might have expected since z = x * x * x)."), quote
    assert "u = y.detach()" in lead["code"][0]["text"], lead


def test_the_words_of_a_heading_that_leads_in_code_are_its_passages(vault: Vault) -> None:
    # *Custom CSS* again: "### Using a Custom Editor Font" leads in its code after a paragraph about placeholders and
    # quotation marks, which never says "editor"; retrieval read the paragraph's words only, and the section's passage
    # was not taken (so its "To use the Inter font face, for example, it may look like this:" was never seen either).
    vault.clip_real_pages("code/custom-css.md")
    lead = answer(vault, "How do I use a custom editor font?")[0]
    assert lead["citations"][0]["quote"] == "To use the Inter font face, for example, it may look like this:", lead
    assert 'font-family: "Inter", sans-serif;' in lead["code"][0]["text"], lead


def test_a_callouts_title_is_no_part_of_the_sentence_an_answer_quotes() -> None:
    # Obsidian Help's *Refund policy* and *Views and editing mode* (development half): "> [!tip] Talk to a human" over
    # "> If you have any trouble with a transaction, …" was quoted "Talk to a human If you have…", and the same sentence
    # again from the summary; the person test's callout of a heading and its code ("Keep it running after you log out
    # By default…"). The compile already read the title apart (tests/test_clipper_text.py).
    texts = [b.text for b in blocks_of("Refund policy.md")]
    assert "Talk to a human" in texts, texts
    assert any(t.startswith("If you have any trouble with a transaction") for t in texts), texts
    views = [b.text for b in blocks_of("Views and editing mode.md")]
    assert not [t for t in views if t.startswith(("View side-by-side To", "Note By default"))], views


def test_a_listing_the_page_includes_holds_its_headings_place_and_an_error_never_takes_it() -> None:
    # The Rust book's *Futures and the Async Syntax* (development half; the round's review): "### Executing an Async
    # Function with a Runtime" opens with a listing the page includes ("{{#rustdoc_include …}}"), then prose and the
    # compiler's "error[E0752]: `main` function is not allowed to be `async`": the error led the answer. And the
    # "# copy the output here" inside a "<!-- manual-regeneration" comment was read as a heading.
    blocks, headings = note_blocks((REAL / "code" / "ch17-01-futures-and-syntax.md").read_text(encoding="utf-8"))
    assert not [b for b in blocks if b.under_heading], [(b.heading, b.text) for b in blocks if b.under_heading]
    assert "copy the output here" not in headings
    # An error alone does not take a heading's place either (the *Strictly Separate…* TIL shows a TypeError after the
    # function it defines): the same page with its listing written out leads in that listing.
    page = (REAL / "code" / "ch17-01-futures-and-syntax.md").read_text(encoding="utf-8")
    written = page.replace("{{#rustdoc_include ../listings/ch17-async-await/listing-17-03/src/main.rs:main}}",
                           "fn main() {\n    let url = \"https://example.com\";\n}")
    assert written != page
    led = [b for b in note_blocks(written)[0] if b.under_heading]
    assert [b.heading for b in led] == ["Executing an Async Function with a Runtime"], led
    assert "error[E0752]" not in led[0].shows.text


def test_no_later_code_takes_the_place_of_a_sections_first_unless_it_names_the_heading() -> None:
    # Hugo's *Shortcode templates* (development half): "## Directory structure", "Create shortcode templates within
    # the layouts/_shortcodes directory…" and its tree; a later example ("When calling a shortcode in a subdirectory…")
    # names nothing of the heading and leaves the place to the first.
    led = [b.text for b in blocks_of("code/shortcode.md") if b.under_heading and b.heading == "Directory structure"]
    assert led == ["Create shortcode templates within the layouts/_shortcodes directory, either at its root or "
                   "organized into subdirectories."], led
    # Willison's *Only run GitHub Action on push to master / main* (development half): the workflow right under the
    # heading is the TIL's; "An alternative mechanism I've used…" and its snippet below are not the heading's.
    assert not [b.text for b in blocks_of("til/github-actions/only-master.md") if b.under_heading]
    # The Rust book's *Programming a Guessing Game* (development half): "### Increasing Functionality with a Crate"
    # opens with a listing the page includes; the build output after "Now, without changing any of the code, let's
    # build the project" names a crate and is no code to do it with.
    assert not [b.text for b in blocks_of("code/ch02-00-guessing-game-tutorial.md")
                if b.under_heading and b.heading == "Increasing Functionality with a Crate"]


def test_a_callouts_code_is_the_callouts_not_its_headings() -> None:
    # Obsidian Help's *Advanced formatting syntax* (development half; the second review): "### Format content within a
    # table", then a table, then "> [!note] Vertical bars in tables" with an example about escaping "|": an aside's
    # example, which led "How do I format content within a table?". The heading's code is the one after the callout.
    blocks = blocks_of("code/Advanced formatting syntax.md")
    led = [b for b in blocks if b.under_heading and b.heading == "Format content within a table"]
    assert [b.text for b in led] == ["Align text in columns by adding colons (:) to the header row. You can also align "
                                     "content in Live Preview via the context menu."], [b.text for b in led]


def test_an_html_comment_hides_its_own_lines_only() -> None:
    # The second review's hostile pages, made from *Futures and the Async Syntax*: text after the "-->" that closes a
    # comment is the page's; "    <!-- …" indented as code opens no comment (the rest of the page was lost).
    page = (REAL / "code" / "ch17-01-futures-and-syntax.md").read_text(encoding="utf-8")
    closing = "copy just the compiler error\n-->\n"
    assert closing in page
    after = page.replace(closing, "copy just the compiler error\n-->The compiler says main cannot be async.\n")
    assert "The compiler says main cannot be async." in [b.text for b in note_blocks(after)[0]]
    indented = page.replace("### Executing an Async Function with a Runtime",
                            "    <!-- not a comment\n\n### Executing an Async Function with a Runtime")
    assert indented != page
    assert [b.text for b in note_blocks(indented)[0]][-1] == [b.text for b in note_blocks(page)[0]][-1]
    assert "Executing an Async Function with a Runtime" in note_blocks(indented)[1]


def test_what_a_failed_command_printed_is_never_a_headings_code() -> None:
    # Lines real tools print when a command fails (the second review): psql, Python, Go, Rust, npm, a browser console.
    for printed in ('ERROR:  relation "users" does not exist', "Error: log file is locked",
                    "Traceback (most recent call last):", "TypeError: connect() takes 2 positional arguments",
                    "panic: runtime error: index out of range [5] with length 3",
                    "thread 'main' panicked at src/main.rs:4:5:", "npm ERR! code E404",
                    "Uncaught ReferenceError: x is not defined", "error[E0752]: `main` function is not allowed"):
        assert _PRINTS_ERROR.search(f"$ run\n{printed}\n"), printed
    for code in ("error_count = 0", "if err != nil {\n    return err\n}", "  error: 'Something went wrong'"):
        assert not _PRINTS_ERROR.search(code), code


def test_a_single_sentence_longer_than_an_answer_quotes_is_no_headings_quote(vault: Vault) -> None:
    # *Automatic Differentiation*'s "## Detaching Computation" with its paragraph made one sentence of 800 characters
    # (the second review's hostile page did so): a passage cuts such a sentence, and the quote ended mid-word, not at
    # the code. An answer quotes no more than 600 characters.
    page = (REAL / "code" / "autograd.md").read_text(encoding="utf-8")
    start = page.index("Sometimes, we wish to [**move some calculations")
    end = page.index("```", start)
    paragraph = page[start:end]
    one = paragraph.strip().removesuffix(".").replace(".", ",").replace("The following", "This") + ".\n\n"
    assert len(one) > 700 and "." not in one[:-3]
    vault.clip("autograd.md", page.replace(paragraph, one))
    vault.compile()
    claims = answer(vault, "How do I detach computation?")
    assert claims and all(len(c["citations"][0]["quote"]) <= 600 for c in claims if "code" in c), claims

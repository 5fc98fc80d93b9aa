"""Text as the page meant it (issue 23, point 5), on extracts of real clippings.

arXiv's HTML pages carry each formula as MathML with its TeX and its speech text; the Web Clipper
flattens the three into one run ("Kticketsubscript𝐾ticketK_{\\text{ticket}}italic_K start_POSTSUBSCRIPT
ticket end_POSTSUBSCRIPT"). The extract is tests/real_pages/arxiv-latexml-formulas.md (see its README).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from markdown_it import MarkdownIt

from kbd.engines.text import latexml_to_dollars, prose
from kbd.vault.markdown import parse_markdown
from kbd.vault.sanitize import escape_text, render_as_text

ARXIV = (Path(__file__).parent / "real_pages" / "arxiv-latexml-formulas.md").read_text(encoding="utf-8")
SPEECH = re.compile(r"italic_|caligraphic_|POSTSUBSCRIPT")


def written(block_text: str) -> str:
    """A block as a summary or bullet writes it."""
    return escape_text(prose(block_text) or "")


def test_a_flattened_inline_formula_is_written_as_its_tex() -> None:
    paragraph, _ = [b.text for b in parse_markdown(ARXIV).blocks]
    line = written(paragraph)
    assert not SPEECH.search(line) and "\\$" not in line and "𝒫" not in line
    assert "the top $K_{\\text{ticket}}$ most relevant historical issue tickets" in line
    assert "the named entity set $\\mathcal{P}$ derived from user queries" in line
    assert "For each entity pair $(k,v)\\in\\mathcal{P}$, cosine similarity" in line
    # A bare letter is no maths to render: it stays a letter, without dollars or its glyph copies.
    assert "between the entity value v and all graph nodes n corresponding to section k via" in line


def test_a_displayed_formula_is_written_as_its_tex_alone() -> None:
    _, table = [b.text for b in parse_markdown(ARXIV).blocks]
    assert written(table) == "$t_{i}=t_{i,\\text{rule}}\\cup t_{i,\\text{llm}}$"


def test_text_without_a_formula_is_left_as_it_is() -> None:
    # From the same clipping (its Cypher query) and from Kurt Cagle's "Changing Knowledge Graph
    # Properties and Other RDF Thoughts", as clipped in the same vault.
    for text in ("MATCH (j:Ticket {ticket_ID: ’ENT-22970’}) -[:HAS_DESCRIPTION]-> (description:Description) "
                 "-[:HAS_STEPS_TO_REPRODUCE]-> (steps_to_reproduce: StepsToReproduce) RETURN steps_to_reproduce.value",
                 "The notation <<_>> indicates a reifier on that triple."):
        assert latexml_to_dollars(text) == text
        assert render_as_text(written(text)) == text


def test_a_bracket_left_open_is_not_escaped_and_a_pair_still_is() -> None:
    # MicrosoftDocs/cpp-docs, docs/standard-library/time-get-class.md: half-open ranges.
    sentence = ("In this implementation, values in the range [69, 136) represent the range of years [1969, 2036). "
                "Values in the range [0, 69) are also permissible.")
    line = escape_text(sentence)
    assert "\\[" not in line and render_as_text(line) == sentence
    # The Cypher of the arXiv clipping above: a bracket pair is live (a link, a wikilink, a task box
    # with a definition or a `(` beside it), so its `[` is escaped.
    cypher = "-[:HAS_DESCRIPTION]-> (description:Description)"
    assert escape_text(cypher).startswith("-\\[:HAS_DESCRIPTION]->") and render_as_text(escape_text(cypher)) == cypher


def test_escaped_brackets_never_make_a_link_whatever_surrounds_them() -> None:
    # Lines of brackets, parentheses and words, escaped one by one, then read as CommonMark does in a
    # paragraph, a callout and a list, under definitions for every label they could form.
    parser = MarkdownIt("commonmark")
    pieces = ["[", "]", "(", ")", "!", "^", " ", "a", "b", ":", "[[", "]]", "http://e.example", "-", " "]
    labels = "".join(f"[{label}]: http://e.example\n" for label in ("a", "b", "a b", "a a", "b a", ":", "^a"))
    rng = random.Random(23)
    for _ in range(3000):
        lines = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 10))) for _ in range(rng.randint(1, 3))]
        escaped = [escape_text(line) for line in lines]
        for body in ("\n".join(escaped), "> [!summary]\n" + "\n".join(f"> {e}" for e in escaped),
                     "\n".join(f"- {e}" for e in escaped)):
            tokens = [t.type for block in parser.parse(f"{labels}\n{body}\n") for t in block.children or []]
            assert "link_open" not in tokens and "image" not in tokens, (lines, body)
        assert [render_as_text(e) for e in escaped] == [" ".join(line.split()) for line in lines]


def test_a_p_value_in_dollars_stays_maths() -> None:
    # Two public markdown notes on GitHub (found by exact search for "($p<0.05$)"): a market study's
    # findings and an experiment plan.
    for line in ("The Granger Causality test indicates significant statistical correlation at the **lags of 1 to "
                 "4 days** ($p<0.05$).",
                 "– Statistical significance: paired t-test ($p<0.05$) comparing each method to ERM baseline."):
        written_line = written(parse_markdown(line).blocks[0].text)
        assert "($p<0.05$)" in written_line and "\\$" not in written_line
    # A `<` that could open a tag keeps its dollars escaped (the hostile corpus's script tag).
    assert escape_text("$<script>alert(1)</script>$").startswith("\\$")


def test_a_callouts_title_never_runs_into_its_first_sentence() -> None:
    # Obsidian Help, "Views and editing mode" (tests/real_pages): "> [!tip] View side-by-side" over
    # "> To open a note in both *Editing* and *Reading view* at the same time, …".
    page = (Path(__file__).parent / "real_pages" / "Views and editing mode.md").read_text(encoding="utf-8")
    texts = [b.text for b in parse_markdown(page).blocks if b.kind == "quote"]
    assert "View side-by-side" in texts, texts
    assert any(t.startswith("To open a note in both Editing and Reading view") for t in texts), texts
    assert not [t for t in texts if t.startswith(("View side-by-side To", "Note By default"))], texts


def test_a_headings_permalink_is_no_part_of_its_text() -> None:
    # The Flask docs' *Quickstart* (flask.palletsprojects.com) as an HTML-to-Markdown crawl saved it
    # (github.com/NISHANTTMAURYA/dlrl, development half): Sphinx ends each heading with a "¶" link to itself.
    document = parse_markdown(
        '# Quickstart[¶](#quickstart "Link to this heading")\n\n'
        "Eager to get started? This page gives a good introduction to Flask. Follow "
        "[Installation](../installation/) to set up a project and install Flask first.\n\n"
        '## A Minimal Application[¶](#a-minimal-application "Link to this heading")\n')
    assert document.headings == ["Quickstart", "A Minimal Application"]
    assert "Follow Installation to set up" in document.blocks[1].text

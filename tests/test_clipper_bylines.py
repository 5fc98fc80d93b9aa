"""Authors and titles as the page gives them (issue 23, points 4), on small extracts of real clippings.

Where the extracts come from (each cut to the lines that matter):
- [ONT] Kurt Cagle's "The Ontologist" posts and Tony Seale's "Building Your Own Schema.org", as
  clipped in the public Obsidian vault github.com/alec-stealthea/Obsidian (`Clippings/`): an
  importer there took a code block's `# comment` as the `title`.
- [SAGE] "Structured like a language model: Analysing AI as an automated subject" (Big Data & Society,
  2023), as clipped into a public Obsidian vault: the Web Clipper's `author` list holds the page's
  chrome and the authors of the articles listed beside it.
- [JOSS] a Journal of Open Source Software paper's metadata (`authors:` entries with `name:`).
- [E360] the home page of Yale Environment 360 (e360.yale.edu) as an HTML-to-Markdown crawl saved it
  (github.com/NISHANTTMAURYA/dlrl, `dataset/raw_markdown/e360_yale_edu.md`, development half).
"""

from __future__ import annotations

from kbd.vault.note import RawNote, parse_raw_note


def read(path: str, text: str) -> RawNote:
    note = parse_raw_note(path, text.encode())
    assert isinstance(note, RawNote)
    return note


# [ONT] "SHACL for User Interfaces": the title property is the first comment of a Turtle listing.
SHACL_UI = """---
type: Research Clipping
title: "Prefixes"
---
In my previous article, I discussed validation in general and SHACL’s use as a language for validating RDF.

## Order and Grouping

RDF by itself has a couple of different ways of specifying groupings.

```
# Prefixes
@prefix ex: <http://example.org/> .
```
"""
# [ONT] "Transforming RDF (to JSON)": a comment in the middle of the listing, indented.
TRIGON = """---
type: Research Clipping
title: "New properties from Trigon's profile:"
---
Copyright 2025 Kurt Cagle / The Ontologist

```
        Character:nemesis
                Character:Trigon ;
        # New properties from Trigon's profile:
        Character:hasParent
                Character:Trigon ;  # Inverse of Trigon's "parentOf"
```
"""


def test_a_title_read_from_a_code_comment_gives_way_to_the_file_name() -> None:
    assert read("raw/SHACL for User Interfaces.md", SHACL_UI).title == "SHACL for User Interfaces"
    assert read("raw/Transforming RDF (to JSON).md", TRIGON).title == "Transforming RDF (to JSON)"


# [ONT] "The Future of Knowledge": the same importer took the heading of the first section, below the
# article's opening paragraph, for the title.
FUTURE = """---
type: Research Clipping
title: "Where Knowledge Graphs Came From"
---

Knowledge graphs seem to have sprung up out of nowhere in the last couple of years, but they are in fact \
one of the older data structures currently in use, dating back at least a quarter century.

# Where Knowledge Graphs Came From

I began working with what are now known as knowledge graphs in 2002.
"""


def test_a_title_read_from_a_section_below_the_opening_gives_way_to_the_file_name() -> None:
    assert read("raw/The Future of Knowledge.md", FUTURE).title == "The Future of Knowledge"


def test_a_title_that_heads_the_page_or_names_the_file_stays() -> None:
    # The same page with its heading on top: the title is the page's own.
    heading = "# Where Knowledge Graphs Came From\n\n"
    on_top = FUTURE.replace(heading, "").replace("---\n\n", "---\n" + heading)
    assert read("raw/The Future of Knowledge.md", on_top).title == "Where Knowledge Graphs Came From"
    # A file the Web Clipper named after the title, less what a file name cannot hold.
    assert read("raw/Where Knowledge Graphs Came From.md", FUTURE).title == "Where Knowledge Graphs Came From"
    postal = ('---\ntitle: "Untying the Gordian Knot: Reforming Canada’s Postal Market"\n---\n'
              "Canada Post’s financial crisis requires more than cost cuts.\n\n# Untying the Gordian Knot: "
              "Reforming Canada’s Postal Market\n\nThis Commentary examines postal reform.\n")
    assert (read("raw/Untying the Gordian Knot Reforming Canada’s Postal Market.md", postal).title
            == "Untying the Gordian Knot: Reforming Canada’s Postal Market")


# [SAGE], the properties as clipped and the abstract's first sentence.
SAGE = ("""---
title: "Structured like a language model: Analysing AI as an automated subject - """
        """Liam Magee, Vanicka Arora, Luke Munn, 2023"
source: https://journals.sagepub.com/doi/10.1177/20539517231210273
author:
  - "[[Submission Guidelines]]"
  - "[[Google Scholar]]"
  - "[[View all publications by this author]]"
  - "[[Alex Lyman]]"
  - "[[Omer Shahab]]"
  - "[[Stanley A. Leavy]]"
published: ""
---
## Abstract

Drawing from the resources of psychoanalysis and critical media studies, in this article we develop """
        """an analysis of large language models (LLMs) as ‘automated subjects’.
""")


def test_related_article_authors_give_way_to_the_authors_the_title_names() -> None:
    note = read("raw/Structured like a language model.md", SAGE)
    assert note.meta.author == ["Liam Magee", "Vanicka Arora", "Luke Munn"]
    assert any("author" in w for w in note.warnings)


def test_a_papers_author_entries_with_names_are_its_authors() -> None:
    text = """---
title: 'Causal forests for communication research'
authors:
  - name: Saurabh Khanna
    orcid: 0000-0002-9346-4896
    affiliation: 1
  - name: Jochen Peter
    orcid: 0000-0002-2356-6619
    affiliation: 1
affiliations:
 - name: Amsterdam School of Communication Research, University of Amsterdam
   index: 1
citation_author: Khanna and Peter
---
# Summary

Heterogeneous effects are the rule in communication research.
"""
    assert read("raw/paper.md", text).meta.author == ["Saurabh Khanna", "Jochen Peter"]  # [JOSS]


def test_the_citation_author_names_the_authors_when_the_author_list_is_chrome() -> None:
    # [SAGE]'s chrome entries, beside the `citation_author` the page's metadata gives ([JOSS]'s form).
    text = ('---\ntitle: "Structured like a language model"\nauthor:\n  - "[[Submission Guidelines]]"\n'
            '  - "[[Google Scholar]]"\ncitation_author: N. Raillard et al.\n---\nDrawing from the resources of '
            "psychoanalysis and critical media studies.\n")
    assert read("raw/x.md", text).meta.author == ["N. Raillard"]


def test_a_byline_on_the_page_names_its_authors() -> None:
    # [ONT] "Building Your Own Schema.org" (Medium): no author property, a byline under the header image.
    medium = ('---\ntitle: "Building Your Own Schema.org"\ndescription: "["\n---\n'
              "How to invert the data integration problem within your organisation\n\n"
              "![](https://miro.medium.com/v2/resize:fit:875/1*KRGk4L43WrOMkDywKvTnVA.jpeg)\n\nby Tony Seale\n\n"
              "Schema markup is a structured data vocabulary that helps search engines better understand the "
              "information on websites.\n")
    assert read("raw/Building Your Own Schema.org.md", medium).meta.author == ["Tony Seale"]
    # [ONT] "When Chloe Became a Better Ontologist Than Me" (Substack): the byline in the description
    # names one more author than the property.
    substack = ('---\ntitle: "When Chloe Became a Better Ontologist Than Me"\nauthor:\n  - "[[Kurt Cagle]]"\n'
                'description: "by Kurt Cagle & Chloe Shannon"\n---\nThere is a particular kind of humility that '
                "arrives not as a blow but as a slow, accumulating evidence.\n")
    assert read("raw/Chloe.md", substack).meta.author == ["Kurt Cagle", "Chloe Shannon"]


def test_a_sentence_that_starts_with_by_is_no_byline() -> None:
    # [ONT] "Prompt Engineering Cheat Sheet" and "Validating ANYTHING with SHACL".
    text = ("---\ntitle: Prompt Engineering Cheat Sheet\n---\nBy considering each element, you can guide the LLM "
            "towards the desired outcome.\n\nBy the late 1970s, we were making the transition from type-oriented "
            "systems to object-oriented ones.\n")
    assert read("raw/x.md", text).meta.author == []


def test_a_byline_under_another_articles_heading_is_that_articles() -> None:
    # [E360] The home page lists its lead feature with the feature's byline: not the page's author.
    home = ("Search Search\n\n# [Yale Environment 360](https://e360.yale.edu/)\n\n"
            "## Published at the [Yale School of the Environment](http://environment.yale.edu/)\n\n"
            "### ANALYSIS\n\n"
            "#  [As U.S. and E.U. Retreat on Climate, China Takes the Leadership Role]"
            "(https://e360.yale.edu/features/china-climate-diplomacy)\n\n"
            "As U.N. talks get underway, China is emerging as a key leader in international climate efforts.\n\n"
            "By [ Isabel Hilton](/authors/isabel-hilton)\n")
    note = read("raw/e360_yale_edu.md", home)
    assert note.title == "Yale Environment 360"
    assert note.meta.author == []
    # The same byline under the page's own heading is the page's.
    feature = ("# As U.S. and E.U. Retreat on Climate, China Takes the Leadership Role\n\n"
               "As U.N. talks get underway, China is emerging as a key leader in international climate efforts.\n\n"
               "By [ Isabel Hilton](/authors/isabel-hilton)\n")
    assert read("raw/china-climate-diplomacy.md", feature).meta.author == ["Isabel Hilton"]


"""Issue 23, points 2 and 3: what a concept page, an answer and a deck say, tried on small extracts
of real pages (never on sentences written to pass).

Where the extracts come from (the development half of the public Obsidian vault
github.com/alec-stealthea/Obsidian, `Clippings/`, as clipped):
- [KG] Google, "Introducing the Knowledge Graph: things, not strings" (blog.google, 2012);
- [KGR] Kurt Cagle, "What is a Knowledge Graph Really?" (The Ontologist);
- [I23] what issue 23 quotes from 91 real clippings on sleep, depression, exercise and diet.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from kbd.engines.answers import Passage
from kbd.engines.findings import defines, finding_rank, says_about, stated_numbers, synthesis_points
from kbd.engines.offline_answer import OfflineAnswerer
from kbd.engines.slides import OfflineSlides
from tests.conftest import Vault, clipper_note
from tests.test_concept_evidence import compile_real_pages

# [KG], three paragraphs as clipped.
GOOGLE = (
    "The Knowledge Graph enables you to search for things, people or places that Google knows about—landmarks, "
    "celebrities, cities, sports teams, buildings, geographical features, movies, celestial objects, works of art "
    "and more—and instantly get information that’s relevant to your query. This is a critical first step towards "
    "building the next generation of search, which taps into the collective intelligence of the web and "
    "understands the world a bit more like people do.\n\n"
    "We’ve always believed that the perfect search engine should understand exactly what you mean and give you "
    "back exactly what you want. And we can now sometimes help answer your next question before you’ve asked it, "
    "because the facts we show are informed by what other people have searched for. For example, the information "
    "we show for Tom Cruise answers 37 percent of next queries that people ask about him. In fact, some of the "
    "most serendipitous discoveries I’ve made using the Knowledge Graph are through the magical “People also "
    "search for” feature.\n\n"
    "The Knowledge Graph also helps us understand the relationships between things. Marie Curie is a person in "
    "the Knowledge Graph, and she had two children, one of whom also won a Nobel Prize, as well as a husband, "
    "Pierre Curie, who claimed a third Nobel Prize for the family. All of these are linked in our graph.\n")
# [KGR], three paragraphs as clipped.
CAGLE = (
    "Since then, if a company in the knowledge space was not flogging some neural network-based AI, they were "
    "selling knowledge graphs, and like many such terms, most people would be hard-pressed to describe what that "
    "means. In some of the broadest definitions I’ve seen, a knowledge graph could be any relational database, "
    "just as, ten years before, anyone working with cloud computing was somehow involved in Big Data.\n\n"
    "The purpose of this article is to state what I believe a knowledge graph is, at least for discussion "
    "purposes. It’s worth digging into this list to understand better what constitutes a knowledge graph.\n\n"
    "Relational graphs (SQL graphs) enforce this condition (you should not have the previous graph in a "
    "relational graph). Knowledge graphs, on the other hand, don’t explicitly rule it out. Another distinction "
    "between relational graphs and knowledge graphs is one of referential integrity. In a knowledge graph, on the "
    "other hand, each primary key is globally unique (a uniform resource identifier or URI), and there is no "
    "explicit requirement that a referenced foreign key has to be within the database.\n")


def concept_page(vault: Vault, concept: str) -> str:
    path = next(p for p in (vault.wiki / "concepts").glob("*.md") if p.stem.casefold() == concept.casefold())
    return path.read_text(encoding="utf-8")


def test_a_concept_synthesis_is_written_from_its_bullets_not_a_template(vault: Vault) -> None:
    vault.clip("google.md", clipper_note("Introducing the Knowledge Graph: things, not strings", GOOGLE))
    vault.clip("cagle.md", clipper_note("What is a Knowledge Graph Really?", CAGLE))
    vault.compile()
    page = concept_page(vault, "Knowledge graph")
    synthesis = page.split("> [!abstract] Synthesis\n", 1)[1].split("\n\n", 1)[0]
    assert "in this wiki discuss" not in synthesis and "most closely" not in synthesis, synthesis
    findings = [line for line in synthesis.splitlines() if line.startswith("> - ")]
    assert findings and all("[[wiki/sources/" in line for line in findings), synthesis
    # Each finding is a sentence a source wrote (the page's bullet for it), never a sentence of kbd's.
    sentences = [line[4:].split(" ([[", 1)[0] for line in findings]
    assert all(s in GOOGLE or s in CAGLE for s in sentences), sentences
    # The two say nothing in common, so the synthesis is the finding about the concept (its name opens
    # it), not each bullet moved above the list: the other source's bullet still says what it says.
    assert sentences == [next(s for s in sentences if s.startswith("The Knowledge Graph enables"))], sentences
    bullets = page.split("## What the sources say (2)\n", 1)[1].split("\n\n", 1)[0].splitlines()
    said = [line.split(" — ", 1)[1] for line in bullets if " — " in line]
    assert len(said) == 1 and said[0] in CAGLE, bullets


def test_findings_agree_and_numbers_come_from_the_bullets() -> None:
    bullets = [
        "The purpose of this article is to state what I believe a knowledge graph is, at least for discussion "
        "purposes.",  # [KGR]
        "For example, the information we show for Tom Cruise answers 37 percent of next queries that people ask "
        "about him.",  # [KG]
        "We searched for randomised controlled trials of exercise for depression.",  # [I23]
        "The Knowledge Graph also helps us understand the relationships between things.",  # [KG]
        "Another distinction between relational graphs and knowledge graphs is one of referential integrity.",  # [KGR]
    ]
    points = synthesis_points(bullets, "Knowledge graph", 3)
    # No two agree: the strongest finding alone, a result about the concept (its name opens it).
    assert finding_rank(bullets[2]) == 0 and [p.index for p in points] == [3]
    # The same sentence from two sources is one finding the two agree on; a sentence no other states
    # stays a bullet.
    twice = synthesis_points([bullets[3], bullets[0], bullets[3]], "Knowledge graph", 3)
    assert [(p.index, p.agreeing) for p in twice] == [(0, (2,))]
    numbers = stated_numbers(bullets, 4)
    assert [(n.index, n.text) for n in numbers] == [
        (1, "the information we show for Tom Cruise answers 37 percent of next queries that people ask about him")]
    # [I23] a number grouped by a thousands space is one number, its clause kept whole.
    assert [n.text for n in stated_numbers(["The cohort included 79 551 participants."], 1)] == [
        "The cohort included 79 551 participants"]


def test_a_concept_page_opens_with_what_it_is() -> None:
    # The bullets of *Remote resource* on the development half of Hugo's docs (gohugoio/hugoDocs, Apache 2.0): three
    # function pages agree that it is one of three kinds of resource, and the glossary says what it is. A reader
    # opening the page learns that first, then what the sources agree on.
    bullets = [
        "Use the transform.Unmarshal function with global, page, and remote resources.",  # transform/Unmarshal
        "A remote resource is a file on a remote server, accessible via HTTP or HTTPS.",  # glossary/remote-resource
        "With the default configuration Hugo bypasses the HTTP cache for every remote resource, and polling is "
        "disabled.",  # configuration/http-cache
        "With a remote resource, the Name method returns a hashed file name.",  # methods/resource/Name
        "This is a legacy function, superseded by the Width and Height methods for global resources, page resources, "
        "and remote resources.",  # functions/images/Config
        "font : (resource.Resource) The font can be a global resource, a page resource, or a remote resource.",
        "Use the resources.Copy function with global, page, and remote resources.",  # functions/resources/Copy
    ]
    assert [(p.index, p.agreeing) for p in synthesis_points(bullets, "Remote resource", 3)] == [(1, ()), (0, (4, 5, 6))]
    # What says what a thing is, in the singular or plural, after an article at most (real sentences of the
    # wikis' pages: Hugo's, Jekyll's, SilverBullet's, Zettlr's, Logseq's docs)…
    said = [("A page bundle is a directory that encapsulates both content and associated resources.", "Page bundle"),
            ("Permalinks are the output path for your pages, posts, or collections.", "Permalinks"),
            ("Libraries are collections of Space Lua scripts, templates, and pages.", "Libraries"),
            ("PKMS is the abbreviation for Personal Knowledge Management System.", "PKMS"),
            ("Taxonomies are user-defined groupings of content.", "Taxonomy"),
            ("A taxonomy page is a page with the taxonomy page kind.", "Taxonomy pages"),
            ("Arrays are ordered collections of values.", "Array"), ("Keys are unique identifiers.", "Key"),
            ("Retrieval-augmented generation (RAG) is a technique for grounding answers.", "Retrieval-augmented "
             "generation"),
            ("A Zettelkasten, or slip box, is a method of note-taking.", "Zettelkasten"),
            ("A leaf bundle is a directory that contains an index.md file and zero or more resources.", "Leaf bundle"),
            # a finding verb in a relative clause reports nothing (the second review's)
            ("A sitemap is a file that shows search engines which pages exist.", "Sitemap"),
            ("Denormalization is a technique that reduces the number of joins.", "Denormalization")]
    assert [defines(sentence, name) for sentence, name in said] == [True] * len(said)
    # …and what only opens with the name: news, a state, another name ending in it, a clause about something else.
    other = [("Joplin 2.4 is now available on desktop, mobile and CLI.", "Joplin"),
             ("Keyboard shortcuts are not enabled by default.", "Keyboard shortcuts"),
             ("Core plugins are officially built and supported by the Obsidian team.", "Core plugin"),
             ("Slash commands are quick ways to perform repetitive tasks.", "Commands"),
             ("Since JSON is a universal data format, it would be useful to turn some items into JSON.", "JSON"),
             ("Django~=4.0 means version Django 4.0 or higher, but less than 4.1.", "Django"),
             ("The Store method is useful for storing values.", "Store method"),
             # a review's: judgements, states, comparisons and results, which a synthesis must not lead with
             ("Large language models are bad at arithmetic.", "Large language model"),
             ("Large language models are prone to hallucinating citations.", "Large language model"),
             ("Vaccines are safe and effective, the study found.", "Vaccine"),
             ("Migrations are irreversible once deployed.", "Migration"), ("Docker images are big.", "Docker image"),
             ("Add-ons are shared across profiles.", "Add-on"),
             ("Sleep is a major factor in memory consolidation, the researchers report.", "Sleep"),
             ("Python is the most popular language on GitHub.", "Python"),
             ("Caffeine is one of the strongest predictors.", "Caffeine"),
             ("Postgres is a bit slower than SQLite.", "Postgres"), ("Bun is the fastest runtime we tried.", "Bun"),
             ("Rust is one reason our binary is 40% smaller.", "Rust"), ("GPT-4 is a big step forward.", "GPT-4"),
             ("Hugo is the world's fastest framework for building websites.", "Hugo"),
             ("Meditation is an effective treatment for anxiety.", "Meditation"),
             ("Exercise is a strong predictor of longevity.", "Exercise"), ("Git is the de facto standard.", "Git")]
    assert [defines(sentence, name) for sentence, name in other] == [False] * len(other)


CURL = ("curling-with-basic-auth-credentials", "download-a-file-with-curl", "limit-protocols-used-in-a-curl-command",
        "run-a-curl-command-without-the-progress-meter")


def test_a_pointer_elsewhere_is_no_finding(vault: Vault) -> None:
    # Four of Josh Branchaud's TILs on curl (tests/real_pages/til-jbranchaud, development half) end "See `man curl`
    # for more details.": they agreed by "more details", and the synthesis of *Curl* was that sentence, "2 of 4
    # sources agree". 77 synthesis lines of the 32 halves were such pointers.
    assert "Curl" in compile_real_pages(vault, "til-jbranchaud", CURL)
    synthesis = [line for line in concept_page(vault, "Curl").splitlines() if line.startswith("> - ")]
    assert synthesis and not [line for line in synthesis if "for more details" in line], synthesis
    # The kinds of pointer real notes write (a review's list, most of them from Obsidian's help and Foam's docs)…
    pointers = ["See `man curl` for more details.", "For more information, refer to Manifest.",
                "More details can be found in the related GitHub issue.", "For details, see the paper.",
                "To learn more about how to format your notes using Markdown, refer to Basic formatting syntax.",
                "You can read more about it here.", "(See man curl for more details.)", "See also Global Query."]
    assert [finding_rank(p) for p in pointers] == [0] * len(pointers)
    assert synthesis_points(pointers, "Curl", 3) == []
    # …and what only starts like one: a finding after "See Table 2:", advice, "for more than", an "information"
    # that improved something.
    said = ["See Table 2: the hazard ratio was 0.62 for the treated group.", "See how the cache shrinks by half.",
            "Consult a doctor before stopping the medication, because withdrawal is common.",
            "Look at the outcomes for more than 10,000 patients: mortality fell by 40 percent.",
            "More information improved the accuracy of the model by 15 percent.",
            "Further details of specific enforcement policies may be posted separately.",
            "Check out the branch before you rebase."]
    assert [finding_rank(s) > 0 for s in said] == [True] * len(said)


def test_a_page_whose_every_quote_points_elsewhere_has_no_empty_synthesis(vault: Vault) -> None:
    # Two of Branchaud's TILs on brew bundle (test half, a review's case): each says of it only "See `man brew` and
    # find the section on brew bundle for more details." or a label. The page showed an empty Synthesis box.
    compile_real_pages(vault, "til-jbranchaud", ("clean-up-your-brew-installations",
                                                 "install-from-nonstandard-brewfile"))
    page = concept_page(vault, "Brew bundle")
    assert "## What the sources say (2)" in page and "[!abstract] Synthesis\n\n" not in page, page


# [GR] "Retrieval Augmented Generation", the first paragraphs as clipped (its `description` is the first
# sentence, which ends in a colon: the summary's first line has no full stop).
GRAPH_RAG_DESCRIPTION = ("“Graph RAG” (Graph-based Retrieval-Augmented Generation) is an approach to building "
                         "language model applications that combines two key ideas:")
GRAPH_RAG = (
    f"{GRAPH_RAG_DESCRIPTION}\n\n"
    "1. **Knowledge Graphs** – Data is stored in a graph structure (nodes and edges) that captures entities and "
    "their relationships.\n"
    "2. **Retrieval-Augmented Generation (RAG)** – A language model is augmented with an external knowledge "
    "source. Before answering a query, it “retrieves” relevant information from that source to provide more "
    "accurate and context-aware outputs.\n\n"
    "In **Graph RAG**, the retrieval process looks up relevant nodes and relationships in a knowledge graph—rather "
    "than searching plain text documents—so that the model can ground its generation in an explicit, structured "
    "representation of the facts.\n")


def test_an_answer_never_merges_two_lines_of_a_summary_into_one_claim(vault: Vault) -> None:
    note = ('---\ntitle: "Retrieval Augmented Generation"\n'
            f'description: "{GRAPH_RAG_DESCRIPTION}"\n---\n{GRAPH_RAG}')
    vault.clip("rag.md", note)
    vault.compile()
    summary = (vault.wiki / "sources/Retrieval Augmented Generation.md").read_text(encoding="utf-8")
    lines = [line[2:] for line in summary.split("> [!summary]\n", 1)[1].split("\n\n", 1)[0].splitlines()]
    assert lines[0] == GRAPH_RAG_DESCRIPTION and len(lines) >= 2, lines
    answer = json.loads(vault.kbd("ask", ".", "What is Graph RAG?", "--no-file", "--json").stdout)
    claims = [c["text"] for c in answer["claims"]]
    # Each claim is one sentence of the note, never the summary's first line run into its second (kbd's
    # own merge made a quote longer than an answer takes, and the finding in it was lost).
    assert claims and not answer["dropped"], answer
    assert not [c for c in claims if "two key ideas:" in c and c != GRAPH_RAG_DESCRIPTION], claims
    assert lines[1] in claims or any(lines[1] in c for c in claims), (lines, claims)


# [CR] Appleton et al., "ω-3 Fatty acids for major depressive disorder in adults: an abridged Cochrane review",
# BMJ Open 2016 (PMC4785331), from its abstract: the objective, and three sentences of the results.
OMEGA_TITLE = "ω-3 Fatty acids for major depressive disorder in adults: an abridged Cochrane review"
OMEGA_AIM = ("To assess the effects of n-3 polyunsaturated fatty acids (n-3PUFAs; also known as ω-3 fatty acids) "
             "compared with comparator for major depressive disorder (MDD) in adults.")
OMEGA_COUNT = "20 trials encompassing 26 relevant studies were found."
OMEGA_RESULT = ("For n-3PUFAs versus placebo, n-3PUFA supplementation resulted in a small-to-modest benefit for "
                "depressive symptomology: SMD=−0.32 (95% CI −0.52 to −0.12; 25 studies, 1373 participants, very "
                "low-quality evidence), but this effect is unlikely to be clinically meaningful, is very imprecise "
                "and, based on funnel plot inspection, sensitivity analyses and comparison with large well-conducted "
                "trials, is likely to be biased.")
OMEGA_HARMS = ("Numbers of individuals experiencing adverse events were similar in intervention and placebo groups "
               "(OR=1.24, 95% CI 0.95 to 1.62; 19 studies, 1207 participants; very low-quality evidence).")


def source_passage(path: str, title: str, text: str) -> Passage:
    return Passage(path=path, title=title, note_type="source", heading=None, block=None, text=text,
                   tokens=len(text) // 4, note_hash="sha256:x", score=1.0, kbd_owned=True)


def test_a_deck_has_one_slide_per_finding_results_first_never_aims_or_methods() -> None:
    passages = [
        source_passage("wiki/sources/Omega.md", OMEGA_TITLE,
                       f"{OMEGA_AIM}\n{OMEGA_COUNT} {OMEGA_RESULT}\n{OMEGA_HARMS}"),
        source_passage("wiki/sources/Google.md", "Introducing the Knowledge Graph: things, not strings", GOOGLE),
    ]
    deck = OfflineSlides().slides("Omega-3 fatty acids for depression", passages, 12)
    leads = [s.bullets[0] for s in deck.slides]
    # The two findings of the review are two slides, the pooled result first; its aim and its count of
    # trials are on none (a deck of aims and methods scored 1 of 3).
    omega = [s for s in deck.slides if OMEGA_TITLE.startswith(s.title.rstrip("…"))]
    assert len(omega) == 2, leads
    assert omega[0].bullets[0].startswith("For n-3PUFAs versus placebo") and "SMD=−0.32" in omega[0].bullets[0]
    assert omega[1].bullets[0].startswith("Numbers of individuals experiencing adverse events")
    shown = " ".join(b for s in deck.slides for b in s.bullets)
    assert "To assess the effects" not in shown and "20 trials encompassing" not in shown, leads
    # Every slide cites the passage its finding is from, and every finding is on one slide only.
    assert all(passages[s.cites[0]].title.startswith(s.title.rstrip("…")) for s in deck.slides)
    assert len(leads) == len(set(leads))


def test_a_bullet_that_only_labels_the_concept_quotes_nothing(vault: Vault) -> None:
    # Whole pages of Obsidian Help (tests/real_pages, development half): *Create a base* says "Open the
    # Command palette." as a step, which tells a reader of the Command palette's page nothing.
    pages = Path(__file__).parent / "real_pages"
    for title in ("Create a base", "Pop-out windows", "Import from Google Keep"):
        vault.clip(f"{title}.md", (pages / f"{title}.md").read_text(encoding="utf-8"))
    vault.compile()
    page = concept_page(vault, "Command palette")
    assert "\n- [[wiki/sources/Create a base|Create a base]]\n" in page, page
    assert "Open the Command palette." not in page, page
    assert "In the Command palette, select Move current tab in new window." in page, page


def test_a_quote_says_something_with_three_words_besides_the_name() -> None:
    # Quotes the development halves gave concept pages (Obsidian Help, Anki, Foam, Zettlr docs).
    labels = [("Open the Command palette.", "Command palette"), ("Daily Note — Open your daily note", "Daily note"),
              ("Headless Sync", "Headless Sync"), ("Restore an automatic backup.", "Automatic backups"),
              ("Diagrams in Markdown", "Markdown"), ("Autocorrect and Magic Quotes", "Magic Quotes")]
    assert not any(says_about(sentence, name) for sentence, name in labels)
    assert says_about("Sync uses end-to-end encryption.", "Sync")
    assert says_about("In the Command palette, select Move current tab in new window.", "Command palette")


# Foam's documentation (tests/real_pages/foam, development half): *Graph Visualization* and *Daily Notes*.
GRAPH_VIEW = ("The graph view transforms your notes into a visual network, revealing connections between ideas.\n"
              "To open it, run the Foam: Show Graph command.\n"
              "Open a named view via a keybinding in keybindings.json:\n"
              "A view named \"Default\" is applied automatically whenever the graph opens — use it to set your "
              "preferred starting configuration.")
DAILY_NOTES = ("Daily notes allow you to quickly create and access a note file for each day.\n"
               "Open daily note automatically on VS Code startup:\n"
               "By default, daily notes are created as yyyy-mm-dd.md in the workspace's journals folder.")


def test_an_answer_to_how_do_i_leads_with_a_step_and_never_with_a_lead_in() -> None:
    passages = [source_passage("raw/graph-view.md", "Graph Visualization", GRAPH_VIEW)]
    draft = OfflineAnswerer().draft("How do I open the graph view?", passages, [])
    assert draft.claims[0].text == "To open it, run the Foam: Show Graph command.", draft.claims
    # A sentence that introduces a list or code ("…in keybindings.json:") quotes nothing of what it introduces.
    assert not any(c.text.endswith(":") for c in draft.claims[:2]), draft.claims


def test_an_answer_to_what_is_leads_with_what_the_docs_say_it_does() -> None:
    # Retrieval ranked the section with the lead-in first; "Daily notes allow you to…" is what a daily note is.
    automatic, *rest = DAILY_NOTES.split("\n")[1:]
    passages = [replace(source_passage("raw/daily-notes.md", "Daily Notes", "\n".join([automatic, *rest])), score=1.3),
                source_passage("wiki/sources/Daily Notes.md", "Daily Notes", DAILY_NOTES.split("\n")[0])]
    draft = OfflineAnswerer().draft("What is a daily note?", passages, [])
    assert draft.claims[0].text.startswith("Daily notes allow you to"), draft.claims


# Found by a review of the first version, which gave any step a bonus: Obsidian Help's *Community plugins*
# (development half) and two sentences of Zettlr's documentation (github.com/Zettlr/zettlr-docs, GPL-3.0: its
# FAQ and its page on footnotes).
COMMUNITY_PLUGINS = ("To install a community plugin, you must first turn off Restricted Mode.\n"
                     "To use an installed plugin, you need to enable it.\n"
                     "Either select Enable directly after installing it, or enable it from the list of Community "
                     "plugins under Settings → Community plugins → Installed plugins.\n"
                     "To update all your plugins:")


def test_a_step_leads_only_where_it_does_what_the_question_asks() -> None:
    install, enable = COMMUNITY_PLUGINS.split("\n")[:2], COMMUNITY_PLUGINS.split("\n")[2:]
    # Retrieval put the section "Install a community plugin" a little above "Enable a community plugin".
    passages = [replace(source_passage("raw/Community plugins.md", "Community plugins", "\n".join(install)), score=1.4),
                source_passage("raw/Community plugins.md", "Community plugins", "\n".join(enable))]
    draft = OfflineAnswerer().draft("How do I enable a community plugin?", passages, [])
    assert draft.claims[0].text.startswith("Either select Enable directly"), draft.claims
    passages = [source_passage("raw/faq.md", "FAQ", "Add the special classes - (simply a minus) or .unlisted "
                               "respectively."),
                source_passage("raw/footnotes.md", "Footnotes", "For more information, refer to the Markdown "
                               "compendium on how to write footnotes.")]
    draft = OfflineAnswerer().draft("How do I add a footnote?", passages, [])
    assert "footnotes" in draft.claims[0].text, draft.claims

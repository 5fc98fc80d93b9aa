"""What the reader sees: concepts a curator would make, clean summaries, whole-word matching,
core topics, copies counted once, related sources that mean something. Clipping-shaped fixtures:
papers with abstracts and reference lists, news with cookie banners and menus, multi-part posts."""

from __future__ import annotations

from kbd.engines.base import ConceptMention, SourceInput, SourceSummary, concept_key, contains_phrase, phrase_tokens
from kbd.engines.lexicon import VERB_FORMS
from kbd.engines.offline import OfflineEngine
from kbd.engines.text import clean_document, strip_citations
from kbd.vault.markdown import parse_markdown
from kbd.vault.note import ClipperMeta
from tests.conftest import Vault, clipper_note

NEWS_MENU = "- [Home](/)\n- [World](/world)\n- [Politics](/politics)\n- [Business](/business)\n- [Sport](/sport)\n"
COOKIES = ("We use cookies to improve your experience and to show relevant advertising. By clicking Accept all, "
           "you agree to our Cookie Policy. [Manage preferences](#) [Accept all](#)")


def paper(title: str, abstract: str, body: str) -> str:
    return f"""# {title}

J. Doe<sup>1</sup>, A. Roe<sup>2</sup>

<sup>1</sup> Department of Psychiatry, University of Example, Example City, UK.

Correspondence: doe@example.ac.uk

## Abstract

{abstract}

## Results

{body}

![Figure 1](https://journal.example/fig1.png)

Figure 1. Sleep efficiency by group. Error bars show 95% CI.

[Download high-res image (214KB)](https://journal.example/hi) [Open in figure viewer](#fig1)

| Outcome | SMD (95% CI) |
|---|---|
| Primary | -0.42 (-0.61 to -0.23) |

Seven studies reported data for sleep onset \\[,,,,,,\\]. Included studies are listed in the supplement.

## References

1. Smith J, Doe A. Sleep in adults. J Sleep Res. 2019;28:e12780. [Google Scholar](https://scholar.example)
2. Roe B, et al. Trends in sleep. Sleep Med. 2020;66:1–9. [PubMed](https://pubmed.example)
"""


def news(title: str, paragraphs: list[str]) -> str:
    body = "\n\n".join(paragraphs)
    return (f"[Skip to main content](#main)\n\n{NEWS_MENU}\n{COOKIES}\n\n# {title}\n\nBy Jane Example, "
            f"energy correspondent · 4 min read\n\n{body}\n\nSign up for our weekly newsletter.\n\n"
            "## Share this article\n\n- [Facebook](https://f.example)\n- [Twitter](https://t.example)\n\n"
            "© 2025 Example News. All rights reserved.\n")


def summarise(body: str, title: str = "A clipping", description: str | None = None) -> SourceSummary:
    meta = ClipperMeta(title=title, description=description)
    return OfflineEngine().summarize_source(SourceInput(title, parse_markdown(body), meta))


def names(summary: SourceSummary) -> set[str]:
    return {c.name for c in summary.concepts}


def concept(summary: SourceSummary, key_of: str) -> ConceptMention:
    return next(c for c in summary.concepts if c.key == concept_key(key_of))


SLEEP_ABSTRACT = ("Insomnia affects roughly one adult in ten. We tested whether cognitive behavioural therapy "
                  "improves sleep efficiency compared with sleep hygiene education. Therapy reduced insomnia "
                  "severity and improved sleep efficiency at eight weeks.")
SLEEP_BODY = ("Chronic insomnia is defined by difficulty falling asleep on at least three nights a week [1,2]. "
              "Sleep restriction limits the time spent in bed (Smith et al., 2020). Sleep efficiency rose from "
              "71% to 86% with therapy, and insomnia severity fell by nine points.")


def test_concepts_are_noun_phrases_never_verb_fragments_or_determiner_starts() -> None:
    text = ("The B-tree keeps pages shallow. Default SQLite runs in rollback mode. The WAL reaches the disk "
            "first. Readers never block writers in SQLite. The following code shows the B-tree. Longer adding "
            "features costs time. The library continues to grow. A B-tree node holds many keys, and SQLite "
            "uses a B-tree for every index.")
    found = summarise(text, "B-trees in SQLite")
    assert {"B-tree", "SQLite"} <= names(found)
    for c in found.concepts:
        words = c.name.lower().split()
        assert words[0] not in {"the", "a", "an", "this", "these", "following", "default", "longer"}, c.name
        assert words[-1] not in VERB_FORMS or words[-1] in {"b-tree"}, c.name
    assert not names(found) & {"B-tree keeps", "WAL reaches", "Default SQLite runs", "SQLite runs", "Block writers",
                               "Following code", "Adding features", "Library continues"}


def test_a_definition_merges_an_abbreviation_with_its_expansion_as_aliases() -> None:
    found = summarise("A log-structured merge tree, or LSM tree, buffers writes in memory. The LSM tree flushes "
                      "sorted runs to disk. Every LSM tree compacts its runs. Write-ahead logging (WAL) makes "
                      "writes durable. The WAL is flushed before the pages. A consensus protocol — also called "
                      "an agreement protocol — keeps replicas in step; each agreement protocol needs a quorum.")
    lsm = concept(found, "log-structured merge tree")
    assert {lsm.name, *lsm.aliases} >= {"LSM tree", "log-structured merge tree"}
    wal = concept(found, "write-ahead logging")
    assert "WAL" in {wal.name, *wal.aliases}
    consensus = concept(found, "consensus protocol")
    assert "agreement protocol" in {consensus.name.lower(), *(a.lower() for a in consensus.aliases)}
    keys = [c.key for c in found.concepts]
    assert concept_key("LSM tree") not in keys and concept_key("WAL") not in keys


def test_singular_plural_hyphen_case_and_ing_variants_meet_in_one_key() -> None:
    assert len({concept_key(n) for n in ("write-ahead log", "Write-ahead logging", "write ahead logs")}) == 1
    assert len({concept_key(n) for n in ("B-trees", "b-tree", "B tree")}) == 1
    assert len({concept_key(n) for n in ("page cache", "page caching", "Page caches")}) == 1
    assert concept_key("heat pump") != concept_key("heat")


def test_clean_text_drops_references_captions_downloads_cookies_menus_and_affiliations() -> None:
    kept = " ".join(b.text for b in clean_document(parse_markdown(paper("Therapy for insomnia", SLEEP_ABSTRACT,
                                                                        SLEEP_BODY))))
    for furniture in ("Department of Psychiatry", "doe@example.ac.uk", "Figure 1", "Download high-res",
                      "figure viewer", "SMD", "Smith J, Doe A", "Google Scholar", "PubMed", "[1,2]",
                      "Smith et al.", "\\[", "Included studies"):
        assert furniture not in kept, furniture
    assert "Chronic insomnia is defined by difficulty falling asleep on at least three nights a week." in kept
    kept = " ".join(b.text for b in clean_document(parse_markdown(news("Heat pumps", [
        "Heat pumps kept homes warm through the coldest January in a decade, the energy agency said on Monday."]))))
    assert kept == "Heat pumps kept homes warm through the coldest January in a decade, the energy agency said " \
                   "on Monday."


def test_citation_brackets_and_their_residue_are_removed() -> None:
    assert strip_citations("Seven studies reported data for sleep \\[,,,,,,\\].") == \
        "Seven studies reported data for sleep."
    assert strip_citations("Hypnotics lose their effect [3–5] over time (Smith et al., 2020).") == \
        "Hypnotics lose their effect over time."
    assert strip_citations("Costs fell by 10% (from 2 to 3) last year.") == "Costs fell by 10% (from 2 to 3) last year."


def test_summary_prefers_the_papers_own_abstract_and_never_quotes_boilerplate() -> None:
    found = summarise(paper("Therapy for insomnia", SLEEP_ABSTRACT, SLEEP_BODY), "Therapy for insomnia")
    assert found.summary and all(s in SLEEP_ABSTRACT for s in found.summary)
    for line in [*found.summary, *found.key_points]:
        assert not any(bad in line for bad in ("Figure", "Download", "CI", "[", "et al", "Included studies"))


def test_summary_falls_back_to_the_description_never_a_cookie_banner_or_menu() -> None:
    paragraphs = ["Heat pumps kept homes warm through the coldest January in a decade, the energy agency said.",
                  "An air-source heat pump moves heat from the outside air into the home, even at minus fifteen "
                  "degrees.", "Installers say demand for heat pumps has doubled since the grant was raised."]
    description = "Owners of air-source heat pumps report lower bills despite the coldest January in a decade."
    found = summarise(news("Heat pumps keep homes warm", paragraphs), "Heat pumps keep homes warm", description)
    assert found.summary[0] == description
    for line in [*found.summary, *found.key_points]:
        assert not any(bad in line.lower() for bad in ("cookie", "accept all", "skip to", "newsletter", "rights",
                                                       "correspondent", "min read"))


def test_a_concept_is_quoted_only_where_it_occurs_as_whole_words() -> None:
    assert not contains_phrase(phrase_tokens("Exercise may be moderately more effective."), phrase_tokens("CI"))
    assert not contains_phrase(phrase_tokens("Chronotype, Unhealthy habits"), phrase_tokens("HR"))
    assert contains_phrase(phrase_tokens("The B-trees stay shallow."), phrase_tokens("B-tree"))
    found = summarise("Reactive oxygen species (ROS) damage cells. Exercise raises ROS briefly. Chromosomes "
                      "suffer when ROS stay high for weeks. ROS levels fall again with rest.")
    for c in found.concepts:
        # A name only the title gives ("Clipping" of "A clipping") quotes nothing rather than a sentence without it.
        said = phrase_tokens(c.sentence or "A clipping")
        assert any(contains_phrase(said, phrase_tokens(n)) for n in (c.name, *c.aliases)), (c.name, c.sentence)


def test_core_topics_can_be_single_lowercase_words_and_long_named_terms(vault: Vault) -> None:
    bodies = [
        "Depression is common in adults with insomnia. Treating insomnia reduced depression scores, and "
        "depression relapsed less often. Sleep quality was rated with the Pittsburgh Sleep Quality Index.",
        "Exercise helps depression. In the trial, depression improved after twelve weeks of exercise, and "
        "depression scores stayed low. The Pittsburgh Sleep Quality Index improved as well.",
        "Caffeine worsens insomnia. Depression and caffeine use were linked, but depression did not predict "
        "caffeine use. Depression was measured twice.",
    ]
    # An everyday word ("depression") gets a page only where a source about it names it in its title.
    titles = ["Insomnia and depression", "Paper 1", "Paper 2"]
    for i, body in enumerate(bodies):
        vault.clip(f"Paper {i}.md", clipper_note(titles[i], body))
    vault.compile()
    concepts = {p.stem for p in (vault.wiki / "concepts").glob("*.md")}
    assert {"Depression", "Pittsburgh Sleep Quality Index"} <= concepts


def test_boilerplate_never_becomes_a_concept_across_many_papers(vault: Vault) -> None:
    vault.no_image_downloads()  # the papers embed a figure from journal.example, never to be fetched
    for i in range(3):
        vault.clip(f"Paper {i}.md", clipper_note(f"Insomnia study {i}", paper(f"Insomnia study {i}", SLEEP_ABSTRACT,
                                                                              SLEEP_BODY.replace("71%", f"7{i}%"))))
    vault.compile()
    concepts = {p.stem.lower() for p in (vault.wiki / "concepts").glob("*.md")}
    assert "insomnia" in concepts
    for junk in ("ci", "smd", "included studies", "download high-res image", "open in figure viewer",
                 "google scholar", "pubmed", "figure", "department of psychiatry", "significant difference"):
        assert junk not in concepts


def test_copies_of_one_article_count_once_towards_a_concept(vault: Vault) -> None:
    article = ("The fractal tree index buffers messages inside every internal node. A fractal tree index cuts "
               "the write amplification of a B-tree, because each fractal tree index flushes in batches. "
               "Databases that adopted it report faster inserts on spinning disks and on cheap cloud volumes.")
    vault.clip("Fractal trees.md", clipper_note("Fractal trees", article, source="https://blog.example/fractal"))
    vault.clip("Fractal trees (mirror).md", clipper_note("Fractal trees (mirror)", f"{COOKIES}\n\n{article}\n",
                                                         source="https://mirror.example/fractal"))
    vault.compile()
    assert not (vault.wiki / "concepts" / "Fractal tree index.md").exists()
    vault.clip("Indexes.md", clipper_note("Indexes", "A fractal tree index is one answer to slow inserts. "
                                          "Each fractal tree index trades read cost for write cost."))
    vault.compile()
    assert (vault.wiki / "concepts" / "Fractal tree index.md").exists()


def test_an_abbreviation_defined_in_one_source_merges_the_mentions_of_others(vault: Vault) -> None:
    vault.clip("Uses WAL.md", clipper_note("Uses WAL", "The WAL is flushed first. Every WAL has checkpoints."))
    vault.clip("Defines WAL.md", clipper_note("Defines WAL", "Write-ahead logging (WAL) makes commits durable. "
                                              "Write-ahead logging writes the change before the page."))
    vault.clip("Also WAL.md", clipper_note("Also WAL", "Readers keep reading while the WAL grows. The WAL "
                                           "is recycled after a checkpoint."))
    vault.compile()
    pages = [p.stem for p in (vault.wiki / "concepts").glob("*.md")]
    wal = [p for p in pages if p.lower() in ("wal", "write-ahead logging", "write-ahead log")]
    assert len(wal) == 1, pages
    note = vault.note(f"wiki/concepts/{wal[0]}.md")
    assert {wal[0], *note["aliases"]} >= {"WAL", "Write-ahead logging"}
    assert len(note["sources"]) == 3


def test_related_sources_rest_on_topics_not_on_research_methods(vault: Vault) -> None:
    method = ("This meta-analysis pooled randomised controlled trials. The meta-analysis searched PubMed, and "
              "each randomised controlled trial was rated. A systematic review preceded the meta-analysis.")
    vault.clip("Caffeine review.md", clipper_note("Caffeine review", method + " Caffeine delayed sleep onset. "
                                                  "Caffeine intake was high."))
    vault.clip("Yoga review.md", clipper_note("Yoga review", method + " Yoga eased back pain. Yoga classes helped."))
    vault.compile()
    text = (vault.wiki / "sources" / "Caffeine review.md").read_text()
    assert "Yoga review" not in text.split("## Related sources", 1)[1]


def test_the_parts_of_a_multi_part_article_are_related(vault: Vault) -> None:
    vault.clip("Sleep, Pt 1.md", clipper_note("Sleep, Pt 1", "Melatonin rises in the evening and signals darkness. "
                                              "Melatonin supplements shift the clock."))
    vault.clip("Sleep, Part 2.md", clipper_note("Sleep, Part 2", "Caffeine blocks adenosine receptors for hours. "
                                                "Caffeine late in the day delays sleep."))
    vault.compile()
    first = (vault.wiki / "sources" / "Sleep, Pt 1.md").read_text().split("## Related sources", 1)[1]
    second = (vault.wiki / "sources" / "Sleep, Part 2.md").read_text().split("## Related sources", 1)[1]
    assert "Sleep, Part 2" in first and "Sleep, Pt 1" in second

"""What a reader sees in answers and decks made from a real-looking vault (the sleep clippings of
bench/corpus): the article's own words, each article once, notes that do not repeat themselves,
and decks a reader can find from the index."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from kbd.ask.retrieve import NoteText, read_note, without_kbd_chrome
from kbd.config import load_config
from kbd.engines.answers import Passage
from kbd.engines.offline_answer import OfflineAnswerer
from kbd.lint.findings import LintReport
from kbd.lint.run import LintOptions, run_lint
from kbd.render.charts import find_chart
from kbd.state import State
from kbd.vault.layout import VaultLayout
from kbd.vault.markdown import parse_markdown
from tests.conftest import Vault

CORPUS = Path(__file__).resolve().parent.parent / "bench" / "corpus"
ALCOHOL = "Alcohol before bed faster sleep onset, worse second half of the night"
ANXIETY = "One night of sleep deprivation raises anxiety the next day"
CAFFEINE = "Caffeine taken six hours before bed still disturbs sleep"
DECK = "wiki/slides/Sleep and mood.md"
ANSWER = "wiki/answers/Does caffeine late in the day hurt sleep.md"
# What kbd says about its own notes, and what a clipped page wraps the article in.
KBD_CHROME = ("Input problems", "author entry that is not a name", "Filed by", "Extractive answer",
              "Not verified", "Clipping:")
PAGE_JUNK = ("Department of", "Institute of", "Correspondence", "@example", "Received:", "Published online",
             "Download PDF", "Cite this article", "[5]", "\\[5]", "(8)", "[8]")


@pytest.fixture
def sleep_vault(vault: Vault) -> Vault:
    vault.no_image_downloads()  # the corpus's figures are on *.example hosts
    for path in sorted(CORPUS.glob("*.md")):
        if re.search(r"sleep|insomnia|caffeine|alcohol", path.name, re.IGNORECASE):
            vault.clip(path.name, path.read_bytes())
    vault.compile()
    vault.kbd("slides", ".", "Sleep and mood")
    vault.kbd("ask", ".", "Does caffeine late in the day hurt sleep?")
    return vault


def read(vault: Vault, rel: str, note_type: str) -> NoteText:
    config = load_config(vault.root)
    note = read_note(VaultLayout.from_config(vault.root, config), config, rel, note_type)
    assert note is not None, rel
    return note


def lint(vault: Vault) -> LintReport:
    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    state = State(layout.state_dir / "state.db")
    try:
        return run_lint(layout, config, state, LintOptions())
    finally:
        state.close()


def bullets_and_notes(deck: str) -> str:
    return "\n".join(re.findall(r"^- .*$|<!-- Notes: .*? -->", deck, re.MULTILINE))


def test_kbd_callouts_never_reach_a_slide_or_an_answer(sleep_vault: Vault) -> None:
    summary = read(sleep_vault, f"wiki/sources/{ALCOHOL}.md", "source")
    text = "\n".join(b.text for b in summary.blocks)
    assert "Alcohol is often used as a sleep aid." in text  # the summary callout is the note's content
    assert "Alcohol is a sedative and acts on GABA receptors." in text  # and so are the key points
    assert not [c for c in KBD_CHROME if c in text]
    answer = read(sleep_vault, ANSWER, "answer")
    assert not [c for c in KBD_CHROME if c in "\n".join(b.text for b in answer.blocks)]
    deck = (sleep_vault.root / DECK).read_text(encoding="utf-8")
    assert ALCOHOL.split(" faster")[0] in deck  # the alcohol article is on a slide …
    assert not [c for c in KBD_CHROME if c in bullets_and_notes(deck)]  # … without kbd's warning about it


def test_page_furniture_of_a_clipping_never_reaches_a_slide_or_an_answer(sleep_vault: Vault) -> None:
    clipping = read(sleep_vault, f"raw/{ANXIETY}.md", "raw")
    text = "\n".join(b.text for b in clipping.blocks)
    assert "Anxiety disorders are the most common mental disorders, and most people with anxiety report poor " \
           "sleep." in text  # the citation marker is gone, the sentence is kept
    assert not [j for j in PAGE_JUNK if j in text]
    caffeine = "\n".join(b.text for b in read(sleep_vault, f"raw/{CAFFEINE}.md", "raw").blocks)
    assert "one source of sleep pressure." in caffeine and not [j for j in PAGE_JUNK if j in caffeine]
    deck = (sleep_vault.root / DECK).read_text(encoding="utf-8")
    answer = (sleep_vault.root / ANSWER).read_text(encoding="utf-8")
    assert not [j for j in PAGE_JUNK if j in bullets_and_notes(deck) or j in answer]


def test_a_clipping_and_its_summary_are_one_article_in_an_answer(sleep_vault: Vault) -> None:
    answer = (sleep_vault.root / ANSWER).read_text(encoding="utf-8")
    groups = re.findall(r"^### (.*)$", answer, re.MULTILINE)
    titles = [re.sub(r" \([a-z ]+\)$", "", g) for g in groups]
    assert CAFFEINE in titles and len(titles) == len(set(titles)), groups
    sources = re.findall(r"^- \[\[([^|\]]+)", answer.split("## Sources", 1)[1], re.MULTILINE)
    assert f"wiki/sources/{CAFFEINE}" in sources and f"raw/{CAFFEINE}" not in sources
    front = yaml.safe_load(answer.split("---\n")[1])
    assert len(front["sources"]) == len(set(front["sources"])) == len(sources)
    # Each quote still cites the note it is in, and says something no other quote of the article says.
    quotes = re.findall(r"^- “(.*)” — \[\[([^#|\]]+)", answer, re.MULTILINE)
    assert quotes and len({q for q, _ in quotes}) == len(quotes)
    for quote, note in quotes:
        assert quote in (sleep_vault.root / f"{note}.md").read_text(encoding="utf-8").replace("\\", "")


def test_a_clipping_and_its_summary_are_one_source_of_a_deck(sleep_vault: Vault) -> None:
    deck = (sleep_vault.root / DECK).read_text(encoding="utf-8")
    front = yaml.safe_load(deck.split("---\n")[1])
    titles = [re.sub(r"^\[\[[^|]*\|(.*)\]\]$", r"\1", s) for s in front["sources"]]
    assert len(titles) == len(set(titles)) >= 3, titles
    listed = re.findall(r"^- (.*) \((?:wiki|raw)/", deck.split("## Sources", 1)[1], re.MULTILINE)
    assert len(listed) == len(set(listed)) == len(titles)
    assert re.search(r"from (\d+) notes", deck).group(1) == str(len(titles))  # type: ignore[union-attr]


def test_offline_speaker_notes_are_a_short_paragraph_that_says_each_sentence_once(sleep_vault: Vault) -> None:
    deck = (sleep_vault.root / DECK).read_text(encoding="utf-8")
    notes = [n for n in re.findall(r"<!-- Notes: (.*?) -->", deck) if not n.startswith(("Deck for", "Every source"))]
    assert len(notes) >= 3
    for text in notes:
        said = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.split(" From: ")[0])
        keys = [re.sub(r"\W+", " ", s.casefold()).strip() for s in said]
        assert len(keys) == len(set(keys)), text
        assert len(text) <= 800, text


def test_decks_are_listed_in_the_index_and_the_log_so_lint_finds_no_orphan_deck(sleep_vault: Vault) -> None:
    index = (sleep_vault.wiki / "index.md").read_text(encoding="utf-8")
    assert "## Slides (1)" in index and "[[wiki/slides/Sleep and mood|Sleep and mood]] — Extractive deck" in index
    log = (sleep_vault.wiki / "log.md").read_text(encoding="utf-8")
    assert "- Deck: [[wiki/slides/Sleep and mood|Sleep and mood]]" in log
    report = lint(sleep_vault)
    orphans = [f.path for f in report.findings if f.check == "orphans"]
    assert DECK not in orphans
    assert not [f for f in report.findings if f.path == DECK and f.check in ("orphans", "frontmatter", "index_drift")]


def test_a_deck_nothing_lists_is_still_an_orphan(sleep_vault: Vault) -> None:
    shutil.copy(sleep_vault.root / DECK, sleep_vault.wiki / "slides" / "Copied by hand.md")
    report = lint(sleep_vault)
    assert "wiki/slides/Copied by hand.md" in [f.path for f in report.findings if f.check == "orphans"]


def test_a_confidence_level_is_never_charted_as_a_finding() -> None:
    texts = {"A": "Remission reached 47% (95% CI 40 to 54) after exercise.",
             "B": "Remission reached 31% (95% CI 25 to 37) on placebo.",
             "C": "Remission reached 48% (95% confidence interval 41 to 55) on medication."}
    chart = find_chart([Passage(path=f"wiki/sources/{k}.md", title=k, note_type="source", heading=None, block=None,
                                text=t, tokens=20, note_hash="sha256:x", score=1.0, kbd_owned=True)
                        for k, t in texts.items()], "Remission")
    assert chart is not None and sorted(p.shown for p in chart.points) == ["31%", "47%", "48%"]


def test_a_concept_deck_shows_what_the_sources_say_without_their_titles_in_front(sleep_vault: Vault) -> None:
    sleep_vault.kbd("slides", ".", "Sleep", "--concept", "Sleep")
    deck = (sleep_vault.wiki / "slides" / "Sleep.md").read_text(encoding="utf-8")
    first = deck.split("\n## ", 2)[1]
    bullets = re.findall(r"^- (.*)$", first, re.MULTILINE)
    titles = [p.stem for p in sleep_vault.raw.glob("*.md")]
    assert bullets and not [b for b in bullets if " — " in b or any(b.startswith(t[:40]) for t in titles)], bullets


def test_a_concept_bullets_source_in_brackets_never_joins_the_next_bullet() -> None:
    from kbd.engines.slides import sentences

    text = ("In a twelve-week trial, adults who exercised slept better. (Regular exercise improves sleep)\n"
            "We pooled 41 randomised trials of exercise. (Exercise as a treatment for depression)")
    assert sentences(text) == ["In a twelve-week trial, adults who exercised slept better.",
                               "We pooled 41 randomised trials of exercise."]


def test_a_synthesis_line_and_the_bullet_it_quotes_are_one_claim() -> None:
    # Hugo's docs (development half): *Page bundle*'s synthesis opens with the glossary's definition and names its
    # source after it in brackets; "What is a page bundle?" quoted it twice, once with the brackets, once from the
    # source's own note. A source's own bracket after a sentence is its words ("(not recommended while drafting)").
    said = "A page bundle is a directory that encapsulates both content and associated resources."
    concept = ("# Page bundle\n\n> [!abstract] Synthesis\n"
               f"> - {said} ([[wiki/sources/page bundle|page bundle]]; 3 of 10 sources agree, also "
               "[[wiki/sources/Multilingual mode|Multilingual mode]] and "
               "[[wiki/sources/Build options|Build options]])\n"
               "\n## What the sources say (10)\n- [[wiki/sources/Liquid|Liquid]] — strict: stop the build of the site. "
               "(not recommended while drafting)\n")

    def passage(path: str, title: str, note_type: str, body: str, score: float) -> Passage:
        text = "\n".join(b.text for b in parse_markdown(without_kbd_chrome(body)).blocks if b.kind != "heading")
        return Passage(path=path, title=title, note_type=note_type, heading=None, block=None, text=text, tokens=60,
                       note_hash="sha256:0", score=score, kbd_owned=True)

    claims = OfflineAnswerer().draft("What is a page bundle?", [
        passage("wiki/concepts/Page bundle.md", "Page bundle", "concept", concept, 1.0),
        passage("wiki/sources/page bundle.md", "page bundle", "source", f"> [!summary] Summary\n> {said}\n", 0.9),
    ], []).claims
    assert [c.text for c in claims] == [said]
    assert "(not recommended while drafting)" in without_kbd_chrome(concept)

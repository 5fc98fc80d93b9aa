"""Marp decks and charts (issue 11, acceptance 6 and 7): `kbd slides`, `kbd ask --format marp`,
decks from the config kept current, charts of the numbers cited passages state."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import yaml

from kbd.config import ConfigError, load_config, parse_config
from kbd.engines.answers import Passage
from kbd.engines.decks import Chart, ChartPoint, Deck, Slide
from kbd.jobs import JOBS, JobContext
from kbd.render.charts import find_chart, grounded, render_svg
from kbd.render.slides import render_deck
from kbd.state import State
from kbd.vault.errors import WriteRefused
from kbd.vault.layout import VaultLayout
from kbd.vault.sanitize import is_inert, sanitize_markdown, svg_problems
from kbd.vault.write import VaultWriter
from tests.conftest import Vault, clipper_note, unresolved_links
from tests.fake_llm import FakeLLM, Received, slides_model, slides_result, structured_reply
from tests.hostile_corpus import REPLY_PAYLOADS, corpus
from tests.marp import render_html, slide_sections, speaker_notes
from tests.model_fixtures import Reply

TRIALS = {
    "Exercise trial for depression": (
        "A randomised trial compared running with usual care for adults with depression. "
        "After twelve weeks, 47% of patients who exercised went into remission. "
        "Exercise also improved sleep quality in most participants."),
    "Antidepressant study": (
        "A large study followed adults with depression who took sertraline. "
        "Medication led to remission in 48% of patients after twelve weeks. "
        "Side effects were the most common reason to stop the medication."),
    "Placebo response in depression trials": (
        "Placebo groups improve too, which makes depression trials hard to read. "
        "In the pooled trials, 31% of patients on placebo went into remission. "
        "Researchers argue that expectation explains part of the exercise effect as well."),
}


def passage(path: str, text: str, title: str | None = None) -> Passage:
    return Passage(path=path, title=title or path.rsplit("/", 1)[-1][:-3], note_type="source", heading=None,
                   block=None, text=text, tokens=len(text) // 4, note_hash="sha256:x", score=1.0, kbd_owned=True)


def deck_of(slides: tuple[Slide, ...], passages: tuple[Passage, ...], charts: tuple[Chart, ...] = (),
            title: str = "Exercise and depression") -> Deck:
    return Deck(title=title, subtitle="Extractive deck (no model configured)", slides=slides, passages=passages,
                engine="offline", generated="2026-11-26T00:00:00", charts=charts, query=title)


def slides_of(text: str) -> list[str]:
    body = text.split("\n---\n", 1)[1].strip("\n")
    return body.split("\n\n---\n\n")


def clip_trials(vault: Vault) -> None:
    for title, body in TRIALS.items():
        vault.clip(f"{title}.md", clipper_note(title, body))


# -- the deck note ------------------------------------------------------------------------------

def test_a_deck_is_a_marp_note_with_sources_for_obsidian_and_a_plain_text_sources_slide() -> None:
    passages = (passage("wiki/sources/Exercise trial.md", "47% of patients who exercised went into remission."),
                passage("wiki/sources/Drug study.md", "Medication led to remission in 48% of patients."))
    deck = deck_of((Slide("Exercise", ("47% of patients who exercised went into remission",), "Say it.", (0,)),
                    Slide("Medication", ("Medication led to remission in 48% of patients",), "", (1,))), passages)
    text = render_deck(deck, "wiki/slides/Exercise and depression.md")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["marp"] is True and front["paginate"] is True and front["theme"] == "default"
    assert front["sources"] == ["[[wiki/sources/Exercise trial|Exercise trial]]",
                                "[[wiki/sources/Drug study|Drug study]]"]
    assert re.search(r'^sources: \["\[\[wiki/sources/Exercise trial\|Exercise trial\]\]", ', text, re.M)
    slides = slides_of(text)
    assert len(slides) == 4  # title, two slides, Sources
    assert slides[0].startswith("# Exercise and depression")
    assert all(len(re.findall(r"^<!-- Notes: .* -->$", s, re.M)) == 1 for s in slides)
    assert slides[-1].startswith("## Sources") and "[[" not in slides[-1]
    assert "- Exercise trial (wiki/sources/Exercise trial.md)" in slides[-1]
    assert sanitize_markdown(text) == text and is_inert(text) == []


def test_a_note_no_link_can_name_is_in_the_sources_slide_not_the_sources_property() -> None:
    # Found trying the twenty-sixth round as a person: a clipping saved as "E2EE (Joplin) #sync.md" was linked as
    # "[[raw/E2EE (Joplin) #sync|…]]", which names another note, and lint reported the deck's link broken.
    passages = (passage("raw/E2EE (Joplin) #sync.md", "Joplin supports end-to-end encryption on all applications.",
                        title="End-To-End Encryption (E2EE)"),
                passage("wiki/sources/Drug study.md", "Medication led to remission in 48% of patients."))
    deck = deck_of((Slide("E2EE", ("Joplin supports end-to-end encryption",), "", (0,)),
                    Slide("Medication", ("Medication led to remission in 48% of patients",), "", (1,))), passages)
    text = render_deck(deck, "wiki/slides/Encryption.md")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["sources"] == ["[[wiki/sources/Drug study|Drug study]]"], front["sources"]
    assert "End-To-End Encryption (E2EE) (raw/E2EE (Joplin) \\#sync.md)" in slides_of(text)[-1], slides_of(text)[-1]


HOSTILE = [c.text for c in corpus() if c.kind == "body"][:40] + REPLY_PAYLOADS + [
    "--> <script>alert(1)</script>", "--!> <img src=x onerror=alert(1)>", "theme: gaia", "backgroundImage: url(x)",
    "_class: lead", "{theme: x}", "%% hidden", "<!-- nested -->", "a\n---\nb", "-", "x -",
]


def test_hostile_text_cannot_close_the_speaker_notes_or_turn_into_html_or_a_directive(tmp_path: Path) -> None:
    passages = tuple(passage(f"wiki/sources/Case {i}.md", text[:2000], title=text[:80])
                     for i, text in enumerate(HOSTILE))
    slides = tuple(Slide(text[:80], (text[:100], text[-100:]), text, (i,)) for i, text in enumerate(HOSTILE[:10]))
    deck = deck_of(slides, passages, title=HOSTILE[3][:60])
    text = render_deck(deck, "wiki/slides/Hostile.md")
    assert sanitize_markdown(text) == text, "the writer would have to change a rendered deck"
    assert is_inert(text) == []
    comments = [line for line in text.split("\n") if "<!--" in line]
    assert comments and all(re.fullmatch(r"<!-- Notes: (?:(?!--)[^<>`\[\]])* -->", c) for c in comments)
    assert text.count("-->") - sum(s.count("--\\>") for s in [text]) >= len(comments)
    deck_path = tmp_path / "Hostile.md"
    deck_path.write_text(text, encoding="utf-8")
    html = render_html(deck_path, tmp_path / "Hostile.html")
    sections = slide_sections(html)
    assert len(sections) == len(slides_of(text)) == len(slides) + 2
    assert all('data-theme="default"' in s and "class=" not in s and "background" not in s for s in sections)
    assert len(speaker_notes(html)) == len(sections)
    assert "<script" not in html.split("<body", 1)[1].split("<script", 1)[0]


def test_a_comment_kbd_did_not_write_is_still_neutralised() -> None:
    for line in ["<!-- x --> <script>alert(1)</script>", "<!-- a -- b -->", "<!-- [[x]] -->", "<!-- `$=dv.x` -->",
                 "  <!-- indented -->", "> <!-- quoted -->"]:
        assert "&lt;!--" in sanitize_markdown(line), line


# -- charts ---------------------------------------------------------------------------------------

def test_comparable_percentages_in_cited_passages_make_a_bar_chart_of_exactly_those_numbers() -> None:
    passages = [passage(f"wiki/sources/{t}.md", body, t) for t, body in TRIALS.items()]
    chart = find_chart(passages, "Remission")
    assert chart is not None and chart.kind == "bar" and chart.unit == "%"
    assert [p.shown for p in chart.points] == ["47%", "48%", "31%"]
    for point in chart.points:
        assert point.shown in passages[point.passage].text
    assert grounded(list(chart.points), passages) == list(chart.points)


def test_numbers_over_time_make_a_line_chart() -> None:
    text = ("In 2019, 12% of adults reported poor sleep. In 2021, 18% reported poor sleep. "
            "By 2023, 23% reported poor sleep.")
    chart = find_chart([passage("wiki/sources/Survey.md", text)], "Poor sleep")
    assert chart is not None and chart.kind == "line"
    assert [(p.label, p.shown) for p in chart.points] == [("2019", "12%"), ("2021", "18%"), ("2023", "23%")]


def test_a_number_not_found_verbatim_in_its_cited_passage_is_never_charted() -> None:
    passages = [passage("wiki/sources/A.md", "Remission reached 47% with exercise."),
                passage("wiki/sources/B.md", "Remission reached 48% with medication.")]
    made_up = [ChartPoint("exercise", 47.0, "47%", 0), ChartPoint("medication", 48.0, "48%", 1),
               ChartPoint("invented", 93.0, "93%", 0), ChartPoint("wrong passage", 48.0, "48%", 0),
               ChartPoint("part of a number", 7.0, "7%", 0), ChartPoint("no such passage", 1.0, "47%", 5)]
    assert [p.label for p in grounded(made_up, passages)] == ["exercise", "medication"]
    assert find_chart([passage("wiki/sources/C.md", "Only one figure here: 47%.")], "x") is None


def test_a_recorded_deck_whose_chart_numbers_are_not_in_its_passages_renders_without_the_chart(vault: Vault) -> None:
    from kbd.compile.decks import deck_files

    layout = VaultLayout.from_config(vault.root, load_config(vault.root))
    state = State(layout.state_dir / "state.db")
    passages = (passage("wiki/sources/A.md", "Remission reached 47% with exercise."),
                passage("wiki/sources/B.md", "Remission reached 48% with medication."))
    points = (ChartPoint("exercise", 47.0, "47%", 0), ChartPoint("made up", 93, "93%", 1))
    chart = Chart("Remission", "%", "bar", points, asset="wiki/answers/assets/Deck - deck chart 1.svg")
    deck = deck_of((Slide("A", ("Remission reached 47% with exercise",), "", (0,)),
                    Slide("Remission", (), "", (0, 1), chart=0)), passages, (chart,))
    state.db.execute("INSERT INTO decks(deck_key, note_name, spec, made_by, deck, generated) VALUES(?, ?, ?, ?, ?, ?)",
                     ("deck", "Deck", "{}", "offline", json.dumps(deck.to_json()), deck.generated))
    files = deck_files(state, layout, 1)
    state.close()
    assert files is not None and [p for p, _ in files] == ["wiki/slides/Deck.md"]
    assert "93" not in files[0][1] and ".svg" not in files[0][1]


HOSTILE_LABELS = ['</text><script>alert(1)</script>', '" onload="alert(1)', "<![CDATA[x]]>", "&amp; &#x3C;",
                  "\x00\x07\x1b[31m\ufffe", "url(https://evil.example/x)", "<foreignObject>", "a" * 300]


def test_the_svg_is_inert_and_shows_hostile_labels_as_text() -> None:
    points = tuple(ChartPoint(label, float(i + 1), f"{i + 1}%", 0) for i, label in enumerate(HOSTILE_LABELS))
    chart = Chart('Hostile <script>alert("x")</script> chart', "%", "bar", points)
    svg = render_svg(chart, ['<a href="javascript:alert(1)">source</a>'] * len(points))
    assert svg_problems(svg) == []
    root = ElementTree.fromstring(svg)
    names = {e.tag.split("}")[-1] for e in root.iter()}
    assert names <= {"svg", "title", "rect", "line", "text", "polyline", "circle"}
    assert not any(a.startswith("on") or "href" in a for e in root.iter() for a in e.attrib)
    texts = " ".join(e.text or "" for e in root.iter())
    assert "</text><script>" in texts and "<foreignObject>" in texts  # shown as text, not markup
    line_chart = render_svg(Chart("Line", "d", "line", points[:3]), ["x", "y", "z"])
    assert svg_problems(line_chart) == []


def test_the_writer_refuses_an_unsafe_svg_and_any_file_that_is_neither_a_note_nor_a_chart(vault: Vault) -> None:
    layout = VaultLayout.from_config(vault.root, load_config(vault.root))
    state = State(layout.state_dir / "state.db")
    writer = VaultWriter(layout, state)
    bad = ['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
           '<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="x"/></svg>',
           '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>',
           '<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>',
           '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://evil.example/#x)"/></svg>']
    for i, svg in enumerate(bad):
        with pytest.raises(WriteRefused):
            writer.write(f"wiki/answers/assets/bad {i}.svg", svg)
    with pytest.raises(WriteRefused):
        writer.write("wiki/answers/assets/page.html", "<p>hi</p>")
    state.close()
    assert not list((vault.wiki / "answers").rglob("*.svg")) and not list((vault.wiki / "answers").rglob("*.html"))


# -- kbd slides ---------------------------------------------------------------------------------

def test_kbd_slides_writes_a_deck_with_a_chart_that_marp_renders(vault: Vault, tmp_path: Path) -> None:
    clip_trials(vault)
    vault.compile()
    result = vault.kbd("slides", ".", "Remission in depression trials", "--max-slides", "6")
    assert "wrote wiki/slides/Remission in depression trials.md" in result.stdout
    deck = vault.root / "wiki/slides/Remission in depression trials.md"
    text = deck.read_text()
    slides = slides_of(text)
    assert len(slides) <= 6 and slides[-1].startswith("## Sources")
    assert unresolved_links(vault.root, {"deck": text}) == []
    charts = sorted((vault.wiki / "answers/assets").glob("*.svg"))
    assert len(charts) == 1 and svg_problems(charts[0].read_text()) == []
    image = re.search(r"!\[[^\]]*\]\((\.\./answers/assets/[^)]+\.svg)\)", text)
    assert image and (deck.parent / image.group(1).replace("%20", " ")).resolve() == charts[0].resolve()
    numbers = re.findall(r'font-size="15" font-weight="bold"[^>]*>([^<]+)</text>', charts[0].read_text())
    sources = "\n".join((vault.wiki / "sources" / f"{t}.md").read_text() + body for t, body in TRIALS.items())
    assert len(numbers) >= 2 and all(n in sources for n in numbers)
    html = render_html(deck, tmp_path / "deck.html")
    assert len(slide_sections(html)) == len(slides)
    assert len(speaker_notes(html)) == len(slides)


def test_decks_from_a_concept_and_from_an_answer_render_too(sample_vault: Vault, tmp_path: Path) -> None:
    sample_vault.compile()
    sample_vault.kbd("slides", ".", "--concept", "B-tree")
    concept_deck = sample_vault.root / "wiki/slides/B-tree.md"
    assert sample_vault.note("wiki/slides/B-tree.md")["concept"] == "B-tree"
    sample_vault.kbd("ask", ".", "Why do B-trees stay shallow?")
    answer = next((sample_vault.wiki / "answers").glob("*.md"))
    rel = answer.relative_to(sample_vault.root).as_posix()
    sample_vault.kbd("slides", ".", "--from", rel)
    answer_deck = sample_vault.root / "wiki/slides" / answer.name
    for deck in (concept_deck, answer_deck):
        text = deck.read_text()
        html = render_html(deck, tmp_path / f"{deck.stem}.html")
        assert len(slide_sections(html)) == len(slides_of(text)) >= 3
    missing = sample_vault.kbd("slides", ".", "--concept", "No such idea", check=False)
    assert missing.returncode == 1 and "no concept called 'No such idea'" in missing.stdout


def test_kbd_ask_format_marp_files_the_answer_as_a_deck(sample_vault: Vault, tmp_path: Path) -> None:
    sample_vault.compile()
    result = sample_vault.kbd("ask", ".", "What does a write-ahead log guarantee?", "--format", "marp")
    decks = list((sample_vault.wiki / "slides").glob("*.md"))
    assert len(decks) == 1, result.stdout + result.stderr
    assert not (sample_vault.wiki / "answers").exists() or not list((sample_vault.wiki / "answers").glob("*.md"))
    text = decks[0].read_text()
    assert "Slides of the extractive answer" in text and slides_of(text)[-1].startswith("## Sources")
    html = render_html(decks[0], tmp_path / "answer.html")
    assert len(slide_sections(html)) == len(slides_of(text))


def test_slides_usage_errors_exit_2(sample_vault: Vault) -> None:
    result = sample_vault.kbd("slides", ".", check=False)
    assert result.returncode == 2 and "no deck to make" in result.stderr
    result = sample_vault.kbd("slides", ".", "x", "--max-slides", "2", check=False)
    assert result.returncode == 2 and "--max-slides" in result.stderr


# -- decks from the config ------------------------------------------------------------------------

def test_config_decks_are_validated_with_the_key_and_line() -> None:
    config = parse_config('decks:\n  - {title: "Sleep and mood", query: "sleep mood depression", max_slides: 8}\n'
                          '  - {concept: "Circadian rhythm"}\n')
    assert [(d.title, d.query, d.concept, d.max_slides) for d in config.decks] == [
        ("Sleep and mood", "sleep mood depression", None, 8), ("Circadian rhythm", None, "Circadian rhythm", 12)]
    assert [t.run for t in config.effective_triggers()] == ["compile", "ask", "slides", "slides"]
    bad = [("decks:\n  - {titel: x}\n", "decks[0].titel"),
           ("decks:\n  - {title: x, max_slides: 1}\n", "decks[0].max_slides"),
           ("decks:\n  - {query: x}\n", "decks[0]"), ("decks:\n  - {title: a}\n  - {title: A}\n", "decks[1]"),
           ("decks:\n  - {title: a, from: ../x.md}\n", "decks[0].from")]
    for text, key in bad:
        with pytest.raises(ConfigError) as caught:
            parse_config(text)
        assert caught.value.key == key and caught.value.line is not None
    assert parse_config("triggers:\n  - {name: decks, on: {every: 1h}, run: slides}\n").triggers[0].run == "slides"


@pytest.fixture
def model_reply() -> Reply:
    return slides_model


def configure(vault: Vault, server: FakeLLM, extra: str = "") -> None:
    (vault.root / "kbd/config.yaml").write_text(
        "models:\n  worker: {provider: openai, base_url: \"" + server.url + "/v1\", model: test-model, "
        "api_key_env: KBD_TEST_KEY, price_per_mtok: {input: 1.0, output: 4.0}}\n"
        'decks:\n  - {title: "Remission", query: "remission depression patients", max_slides: 12}\n' + extra)


@pytest.fixture
def model_vault(vault: Vault, server: FakeLLM, key: str) -> Vault:
    """The three trials compiled offline, then a worker model and a deck in the config."""
    clip_trials(vault)
    vault.kbd("compile", ".")
    configure(vault, server)
    return vault


def run_slides_job(vault: Vault) -> str:
    config = load_config(vault.root)
    layout = VaultLayout.from_config(vault.root, config)
    state = State(layout.state_dir / "state.db")
    try:
        import threading

        return JOBS["slides"](JobContext(layout, config, state, threading.Event()), {}).summary
    finally:
        state.close()


def test_a_config_deck_is_made_again_when_a_note_it_drew_from_changes_and_only_then(
        model_vault: Vault, server: FakeLLM) -> None:
    vault = model_vault
    deck = vault.root / "wiki/slides/Remission.md"
    assert run_slides_job(vault) == "1 of 1 decks made again"
    made = [r for r in server.received if "You make a slide deck" in r.body["messages"][-1]["content"]]
    assert len(made) == 1 and deck.exists()
    assert yaml.safe_load(deck.read_text().split("---\n")[1])["engine"] == "openai:test-model"
    before, mtime, requests = deck.read_bytes(), deck.stat().st_mtime_ns, len(server.received)

    assert run_slides_job(vault) == "0 of 1 decks made again"  # nothing changed: no model call, no write
    assert len(server.received) == requests and deck.read_bytes() == before and deck.stat().st_mtime_ns == mtime

    path = vault.raw / "Antidepressant study.md"
    vault.clip(path.name, clipper_note("Antidepressant study", "A new analysis of the study reported relapse rates "
                                       "as well. " + TRIALS["Antidepressant study"]))
    vault.kbd("compile", ".")
    assert run_slides_job(vault) == "1 of 1 decks made again"
    made = [r for r in server.received if "You make a slide deck" in r.body["messages"][-1]["content"]]
    assert len(made) == 2 and "A new analysis of the study" in deck.read_text() and deck.read_bytes() != before


def test_the_model_deck_keeps_only_slides_that_cite_a_passage_and_bullets_whose_numbers_it_states(
        model_vault: Vault, server: FakeLLM) -> None:
    vault = model_vault

    def careless(received: Received):
        result = slides_result(received, extra_bullet="Exercise cured 93% of patients.")
        result["slides"].append({"title": "Invented", "bullets": ["Something no passage says"], "notes": "",
                                 "cites": [99]})
        return structured_reply(received, result)

    server.default = careless
    result = vault.kbd("slides", ".", "--json")
    outcome = json.loads(result.stdout)[0]
    assert any("93" in d for d in outcome["dropped"]) and any("Invented" in d for d in outcome["dropped"])
    text = (vault.root / "wiki/slides/Remission.md").read_text()
    slides = slides_of(text)
    assert "## Invented" not in text and all("93%" not in s for s in slides[1:])
    assert "93%" in slides[0].split("<!-- Notes:")[1]  # the title slide's notes say what was dropped, and why


def test_with_a_verifier_a_deck_it_keeps_objecting_to_is_marked_unverified(
        model_vault: Vault, server: FakeLLM) -> None:
    vault = model_vault
    config = (vault.root / "kbd/config.yaml").read_text().replace(
        "decks:", "  verifier: {provider: openai, base_url: \"" + server.url + "/v1\", model: judge, "
                  "api_key_env: KBD_TEST_KEY}\ndecks:")
    (vault.root / "kbd/config.yaml").write_text(config)

    def objecting(received: Received):
        if "You check a slide deck" in received.body["messages"][-1]["content"]:
            return structured_reply(received, {"ok": False, "objections": ["Slide 1 overstates the effect."]})
        return slides_model(received)

    server.default = objecting
    vault.kbd("slides", ".")
    note = vault.note("wiki/slides/Remission.md")
    assert note["verified"] is False and "overstates" in note.content
    made = [r["content"] for q in server.received if q.body["model"] == "test-model" for r in q.body["messages"]]
    retries = [m for m in made if "reviewer found these problems" in m and "overstates the effect" in m]
    assert len(retries) == 1  # one retry with the objections; the same deck's second check comes from the cache


def test_a_spending_cap_pauses_the_deck_and_keeps_the_earlier_one(model_vault: Vault, server: FakeLLM) -> None:
    vault = model_vault
    configure(vault, server, "budget: {per_run_usd: 0.000001}\n")
    result = vault.kbd("slides", ".", check=False)
    assert result.returncode == 1 and "paused" in result.stdout and "per_run_usd" in result.stdout
    assert not (vault.root / "wiki/slides/Remission.md").exists() and server.received == []


def test_an_answer_whose_quotes_compare_numbers_embeds_a_chart_of_them(vault: Vault) -> None:
    clip_trials(vault)
    vault.compile()
    vault.kbd("ask", ".", "How often does depression go into remission with exercise, medication or placebo?")
    note = next((vault.wiki / "answers").glob("*.md")).read_text()
    svg = next((vault.wiki / "answers/assets").glob("*.svg"))
    assert f"![[wiki/answers/assets/{svg.name}]]" in note and svg_problems(svg.read_text()) == []
    caption = note.split("## Chart", 1)[1].split("## Sources", 1)[0]
    for number in ("47%", "48%", "31%"):
        assert number in caption and number in svg.read_text()
    assert "(Exercise trial for depression)" in caption
    assert unresolved_links(vault.root, {"answer": note}) == []


# -- hostile input ------------------------------------------------------------------------------

def test_hostile_clippings_cannot_reach_a_deck_live(vault: Vault, tmp_path: Path) -> None:
    from tests.obsidian import live_content

    for case in corpus():
        vault.clip(case.name, case.text)
    vault.compile()
    vault.kbd("slides", ".", "Sorted string table compaction", "--max-slides", "14")
    concepts = [p.stem for p in (vault.wiki / "concepts").glob("*.md")]
    if concepts:
        vault.kbd("slides", ".", "--concept", concepts[0])
    decks = sorted((vault.wiki / "slides").glob("*.md"))
    assert decks
    for deck in decks:
        text = deck.read_text()
        assert is_inert(text) == [] and live_content(text) == [], deck.name
        assert sanitize_markdown(text) == text
        html = render_html(deck, tmp_path / f"{deck.stem}.html")
        assert len(slide_sections(html)) == len(slides_of(text))
        assert "evil.example" not in html.split("<body", 1)[1]


def test_a_compromised_model_cannot_put_anything_live_into_a_deck(model_vault: Vault, server: FakeLLM,
                                                                   tmp_path: Path) -> None:
    vault = model_vault
    from tests.obsidian import live_content


    def hostile(received: Received):
        result = slides_result(received)
        for i, slide in enumerate(result["slides"]):
            payload = REPLY_PAYLOADS[i % len(REPLY_PAYLOADS)]
            slide["title"] = payload[:80]
            slide["bullets"] = [payload[:150], f"-->{payload[:100]}<!--"]
            slide["notes"] = f"--> {payload} <!-- theme: gaia"
        return structured_reply(received, result)

    server.default = hostile
    vault.kbd("slides", ".")
    deck = vault.root / "wiki/slides/Remission.md"
    text = deck.read_text()
    assert is_inert(text) == [] and live_content(text) == [] and sanitize_markdown(text) == text
    html = render_html(deck, tmp_path / "deck.html")
    sections = slide_sections(html)
    assert len(sections) == len(slides_of(text)) and all('data-theme="default"' in s for s in sections)
    assert len(speaker_notes(html)) == len(sections)


def test_kbd_run_keeps_a_config_deck_current_as_clippings_arrive(vault: Vault) -> None:
    from tests.test_daemon import FAST, start_daemon, wait_for

    (vault.root / "kbd/config.yaml").write_text(FAST + 'decks:\n  - {title: "Remission", query: "remission"}\n')
    running = start_daemon(vault)
    try:
        deck = vault.root / "wiki/slides/Remission.md"
        vault.clip("Exercise trial for depression.md",
                   clipper_note("Exercise trial for depression", TRIALS["Exercise trial for depression"]))
        wait_for(lambda: deck.exists() and "Exercise trial for depression" in deck.read_text(),
                 what="the deck")
        vault.clip("Antidepressant study.md", clipper_note("Antidepressant study", TRIALS["Antidepressant study"]))
        wait_for(lambda: "Antidepressant study" in deck.read_text(), what="the deck to be made again")
    finally:
        running.stop()
    assert "kbd/slides" in deck.read_text() and is_inert(deck.read_text()) == []


def test_a_deck_the_user_edited_is_kept_and_said_so(vault: Vault) -> None:
    clip_trials(vault)
    vault.compile()
    vault.kbd("slides", ".", "Remission")
    deck = vault.root / "wiki/slides/Remission.md"
    edited = deck.read_text().replace("## Sources", "## Sources (checked by me)")
    deck.write_text(edited)
    result = vault.kbd("slides", ".", "Remission", "--force")
    assert "kept your edited version" in result.stdout and deck.read_text() == edited


def test_a_deck_says_one_number_of_notes_and_names_a_clipping_by_its_summarys_title(vault: Vault) -> None:
    # A real clipping whose `title` property is "SPARQL" (a comment heading of its code): kbd titles it
    # "Knowledge Graphs and AI". The clipping and its summary are one article wherever the deck counts.
    page = Path(__file__).parent / "real_pages" / "Knowledge Graphs and AI.md"
    vault.no_image_downloads()  # its figures are on substackcdn.com
    vault.clip("Knowledge Graphs and AI.md", page.read_text(encoding="utf-8"))
    clip_trials(vault)
    vault.compile()
    result = vault.kbd("slides", ".", "knowledge graph")
    made = re.search(r"made from (\d+) notes?", result.stdout)
    text = (vault.root / "wiki/slides/knowledge graph.md").read_text()
    subtitle = re.search(r"· from (\d+) notes?", text)
    listed = [line for line in slides_of(text)[-1].splitlines() if line.startswith("- ")]
    assert made and subtitle, (result.stdout, text)
    assert int(made.group(1)) == int(subtitle.group(1)) == len(listed), (result.stdout, listed)
    assert "SPARQL" not in "\n".join(listed)
    assert "from 1 notes" not in text and "from 1 note" in text  # the speaker note of the title slide too
    assert not [s for s in slides_of(text) if s.startswith("## SPARQL")]

"""Results a person wants (issue 22): one result per article, answers after the sources they cite."""

from __future__ import annotations

import json

from kbd.config import load_config
from kbd.search import search_vault
from tests.conftest import Vault, clipper_note, run_kbd

ANSWER = """---
type: answer
---
# Why does the hippocampus replay memories during sleep

The hippocampus replays the day's memories during sleep, and the hippocampus hands them to the
cortex ([[wiki/sources/Sleep and the hippocampus|Sleep and the hippocampus]]).
"""


def vault_with_answer(vault: Vault) -> Vault:
    vault.clip("Sleep and the hippocampus.md", clipper_note(
        "Sleep and the hippocampus", "During deep sleep the hippocampus replays memories of the day."))
    vault.clip("Coffee.md", clipper_note("Coffee", "Caffeine blocks adenosine, and sleep comes later."))
    vault.compile()
    (vault.wiki / "answers").mkdir(exist_ok=True)
    (vault.wiki / "answers/Why does the hippocampus replay memories during sleep.md").write_text(ANSWER)
    return vault


def test_an_answer_ranks_below_the_source_it_cites(vault: Vault) -> None:
    vault_with_answer(vault)
    hits = search_vault(vault.root, load_config(vault.root), "why does the hippocampus replay memories").hits
    order = [h.path for h in hits]
    answer = "wiki/answers/Why does the hippocampus replay memories during sleep.md"
    article = next(i for i, h in enumerate(hits) if "Sleep and the hippocampus" in h.path)
    assert order.index(answer) > article, order


def test_asking_for_answers_puts_them_first(vault: Vault) -> None:
    vault_with_answer(vault)
    config = load_config(vault.root)
    answer = "wiki/answers/Why does the hippocampus replay memories during sleep.md"
    assert search_vault(vault.root, config, "hippocampus replay type:answer").hits[0].path == answer
    assert search_vault(vault.root, config, "hippocampus replay", note_type="answer").hits[0].path == answer


def test_a_clipping_and_its_summary_are_one_result_that_links_both(vault: Vault) -> None:
    vault_with_answer(vault)
    result = run_kbd("search", str(vault.root), "deep sleep hippocampus", "--json")
    hits = json.loads(result.stdout)["hits"]
    article = {"raw/Sleep and the hippocampus.md", "wiki/sources/Sleep and the hippocampus.md"}
    shown = [h for h in hits if h["path"] in article]
    assert len(shown) == 1 and {shown[0]["path"], *shown[0]["also"]} == article
    text = run_kbd("search", str(vault.root), "deep sleep hippocampus").stdout
    assert "also raw/Sleep and the hippocampus.md" in text or "also wiki/sources/Sleep and the hippocampus.md" in text


def test_a_clipped_article_ranks_above_kbds_concept_article_on_the_same_words(vault: Vault) -> None:
    vault.clip("Sizing the page cache.md", clipper_note(
        "Sizing the page cache", "The page cache keeps hot pages in memory; size the page cache to the working set."))
    vault.compile()
    (vault.wiki / "concepts").mkdir(exist_ok=True)
    (vault.wiki / "concepts/Page cache.md").write_text(
        "---\ntype: concept\n---\n# Page cache\n\nThe page cache, as two sources describe it.\n")
    config = load_config(vault.root)
    hits = search_vault(vault.root, config, "page cache").hits
    assert "Sizing the page cache" in hits[0].path, [h.path for h in hits]
    assert search_vault(vault.root, config, "page cache type:concept").hits[0].path == "wiki/concepts/Page cache.md"


def test_a_folded_clipping_is_not_counted_as_a_result_left_to_show(vault: Vault) -> None:
    vault_with_answer(vault)
    out = run_kbd("search", str(vault.root), "adenosine").stdout  # the Coffee clipping and its summary
    assert "also " in out and "shows more" not in out, out
    out = run_kbd("search", str(vault.root), "sleep", "-n", "1").stdout
    assert "shows more" in out, out  # more articles than the one shown: the hint stays

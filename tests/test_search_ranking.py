"""Ranking quality on a labelled query set (issue 10, acceptance 3).

The floor: MRR@10 ≥ 0.95 and recall@10 ≥ 0.98 over the 86 queries of tests/search_corpus.py.
Today: MRR@10 0.983, recall@10 1.000 (two queries rank their note second, behind a note that
names the subject in passing). Measured on this set, turning one feature off gives: words ANDed
instead of ORed with a coordination bonus 0.860 / 0.855; no did-you-mean fallback 0.959 / 0.977;
no stemming 0.969 / 0.977. So the floor fails when any of those breaks, and leaves room for about
three queries to slip from first to second place. (The field boosts move this set little, 0.979
without them: its titles' words recur in their bodies; test_search.py pins the title boost.)
The same figures at 10,000 notes are in bench/search.py.
"""

from __future__ import annotations

from kbd.config import load_config
from kbd.search import search_vault
from tests.conftest import Vault
from tests.search_corpus import QUERIES, rank_metrics, write_corpus

MRR_FLOOR, RECALL_FLOOR = 0.95, 0.98


def test_people_find_the_note_they_mean_on_a_labelled_query_set(vault: Vault) -> None:
    paths = write_corpus(vault.root)
    vault.sync_raw()
    config = load_config(vault.root)
    ranked = [[h.path for h in search_vault(vault.root, config, q).hits] for q, _ in QUERIES]
    expected = [{paths[k] for k in keys} for _, keys in QUERIES]
    mrr, recall = rank_metrics(ranked, expected)
    misses = [q for (q, _), got, want in zip(QUERIES, ranked, expected, strict=True) if not want & set(got[:1])]
    assert mrr >= MRR_FLOOR and recall >= RECALL_FLOOR, (mrr, recall, misses)

"""kbd's faster ranking (issue 22, query CPU at 10,000 notes) gives whoosh's own BM25F results:
an OR of words added up word by word, and field lengths read once per segment."""

from __future__ import annotations

import pytest
from whoosh import query as wq
from whoosh.scoring import BM25F

from kbd.config import load_config
from kbd.search import SearchIndex, search_vault
from kbd.search.limits import search_until
from kbd.search.query import _parse, make_parser
from kbd.search.scoring import ReadOnceBM25F, add_postings
from tests.conftest import Vault
from tests.test_search import write

SLEEP_NOTES, COFFEE_NOTES, OTHER_NOTES = 110, 25, 15
REWRITTEN = range(0, SLEEP_NOTES, 7)
QUERIES = ["sleep memory", "hippocampus replay sleep", "cortex", "sleep OR coffee", "title:sleep memory",
           '"deep sleep" cortex', "sleep NOT coffee", "memor*"]


@pytest.fixture
def many_notes(vault: Vault) -> Vault:
    """Notes of many lengths that share words in their titles, headings and bodies, indexed in
    more than one segment, with deleted documents in the first."""
    for i in range(SLEEP_NOTES):
        filler = " ".join(f"word{j}" for j in range(i))
        write(vault, f"notes/Sleep {i}.md", f"---\naliases: [Nap {i}]\n---\n# Sleep {i}\n\n## Memory\n\n"
              f"Deep sleep and memory {'replay ' * (i % 4)}in the hippocampus. {filler}\n")
    for i in range(COFFEE_NOTES):
        write(vault, f"notes/Coffee {i}.md", f"# Coffee {i}\n\nCoffee delays sleep; the cortex {'wakes ' * i}.\n")
    for i in range(OTHER_NOTES):
        write(vault, f"notes/Other {i}.md", f"# Other {i}\n\nNothing shared here at all, number {i}.\n")
    config = load_config(vault.root)
    index = SearchIndex(root=vault.root, config=config)
    index.ensure()
    for i in REWRITTEN:  # re-indexed: a second segment, and deletions in the first
        write(vault, f"notes/Sleep {i}.md", f"# Sleep {i}\n\nThe cortex keeps what sleep replays, memory {i}.\n")
    index.update([f"notes/Sleep {i}.md" for i in REWRITTEN])
    return vault


def whoosh_results(searcher, q: wq.Query, limit: int, type_filter: wq.Query | None):  # type: ignore[no-untyped-def]
    return [(hit.docnum, hit.score) for hit in searcher.search(q, limit=limit, filter=type_filter)]


def test_a_query_ranks_as_whooshs_own_search_ranks_it(many_notes: Vault) -> None:
    ix = SearchIndex(many_notes.root, load_config(many_notes.root)).open()
    assert ix is not None and len(ix._segments()) > 1 and ix.doc_count() < ix.doc_count_all()
    with ix.searcher(weighting=ReadOnceBM25F()) as ours, ix.searcher(weighting=BM25F()) as theirs:
        parser = make_parser(ix.schema)
        for text in QUERIES:
            q = _parse(parser, text)
            for limit, type_filter in ((100, None), (5, None), (100, wq.Term("type", "note"))):
                got = search_until(ours, q, limit, type_filter, float("inf")).matches
                want = whoosh_results(theirs, q, limit, type_filter)
                assert got, text
                # The same scores, best first; notes of exactly equal score may come in another
                # order (whoosh's tree of unions adds the same numbers in another order).
                assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-12), text
                tie_free = {d: round(s, 9) for d, s in want}
                assert {d: round(s, 9) for d, s in got} == tie_free or limit == 5, text
                assert sorted(round(s, 9) for _, s in got) == sorted(tie_free.values()), text


def test_field_lengths_read_once_give_whooshs_scores_to_the_last_bit(many_notes: Vault) -> None:
    ix = SearchIndex(many_notes.root, load_config(many_notes.root)).open()
    assert ix is not None
    with ix.searcher(weighting=ReadOnceBM25F()) as ours, ix.searcher(weighting=BM25F()) as theirs:
        compared = 0
        for (sub_ours, _), (sub_theirs, _) in zip(ours.leaf_searchers(), theirs.leaf_searchers(), strict=True):
            for field, word in (("title", "sleep"), ("headings", "memori"), ("body", "cortex"), ("aliases", "nap"),
                                ("body", "sleep")):
                q = wq.Term(field, word)
                mine, whooshs = q.matcher(sub_ours, sub_ours.context()), q.matcher(sub_theirs, sub_theirs.context())
                while whooshs.is_active():
                    assert mine.id() == whooshs.id() and mine.score() == whooshs.score(), (field, word)
                    mine.next()
                    whooshs.next()
                    compared += 1
                assert not mine.is_active()
        assert compared > 100


def test_the_total_counts_every_matching_note_not_an_estimate(many_notes: Vault) -> None:
    config = load_config(many_notes.root)
    # Every note on sleep or coffee matches, more than the hundred candidates a search ranks; the
    # others do not (whoosh's estimate from the words' note counts was every note of the vault).
    assert search_vault(many_notes.root, config, "sleep coffee", limit=1).total == SLEEP_NOTES + COFFEE_NOTES
    assert search_vault(many_notes.root, config, "hippocampus", limit=1).total == SLEEP_NOTES - len(REWRITTEN)


def test_postings_added_a_block_at_a_time_give_whooshs_scores_to_the_last_bit(many_notes: Vault) -> None:
    ix = SearchIndex(many_notes.root, load_config(many_notes.root)).open()
    assert ix is not None
    with ix.searcher(weighting=ReadOnceBM25F()) as ours, ix.searcher(weighting=BM25F()) as theirs:
        deleted = compared = 0
        for (sub_ours, _), (sub_theirs, _) in zip(ours.leaf_searchers(), theirs.leaf_searchers(), strict=True):
            deleted += sub_ours.reader().doc_count_all() - sub_ours.reader().doc_count()
            for field, word in (("title", "sleep"), ("body", "sleep"), ("body", "cortex"), ("headings", "memori")):
                q = wq.Term(field, word)
                mine = q.matcher(sub_ours, sub_ours.context())
                if not mine.is_active():  # not a word of this segment
                    continue
                added: dict[int, float] = {7: 1.5}  # a sum already begun
                assert add_postings(mine, added, 0.5, lambda: None)
                compared += 1
                whooshs, expected = q.matcher(sub_theirs, sub_theirs.context()), {7: 1.5}
                while whooshs.is_active():
                    expected[whooshs.id()] = expected.get(whooshs.id(), 0.0) + whooshs.score() * 0.5
                    whooshs.next()
                assert added == expected, (field, word)  # exactly equal floats, deleted notes left out
        assert deleted > 0 and compared >= 5

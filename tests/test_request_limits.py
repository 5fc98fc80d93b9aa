"""Errors are errors (issue 18, item 2): a query the parser cannot read is the user's mistake, said
as such (exit 2), and never taken for a damaged index; every query and question has a length cap,
and the work one search does is bounded (a few spelling look-ups, a deadline). Only a failed read
of the index rebuilds it (tests/test_search.py heals a damaged one). The search page's and the MCP
server's side of the same rules: tests/test_serve.py and tests/test_mcp.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbd.config import load_config
from kbd.search import QueryError, ensure_index, limits, search_vault
from kbd.search import query as search_query
from kbd.search.index import SEARCH_DIR
from tests.conftest import Vault, clipper_note

SLEEP = ("During slow-wave sleep the hippocampus replays the day and the cortex stores it. People deprived of "
         "sleep after learning remember markedly less a week later.")
# Queries whoosh's parser fails on (IndexError, AssertionError), found by fuzzing operator sequences.
UNREADABLE = ["NOT NOT sleep", "AND ANDNOT ANDNOT ' TO", "NOT OR \\ ^ TO"]


@pytest.fixture
def indexed(vault: Vault) -> Vault:
    vault.clip("How sleep consolidates memory.md", clipper_note("How sleep consolidates memory", SLEEP,
                                                                tags=("clippings",)))
    notes = vault.root / "notes"
    notes.mkdir()
    (notes / "Sleep diary.md").write_text("# Sleep diary\n\nSlept badly after an espresso at the café.\n")
    ensure_index(vault.root, load_config(vault.root))
    return vault


def index_files(root: Path) -> dict[str, int]:
    """Each file of the index with its inode: a rebuild swaps in a new folder of new files."""
    folder = root / ".kbd" / SEARCH_DIR
    return {p.name: p.stat().st_ino for p in folder.iterdir()} | {".": folder.stat().st_ino}


@pytest.mark.parametrize("query", UNREADABLE)
def test_a_query_the_parser_cannot_read_is_a_query_error_and_the_index_is_not_rebuilt(
        indexed: Vault, query: str) -> None:
    before = index_files(indexed.root)
    with pytest.raises(QueryError, match="the query cannot be read: an operator"):
        search_vault(indexed.root, load_config(indexed.root), query)
    assert index_files(indexed.root) == before
    assert search_vault(indexed.root, load_config(indexed.root), "sleep").total == 2  # and search still works


def test_kbd_search_says_what_is_wrong_with_the_query_and_exits_2(indexed: Vault) -> None:
    before = index_files(indexed.root)
    result = indexed.kbd("search", ".", "NOT NOT sleep", check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("kbd: the query cannot be read") and "Traceback" not in result.stderr
    assert "rebuild" not in result.stderr and index_files(indexed.root) == before
    json_result = indexed.kbd("search", ".", "NOT NOT sleep", "--json", check=False)
    assert json_result.returncode == 2 and json_result.stdout == ""


def test_a_query_over_the_length_cap_is_refused_with_the_cap(indexed: Vault) -> None:
    longest = " ".join(["sleep"] * 200)[:limits.MAX_QUERY_CHARS]
    assert search_vault(indexed.root, load_config(indexed.root), longest).total == 2
    result = indexed.kbd("search", ".", longest + "x", check=False)
    assert result.returncode == 2
    assert "kbd: the query is 1,001 characters long; the most kbd searches for is 1,000" in result.stderr


def test_did_you_mean_looks_up_only_the_first_few_unknown_words(indexed: Vault) -> None:
    assert limits.MAX_SUGGESTED_WORDS == 5
    typed = "slep hipocampus cortx depived learnng espreso remembr"
    results = search_vault(indexed.root, load_config(indexed.root), typed)
    assert results.suggestion == "sleep hippocampus cortex deprived learning espreso remembr"
    repeated = search_vault(indexed.root, load_config(indexed.root), "slep " * 150 + "espreso")
    assert repeated.suggestion == "sleep " * 150 + "espresso"  # a repeated word is looked up once


def test_a_search_past_its_deadline_stops_with_the_reason(indexed: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    before = index_files(indexed.root)
    monkeypatch.setattr(search_query, "SEARCH_SECONDS", 0.0)  # where each search reads it
    with pytest.raises(QueryError, match="the search took longer than 0 s and was stopped"):
        search_vault(indexed.root, load_config(indexed.root), "sleep")
    assert index_files(indexed.root) == before


def test_kbd_ask_refuses_a_question_over_the_cap_before_searching(indexed: Vault) -> None:
    from kbd.ask.command import MAX_QUESTION_CHARS

    before = index_files(indexed.root)
    question = "Why does sleep help memory? " * 40
    assert len(question.strip()) > MAX_QUESTION_CHARS
    result = indexed.kbd("ask", ".", question, "--no-file", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "kbd: the question is over 1000 characters; ask something shorter" in result.stderr
    assert index_files(indexed.root) == before

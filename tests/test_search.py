"""`kbd search` and the index under it (issue 10, acceptance 1–3): what gets indexed and how,
the query language, keeping the index current and healing it, and the command's output."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbd.config import load_config
from kbd.search import SearchIndex, ensure_index, search_vault
from kbd.search.index import CATALOGUE, INDEX_NAME, SEARCH_DIR, STAMP
from kbd.search.notes import NOTE_TYPES
from tests.conftest import Vault, clipper_note, run_kbd
from tests.test_daemon import FAST, Running, start_daemon, wait_for

SLEEP = ("During slow-wave sleep the hippocampus replays the day and the cortex stores it. People deprived of "
         "sleep after learning remember markedly less a week later.")


def paths(vault: Vault, query: str, **kwargs: object) -> list[str]:
    return [h.path for h in search_vault(vault.root, load_config(vault.root), query, **kwargs).hits]  # type: ignore[arg-type]


def write(vault: Vault, rel: str, text: str | bytes) -> Path:
    path = vault.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.fixture
def compiled(vault: Vault) -> Vault:
    vault.clip("How sleep consolidates memory.md", clipper_note("How sleep consolidates memory", SLEEP,
                                                                tags=("clippings", "neuroscience")))
    vault.compile()
    write(vault, "notes/Sleep diary.md", "---\naliases: [Nap log]\ntags: [health/sleep]\n---\n# Sleep diary\n\n"
          "Slept badly after an espresso at the café. #insomnia\n")
    return vault


# -- acceptance 1: what is indexed, and how ---------------------------------------------------
def test_every_kind_of_note_is_found_with_its_type(compiled: Vault) -> None:
    write(compiled, "wiki/answers/Why do we nap.md", "---\ntype: answer\n---\n# Why do we nap\n\nNapping restores.\n")
    write(compiled, "wiki/concepts/Slow-wave sleep.md", "# Slow-wave sleep\n\nDeep sleep.\n")
    hits = search_vault(compiled.root, load_config(compiled.root), "sleep", limit=20).hits
    types = {h.path: h.type for h in hits}
    # A clipping and its summary are one article: one result, naming the other note.
    article = {"raw/How sleep consolidates memory.md": "raw", "wiki/sources/How sleep consolidates memory.md": "source"}
    shown = [h for h in hits if h.path in article]
    assert len(shown) == 1 and types[shown[0].path] == article[shown[0].path]
    assert set(shown[0].also) == set(article) - {shown[0].path}
    assert types["notes/Sleep diary.md"] == "note"
    assert types["wiki/concepts/Slow-wave sleep.md"] == "concept"
    assert paths(compiled, "napping")[0] == "wiki/answers/Why do we nap.md"
    assert {h.type for h in hits} <= set(NOTE_TYPES)


def test_hidden_folders_conflict_copies_binary_and_oversized_files_are_not_indexed(compiled: Vault) -> None:
    write(compiled, ".obsidian/workspace.md", "zanzibar")
    write(compiled, "notes/.hidden.md", "zanzibar")
    write(compiled, "notes/Plan.sync-conflict-20260101-101010-ABCDEFG.md", "zanzibar")
    write(compiled, "notes/Plan (conflicted copy 2026-01-01).md", "zanzibar")
    write(compiled, "notes/binary.md", b"zanzibar\x00\x01\x02")
    write(compiled, "notes/latin1.md", "zanzibar caf\xe9".encode("latin-1"))
    write(compiled, "notes/huge.md", "zanzibar " * 1_000_000)
    write(compiled, "notes/Plan.md", "zanzibar itinerary")
    os.symlink(compiled.root / "notes/Plan.md", compiled.root / "notes/link.md")
    assert paths(compiled, "zanzibar") == ["notes/Plan.md"]


def test_markdown_is_indexed_as_the_text_a_reader_sees(vault: Vault) -> None:
    write(vault, "notes/Reader.md", "---\nsecretproperty: frontmattervalue\n---\n# Reader\n\n"
          "See [[Hidden Target|visible words]] and [a link](https://example.org/urlpart).\n\n"
          "```python\ndef compaction_ratio(levels):\n    return levels\n```\n\n%% private comment %%\n")
    assert paths(vault, "visible words") == ["notes/Reader.md"]
    assert paths(vault, "compaction_ratio") == ["notes/Reader.md"]
    for hidden in ("frontmattervalue", "secretproperty", "urlpart", "private comment", "hidden target"):
        assert paths(vault, hidden) == [], hidden


def test_a_dataview_or_logseq_field_is_found_by_its_key_and_a_logseq_page_by_its_title(vault: Vault) -> None:
    # Found by a review: once compile read `status:: reading` as a label, search lost the key "status"; and
    # search titled Logseq pages as compile no longer does ("Usage", "Whiteboard___Action Bar").
    write(vault, "notes/Reading list.md", "status:: reading\nrating:: 9\n\nA book about sleep.\n")
    write(vault, "notes/Whiteboard___Action Bar.md", "type:: [[UI Element]]\n\n- # Usage\n\t- Select a shape.\n")
    assert paths(vault, "status") == ["notes/Reading list.md"]
    hits = search_vault(vault.root, load_config(vault.root), "shape").hits
    assert [h.title for h in hits] == ["Whiteboard/Action Bar"]


def test_a_page_is_titled_as_compile_titles_it_not_by_a_section_after_its_opening_prose(vault: Vault) -> None:
    # SilverBullet's *Manual* (tests/real_pages, MIT) opens with two paragraphs, then "# Videos": compile
    # titles it "Manual"; search, the page and MCP said "Videos".
    manual = (Path(__file__).parent / "real_pages" / "silverbullet" / "Manual.md").read_text(encoding="utf-8")
    write(vault, "notes/Manual.md", manual)
    write(vault, "notes/Sleep.md", "# Sleep\n\n" + "Sleep is when the brain files the day away. " * 8 + "\n")
    titles = {h.path: h.title for h in search_vault(vault.root, load_config(vault.root), "SilverBullet").hits}
    assert titles == {"notes/Manual.md": "Manual"}
    assert [h.title for h in search_vault(vault.root, load_config(vault.root), "brain").hits] == ["Sleep"]


def test_a_clipping_is_titled_in_search_as_compile_titles_it() -> None:
    # Found by a review: search kept its own, simpler title rule for clippings ("20240501" for a note compile
    # calls "Meeting notes", "Untitled" for one it calls by its heading).
    from kbd.search.notes import parsed_note_fields
    from kbd.vault.markdown import parse_markdown
    from kbd.vault.note import RawNote, parse_raw_note, split_frontmatter

    opening = "This page explains how the feature works, with words enough to be the page's opening prose. " * 3
    shapes = [("Feature Guide.md", opening + "\n\n# Videos\n\nSome text.\n"),
              ("20240501.md", "## Meeting notes\n\nWe met.\n"),
              ("Storage Notes.md", "```\ncode\n```\n\n" * 9 + "# Real Title\n\ntext text\n"),
              ("Queries.md", "```sparql\n# SPARQL\nSELECT *\n```\n\n# SPARQL\n\nSome text about it.\n"),
              ("notes.md", "---\ntitle: Untitled\n---\n# Real heading\n\ntext\n"),
              ("Whiteboard.md", "title:: Whiteboard/Action Bar\ntype:: [[UI Element]]\n\n- # Usage\n\t- Click.\n")]
    for rel, text in shapes:
        note = parse_raw_note(rel, text.encode())
        meta, body, _ = split_frontmatter(text)
        searched = parsed_note_fields(f"raw/{rel}", "raw", meta, parse_markdown(body, keep_code=True))
        assert isinstance(note, RawNote) and searched.title == note.title, (rel, note.title, searched.title)


def test_stems_and_accents_match_the_words_people_type(compiled: Vault) -> None:
    assert "notes/Sleep diary.md" in paths(compiled, "cafe")
    assert "notes/Sleep diary.md" in paths(compiled, "CAFÉS")
    assert "raw/How sleep consolidates memory.md" in paths(compiled, "learned remembering")


def test_phrases_fields_tags_types_and_prefixes(compiled: Vault) -> None:
    assert "raw/How sleep consolidates memory.md" in paths(compiled, '"slow-wave sleep"')
    assert "raw/How sleep consolidates memory.md" not in paths(compiled, '"sleep slow-wave"')
    assert paths(compiled, "tag:insomnia") == ["notes/Sleep diary.md"]
    assert paths(compiled, "tag:#health") == ["notes/Sleep diary.md"]  # nested tags, as in Obsidian
    assert "raw/How sleep consolidates memory.md" in paths(compiled, "tag:neuroscience")
    assert set(paths(compiled, "type:raw")) == {"raw/How sleep consolidates memory.md"}
    assert paths(compiled, "sleep", note_type="note")[0] == "notes/Sleep diary.md"
    assert {h.type for h in search_vault(compiled.root, load_config(compiled.root), "sleep", note_type="source",
                                         limit=50).hits} == {"source"}
    assert "raw/How sleep consolidates memory.md" in paths(compiled, "hippocamp*")
    assert "raw/How sleep consolidates memory.md" in paths(compiled, "slow-wa*")  # held as `slow` and `wave`
    assert paths(compiled, "nap log")[0] == "notes/Sleep diary.md"  # aliases
    assert paths(compiled, "title:diary") == ["notes/Sleep diary.md"]


def test_a_prefix_on_a_hyphenated_word_matches_the_words_in_order_and_field_values_whole(vault: Vault) -> None:
    write(vault, "notes/sleep-lab/Sleep stages.md", "---\ntags: [sleep-stage, web-clip]\n---\n# Sleep stages\n\n"
                                                     "During slow-wave sleep the brain replays the day.\n")
    write(vault, "notes/Elsewhere.md", "# Elsewhere\n\nA slow train went west; we watched the water.\n")
    stages = "notes/sleep-lab/Sleep stages.md"
    assert paths(vault, "slow-wa*", mode="bm25") == [stages]  # not "slow" in one place and "wa…" in another
    assert paths(vault, "tag:sleep-st*") == [stages]  # a tag, a folder and a path are whole values, not words
    assert paths(vault, "in:notes/sleep-l*") == [stages]
    assert paths(vault, "path:notes/sleep-lab/Sle*") == [stages]


def test_a_title_match_outranks_a_passing_mention(vault: Vault) -> None:
    for i in range(5):
        write(vault, f"notes/Other {i}.md", f"# Other {i}\n\nSomething else entirely, with a glance at "
              "bloom filters and much more text about other things in this note.\n")
    write(vault, "notes/Bloom filter.md", "# Bloom filter\n\nA bit array and k hash functions.\n")
    assert paths(vault, "bloom filter")[0] == "notes/Bloom filter.md"


def test_a_misspelt_word_only_a_body_has_is_suggested_as_the_note_writes_it(vault: Vault) -> None:
    """The body's index holds stems (`consolidation` → `consolid`); the suggestion is the word itself."""
    write(vault, "notes/Sleep.md", "# Sleep\n\nDuring slow-wave sleep, Consolidation of memories happens.\n")
    results = search_vault(vault.root, load_config(vault.root), "consolidaton")
    assert results.suggestion == "consolidation"
    assert [h.path for h in results.hits] == ["notes/Sleep.md"]


def test_a_misspelt_query_suggests_the_word_the_vault_has(compiled: Vault) -> None:
    results = search_vault(compiled.root, load_config(compiled.root), "hipocampus")
    assert results.suggestion == "hippocampus"
    assert "raw/How sleep consolidates memory.md" in [h.path for h in results.hits]
    nothing = search_vault(compiled.root, load_config(compiled.root), "qqqxyzzy")
    assert (nothing.hits, nothing.total, nothing.suggestion) == ([], 0, None)


# -- acceptance 2: always current, never in the way ----------------------------------------------
def test_compile_indexes_exactly_what_it_wrote_and_the_users_own_notes(compiled: Vault) -> None:
    ensure_index(compiled.root, load_config(compiled.root))
    compiled.clip("Coffee and adenosine.md", clipper_note("Coffee and adenosine", "Caffeine blocks adenosine "
                                                          "receptors, the signal of sleep pressure."))
    write(compiled, "notes/Garden.md", "# Garden\n\nTomatoes need sun.\n")
    (compiled.root / "notes/Sleep diary.md").unlink()
    compiled.compile()
    (hit,) = [h for h in search_vault(compiled.root, load_config(compiled.root), "adenosine").hits
              if "Coffee and adenosine" in h.path]  # the clipping and its summary: one article
    assert {hit.path, *hit.also} == {"raw/Coffee and adenosine.md", "wiki/sources/Coffee and adenosine.md"}
    assert paths(compiled, "tomatoes") == ["notes/Garden.md"]
    assert paths(compiled, "espresso") == []
    (compiled.raw / "Coffee and adenosine.md").unlink()
    compiled.sync_raw()
    compiled.compile()
    assert paths(compiled, "adenosine") == []  # only the log's entry of its removal is left: not a document


@contextlib.contextmanager
def daemon_running(vault: Vault) -> Iterator[Running]:
    """`kbd run` on the vault for the block, stopped after it; a failed wait shows what it said."""
    running = start_daemon(vault)
    try:
        yield running
    except AssertionError as exc:
        running.stop()
        raise AssertionError(f"{exc}; the daemon said:\n{running.output()}") from None
    finally:
        if running.proc.poll() is None:
            running.stop()


def test_the_daemon_indexes_the_users_notes_as_they_change(compiled: Vault) -> None:
    # Polling: the same on every machine (this one often runs out of inotify instances and polls anyway).
    (compiled.root / "kbd/config.yaml").write_text(FAST + "  watcher: polling\n")
    ensure_index(compiled.root, load_config(compiled.root))  # so every change below is the daemon's doing
    with daemon_running(compiled) as running:
        # start_daemon returns once Status.md shows the daemon; the fixture's own compile already counts as a
        # run, so also wait for the daemon's start-up scan: by then its watcher has its first snapshot.
        wait_for(lambda: running.runs() >= 2, what="the start-up scan")
        write(compiled, "notes/Ideas.md", "# Ideas\n\nA zeppelin museum.\n")
        wait_for(lambda: paths(compiled, "zeppelin") == ["notes/Ideas.md"], what="the new note")
        write(compiled, "notes/Ideas.md", "# Ideas\n\nA submarine museum.\n")
        wait_for(lambda: paths(compiled, "submarine") and not paths(compiled, "zeppelin"), what="the edit")
        (compiled.root / "notes/Ideas.md").unlink()
        wait_for(lambda: not paths(compiled, "submarine"), what="the delete")
        compiled.clip("Naps.md", clipper_note("Naps", "A short afternoon nap restores alertness."))
        wait_for(lambda: "wiki/sources/Naps.md" in paths(compiled, "afternoon nap"), what="the clip")


_KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from kbd.config import load_config
from kbd.search.index import SearchIndex
index = SearchIndex(Path(sys.argv[1]), load_config(Path(sys.argv[1])))
writer = index.open().writer()
for i in range(300):
    writer.add_document(path=f"ghost/{i}.md", title="ghost", body="phantomword " * 50, type="note")
print("holding", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_killed_mid_write_leaves_no_lock_and_no_trace(compiled: Vault) -> None:
    config = load_config(compiled.root)
    ensure_index(compiled.root, config)
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(compiled.root)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL and "holding" in proc.stdout, proc.stderr
    folder = compiled.root / ".kbd" / SEARCH_DIR
    assert (folder / f"{INDEX_NAME}_WRITELOCK").exists()  # the lock file outlives its holder…
    write(compiled, "notes/After.md", "# After\n\nafterkill\n")
    assert SearchIndex(compiled.root, config).update(["notes/After.md"], wait=False) == 1  # …the lock does not
    assert paths(compiled, "afterkill") == ["notes/After.md"]
    assert paths(compiled, "phantomword") == []
    leftovers = sorted(p.name for p in folder.iterdir() if p.suffix not in (".seg", ".toc") and
                       not p.name.endswith("_WRITELOCK") and p.name not in (STAMP, CATALOGUE))
    assert leftovers == []  # the dead writer's half-written files were cleaned up by the next commit


def test_a_missing_corrupt_or_older_index_is_rebuilt_without_losing_anything(compiled: Vault) -> None:
    config = load_config(compiled.root)
    ensure_index(compiled.root, config)
    before = paths(compiled, "sleep", limit=50)
    folder = compiled.root / ".kbd" / SEARCH_DIR
    import shutil

    shutil.rmtree(folder)
    assert paths(compiled, "sleep", limit=50) == before
    for f in folder.iterdir():
        if f.name.endswith(".toc") or f.suffix == ".seg":
            f.write_bytes(b"garbage" * 10)
    assert paths(compiled, "sleep", limit=50) == before
    shutil.rmtree(folder)
    folder.mkdir()
    (folder / "_kbd_v0_1.toc").write_bytes(b"an index from an older kbd")
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, Schema

    whoosh_index.create_in(folder, Schema(path=ID(stored=True)), "kbd_v0")
    assert paths(compiled, "sleep", limit=50) == before
    assert not [p for p in folder.iterdir() if "kbd_v0" in p.name]


def test_a_search_while_a_writer_is_busy_sees_the_last_commit_and_does_not_wait(compiled: Vault) -> None:
    config = load_config(compiled.root)
    ix = SearchIndex(compiled.root, config).ensure()
    writer = ix.writer()
    writer.add_document(path="notes/Pending.md", title="pending", body="uncommittedword", type="note")
    try:
        write(compiled, "notes/New.md", "# New\n\nfreshword\n")
        assert paths(compiled, "uncommittedword") == []
        assert paths(compiled, "espresso") == ["notes/Sleep diary.md"]
        # Waiting for the writer would hang here (the test holds it): run_kbd's timeout would fail.
        result = run_kbd("search", str(compiled.root), "espresso", "--json")  # heals only if it can
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["hits"][0]["path"] == "notes/Sleep diary.md"
    finally:
        writer.cancel()
    assert paths(compiled, "freshword") == []  # not healed while another writer held the lock…
    assert run_kbd("search", str(compiled.root), "freshword").returncode == 0  # …healed by the next search


def test_concurrent_updates_in_one_process_go_through_one_writer(compiled: Vault) -> None:
    config = load_config(compiled.root)
    index = SearchIndex(compiled.root, config)
    index.ensure()
    for i in range(8):
        write(compiled, f"notes/Thread {i}.md", f"# Thread {i}\n\nthreadword number{i}\n")
    errors: list[BaseException] = []

    def update(i: int) -> None:
        try:
            index.update([f"notes/Thread {i}.md"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=update, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(paths(compiled, "threadword", limit=20)) == 8


# -- acceptance 3: results people can use ----------------------------------------------------------
def test_a_hit_has_a_plain_snippet_with_highlights_and_an_obsidian_uri(compiled: Vault) -> None:
    hit = next(h for h in search_vault(compiled.root, load_config(compiled.root), "hippocampus replays").hits
               if h.path.startswith("raw/"))
    assert "hippocampus replays" in hit.snippet
    assert {hit.snippet[s:e].lower() for s, e in hit.highlights} == {"hippocampus", "replays"}
    assert "[[" not in hit.snippet and "---" not in hit.snippet
    assert hit.title == "How sleep consolidates memory" and hit.score > 0
    assert hit.uri == "obsidian://open?vault=Vault&file=raw%2FHow%20sleep%20consolidates%20memory"


def test_the_snippet_is_the_best_passage_of_a_long_note(vault: Vault) -> None:
    filler = "\n\n".join(f"Paragraph {i} talks about gardening and soil." for i in range(200))
    write(vault, "notes/Long.md", f"# Long\n\n{filler}\n\nThe **zeppelin** hangar sits by the [[lake]].\n\n{filler}")
    hit = search_vault(vault.root, load_config(vault.root), "zeppelin lake").hits[0]
    assert hit.snippet == "The zeppelin hangar sits by the lake."
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["zeppelin", "lake"]


def test_cli_prints_results_and_exits_0_found_1_nothing_2_usage(compiled: Vault) -> None:
    found = run_kbd("search", str(compiled.root), "hippocampus")
    assert found.returncode == 0, found.stderr
    assert "How sleep consolidates memory" in found.stdout and "raw/How sleep consolidates memory.md" in found.stdout
    nothing = run_kbd("search", str(compiled.root), "qqqxyzzy")
    assert nothing.returncode == 1 and "nothing matched" in nothing.stdout
    assert run_kbd("search", str(compiled.root)).returncode == 2
    assert run_kbd("search", str(compiled.root), "x", "--type", "bogus").returncode == 2
    assert run_kbd("search", str(compiled.root), "x", "-n", "0").returncode == 2
    assert run_kbd("search", str(compiled.root / "nope"), "x").returncode == 2
    typo = run_kbd("search", str(compiled.root), "hipocampus")
    assert typo.returncode == 0 and "did you mean 'hippocampus'" in typo.stdout


def test_cli_json_follows_the_documented_schema(compiled: Vault) -> None:
    result = run_kbd("search", str(compiled.root), "sleep", "--json", "-n", "2", "--type", "raw")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"query", "total", "suggestion", "notice", "hits"}
    assert data["query"] == "sleep" and data["suggestion"] is None and data["total"] == 1
    (hit,) = data["hits"]
    assert set(hit) == {"path", "title", "type", "score", "snippet", "highlights", "uri", "also"}
    assert hit["type"] == "raw" and hit["uri"].startswith("obsidian://open?vault=Vault&file=raw%2F")
    assert all(hit["snippet"][s:e].lower().startswith("sleep") for s, e in hit["highlights"])
    empty = run_kbd("search", str(compiled.root), "qqqxyzzy", "--json")
    assert empty.returncode == 1 and json.loads(empty.stdout)["hits"] == []


def test_rebuild_shows_progress_on_a_terminal(compiled: Vault) -> None:
    for i in range(120):
        write(compiled, f"notes/n{i}.md", f"# Note {i}\n\nword{i}\n")
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.run([sys.executable, "-P", "-m", "kbd", "search", str(compiled.root), "--rebuild"],
                          stderr=secondary, stdout=subprocess.PIPE, text=True, env=env, timeout=600)
    os.close(secondary)
    shown = b""
    try:
        while chunk := os.read(primary, 65536):
            shown += chunk
    except OSError:
        pass
    os.close(primary)
    assert proc.returncode == 0
    assert b"index" in shown and b"/1" in shown, shown
    assert "search index rebuilt: 1" in proc.stdout
    quiet = run_kbd("search", str(compiled.root), "--rebuild")
    assert quiet.stderr == ""  # no progress bar when stderr is not a terminal

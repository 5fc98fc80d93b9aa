"""The search index never blocks (issue 22): `kbd run` compiles while the index builds in the
background, and stops on SIGTERM within 10 s at every moment of a cold start; compile keeps the
index current; `kbd search` trusts kbd's stamp; kbd's navigation pages are not documents."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kbd.search.build as build
from kbd.config import load_config
from kbd.search import SearchIndex, search_vault
from kbd.search.index import SEARCH_DIR, STAMP
from tests.conftest import FIXED_EPOCH, Vault, clipper_note, run_kbd
from tests.test_daemon import FAST, wait_for

USER_NOTES = 2_400  # above build.PARALLEL_FROM: the build runs on worker processes


def user_notes(vault: Vault, count: int = USER_NOTES) -> None:
    folder = vault.root / "notes"
    folder.mkdir(exist_ok=True)
    for i in range(count):
        words = " ".join(f"topic{(i * 7 + k) % 997}" for k in range(120))
        (folder / f"Note {i:05d}.md").write_text(f"# Note {i}\n\nA diary entry, number{i}. {words}\n")


def log_text(vault: Vault) -> str:
    path = vault.root / ".kbd/kbd.log"
    return path.read_text(errors="replace") if path.exists() else ""


def workers_busy(vault: Vault) -> bool:
    """The build's worker processes have batches of notes to index (whoosh's job files)."""
    return any((vault.root / ".kbd").glob(f"{SEARCH_DIR}.new-*/*.tmp/*.doclist"))


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.update(int(p) for p in task.read_text().split())
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def start(vault: Vault) -> subprocess.Popen[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    return subprocess.Popen([sys.executable, "-P", "-m", "kbd", "run", str(vault.root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[str]) -> float:
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    return time.monotonic() - began


def test_kbd_run_compiles_while_the_index_builds_and_sigterm_ends_it_at_every_moment(vault: Vault) -> None:
    (vault.root / "kbd/config.yaml").write_text(FAST)
    user_notes(vault)
    for i in range(3):
        vault.clip(f"Clip {i}.md", clipper_note(f"Clip {i}", f"Buffer pools keep hot pages, says clip{i}. " * 5))
    moments = [("the index build begins", lambda: "search index: checking" in log_text(vault)),
               ("worker processes index notes", lambda: workers_busy(vault))]
    for what, moment in moments:
        proc = start(vault)
        try:
            wait_for(lambda m=moment, p=proc: p.poll() is not None or m(), timeout=120, what=what)
            assert proc.poll() is None, log_text(vault)[-2000:]
            helpers = children(proc.pid)
        finally:
            seconds = stop(proc)
        assert seconds < 10 and proc.returncode == 0, f"{what}: stopped after {seconds:.1f} s"
        wait_for(lambda h=helpers: not any(alive(p) for p in h), what="the build's workers to end")
    assert "build stopped" in log_text(vault)
    # A cold start left alone: the start-up compile finishes while the index is still being built.
    proc = start(vault)
    try:
        wait_for(lambda: "search index: ready" in log_text(vault), timeout=300, what="the index build")
        text = log_text(vault)
        compiled = text.rfind("compile (start-up scan)")
        assert 0 <= compiled < text.rfind("search index: ready"), "the compile waited for the index"
        assert (vault.wiki / "sources/Clip 1.md").exists()
        # Stopping once everything is built is as prompt.
        wait_for(lambda: workers_busy(vault) is False, what="the build to be swapped in")
    finally:
        seconds = stop(proc)
    assert seconds < 10 and proc.returncode == 0
    found = run_kbd("search", str(vault.root), "number2345", "--json")
    assert '"notes/Note 02345.md"' in found.stdout, found.stdout + found.stderr


def test_compile_builds_the_index_so_the_first_search_finds_it_ready(vault: Vault) -> None:
    vault.clip("Sleep.md", clipper_note("Sleep", "Sleep consolidates memory in the hippocampus."))
    vault.compile()
    index = SearchIndex(vault.root, load_config(vault.root))
    assert index.open() is not None and index.is_trusted()


def test_a_search_trusts_the_stamp_instead_of_comparing_every_note(vault: Vault) -> None:
    vault.clip("Sleep.md", clipper_note("Sleep", "Sleep consolidates memory in the hippocampus."))
    (vault.root / "notes").mkdir()
    note = vault.root / "notes/Diary.md"
    note.write_text("# Diary\n\nbefore\n")
    vault.compile()
    config = load_config(vault.root)
    # Edited in place (the folder does not change): the stamp stands until compile or kbd run looks.
    os.utime(note.parent, ns=(note.parent.stat().st_atime_ns, note.parent.stat().st_mtime_ns))
    stamp = note.parent.stat().st_mtime_ns
    note.write_text("# Diary\n\nafterwards\n")
    os.utime(note.parent, ns=(stamp, stamp))
    assert run_kbd("search", str(vault.root), "afterwards").returncode == 1
    vault.compile()
    assert [h.path for h in search_vault(vault.root, config, "afterwards").hits] == ["notes/Diary.md"]
    # A note added (its folder changed) is found at once: the stamp no longer matches.
    (vault.root / "notes/New.md").write_text("# New\n\nfreshly added\n")
    assert "notes/New.md" in run_kbd("search", str(vault.root), "freshly").stdout


def test_kbds_navigation_pages_are_not_documents(vault: Vault) -> None:
    for i in range(3):
        vault.clip(f"Clip {i}.md", clipper_note(f"Clip {i}", f"Buffer pools keep hot pages, says clip{i}."))
    vault.compile()
    assert "Clip 1" in (vault.wiki / "index.md").read_text()
    hits = search_vault(vault.root, load_config(vault.root), "clip", limit=50).hits
    assert "Clip 1" in (vault.wiki / "log.md").read_text()
    assert hits and not [h.path for h in hits if h.path in ("wiki/index.md", "wiki/log.md") or
                         h.path.startswith("wiki/index/")]
    # Status.md neither: it differs by who runs kbd (the daemon's section), and as a document it
    # changed every note's ranking and so the passages `kbd ask` chose.
    assert "pending" in (vault.wiki / "reports/Status.md").read_text()
    assert search_vault(vault.root, load_config(vault.root), "pending").hits == []


def test_a_build_on_worker_processes_indexes_every_note(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "PARALLEL_FROM", 10)  # the real multiprocessing path, on a small vault
    user_notes(vault, 60)
    index = SearchIndex(vault.root, load_config(vault.root))
    index.rebuild(force=True)
    assert index.doc_count() >= 60 and (index.folder / STAMP).exists()
    assert [h.path for h in search_vault(vault.root, load_config(vault.root), "number42").hits] == \
        ["notes/Note 00042.md"]


def test_compile_indexes_a_clipping_from_its_own_parse_with_the_same_fields(vault: Vault,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from kbd.compile.ingest import summarise_file
    from kbd.engines import make_engine
    from kbd.search.notes import read_note
    from kbd.vault import fsread
    from kbd.vault.layout import VaultLayout

    monkeypatch.setattr(fsread, "RACY_NS", 0)  # a clipping saved a moment ago counts as settled

    text = clipper_note("Vectors", "A vector reserves capacity with `reserve`. #cpp/containers\n\n"
                        "```cpp\nstd::vector<int> v; v.reserve(100);\n```\n\n## Complexity\n\nAmortised constant.\n")
    vault.clip("Vectors.md", text)
    config = load_config(vault.root)
    outcome = summarise_file(str(vault.root), "raw/Vectors.md", config.compile.max_note_bytes, make_engine(config))
    assert outcome.search is not None and outcome.search.stamp
    index = SearchIndex(vault.root, config)
    (prepared,) = index._current({"raw/Vectors.md": outcome.search}).values()
    assert prepared == read_note(VaultLayout.from_config(vault.root, config), config, "raw/Vectors.md")
    assert "v.reserve(100)" in prepared.body and "Complexity" in prepared.headings
    vault.clip("Vectors.md", text + "\nEdited since.\n")  # a newer version: the index reads the file itself
    assert index._current({"raw/Vectors.md": outcome.search}) == {}

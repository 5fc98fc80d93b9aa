"""kbd search against SQLite FTS5 on a compiled vault of real documentation (MicrosoftDocs/cpp-docs).

    python bench/docs_vault.py GIT_DIR VAULT && python -m kbd compile VAULT   # once: ~10,000 pages
    python bench/search_docs.py VAULT [--half tune|held-out|all] [--build] [--update]

Relevance: a labelled set of developer queries, each answered by one page of the corpus (the page
whose title answers it; the queries were written from the question, before looking at any ranking).
Queries alternate between a tuning half (even positions) and a held-out half (odd); report the
held-out half. MRR@10: kbd's result counts when it is the page's clipping or its source summary
(one result per article); FTS5 (stdlib sqlite3, porter tokenizer, the same field weights, over the
same notes and fields as kbd indexes them) is given the same credit for either note.

Speed (printed with the load average and CPU time, the machine being shared): `--build` times a
first build of the index (wall, CPU of the process and of its worker processes); queries are timed
in-process (p50/p95, snippets included) and as `kbd search` CLI calls (CPU time of the child);
`--update` times one new note with the index present (`kbd compile` of one clipping).
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import machine  # noqa: E402
from bench.search import FTS_WEIGHTS, _fts_row, fts_query  # noqa: E402
from kbd.config import load_config  # noqa: E402
from kbd.search import SearchIndex, search_vault  # noqa: E402
from kbd.search.notes import is_navigation, read_note, walk_notes  # noqa: E402
from kbd.vault.layout import VaultLayout  # noqa: E402

# (query, the page that answers it: its note name in raw/ as bench/docs_vault.py names it)
LABELLED = [
    ("std::vector reserve", "standard-library vector-class"),
    ("MSBuild property sheet", "build create-reusable-property-configurations"),
    ("shared_ptr reference count", "standard-library shared-ptr-class"),
    ("unique_ptr custom deleter", "standard-library unique-ptr-class"),
    ("move constructor move assignment", "cpp move-constructors-and-move-assignment-operators-cpp"),
    ("__cplusplus macro value", "build reference zc-cplusplus"),
    ("set C++ language standard c++20", "build reference std-specify-language-standard-version"),
    ("CMake project Visual Studio", "build cmake-projects-in-visual-studio"),
    ("strcpy_s buffer size", "c-runtime-library reference strcpy-s-wcscpy-s-mbscpy-s"),
    ("open a file fopen mode", "c-runtime-library reference fopen-wfopen"),
    ("std::thread join detach", "standard-library thread-class"),
    ("std::mutex lock", "standard-library mutex-class-stl"),
    ("range-based for loop", "cpp range-based-for-statement-cpp"),
    ("constexpr function", "cpp constexpr-cpp"),
    ("static vs dynamic runtime library /MT /MD", "build reference md-mt-ld-use-run-time-library"),
    ("virtual function override", "cpp virtual-functions"),
    ("function templates class templates", "cpp templates-cpp"),
    ("std::map insert find", "standard-library map-class"),
    ("printf format output", "c-runtime-library reference printf-printf-l-wprintf-wprintf-l"),
    ("LNK2019 unresolved external symbol", "error-messages tool-errors linker-tools-error-lnk2019"),
    ("whole program optimization link time code generation", "build reference gl-whole-program-optimization"),
    ("try catch throw exception handling", "cpp exception-handling-in-visual-cpp"),
    ("OpenMP parallel for", "parallel openmp openmp-in-visual-cpp"),
    ("developer command prompt build tools command line", "build building-on-the-command-line"),
    ("std::filesystem path directory", "standard-library filesystem"),
    ("std::optional value_or", "standard-library optional-class"),
    ("chrono duration clock", "standard-library chrono"),
    ("auto type deduction", "cpp auto-cpp"),
    ("nullptr null pointer constant", "cpp nullptr"),
    ("AddressSanitizer memory errors", "sanitizers asan"),
    ("static code analysis", "code-quality code-analysis-for-c-cpp-overview"),
    ("C++20 modules import", "cpp modules-cpp"),
    ("regular expressions std::regex", "standard-library regex"),
    ("smart pointers", "cpp smart-pointers-modern-cpp"),
    ("precompiled header pch", "build creating-precompiled-header-files"),
    ("export functions from a DLL dllexport", "build exporting-from-a-dll-using-declspec-dllexport"),
    ("compiler warning level /W4", "build reference compiler-option-warning-level"),
    ("lambda capture clause", "cpp lambda-expressions-in-cpp"),
    ("C2065 undeclared identifier", "error-messages compiler-errors-1 compiler-error-c2065"),
    ("static_cast conversion", "cpp static-cast-operator"),
]


def halves(name: str) -> list[tuple[str, str]]:
    if name == "all":
        return LABELLED
    return LABELLED[0 if name == "tune" else 1::2]


def article_paths(root: Path, name: str) -> set[str]:
    """The page's clipping and its source summary (whatever title kbd gave the summary)."""
    raw = f"raw/{name}.md"
    found = {raw}
    link = f"[[raw/{name}|"
    for path in (root / "wiki/sources").glob("*.md"):
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(1500)
        if link in head:
            found.add(path.relative_to(root).as_posix())
    return found


def mrr(ranks: list[int | None]) -> float:
    return sum(1.0 / r for r in ranks if r) / len(ranks)


def kbd_rank(root: Path, config: object, query: str, want: set[str]) -> int | None:
    hits = search_vault(root, config, query, limit=10).hits  # type: ignore[arg-type]
    return next((i for i, h in enumerate(hits, start=1) if want & {h.path, *h.also}), None)


def fts_build(root: Path, db_path: Path) -> float:
    config = load_config(root)
    layout = VaultLayout.from_config(root, config)
    began = time.process_time()
    db = sqlite3.connect(db_path)
    db.execute("CREATE VIRTUAL TABLE notes USING fts5(title, aliases, tags, headings, body, path UNINDEXED, "
               "type UNINDEXED, tokenize='porter unicode61 remove_diacritics 2')")
    with db:
        for rel in sorted(walk_notes(root)):
            fields = None if is_navigation(layout, rel) else read_note(layout, config, rel)
            if fields:
                db.execute("INSERT INTO notes VALUES (?,?,?,?,?,?,?)", _fts_row(fields))
    db.close()
    return time.process_time() - began


def fts_rank(db: sqlite3.Connection, query: str, want: set[str]) -> int | None:
    match = fts_query(query)
    if not match:
        return None
    rows = db.execute(f"SELECT path FROM notes WHERE notes MATCH ? ORDER BY bm25(notes, {FTS_WEIGHTS}) LIMIT 10",
                      (match,)).fetchall()
    return next((i for i, (p,) in enumerate(rows, start=1) if p in want), None)


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--half", choices=("tune", "held-out", "all"), default="held-out")
    parser.add_argument("--build", action="store_true", help="time a first build of the index (replaces it)")
    parser.add_argument("--update", action="store_true", help="time one new note with the index present")
    parser.add_argument("--cli", type=int, default=15, help="kbd search CLI calls to time")
    parser.add_argument("--fts-db", type=Path, help="keep the FTS5 table here and reuse it (same vault only)")
    args = parser.parse_args()
    root = args.vault.resolve()
    config = load_config(root)
    index = SearchIndex(root, config)
    print(f"machine: {machine()}; {load()}")
    if args.build or index.open() is None:
        wall, cpu, kids = time.monotonic(), time.process_time(), child_cpu()
        index.rebuild(force=True)
        print(f"first build: {time.monotonic() - wall:.1f} s wall, CPU {time.process_time() - cpu:.1f} s in-process "
              f"+ {child_cpu() - kids:.1f} s in worker processes; {index.doc_count():,} notes; {load()}")
    queries = halves(args.half)
    labelled = [(q, article_paths(root, name)) for q, name in queries]
    with tempfile.TemporaryDirectory() as tmp:
        db_path = args.fts_db or Path(tmp) / "fts.db"
        if not db_path.exists():
            print(f"FTS5 build: {fts_build(root, db_path):.1f} s CPU (kbd's note reading included)")
        db = sqlite3.connect(db_path)
        fts = [fts_rank(db, q, want) for q, want in labelled]
    search_vault(root, config, "warm up")  # opens the index, as `kbd serve` has it open
    timings, cpu, ranks = [], [], []
    for q, want in labelled:
        began, began_cpu = time.perf_counter(), time.process_time()
        ranks.append(kbd_rank(root, config, q, want))
        timings.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    print(f"relevance ({args.half} half, {len(queries)} queries): MRR@10 kbd {mrr(ranks):.3f}, FTS5 {mrr(fts):.3f}")
    for (q, _), mine, theirs in zip(queries, ranks, fts, strict=True):
        print(f"  {q!r:58} kbd #{mine or '-'}  FTS5 #{theirs or '-'}")
    timings.sort()
    cpu.sort()
    print(f"in-process query (snippets included): CPU p50 {statistics.median(cpu):.1f} ms, "
          f"p95 {cpu[int(len(cpu) * 0.95) - 1]:.1f} ms; wall p50 {statistics.median(timings):.1f} ms, "
          f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms; {load()}")
    cpu_ms, wall_ms = [], []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for q, _ in (queries * 3)[:args.cli]:
        before, began = child_cpu(), time.monotonic()
        subprocess.run([sys.executable, "-P", "-m", "kbd", "search", str(root), q], capture_output=True, env=env,
                       check=False)
        cpu_ms.append((child_cpu() - before) * 1000)
        wall_ms.append((time.monotonic() - began) * 1000)
    print(f"kbd search CLI: CPU p50 {statistics.median(cpu_ms):.0f} ms, wall p50 {statistics.median(wall_ms):.0f} ms "
          f"({len(cpu_ms)} calls); {load()}")
    if args.update:
        name = f"Bench new note {int(time.time())}.md"
        (root / "raw" / name).write_text("---\ntitle: A new clipping\n---\n# A new clipping\n\nThe vector class "
                                         "reserves capacity before a push_back loop.\n")
        before, began = child_cpu(), time.monotonic()
        subprocess.run([sys.executable, "-P", "-m", "kbd", "compile", "--quiet", str(root)], env=env, check=True,
                       capture_output=True)
        print(f"one new note with the index present (kbd compile): {time.monotonic() - began:.2f} s wall, "
              f"{child_cpu() - before:.2f} s CPU; {load()}")


if __name__ == "__main__":
    main()

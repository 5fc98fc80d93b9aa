"""Benchmark `kbd search` (whoosh) against a SQLite FTS5 baseline on a 10,000-note vault, and
semantic search (`--mode hybrid`) with the fake embeddings endpoint of the tests.

    python bench/search.py [--notes 10000] [--keep DIR]

The vault is generated deterministically: the 56 labelled notes of tests/search_corpus.py,
clipping-sized articles in raw/ (30 %, 800–4,000 words) and short notes in notes/ (the rest,
40–250 words), on shared topic vocabularies. Both engines index the same fields of the same notes,
read by the same code (kbd/search/notes.py), and rank with BM25 with the same field weights.

Prints the machine, then for each engine: full build time, one-note update time, query latency
p50/p95 over 200 mixed queries in-process (snippets included), the whole command's wall time in a
fresh process, index size on disk, peak RSS of the build and of the command, and MRR@10 /
recall@10 of the labelled queries among the 10,000 notes. Then the same for hybrid search: the
time to embed the whole vault, the matrix's load time and memory, query latency and the command.
The vector math alone, against numpy: bench/vectors.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
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
from kbd.config import load_config  # noqa: E402
from kbd.init import init_vault  # noqa: E402
from kbd.search.notes import read_note, walk_notes  # noqa: E402
from kbd.vault.layout import VaultLayout  # noqa: E402
from tests.clippings import TOPICS as VOCAB  # noqa: E402
from tests.clippings import make_clipping  # noqa: E402
from tests.search_corpus import QUERIES, rank_metrics, write_corpus  # noqa: E402

TARGETS = {"p50": 30, "p95": 100, "command": 500, "update": 200, "build": 120}
DIMS = 768  # nomic-embed-text's size; OpenAI's text-embedding-3-small has 1,536
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def make_vault(root: Path, notes: int, seed: int = 11) -> tuple[dict[str, str], int]:
    init_vault(root)
    labelled = write_corpus(root)
    rng = random.Random(seed)
    total = 0
    (root / "notes").mkdir(exist_ok=True)
    for i in range(notes - len(labelled)):
        article = i % 10 < 3
        c = make_clipping(i, words=rng.randint(800, 4000) if article else rng.randint(40, 250), seed=seed)
        data = c.text.encode()
        (root / ("raw" if article else "notes") / c.filename).write_bytes(data)
        total += len(data)
    return labelled, total


def mixed_queries(n: int = 200, seed: int = 5) -> list[str]:
    """The labelled queries, then words, pairs, phrases, prefixes and tag filters from the vocabulary."""
    rng = random.Random(seed)
    terms = [t for name in list(VOCAB)[:40] for t in VOCAB[name]]
    out = [q for q, _ in QUERIES]
    while len(out) < n:
        kind = len(out) % 5
        term = rng.choice(terms)
        if kind == 0:
            out.append(term.split()[0])
        elif kind == 1:
            out.append(f"{term} {rng.choice(terms).split()[-1]}")
        elif kind == 2:
            out.append(f'"{term}"')
        elif kind == 3:
            out.append(term.split()[0][:5] + "*")
        else:
            out.append(f"tag:{rng.choice(list(VOCAB)[:6])} {term.split()[-1]}")
    return out


# -- SQLite FTS5 baseline ---------------------------------------------------------------------
FTS_WEIGHTS = "5.0, 4.0, 2.0, 2.0, 1.0"  # title, aliases, tags, headings, body: kbd's BM25F boosts


def fts_build(root: Path, db_path: Path) -> None:
    config = load_config(root)
    layout = VaultLayout.from_config(root, config)
    db = sqlite3.connect(db_path)
    db.execute("CREATE VIRTUAL TABLE notes USING fts5(title, aliases, tags, headings, body, path UNINDEXED, "
               "type UNINDEXED, tokenize='porter unicode61 remove_diacritics 2')")
    with db:
        for rel in sorted(walk_notes(root)):
            fields = read_note(layout, config, rel)
            if fields:
                db.execute("INSERT INTO notes VALUES (?,?,?,?,?,?,?)", _fts_row(fields))
    db.close()


def _fts_row(fields: object) -> tuple[str, ...]:
    f = fields
    return (f.title, " ".join(f.aliases), " ".join(f.tags), "\n".join(f.headings), f.body,  # type: ignore[attr-defined]
            f.path, f.type)  # type: ignore[attr-defined]


_FTS_TOKEN = re.compile(r'"[^"]*"|\S+')


def fts_query(text: str) -> str:
    """The same query language, as FTS5 MATCH syntax: words ORed, phrases, prefixes, tag:/type:."""
    parts = []
    for tok in _FTS_TOKEN.findall(text):
        if tok.startswith('"'):
            parts.append(tok if len(tok) > 2 else "")
        elif tok.startswith(("tag:", "type:")):
            value = re.sub(r"\W", "", tok.split(":", 1)[1])
            parts.append(f'tags : "{value}"' if tok.startswith("tag:") else "")
        elif tok.endswith("*"):
            word = re.sub(r"\W", "", tok[:-1])
            parts.append(f'"{word}" *' if word else "")
        else:
            words = re.findall(r"\w+", tok)
            parts.append(" ".join(f'"{w}"' for w in words))
    return " OR ".join(p for p in parts if p)


def fts_search(db: sqlite3.Connection, text: str, limit: int = 10) -> list[tuple[str, str]]:
    match = fts_query(text)
    if not match:
        return []
    try:
        return db.execute(f"SELECT path, snippet(notes, 4, '[', ']', '…', 30) FROM notes WHERE notes MATCH ? "
                          f"ORDER BY bm25(notes, {FTS_WEIGHTS}) LIMIT ?", (match, limit)).fetchall()
    except sqlite3.OperationalError:
        return []


# -- measuring ------------------------------------------------------------------------------
# Runs a module or script and reports its own peak RSS (VmHWM) on exit: the child's ru_maxrss would
# also count the benchmark's own memory, which a forked child carries until it execs.
_PEAK = ("import atexit, runpy, sys\n"
         "def peak():\n"
         "    for line in open('/proc/self/status'):\n"
         "        if line.startswith('VmHWM:'):\n"
         "            sys.stderr.write('PEAK ' + line.split()[1] + '\\n')\n"
         "atexit.register(peak)\n"
         "target, sys.argv = sys.argv[1], sys.argv[1:]\n"
         "runpy.run_module(target, run_name='__main__') if not target.endswith('.py') else "
         "runpy.run_path(target, run_name='__main__')\n")


def run_child(*args: str) -> tuple[float, float, str, float]:
    """Run a child process; its wall time (s), peak RSS (MB), stdout and CPU time (s)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _PEAK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=ENV, cwd=ROOT)
    out, err = (b.decode() for b in proc.communicate())
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"child {args} failed with {proc.returncode}: {err[-2000:]}")
    peak = next((int(line.split()[1]) / 1024 for line in err.splitlines() if line.startswith("PEAK ")), 0.0)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - _children_cpu[0]
    _children_cpu[0] = usage.ru_utime + usage.ru_stime
    return elapsed, peak, out, cpu


_children_cpu = [0.0]


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(build_s: float, build_cpu: float, build_rss: float, updates: list[float], latencies: list[float],
            cpu: list[float], commands: list[tuple[float, float, str, float]]) -> dict[str, float]:
    return {"build_s": build_s, "build_cpu": build_cpu, "build_rss": build_rss,
            "update_ms": statistics.median(updates) * 1000,
            "p50_ms": pct(latencies, 0.5) * 1000, "p95_ms": pct(latencies, 0.95) * 1000,
            "p50_cpu": pct(cpu, 0.5) * 1000, "p95_cpu": pct(cpu, 0.95) * 1000,
            "command_ms": statistics.median(c[0] for c in commands) * 1000,
            "command_cpu": statistics.median(c[3] for c in commands) * 1000,
            "command_rss": max(c[1] for c in commands)}


def bench_whoosh(root: Path, queries: list[str], labelled: dict[str, str]) -> dict[str, float]:
    from kbd.search import SearchIndex, search_vault

    shutil.rmtree(root / ".kbd" / "search", ignore_errors=True)
    build_s, build_rss, _, build_cpu = run_child("kbd", "search", str(root), "--rebuild")
    config = load_config(root)
    index = SearchIndex(root, config)
    updates = []
    note = root / "notes" / sorted(os.listdir(root / "notes"))[17]
    rel = note.relative_to(root).as_posix()
    original = note.read_bytes()
    for i in range(7):
        note.write_bytes(original + f"\n\nedit number {i} mentions zeppelins\n".encode())
        start = time.perf_counter()
        index.update([rel])
        updates.append(time.perf_counter() - start)
    note.write_bytes(original)
    index.update([rel])
    search_vault(root, config, "warm up")
    latencies, cpu = [], []
    for q in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        search_vault(root, config, q)
        latencies.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    ranked = [[h.path for h in search_vault(root, config, q).hits] for q, _ in QUERIES]
    mrr, recall = rank_metrics(ranked, [{labelled[k] for k in keys} for _, keys in QUERIES])
    commands = [run_child("kbd", "search", str(root), q, "--json") for q in ("sleep memory", "raft leader",
                                                                                 "write-ahead log", "circad*",
                                                                                 "tag:pkm")]
    return {**figures(build_s, build_cpu, build_rss, updates, latencies, cpu, commands),
            "size_mb": folder_mb(root / ".kbd" / "search"), "mrr": mrr, "recall": recall}


def bench_hybrid(root: Path, queries: list[str], labelled: dict[str, str]) -> dict[str, dict[str, float]]:
    """Semantic search with the fake embeddings endpoint of the tests at 768 dimensions (hashed word
    features and a few synonym groups: it measures the machinery, not a real model's quality).
    Build: a fresh process embeds every passage of the vault from an empty vectors.db (its CPU is
    kbd's alone: the fake runs in this process). Then, for numpy (`kbd[vectors]`, when installed)
    and for the standard library: the matrix's load from the store and from its snapshot, query
    latency in-process (first with the query's own embedding request, then from the cached query
    vector), and the whole command."""
    from kbd.search import search_vault, vectors
    from tests.fake_llm import fake_llm

    (root / ".kbd" / vectors.VECTORS_DB).unlink(missing_ok=True)
    config_file = root / "kbd" / "config.yaml"
    saved = config_file.read_bytes() if config_file.exists() else None
    out: dict[str, dict[str, float]] = {}
    with fake_llm() as fake:
        fake.embedding_dimensions = DIMS
        config_file.write_text(f"search:\n  embeddings: bench-embed\n  embeddings_url: {fake.url}/v1\n")
        build_s, build_rss, _, build_cpu = run_child("kbd", "search", str(root), "warm up", "--json")
        store = vectors.VectorStore(root / ".kbd" / vectors.VECTORS_DB)
        out["build"] = {"embed_s": build_s, "embed_cpu": build_cpu, "embed_rss": build_rss,
                        "texts": sum(len(r.body["input"]) for r in fake.received),
                        "passages": store.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0],
                        "vectors_mb": (root / ".kbd" / vectors.VECTORS_DB).stat().st_size / 1e6}
        config = load_config(root)
        for math_name in (["numpy"] if vectors.numpy_module() else []) + ["stdlib"]:
            os.environ["KBD_VECTOR_MATH"] = ENV["KBD_VECTOR_MATH"] = math_name
            loads = []
            for _ in range(2):  # from the store (writing the snapshot), then from the snapshot
                vectors._matrices.clear()
                if not loads:
                    for old in (root / ".kbd").glob("vectors-*.matrix"):
                        old.unlink()
                rss_before = _rss_mb()
                start, start_cpu = time.perf_counter(), time.process_time()
                matrix = vectors.matrix_for(store, "bench-embed")
                loads.append((time.perf_counter() - start, time.process_time() - start_cpu, _rss_mb() - rss_before))
            first, first_cpu, again, again_cpu = [], [], [], []
            for timings, cpu in ((first, first_cpu), (again, again_cpu)):
                if timings is first:  # each query's vector requested from the endpoint once more
                    store.db.execute("DELETE FROM query_vectors")
                for q in queries:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    search_vault(root, config, q, mode="hybrid")
                    timings.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
            ranked = [[h.path for h in search_vault(root, config, q, mode="hybrid").hits] for q, _ in QUERIES]
            mrr, recall = rank_metrics(ranked, [{labelled[k] for k in keys} for _, keys in QUERIES])
            commands = [run_child("kbd", "search", str(root), q, "--json")
                        for q in ("sleep memory", "raft leader", "write-ahead log", "circad*", "automobile upkeep")]
            out[math_name] = {
                "mrr": mrr, "recall": recall, "load_s": loads[0][0], "load_cpu": loads[0][1],
                "snap_s": loads[1][0], "snap_cpu": loads[1][1], "rss_held": loads[1][2],
                "matrix_mb": matrix.nbytes() / 1e6,
                "first_p50": pct(first, .5) * 1000, "first_p95": pct(first, .95) * 1000,
                "first_p50_cpu": pct(first_cpu, .5) * 1000, "first_p95_cpu": pct(first_cpu, .95) * 1000,
                "p50": pct(again, .5) * 1000, "p95": pct(again, .95) * 1000,
                "p50_cpu": pct(again_cpu, .5) * 1000, "p95_cpu": pct(again_cpu, .95) * 1000,
                "command_ms": statistics.median(c[0] for c in commands) * 1000,
                "command_cpu": statistics.median(c[3] for c in commands) * 1000,
                "command_rss": max(c[1] for c in commands)}
        store.close()
    os.environ.pop("KBD_VECTOR_MATH", None)
    ENV.pop("KBD_VECTOR_MATH", None)
    if saved is None:
        config_file.unlink()
    else:
        config_file.write_bytes(saved)
    return out


def print_hybrid(hy: dict[str, dict[str, float]], bm25: tuple[float, float] | None) -> None:
    b = hy["build"]
    print(f"\n### Hybrid (whoosh BM25 + vectors over every passage, RRF), fake embeddings at {DIMS} dims\n")
    print(f"embedding the vault from nothing: {b['embed_s']:.1f} s wall, {b['embed_cpu']:.1f} s CPU (kbd's process; "
          f"the fake endpoint's own work is not in it), {b['texts']:,} texts for {b['passages']:,} passages, "
          f"peak RSS {b['embed_rss']:.0f} MB; vectors.db {b['vectors_mb']:.0f} MB\n")
    engines = [e for e in ("numpy", "stdlib") if e in hy]
    print("| measure | " + " | ".join(f"{e}" for e in engines) + " | target |")
    print("|---|" + "---|" * len(engines) + "---|")
    rows = [("matrix load from vectors.db (wall / CPU)", "{load_s:.2f} s / {load_cpu:.2f} s", ""),
            ("matrix load from its snapshot (wall / CPU)", "{snap_s:.2f} s / {snap_cpu:.2f} s", ""),
            ("matrix in memory / RSS held", "{matrix_mb:.0f} MB / {rss_held:.0f} MB", ""),
            ("query p50 / p95, wall (query vector cached)", "{p50:.0f} / {p95:.0f} ms", f"< {TARGETS['p50']} / "
             f"< {TARGETS['p95']} ms"),
            ("query p50 / p95, CPU (query vector cached)", "{p50_cpu:.0f} / {p95_cpu:.0f} ms", ""),
            ("query p50 / p95, CPU, with the embedding request", "{first_p50_cpu:.0f} / {first_p95_cpu:.0f} ms", ""),
            ("`kbd search` command, wall / CPU", "{command_ms:.0f} / {command_cpu:.0f} ms",
             f"< {TARGETS['command']} ms"),
            ("peak RSS, command", "{command_rss:.0f} MB", ""),
            ("MRR@10 / recall@10 (labelled)", "{mrr:.3f} / {recall:.3f}", "")]
    for name, fmt, target in rows:
        print(f"| {name} | " + " | ".join(fmt.format(**hy[e]) for e in engines) + f" | {target} |")
    if bm25:
        print(f"\nBM25 alone on the labelled queries: MRR@10 {bm25[0]:.3f} / recall@10 {bm25[1]:.3f}")


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_fts5(root: Path, queries: list[str], labelled: dict[str, str]) -> dict[str, float]:
    db_path = root / ".kbd" / "fts5.db"
    db_path.unlink(missing_ok=True)
    build_s, build_rss, _, build_cpu = run_child(__file__, "--child", "fts5-build", str(root), str(db_path))
    config = load_config(root)
    layout = VaultLayout.from_config(root, config)
    db = sqlite3.connect(db_path)
    note = root / "notes" / sorted(os.listdir(root / "notes"))[17]
    rel = note.relative_to(root).as_posix()
    updates = []
    for _ in range(7):
        start = time.perf_counter()
        fields = read_note(layout, config, rel)
        with db:
            db.execute("DELETE FROM notes WHERE path=?", (rel,))
            db.execute("INSERT INTO notes VALUES (?,?,?,?,?,?,?)", _fts_row(fields))
        updates.append(time.perf_counter() - start)
    latencies, cpu = [], []
    for q in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        fts_search(db, q)
        latencies.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    ranked = [[r[0] for r in fts_search(db, q)] for q, _ in QUERIES]
    mrr, recall = rank_metrics(ranked, [{labelled[k] for k in keys} for _, keys in QUERIES])
    db.close()
    commands = [run_child(__file__, "--child", "fts5-query", str(db_path), q) for q in
                ("sleep memory", "raft leader", "write-ahead log", "circad*", "tag:pkm")]
    return {**figures(build_s, build_cpu, build_rss, updates, latencies, cpu, commands),
            "size_mb": db_path.stat().st_size / 1e6, "mrr": mrr, "recall": recall}


def child(args: list[str]) -> None:
    if args[0] == "fts5-build":
        fts_build(Path(args[1]), Path(args[2]))
    elif args[0] == "fts5-query":  # the FTS5 equivalent of `kbd search --json`
        db = sqlite3.connect(args[1])
        print(json.dumps(fts_search(db, args[2]), ensure_ascii=False))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=10_000)
    ap.add_argument("--keep", type=Path, help="build the vault here and keep it (reused if it exists)")
    ap.add_argument("--only", choices=("hybrid",), help="only the hybrid figures (a kept vault's index is reused)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"uname:   {' '.join(os.uname())}")
    load_start = _load()
    tmp = None
    if args.keep:
        root = args.keep.resolve()
    else:
        tmp = tempfile.mkdtemp(prefix="kbd-bench-search-")
        root = Path(tmp) / "Vault"
    try:
        if not (root / "notes").is_dir():
            start = time.perf_counter()
            labelled, size = make_vault(root, args.notes)
            print(f"vault:   {args.notes:,} notes, {size / 1e6:.1f} MB of markdown (made in "
                  f"{time.perf_counter() - start:.1f} s)")
        else:
            labelled = {t: p for t, p in write_corpus(root).items()}
        queries = mixed_queries()
        if args.only == "hybrid":
            print_hybrid(bench_hybrid(root, queries, labelled), None)
            print(f"\nload average at the start {load_start}, at the end {_load()} (1/5/15 min, {os.cpu_count()} CPUs; "
                  "wall times include waiting for a CPU)")
            return
        results = {"whoosh": bench_whoosh(root, queries, labelled), "fts5": bench_fts5(root, queries, labelled)}
        hy = bench_hybrid(root, queries, labelled)
        rows = [("full build, wall", "build_s", "{:.1f} s", f"< {TARGETS['build']} s"),
                ("full build, CPU", "build_cpu", "{:.1f} s", ""),
                ("one-note update", "update_ms", "{:.0f} ms", f"< {TARGETS['update']} ms"),
                ("query p50 (in-process)", "p50_ms", "{:.1f} ms", f"< {TARGETS['p50']} ms"),
                ("query p95 (in-process)", "p95_ms", "{:.1f} ms", f"< {TARGETS['p95']} ms"),
                ("query p50 / p95, CPU", "p50_cpu", "{:.1f}", ""),
                ("search command, wall", "command_ms", "{:.0f} ms", f"< {TARGETS['command']} ms"),
                ("search command, CPU", "command_cpu", "{:.0f} ms", ""),
                ("index size", "size_mb", "{:.0f} MB", ""),
                ("peak RSS, build", "build_rss", "{:.0f} MB", ""),
                ("peak RSS, command", "command_rss", "{:.0f} MB", ""),
                ("MRR@10 (labelled)", "mrr", "{:.3f}", ""),
                ("recall@10 (labelled)", "recall", "{:.3f}", "")]
        wh = results["whoosh"]
        print("\n| measure | whoosh (kbd) | SQLite FTS5 | target |\n|---|---|---|---|")
        for name, key, fmt, target in rows:
            w, f = (fmt.format(results[e][key]) for e in ("whoosh", "fts5"))
            if key == "p50_cpu":
                w, f = (f"{results[e]['p50_cpu']:.1f} / {results[e]['p95_cpu']:.1f} ms" for e in ("whoosh", "fts5"))
            print(f"| {name} | {w} | {f} | {target} |")
        print_hybrid(hy, (wh["mrr"], wh["recall"]))
        print(f"\nload average at the start {load_start}, at the end {_load()} (1/5/15 min, {os.cpu_count()} CPUs; "
              "wall times include waiting for a CPU)")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

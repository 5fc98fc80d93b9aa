"""Benchmark the LLM engine against a local fake provider with 300 ms latency per call.

    python bench/llm.py [--sources 100] [--latency 0.3]

Prints: compile wall time against the ideal (calls × latency ÷ concurrency) at concurrency 1, 4
and 8; model calls and input tokens per new source when the wiki has 10 and 1,000 concepts; and
the HTTP requests of a no-op re-run. Everything runs on 127.0.0.1; no key or network is needed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import machine  # noqa: E402
from kbd.compile.run import compile_vault  # noqa: E402
from kbd.config import load_config  # noqa: E402
from kbd.engines.base import concept_key  # noqa: E402
from kbd.init import init_vault  # noqa: E402
from kbd.state import State  # noqa: E402
from tests.clippings import TOPICS, make_clipping  # noqa: E402
from tests.fake_llm import Action, Received, fake_llm  # noqa: E402
from tests.test_llm_compile import honest_model  # noqa: E402


def make_vault(root: Path, url: str, sources: int, concurrency: int, seed: int = 11) -> None:
    init_vault(root)
    (root / "kbd/config.yaml").write_text(
        f"models:\n  worker: {{provider: openai, base_url: \"{url}/v1\", model: bench-model, "
        f"price_per_mtok: {{input: 1.0, output: 4.0}}, max_concurrency: {concurrency}}}\n")
    for i in range(sources):
        c = make_clipping(i, words=1500, seed=seed)
        (root / "raw" / c.filename).write_text(c.text)


def calls(root: Path) -> tuple[int, int]:
    with sqlite3.connect(root / ".kbd/state.db") as db:
        row = db.execute("SELECT COUNT(*), COALESCE(SUM(input_tokens), 0) FROM llm_calls WHERE outcome='ok'").fetchone()
    return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    print(f"machine: {machine()}")
    base = Path(tempfile.mkdtemp(prefix="kbd-llm-bench-"))
    with fake_llm() as server:
        def slow(received: Received) -> Action:
            reply = honest_model(received)
            reply.delay = args.latency
            return reply

        server.default = slow
        try:
            for concurrency in (1, 4, 8):
                root = base / f"c{concurrency}"
                make_vault(root, server.url, args.sources, concurrency)
                start = time.perf_counter()
                compile_vault(root, load_config(root))
                wall = time.perf_counter() - start
                n, _ = calls(root)
                ideal = n * args.latency / concurrency
                print(f"concurrency {concurrency}: {n} calls in {wall:.1f} s; ideal {ideal:.1f} s; "
                      f"{wall / ideal:.2f}× ideal")
                if concurrency == 8:
                    before = len(server.received)
                    compile_vault(root, load_config(root))
                    print(f"no-op re-run: {len(server.received) - before} HTTP requests")

            terms = sorted({t for group in TOPICS.values() for t in group})
            for size in (10, 1000):
                root = base / f"wiki-{size}"
                make_vault(root, server.url, 0, 8)
                state = State(root / ".kbd/state.db")
                with state.transaction():
                    for i, term in enumerate((terms * 2)[:size]):
                        name = term[0].upper() + term[1:] + ("" if i < len(terms) else f" {i}")
                        state.db.execute("INSERT OR IGNORE INTO concepts(key, note_name, source_count) "
                                         "VALUES(?, ?, 2)", (concept_key(name), name))
                state.close()
                for i in range(20):
                    c = make_clipping(5000 + i, words=1500, seed=5)
                    (root / "raw" / c.filename).write_text(c.text)
                compile_vault(root, load_config(root))
                n, tokens = calls(root)
                print(f"wiki of {size} concepts: {n / 20:.2f} calls and {tokens / 20:,.0f} input tokens per new source")
        finally:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

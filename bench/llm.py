"""Benchmark the LLM engine against a local fake provider with 300 ms latency per call.

    python bench/llm.py [--sources 100] [--latency 0.3]
    python bench/llm.py --faults        # only the provider-faults table (docs/RELIABILITY.md)

Prints: compile wall time against the ideal (calls × latency ÷ concurrency) at concurrency 1, 4
and 8; model calls and input tokens per new source when the wiki has 10 and 1,000 concepts; the
HTTP requests of a no-op re-run; the peak of requests in flight against max_concurrency over a
compile of long sources with a verifier (parts, checks and retries share the cap); a 429 storm
(half the requests for 10 s answered 429 with retry-after) that must finish every job; input
tokens served from the provider's prompt cache over a compile with a verifier, for both wire
formats (as the fake reports them, the providers' rules); calls per long source before and after
the part-size change (bench/part_size.py); and the provider-faults table.
Everything runs on 127.0.0.1; no key or network is needed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import machine  # noqa: E402
from bench.part_size import long_source_calls  # noqa: E402
from kbd.compile.run import compile_vault  # noqa: E402
from kbd.config import load_config  # noqa: E402
from kbd.engines.base import concept_key  # noqa: E402
from kbd.init import init_vault  # noqa: E402
from kbd.state import State  # noqa: E402
from tests.clippings import TOPICS, make_clipping  # noqa: E402
from tests.fake_llm import Action, FakeLLM, Received, fake_llm, first_user_text, structured_reply  # noqa: E402
from tests.model_fixtures import honest_model  # noqa: E402
from tests.provider_faults import FAULTS, add_sources, configure, run_fault  # noqa: E402


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
    parser.add_argument("--faults", action="store_true", help="only the provider-faults table")
    args = parser.parse_args()
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    os.environ.setdefault("KBD_TEST_KEY", "sk-bench-not-a-real-key")
    print(f"machine: {machine()}")
    if args.faults:
        faults_table()
        return
    providers_figures(args.latency)
    long_source_calls()
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


def verifying_model(reject_share: float, seed: int = 3) -> tuple[object, dict[str, int]]:
    """Worker summarises honestly; verifier rejects a share of first checks (so retries happen)."""
    rng = random.Random(seed)
    lock = threading.Lock()
    seen: set[str] = set()
    counts = {"rejected": 0}

    def route(received: Received) -> Action:
        text = first_user_text(received)
        if "summary to check" in text:
            key = text.split("</untrusted>", 1)[0]
            with lock:
                first = key not in seen
                seen.add(key)
                reject = first and rng.random() < reject_share
                counts["rejected"] += reject
            verdict = {"ok": not reject, "objections": ["One key point is not in the article."] if reject else []}
            return structured_reply(received, verdict)
        return honest_model(received)

    return route, counts


def vault_with(root: Path, url: str, provider: str, sources: int, words: int, extra: str) -> None:
    init_vault(root)
    base = url + ("/v1" if provider == "openai" else "")
    line = (f"{{provider: {provider}, base_url: \"{base}\", model: bench-model, api_key_env: KBD_TEST_KEY, "
            f"price_per_mtok: {{input: 3.0, output: 15.0, cached_input: 0.3, cache_write: 3.75}}{extra}}}")
    (root / "kbd/config.yaml").write_text(f"models:\n  worker: {line}\n  verifier: {line}\n")
    for i in range(sources):
        c = make_clipping(i, words=words, seed=17)
        (root / "raw" / c.filename).write_text(c.text)


def providers_figures(latency: float) -> None:
    base = Path(tempfile.mkdtemp(prefix="kbd-llm-providers-"))
    try:
        with fake_llm() as server:
            route, _ = verifying_model(0.3)

            def slow(received: Received) -> Action:
                reply = route(received)  # type: ignore[operator]
                reply.delay = latency
                return reply

            server.default = slow
            for cap in (2, 4, 8):
                root = base / f"peak-{cap}"
                vault_with(root, server.url, "openai", 12, 3000, f", max_concurrency: {cap}, max_input_tokens: 2000")
                server.max_in_flight = 0
                before = len(server.received)
                start = time.perf_counter()
                report = compile_vault(root, load_config(root))
                print(f"in flight: cap {cap}, peak {server.max_in_flight} over {len(server.received) - before} "
                      f"requests (12 long sources in parts, verifier, retries) in {time.perf_counter() - start:.1f} s;"
                      f" {report.ingested} compiled, {report.failed} failed")
        with fake_llm() as server:
            storm(server, base / "storm")
        for provider in ("openai", "anthropic"):
            with fake_llm() as server:
                route, counts = verifying_model(0.3)
                server.default = route  # type: ignore[assignment]
                root = base / f"cache-{provider}"
                vault_with(root, server.url, provider, 20, 1500, ", max_concurrency: 4")
                compile_vault(root, load_config(root))
                with sqlite3.connect(root / ".kbd/state.db") as db:
                    n, tokens, cached, output, cost = db.execute(
                        "SELECT COUNT(*), SUM(input_tokens), SUM(cached_tokens), SUM(output_tokens), SUM(cost_usd) "
                        "FROM llm_calls WHERE outcome='ok'").fetchone()
                uncached = (tokens * 3.0 + output * 15.0) / 1e6
                print(f"prompt cache ({provider}): 20 sources with a verifier ({counts['rejected']} first checks "
                      f"rejected): {n} calls, {tokens:,} input tokens, {cached:,} served from the provider's cache "
                      f"({100 * cached / tokens:.0f}%); cost ${cost:.4f}, ${uncached:.4f} without the cache")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def storm(server: FakeLLM, root: Path, seconds: float = 10.0, share: float = 0.5) -> None:
    """Half the requests in the first `seconds` answered 429 (retry-after: 1); every job must finish."""
    rng = random.Random(5)
    lock = threading.Lock()
    start = [0.0]
    limited = [0]

    def route(received: Received) -> Action:
        with lock:
            hit = time.monotonic() - start[0] < seconds and rng.random() < share
            limited[0] += hit
        if hit:
            return Action(429, {"error": {"message": "Rate limit reached for requests", "type": "requests",
                                          "param": None, "code": "rate_limit_exceeded"}}, {"retry-after": "1"})
        reply = honest_model(received)
        reply.delay = 0.2
        return reply

    server.default = route
    make_vault(root, server.url, 40, 4)
    text = (root / "kbd/config.yaml").read_text().replace("bench-model,", "bench-model, api_key_env: KBD_TEST_KEY,")
    (root / "kbd/config.yaml").write_text(text)
    start[0] = time.monotonic()
    report = compile_vault(root, load_config(root))
    print(f"429 storm: {share:.0%} of requests answered 429 for {seconds:.0f} s ({limited[0]} times): "
          f"{report.ingested} of 40 sources compiled, {report.failed} failed, {len(server.received)} requests, "
          f"{time.monotonic() - start[0]:.1f} s")


def faults_table() -> None:
    """Each fault, both wire formats: the first two requests meet it, then it clears."""
    base = Path(tempfile.mkdtemp(prefix="kbd-llm-faults-"))
    print(f"| fault | wire format | requests (faulted) | compiled / failed | spent (cap ${0.05}) | partial notes |")
    print("|---|---|---|---|---|---|")
    try:
        for fault in FAULTS:
            for provider in ("openai", "anthropic"):
                with fake_llm() as server:
                    root = base / f"{provider}-{len(list(base.iterdir()))}"
                    init_vault(root)
                    configure(root, server.url, provider)
                    add_sources(root, 3)
                    times = 1 if fault == "schema-invalid JSON" else 2

                    def once(r: Path) -> tuple[int, int]:
                        report = compile_vault(r, load_config(r))
                        return report.ingested, report.failed

                    run = run_fault(server, root, provider, fault, times, once)
                    print(f"| {fault} | {provider} | {run.requests} ({run.faulted}) | {run.compiled} / {run.failed} "
                          f"| ${run.spent_usd:.5f} | {len(run.partial_notes)} |")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

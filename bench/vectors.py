"""The vector math of semantic search, alone: how long one query takes over N passages × D dims.

    python bench/vectors.py [--passages 43000] [--dims 768]

Compares, on the same random unit vectors (the cost does not depend on the values):
  - kbd's standard-library search (kbd/search/vectors.py): int8 vectors as one big integer per
    dimension, 32-bit lanes; load time (from rows, as out of vectors.db), query time, memory;
  - a plain Python loop of float32 dot products (`sum(map(mul, q, v))`), measured on a sample;
  - numpy (float32 matrix · vector, and int8 matrix · vector), when numpy is importable — it is
    not a kbd dependency; run this with a Python that has it to see the comparison.
Prints the machine and the load average: wall times on a shared machine include waiting for a CPU.
"""

from __future__ import annotations

import argparse
import operator
import os
import random
import resource
import sys
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.compile import machine
from kbd.search.vectors import Matrix, quantise


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(fn, repeats: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def line(name: str, wall: list[float], cpu: list[float], extra: str = "") -> None:
    print(f"| {name} | {pct(wall, .5) * 1000:.1f} / {pct(wall, .95) * 1000:.1f} ms | "
          f"{pct(cpu, .5) * 1000:.1f} / {pct(cpu, .95) * 1000:.1f} ms | {extra} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=43_000)
    ap.add_argument("--dims", type=int, default=768)
    ap.add_argument("--queries", type=int, default=40)
    args = ap.parse_args()
    n, d = args.passages, args.dims
    print(f"machine: {machine()}")
    print(f"uname:   {' '.join(os.uname())}")
    rng = random.Random(7)
    # Random bytes stand in for quantised vectors: the arithmetic costs the same for any values.
    rows = [(f"n{i // 4:06}.md", "note", i % 4, 0.01, rng.randbytes(d)) for i in range(n)]
    queries = [quantise([rng.gauss(0, 1) for _ in range(d)]) for _ in range(args.queries)]
    base = rss_mb()
    start, start_cpu = time.perf_counter(), time.process_time()
    matrix = Matrix(rows)
    load_wall, load_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    held = rss_mb() - base
    print(f"\n{n:,} passages × {d} dims, {args.queries} queries; p50 / p95\n")
    print("| method | wall | CPU | notes |\n|---|---|---|---|")
    it = iter(queries * 2)
    wall, cpu = timed(lambda: matrix.nearest(*next(it), limit=100), args.queries)
    line("kbd, standard library (int8, big-integer columns)", wall, cpu,
         f"load {load_wall * 1000:.0f} ms wall / {load_cpu * 1000:.0f} ms CPU; +{held:.0f} MB RSS held")
    del rows
    sample = [array("f", (rng.gauss(0, 1) for _ in range(d))) for _ in range(2_000)]
    q = array("f", (rng.gauss(0, 1) for _ in range(d)))
    mul = operator.mul
    wall, cpu = timed(lambda: [sum(map(mul, q, v)) for v in sample], 3)
    scale = n / len(sample)
    line("plain Python float32 loop (sum(map(mul)))", [w * scale for w in wall], [c * scale for c in cpu],
         f"measured on {len(sample):,} vectors, scaled to {n:,}")
    try:
        import numpy as np
    except ImportError:
        print("| numpy | not installed | | not a kbd dependency; run with a Python that has numpy |")
    else:
        gen = np.random.default_rng(7)
        f32 = gen.standard_normal((n, d), dtype=np.float32)
        qf = gen.standard_normal(d, dtype=np.float32)
        wall, cpu = timed(lambda: np.argpartition(-(f32 @ qf), 100)[:100], args.queries)
        line(f"numpy {np.__version__} float32 matrix · vector", wall, cpu, f"matrix {f32.nbytes / 1e6:.0f} MB")
        i8 = gen.integers(-127, 128, (n, d), dtype=np.int8)
        qi = gen.integers(-127, 128, d, dtype=np.int8).astype(np.int32)
        wall, cpu = timed(lambda: np.argpartition(-(i8 @ qi), 100)[:100], args.queries // 4 or 1)
        line(f"numpy {np.__version__} int8 matrix · vector", wall, cpu, f"matrix {i8.nbytes / 1e6:.0f} MB")
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times include waiting for a CPU)")


if __name__ == "__main__":
    main()

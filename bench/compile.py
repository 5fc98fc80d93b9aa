"""Benchmark `kbd compile` with the offline engine on a synthetic vault of Web Clipper notes.

    python bench/compile.py [--notes 1000] [--keep DIR]

Prints: the machine; cold compile throughput (MB/s of markdown, notes/s); no-op re-run time;
time to absorb one new note at 100 and at N notes; peak RSS of the compile processes.
Each compile runs as `kbd compile` in a fresh process, as a user would run it.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kbd.init import init_vault  # noqa: E402
from tests.clippings import make_clipping  # noqa: E402


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"


def make_vault(root: Path, notes: int, seed: int = 1) -> int:
    init_vault(root)
    rng = random.Random(seed)
    total = 0
    for i in range(notes):
        c = make_clipping(i, words=rng.randint(1000, 8000), seed=seed)
        data = c.text.encode()
        (root / "raw" / c.filename).write_bytes(data)
        total += len(data)
    return total


def compile_once(root: Path) -> tuple[float, str]:
    # An installed kbd runs from byte-compiled modules. Images that set PYTHONDONTWRITEBYTECODE
    # (this one does) would recompile every module of an editable install on every start.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # The kbd of this tree, not the installed one: a bench run from a second checkout times that checkout.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-P", "-m", "kbd", "compile", "--quiet", str(root)], env=env,
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"kbd compile failed:\n{result.stderr}")
    return elapsed, result.stdout.strip()


def peak_rss_mb() -> float:
    # ru_maxrss of waited-for children: the largest single compile process (parent or worker), in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def one_new_note(root: Path, index: int) -> float:
    c = make_clipping(index, words=3000, seed=99)
    (root / "raw" / c.filename).write_text(c.text)
    elapsed, _ = compile_once(root)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="build the vault here and keep it")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    base = args.keep or Path(tempfile.mkdtemp(prefix="kbd-bench-"))
    try:
        small = base / "vault-100"
        make_vault(small, 100)
        compile_once(small)
        small_new = [one_new_note(small, 10_000 + i) for i in range(3)]

        big = base / f"vault-{args.notes}"
        size = make_vault(big, args.notes)
        print(f"vault: {args.notes} notes, {size / 1e6:.1f} MB of markdown")
        cold, line = compile_once(big)
        print(f"cold compile: {cold:.1f} s = {size / 1e6 / cold:.2f} MB/s, {args.notes / cold:.0f} notes/s  ({line})")
        noop = [compile_once(big)[0] for _ in range(3)]
        print(f"no-op re-run: {min(noop):.2f} s (best of 3; process start included)")
        big_new = [one_new_note(big, 20_000 + i) for i in range(3)]
        print(f"one new note: {min(small_new):.2f} s at 100 notes, {min(big_new):.2f} s at {args.notes} notes "
              "(best of 3, end to end incl. process start)")
        print(f"peak RSS: {peak_rss_mb():.0f} MB (largest compile process)")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

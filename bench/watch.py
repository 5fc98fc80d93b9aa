"""Benchmark `kbd run`: latency from a clipping landing in raw/ to its summary on disk.

    python bench/watch.py [--notes 1000] [--drops 50]

Starts the daemon (offline engine, default 1.5 s debounce) on a synthetic vault of N notes, drops
clipped notes one at a time and prints p50/p95 latency, idle CPU over 30 s, RSS before and
after, and how long SIGTERM takes to stop it in the middle of a compile. The vault is compiled
first, so the daemon starts on an up-to-date wiki.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import compile_once, machine, make_vault  # noqa: E402
from kbd.vault.layout import safe_note_name  # noqa: E402
from tests.clippings import make_clipping  # noqa: E402


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--drops", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    base = Path(tempfile.mkdtemp(prefix="kbd-watch-"))
    vault = base / "vault"
    try:
        size = make_vault(vault, args.notes)
        compile_once(vault)
        print(f"vault: {args.notes} notes, {size / 1e6:.1f} MB, compiled")
        proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "run", str(vault)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            status = vault / "wiki/reports/Status.md"
            deadline = time.monotonic() + 60
            while "## kbd run" not in (status.read_text() if status.exists() else "") and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(2)
            rss_before = _rss_mb(proc.pid)
            cpu = _proc_cpu(proc.pid)
            time.sleep(30)
            idle_cpu = _proc_cpu(proc.pid) - cpu
            latencies = []
            for i in range(args.drops):
                c = make_clipping(50_000 + i, words=2000, seed=3)
                title = c.text.split('title: "', 1)[1].split('"', 1)[0]
                target = vault / "wiki/sources" / f"{safe_note_name(title)}.md"
                start = time.monotonic()
                (vault / "raw" / c.filename).write_text(c.text)
                while not target.exists():
                    if time.monotonic() - start > 30:
                        raise SystemExit(f"no summary for {c.filename} after 30 s")
                    time.sleep(0.01)
                latencies.append(time.monotonic() - start)
                time.sleep(0.2)
            rss_after = _rss_mb(proc.pid)
            # SIGTERM in the middle of a compile of 60 long clippings: how long until it exits.
            burst = [make_clipping(60_000 + i, words=4000, seed=5) for i in range(60)]
            for c in burst:
                (vault / "raw" / c.filename).write_text(c.text)
            first = burst[0].text.split('title: "', 1)[1].split('"', 1)[0]
            while not (vault / "wiki/sources" / f"{safe_note_name(first)}.md").exists():
                time.sleep(0.01)
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=600)
            stop_seconds = time.monotonic() - start
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=600)
        latencies.sort()
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        print(f"clip → summary latency over {len(latencies)} drops (debounce 1.5 s included): "
              f"p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s")
        print(f"idle CPU over 30 s: {idle_cpu:.2f} s")
        print(f"daemon RSS: {rss_before:.0f} MB before the drops, {rss_after:.0f} MB after")
        print(f"SIGTERM during a compile of 60 long clippings → exit in {stop_seconds:.1f} s (promise: < 10 s)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

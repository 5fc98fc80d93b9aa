"""SIGKILL the real daemon at random points of a cold compile; check convergence and orphans.

    python bench/daemon_kill.py [--notes 200] [--kills 50] [--seed 1] [--at-random-times]

A vault of N clippings is compiled once without interruption (the reference). Then, K times:
a fresh copy starts `kbd run`, whose start-up scan compiles the N notes; at a hold point of a
random one of its writes (kbd.vault.holdpoint; or, with --at-random-times, at a random moment
within the reference compile time) the daemon's own process (not its group, as the OOM killer or
`kill -9 PID` would) gets SIGKILL. Checks: no process of the daemon's process group outlives it
(its pool workers and fork server die with it), no temp file is visible, raw/ is untouched,
and after `kbd compile` the wiki is byte for byte the reference (the status note aside: it
records the daemon's runs).
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kbd.init import init_vault  # noqa: E402
from kbd.vault.holdpoint import POINTS, hold_env  # noqa: E402
from kbd.vault.layout import TEMP_SUFFIX  # noqa: E402
from tests.clippings import make_clipping  # noqa: E402
from tests.events import held_or_exited, wait_for  # noqa: E402

EPOCH = "1790000000"


def _env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "SOURCE_DATE_EPOCH": EPOCH}


def _kbd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-P", "-m", "kbd", *args], env=_env(), capture_output=True, text=True,
                          timeout=900, stdin=subprocess.DEVNULL)


def group(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def wiki(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "wiki").rglob("*"))
            if p.is_file() and p.name != "Status.md"}


def raw(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "raw").rglob("*")) if p.is_file()}


@dataclass
class KillSummary:
    kills: int = 0
    killed_mid_compile: int = 0
    orphans: int = 0
    problems: list[str] = field(default_factory=list)
    reference_seconds: float = 0.0
    seconds: float = 0.0


def kill_trials(notes: int, kills: int, seed: int, base: Path, log: Callable[[str], None] = lambda _: None,
                at_writes: bool = True) -> KillSummary:
    """at_writes: each kill lands at a hold point (between a temp file and its rename, or just
    after the rename) of a random one of the compile's writes, so every kill is mid-compile on
    any machine; otherwise at a random moment within the reference compile's time."""
    start = time.monotonic()
    pristine = base / "pristine"
    init_vault(pristine)
    (pristine / "kbd/config.yaml").write_text("daemon:\n  debounce_seconds: 0.5\n")
    rng = random.Random(seed)
    for i in range(notes):
        c = make_clipping(i, words=rng.randint(300, 1200))
        (pristine / "raw" / c.filename).write_text(c.text)
    reference = base / "reference"
    shutil.copytree(pristine, reference, symlinks=True)
    t0 = time.monotonic()
    result = _kbd("compile", str(reference))
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    summary = KillSummary(reference_seconds=time.monotonic() - t0)
    expected = wiki(reference)
    writes = len(expected)  # the start-up compile writes each of these at least once
    reported = 0
    for n in range(kills):
        work = base / f"kill-{n}"
        shutil.copytree(pristine, work, symlinks=True)
        raw_before = raw(work)
        marker = base / f"kill-{n}.held"
        if at_writes:
            count, point = rng.randint(1, writes), rng.choice(POINTS)
            when = f"at {point} #{count}"
            env = {**_env(), **hold_env(point, count, str(marker))}
        else:
            delay = rng.uniform(0.3, 0.3 + 1.2 * summary.reference_seconds)
            when, env = f"after {delay:.2f}s", _env()
        proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "run", str(work)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        if at_writes:
            alive = held_or_exited(proc, marker, what=f"kill {n}'s hold point")
        else:
            time.sleep(delay)
            alive = proc.poll() is None
        compiled = (work / "wiki/index.md").exists()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        summary.kills += 1
        summary.killed_mid_compile += int(alive and (at_writes or not compiled))
        # Pool workers and the fork server notice their parent's death on their own; the safety
        # net is long so that a loaded machine only makes this slower, never a false orphan.
        try:
            wait_for(lambda pid=proc.pid: not group(pid), timeout=120)
        except AssertionError:
            pass
        left = group(proc.pid)
        if left:
            summary.orphans += len(left)
            summary.problems.append(f"kill {n} {when}: {len(left)} processes outlived the daemon")
            for pid in left:
                os.kill(pid, signal.SIGKILL)
        finish = _kbd("compile", str(work))
        if finish.returncode != 0:
            summary.problems.append(f"kill {n}: the next compile failed: {finish.stderr[-300:]}")
        temps = [p.name for p in work.rglob("*") if p.name.endswith(TEMP_SUFFIX)]
        if temps:
            summary.problems.append(f"kill {n}: temp files left: {temps[:3]}")
        if raw(work) != raw_before:
            summary.problems.append(f"kill {n}: raw/ changed")
        got = wiki(work)
        if got != expected:
            differ = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
            summary.problems.append(f"kill {n} {when}: wiki differs from the reference: {differ[:3]}")
            diff = difflib.unified_diff(expected.get(differ[0], b"").decode(errors="replace").splitlines(),
                                        got.get(differ[0], b"").decode(errors="replace").splitlines(), lineterm="")
            log("\n".join(list(diff)[:30]))
        shutil.rmtree(work)
        for problem in summary.problems[reported:]:
            log("  " + problem)
        reported = len(summary.problems)
        log(f"kill {n + 1}/{kills} {when}: {'mid-compile' if alive and not compiled else 'late'}, "
            f"{len(summary.problems)} problems so far")
    summary.seconds = time.monotonic() - start
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--at-random-times", action="store_true",
                        help="kill after random delays instead of at hold points of random writes")
    args = parser.parse_args()
    from bench.compile import machine

    print(f"machine: {machine()}")
    base = Path(tempfile.mkdtemp(prefix="kbd-kill-"))
    try:
        s = kill_trials(args.notes, args.kills, args.seed, base, log=lambda m: print(m, flush=True),
                        at_writes=not args.at_random_times)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{s.kills} SIGKILLs of `kbd run` during a {args.notes}-note cold compile (reference compile "
          f"{s.reference_seconds:.1f} s; {s.killed_mid_compile} before the index was written) in {s.seconds:.0f} s")
    print(f"orphan processes: {s.orphans}; problems: {len(s.problems)}" + ("" if s.problems else " (PASS)"))
    for p in s.problems:
        print("  " + p)
    sys.exit(1 if s.problems else 0)


if __name__ == "__main__":
    main()

"""Soak `kbd run`: a long stream of file events with time triggers firing, then check for leaks.

    python bench/soak.py [--minutes 30] [--events 10000] [--notes 300] [--every 1m]

Compiles a synthetic vault, starts the daemon with two time triggers (`compile` and `index`,
each every `--every`), then spreads `--events` file operations over `--minutes`: edits in place,
rename-replace saves, deletes and re-creates, renames of raw notes, and edits of kbd's own notes.
The number of raw notes stays about constant, so memory that grows is a leak, not data.

Samples the daemon's RSS, threads and open descriptors every few seconds. Pass: RSS after the
stream has drained is < 20% above RSS after the warm-up (the first 10% of the events), threads
and descriptors no more than at the warm-up, and the job queue empties, with every raw note's
current bytes summarised, within two minutes of the last event.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compile import compile_once, machine, make_vault  # noqa: E402
from kbd.config import _EVERY, _UNITS  # noqa: E402  (the same reading of `every:` as kbd)
from tests.clippings import make_clipping  # noqa: E402
from tests.events import drain  # noqa: E402

DRAIN_SECONDS = 600  # a safety net: the drain is waited for as an event, this only bounds a stuck daemon
QUIET_SAMPLES = 5  # samples, 1 s apart, of the idle daemon at the end


@dataclass
class Sample:
    t: float
    rss_mb: float
    threads: int
    fds: int


@dataclass
class SoakResult:
    events: int
    seconds: float
    trigger_runs: int
    warm: Sample
    final: Sample
    peak_rss_mb: float
    drained_seconds: float | None
    samples: list[Sample] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def rss_growth(self) -> float:
        return self.final.rss_mb / self.warm.rss_mb - 1

    @property
    def passed(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        drained = f"{self.drained_seconds:.1f} s" if self.drained_seconds is not None else "NOT drained"
        return [
            f"{self.events} file events over {self.seconds / 60:.1f} min, {self.trigger_runs} time-trigger runs",
            f"RSS: {self.warm.rss_mb:.1f} MB after warm-up, {self.final.rss_mb:.1f} MB at the end "
            f"({self.rss_growth:+.1%}), peak {self.peak_rss_mb:.1f} MB",
            f"threads: at most {self.warm.threads} during warm-up, {self.final.threads} at the end; "
            f"open descriptors: at most {self.warm.fds} during warm-up, {self.final.fds} at the end",
            f"queue drained {drained} after the last event",
            "PASS" if self.passed else "FAIL: " + "; ".join(self.problems),
        ]




def sample(pid: int, t0: float) -> Sample:
    rss, threads = 0.0, 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
        elif line.startswith("Threads:"):
            threads = int(line.split()[1])
    return Sample(time.monotonic() - t0, rss, threads, len(os.listdir(f"/proc/{pid}/fd")))


def _seconds(every: str) -> int:
    """`every:` as seconds, read as kbd reads it (30s, 10m, 6h, 1d)."""
    m = _EVERY.match(every)
    assert m, every
    return int(m.group(1)) * _UNITS[m.group(2)]


def _config(every: str | None) -> str:
    """The soak's triggers; every=None: the file trigger alone (the time triggers stopped)."""
    text = "triggers:\n  - {name: clip, on: {files: \"raw/**/*.md\"}, run: compile}\n"
    if every:
        text += (f"  - {{name: tick, on: {{every: {every}}}, run: compile}}\n"
                 f"  - {{name: reindex, on: {{every: {every}}}, run: index}}\n")
    return text


def _drained(vault: Path) -> bool:
    """No job waiting, and every raw note on disk is in the ledger with its current bytes."""
    db = sqlite3.connect(f"file:{vault / '.kbd/state.db'}?mode=ro", uri=True, timeout=5)
    try:
        if db.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'running')").fetchone()[0]:
            return False
        ledger = dict(db.execute("SELECT raw_path, sha256 FROM sources"))
    except sqlite3.OperationalError:
        return False
    finally:
        db.close()
    on_disk = {}
    for path in (vault / "raw").rglob("*.md"):
        try:
            on_disk[path.relative_to(vault).as_posix()] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return False
    return on_disk == ledger


class _User:
    """Makes one file event at a time on a vault, keeping the number of raw notes about constant."""

    def __init__(self, vault: Path, seed: int) -> None:
        self.vault = vault
        self.rng = random.Random(seed)
        self.next_id = 1_000_000

    def event(self) -> None:
        raw = sorted((self.vault / "raw").glob("*.md"))
        roll = self.rng.random()
        target = self.rng.choice(raw)
        if roll < 0.35:  # edit in place
            with target.open("a", encoding="utf-8") as fh:
                fh.write(f"\nA further note on the write-ahead log, number {self.rng.randrange(10**6)}.\n")
        elif roll < 0.55:  # an editor's save: temp file, then rename over the note
            tmp = target.with_name(".tmp-" + target.name)
            tmp.write_text(target.read_text(encoding="utf-8") + "\nRevised after review.\n", encoding="utf-8")
            os.replace(tmp, target)
        elif roll < 0.7:  # delete one, clip another
            target.unlink()
            c = make_clipping(self.next_id, words=self.rng.randint(300, 1500), seed=7)
            self.next_id += 1
            (self.vault / "raw" / c.filename).write_text(c.text, encoding="utf-8")
        elif roll < 0.85:  # rename
            os.replace(target, target.with_name(f"moved {self.next_id} {target.name}"[:120]))
            self.next_id += 1
        else:  # the user edits (or re-saves unchanged) one of kbd's notes
            notes = sorted((self.vault / "wiki/sources").glob("*.md"))
            if notes:
                note = self.rng.choice(notes)
                note.write_bytes(note.read_bytes())  # same bytes: kbd must not take it for an edit


def soak(vault: Path, minutes: float, events: int, every: str, log=print, heap: Path | None = None) -> SoakResult:
    (vault / "kbd" / "config.yaml").write_text(_config(every), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    kbd = ["-m", "kbd"] if heap is None else [str(ROOT / "bench/heap_probe.py"), str(heap)]
    proc = subprocess.Popen([sys.executable, "-P", *kbd, "run", str(vault)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    problems: list[str] = []
    samples: list[Sample] = []
    t0 = time.monotonic()
    try:
        status = vault / "wiki/reports/Status.md"
        while "## kbd run" not in (status.read_text() if status.exists() else ""):
            if time.monotonic() - t0 > DRAIN_SECONDS or proc.poll() is not None:
                raise SystemExit("the daemon did not start")
            time.sleep(0.2)
        user = _User(vault, seed=11)
        duration = minutes * 60
        # The scheduler's job threads appear when its triggers first fire (two at once need two):
        # the baseline is taken once every trigger has fired twice, whatever the stream's length.
        warm_seconds = 2 * _seconds(every) + 2
        start = time.monotonic()
        warm: Sample | None = None
        next_sample = start
        for i in range(events):
            due = start + duration * i / events
            while time.monotonic() < due:
                time.sleep(min(0.05, max(0.0, due - time.monotonic())))
            user.event()
            if time.monotonic() >= next_sample:
                samples.append(sample(proc.pid, t0))
                next_sample += 5
            if warm is None and i >= events // 10 and time.monotonic() - start >= warm_seconds:
                warm = sample(proc.pid, t0)
                log(f"warm-up done after {i} events: {warm}")
            if i and i % max(1, events // 20) == 0:
                log(f"{i}/{events} events, {samples[-1]}")
            if proc.poll() is not None:
                raise SystemExit(f"the daemon exited with {proc.returncode} during the soak")
        seconds = time.monotonic() - start
        drain_start = time.monotonic()
        drained: float | None = None
        while time.monotonic() - drain_start < DRAIN_SECONDS:
            time.sleep(1)
            if _drained(vault):
                drained = time.monotonic() - drain_start
                break
        # The time triggers go (a live config reload), then every event and every run it asked
        # for is waited out: the end figures are of an idle daemon, on a fast machine or a slow one.
        (vault / "kbd" / "config.yaml").write_text(_config(None), encoding="utf-8")
        drain(vault)
        # A trigger may be running a job at any one moment (its process pool brings a manager
        # thread and pipes): a leak is what stays, so the end figure is the least of a few samples.
        quiet = []
        for _ in range(QUIET_SAMPLES):
            quiet.append(sample(proc.pid, t0))
            time.sleep(1)
        final = Sample(quiet[-1].t, quiet[-1].rss_mb, min(s.threads for s in quiet), min(s.fds for s in quiet))
        samples.extend(quiet)
        assert warm is not None
        # Threads and descriptors come and go while a job runs (pools, the state connection of a
        # render worker): the bar is the most the warm-up ever held, met again when idle at the end.
        warm_window = [s for s in samples if s.t <= warm.t] + [warm]
        warm = Sample(warm.t, warm.rss_mb, max(s.threads for s in warm_window), max(s.fds for s in warm_window))
        log_text = "".join(p.read_text(errors="replace") for p in (vault / ".kbd").glob("kbd.log*"))
        trigger_runs = log_text.count("(schedule)")
        for name in ("tick", "reindex"):
            if log_text.count(f"{name} → ") < 2:
                problems.append(f"the {name} trigger ran fewer than 2 times")
        errors = log_text.count(" ERROR ")
        if errors:
            problems.append(f"{errors} errors in .kbd/kbd.log")
        if final.rss_mb > 1.2 * warm.rss_mb:
            problems.append(f"RSS grew {final.rss_mb / warm.rss_mb - 1:.0%}")
        if final.threads > warm.threads:
            problems.append(f"threads {warm.threads} → {final.threads}")
        if final.fds > warm.fds:
            problems.append(f"descriptors {warm.fds} → {final.fds}")
        if drained is None:
            problems.append(f"queue not drained {DRAIN_SECONDS} s after the last event")
        return SoakResult(events, seconds, trigger_runs, warm, final, max(s.rss_mb for s in samples), drained,
                          samples, problems)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            problems.append("the daemon did not stop within 60 s of SIGTERM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--every", default="1m", help="interval of the two time triggers")
    parser.add_argument("--heap", type=Path, metavar="FILE",
                        help="run the daemon under bench/heap_probe.py, which appends live-heap figures to FILE")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    base = Path(tempfile.mkdtemp(prefix="kbd-soak-"))
    try:
        vault = base / "vault"
        make_vault(vault, args.notes)
        compile_once(vault)
        print(f"vault: {args.notes} notes, compiled; soak {args.minutes:g} min, {args.events} events, "
              f"triggers every {args.every}")
        result = soak(vault, args.minutes, args.events, args.every, log=lambda m: print(m, flush=True), heap=args.heap)
        for line in result.lines():
            print(line)
        sys.exit(0 if result.passed else 1)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Crash-consistency harness: crash kbd at a random file operation, damage what was not synced,
restart, and check that nothing is lost or half-written.

    python bench/crash.py [--trials 1000] [--seed 1]

kbd's file operations (every `write`, `fsync`, `rename`, `renameat2`, `link`, `unlink` and `mkdir`
of the writer, kbd.vault.atomic) go through a recording layer. A trial runs one compile and
crashes it just before the K-th operation, K uniform over the operations an uninterrupted run
makes (a `write` that is hit is torn: a random prefix lands). From that instant nothing more
happens: every later file operation and every SQLite statement fails, as if the process had died
(SQLite's own commit is atomic, and the writer's pending-hash commit is fsynced). Then, as a power
cut would, each file's data written since its last fsync is independently kept, dropped (back to
its last synced bytes, empty for a new file) or garbled (random bytes). Namespace operations
(rename, exchange, unlink) are taken as durable in program order; losing the ones after the last
folder fsync is the same as crashing before them, which other trials do, because the ledger
never commits a state that depends on a rename before that folder is fsynced.

Invariants after every trial:
  1. right after the crash: every vault file is its old version, or a complete version the
     uninterrupted run writes (temp files aside);
  2. after a restart (`kbd compile`): no temp file is left, the ledger (outputs in state.db)
     agrees with every file on disk, the user's edited note is byte for byte theirs, raw/ is
     untouched, and the wiki is byte for byte the one an uninterrupted run makes.
Scenarios alternate between a cold compile and an incremental one (an edit, an addition, a
deletion and a rename in raw/, with a user-edited concept note in the wiki).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kbd.compile.run as run_module  # noqa: E402
import kbd.vault.atomic as atomic  # noqa: E402
from kbd.config import load_config  # noqa: E402
from kbd.init import init_vault  # noqa: E402
from kbd.state import State  # noqa: E402
from kbd.vault.atomic import ASIDE_SUFFIX  # noqa: E402
from kbd.vault.layout import TEMP_SUFFIX  # noqa: E402
from tests.clippings import make_clipping  # noqa: E402

FATES = ("kept", "dropped", "garbled")
USER_NOTE_TEXT = "\n## My own notes\nThis paragraph is the user's and must survive every crash.\n"


class Crash(BaseException):
    """The process died here. BaseException: no `except Exception` in kbd can swallow it."""


@dataclass
class Disk:
    """The recording layer between kbd's writer and the file system."""

    crash_at: int | None  # None: record an uninterrupted run
    rng: random.Random
    ops: int = 0
    crashed: bool = False
    # path → its bytes at its last fsync (b"" for a file created since), for files written since
    unsynced: dict[str, bytes] = field(default_factory=dict)
    versions: dict[str, set[bytes]] = field(default_factory=dict)  # dest → every version renamed there
    fates: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FATES, 0))

    def point(self) -> bool:
        """Count one operation; crash before it if it is the chosen one. True: tear this one."""
        if self.crashed:
            raise Crash
        if self.crash_at is not None and self.ops == self.crash_at:
            self.crashed = True
            return True
        self.ops += 1
        return False

    @staticmethod
    def path_of(fd: int) -> str:
        return os.readlink(f"/proc/self/fd/{fd}")

    @staticmethod
    def at(dir_fd: int | None, name: str) -> str:
        return os.path.join(Disk.path_of(dir_fd), name) if dir_fd is not None else name

    def record_rename(self, src: str, dst: str, exchange: bool) -> None:
        if self.crash_at is None and os.path.isfile(src):
            with open(src, "rb") as fh:
                self.versions.setdefault(dst, set()).add(fh.read())
        a, b = self.unsynced.pop(src, None), self.unsynced.pop(dst, None)
        if a is not None:
            self.unsynced[dst] = a
        if exchange and b is not None:
            self.unsynced[src] = b

    def power_cut(self) -> None:
        """Keep, drop or garble each file's unsynced data."""
        for path, synced in self.unsynced.items():
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            fate = self.rng.choice(FATES)
            self.fates[fate] += 1
            if fate == "dropped":
                with open(path, "wb") as fh:
                    fh.write(synced)
            elif fate == "garbled":
                size = os.path.getsize(path)
                with open(path, "wb") as fh:
                    fh.write(synced[: self.rng.randrange(len(synced) + 1)])
                    fh.write(self.rng.randbytes(max(0, size - len(synced))))
        self.unsynced.clear()

    def os_proxy(self) -> types.SimpleNamespace:
        real = os
        proxy = types.SimpleNamespace(**{name: getattr(real, name) for name in dir(real) if not name.startswith("__")})
        disk = self

        def write(fd: int, data: bytes) -> int:
            path = disk.path_of(fd)
            if path not in disk.unsynced:
                with open(path, "rb") as fh:
                    disk.unsynced[path] = fh.read()
            if disk.point():
                real.write(fd, bytes(data)[: disk.rng.randrange(len(data) + 1)])
                raise Crash
            return real.write(fd, data)

        def fsync(fd: int) -> None:
            if disk.point():
                raise Crash
            real.fsync(fd)
            disk.unsynced.pop(disk.path_of(fd), None)

        def rename(src: str, dst: str, *, src_dir_fd: int | None = None, dst_dir_fd: int | None = None) -> None:
            if disk.point():
                raise Crash
            a, b = disk.at(src_dir_fd, src), disk.at(dst_dir_fd, dst)
            disk.record_rename(a, b, exchange=False)
            real.rename(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

        def unlink(path: str, *, dir_fd: int | None = None) -> None:
            if disk.point():
                raise Crash
            disk.unsynced.pop(disk.at(dir_fd, path), None)
            real.unlink(path, dir_fd=dir_fd)

        def link(src: str, dst: str, **kwargs: object) -> None:
            if disk.point():
                raise Crash
            real.link(src, dst, **kwargs)

        def mkdir(path: str, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
            if disk.point():
                raise Crash
            real.mkdir(path, mode, dir_fd=dir_fd)

        for fn in (write, fsync, rename, unlink, link, mkdir):
            setattr(proxy, fn.__name__, fn)
        return proxy

    def renameat2(self, original: Callable[[int, str, str, int], bool]) -> Callable[[int, str, str, int], bool]:
        def wrapped(dir_fd: int, old: str, new: str, flags: int) -> bool:
            if self.point():
                raise Crash
            a, b = self.at(dir_fd, old), self.at(dir_fd, new)
            if flags == atomic.RENAME_EXCHANGE or not os.path.lexists(b):
                self.record_rename(a, b, exchange=flags == atomic.RENAME_EXCHANGE)
            return original(dir_fd, old, new, flags)

        return wrapped


class _Patched:
    """Route kbd's writer through `disk`, and make SQLite die with the process."""

    def __init__(self, disk: Disk) -> None:
        self.disk = disk

    def __enter__(self) -> _Patched:
        self.saved = (atomic.os, atomic.renameat2, run_module.open_state)
        atomic.os = self.disk.os_proxy()  # type: ignore[assignment]
        atomic.renameat2 = self.disk.renameat2(self.saved[1])
        disk, open_state = self.disk, self.saved[2]

        def guarded_open_state(layout: object) -> State:
            state = open_state(layout)
            state.db.set_progress_handler(lambda: 1 if disk.crashed else 0, 1)
            return state

        run_module.open_state = guarded_open_state
        return self

    def __exit__(self, *exc: object) -> None:
        atomic.os, atomic.renameat2, run_module.open_state = self.saved  # type: ignore[assignment]


def compile_once(root: Path) -> None:
    run_module.compile_vault(root, load_config(root))


def tree(root: Path, skip_temp: bool = True) -> dict[str, bytes]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".kbd/") or not path.is_file() or path.is_symlink():
            continue
        if skip_temp and path.name.endswith((TEMP_SUFFIX, ASIDE_SUFFIX)):
            continue
        out[rel] = path.read_bytes()
    return out


def _change(root: Path) -> None:
    raw = sorted((root / "raw").glob("*.md"))
    raw[0].write_text(raw[0].read_text() + "\nA late addendum about the buffer pool and the query planner.\n")
    raw[1].unlink()
    raw[2].rename(raw[2].with_name("renamed " + raw[2].name))
    c = make_clipping(50, words=400)
    (root / "raw" / c.filename).write_text(c.text)


@dataclass
class Scenario:
    name: str
    start: Path  # the vault before the run
    expected: dict[str, bytes]  # the wiki after an uninterrupted run
    versions: dict[str, set[bytes]]  # every version an uninterrupted run writes, by path
    ops: int  # file operations of an uninterrupted run
    user_note: str | None = None


def build_scenarios(base: Path) -> list[Scenario]:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1790000000")
    cold = base / "cold"
    init_vault(cold)
    for i in range(3):
        c = make_clipping(i, words=400)
        (cold / "raw" / c.filename).write_text(c.text)
    warm = base / "warm"
    shutil.copytree(cold, warm, symlinks=True)
    compile_once(warm)
    concepts = sorted((warm / "wiki/concepts").glob("*.md"))
    user_note = None
    if concepts:
        user_note = concepts[0].relative_to(warm).as_posix()
        with concepts[0].open("a", encoding="utf-8") as fh:
            fh.write(USER_NOTE_TEXT)
        compile_once(warm)  # kbd notices the edit and leaves the note to the user
    _change(warm)
    scenarios = []
    for name, start, note in (("cold", cold, None), ("incremental", warm, user_note)):
        reference = base / f"reference-{name}"
        shutil.copytree(start, reference, symlinks=True)
        disk = Disk(None, random.Random(0))
        with _Patched(disk):
            compile_once(reference)
        versions = {os.path.relpath(p, reference): v for p, v in disk.versions.items()}
        scenarios.append(Scenario(name, start, tree(reference), versions, disk.ops, note))
    return scenarios


@dataclass
class TrialResult:
    scenario: str
    crash_at: int
    violations: list[str]
    fates: dict[str, int]


def run_trial(scenario: Scenario, work: Path, rng: random.Random) -> TrialResult:
    shutil.copytree(scenario.start, work, symlinks=True)
    raw_before = tree(work / "raw")
    old = tree(work)
    user_before = (work / scenario.user_note).read_bytes() if scenario.user_note else None
    crash_at = rng.randrange(scenario.ops)
    disk = Disk(crash_at, rng)
    violations: list[str] = []
    with _Patched(disk):
        try:
            compile_once(work)
            violations.append(f"no crash at operation {crash_at}")
        except Crash:
            pass
        except sqlite3.OperationalError:
            pass  # the statement running when the process died
    disk.power_cut()
    # 1. every file is old or a complete new version
    for rel, data in tree(work).items():
        allowed = {old.get(rel)} | {v for p, vs in scenario.versions.items() if p == rel for v in vs}
        if data not in allowed:
            violations.append(f"after the crash, {rel} is neither its old nor a complete new version")
    # 2. restart and reconcile
    compile_once(work)
    leftovers = [p.name for p in (work / "wiki").rglob("*") if p.name.endswith((TEMP_SUFFIX, ASIDE_SUFFIX))]
    if leftovers:
        violations.append(f"temp files left after restart: {leftovers}")
    violations += ledger_problems(work)
    if tree(work / "raw") != raw_before:
        violations.append("raw/ changed")
    if scenario.user_note and (work / scenario.user_note).read_bytes() != user_before:
        violations.append(f"the user's note {scenario.user_note} changed")
    after = tree(work)
    if after != scenario.expected:
        differ = sorted(k for k in set(after) | set(scenario.expected) if after.get(k) != scenario.expected.get(k))
        violations.append(f"did not converge to the uninterrupted run: {differ[:5]}")
    return TrialResult(scenario.name, crash_at, violations, disk.fates)


def ledger_problems(root: Path) -> list[str]:
    problems = []
    db = sqlite3.connect(root / ".kbd/state.db")
    try:
        rows = db.execute("SELECT path, sha256, pending_sha256, user_edited FROM outputs").fetchall()
    finally:
        db.close()
    recorded = set()
    for path, sha, pending, user_edited in rows:
        recorded.add(path)
        full = root / path
        if user_edited:
            continue
        if not full.is_file():
            problems.append(f"ledger lists {path}, which is not on disk")
        elif "sha256:" + hashlib.sha256(full.read_bytes()).hexdigest() != sha:
            problems.append(f"ledger hash of {path} differs from the file")
        elif pending is not None:
            problems.append(f"{path} still has a pending write after the restart")
    for path in (root / "wiki").rglob("*.md"):
        if path.relative_to(root).as_posix() not in recorded:
            problems.append(f"{path.relative_to(root)} is on disk but not in the ledger")
    return problems


@dataclass
class Summary:
    trials: int
    failed: list[TrialResult]
    by_scenario: dict[str, int]
    fates: dict[str, int]
    ops: dict[str, int]
    seconds: float


def run_trials(trials: int, seed: int = 1, base: Path | None = None, log: Callable[[str], None] = lambda _: None
               ) -> Summary:
    own = base is None
    base = base or Path(tempfile.mkdtemp(prefix="kbd-crash-"))
    start = time.monotonic()
    try:
        scenarios = build_scenarios(base)
        rng = random.Random(seed)
        failed, by_scenario, fates = [], dict.fromkeys((s.name for s in scenarios), 0), dict.fromkeys(FATES, 0)
        for n in range(trials):
            scenario = scenarios[n % len(scenarios)]
            work = base / f"trial-{n}"
            result = run_trial(scenario, work, rng)
            shutil.rmtree(work)
            by_scenario[scenario.name] += 1
            for k, v in result.fates.items():
                fates[k] += v
            if result.violations:
                failed.append(result)
                log(f"trial {n} ({scenario.name}, crash before operation {result.crash_at}): {result.violations}")
            if (n + 1) % 100 == 0:
                log(f"{n + 1}/{trials} trials, {len(failed)} failed")
        return Summary(trials, failed, by_scenario, fates, {s.name: s.ops for s in scenarios},
                       time.monotonic() - start)
    finally:
        if own:
            shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from bench.compile import machine

    print(f"machine: {machine()}")
    summary = run_trials(args.trials, args.seed, log=lambda m: print(m, flush=True))
    print(f"{summary.trials} crash trials ({', '.join(f'{v} {k}' for k, v in summary.by_scenario.items())}) "
          f"in {summary.seconds:.0f} s; file operations per uninterrupted run: "
          f"{', '.join(f'{k} {v}' for k, v in summary.ops.items())}")
    print(f"unsynced files at the crash: {', '.join(f'{v} {k}' for k, v in summary.fates.items())}")
    print(f"violations: {len(summary.failed)} trials" + ("" if summary.failed else " (PASS)"))
    sys.exit(1 if summary.failed else 0)


if __name__ == "__main__":
    main()

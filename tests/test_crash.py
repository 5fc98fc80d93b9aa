"""Acceptance 7: SIGKILL at any point, then a re-run, gives the vault an uninterrupted run gives."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from kbd.init import init_vault
from kbd.vault.layout import TEMP_SUFFIX
from tests.clippings import make_clipping
from tests.conftest import FIXED_EPOCH, run_kbd, tree_bytes

COLD_KILLS = 12
INCREMENTAL_KILLS = 10


def _compile_until_done(root: Path) -> None:
    result = run_kbd("compile", str(root))
    assert result.returncode == 0, result.stderr


def _compile_and_kill(root: Path, delay: float) -> bool:
    """Start a compile, SIGKILL its whole process group after `delay` seconds. True if it was killed."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "compile", str(root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return proc.wait() == -signal.SIGKILL


def _wiki(root: Path) -> dict[str, bytes]:
    return tree_bytes(root, skip=(".kbd",))


def _no_temp_files(root: Path) -> None:
    assert [p for p in root.rglob("*") if p.name.endswith(TEMP_SUFFIX)] == []


def _incremental_changes(root: Path) -> None:
    raw = sorted((root / "raw").glob("*.md"))
    for path in raw[:3]:
        path.write_text(path.read_text() + "\n\nA late addendum about the buffer pool and the query planner.\n")
    raw[3].unlink()
    raw[4].unlink()
    raw[5].rename(raw[5].with_name("renamed " + raw[5].name))
    for i in range(100, 103):
        c = make_clipping(i, words=900)
        (root / "raw" / c.filename).write_text(c.text)


def _timed(root: Path) -> float:
    start = time.monotonic()
    _compile_until_done(root)
    return time.monotonic() - start


def test_sigkill_at_random_points_then_rerun_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine"
    init_vault(pristine)
    for i in range(24):
        c = make_clipping(i, words=1500)
        (pristine / "raw" / c.filename).write_text(c.text)

    reference = tmp_path / "reference"
    shutil.copytree(pristine, reference, symlinks=True)
    cold_seconds = _timed(reference)
    cold_expected = _wiki(reference)
    compiled = tmp_path / "compiled"
    shutil.copytree(reference, compiled, symlinks=True)
    _incremental_changes(reference)
    incremental_seconds = _timed(reference)
    incremental_expected = _wiki(reference)
    assert cold_expected != incremental_expected

    rng = random.Random(20261122)
    killed = 0
    scenarios = [(pristine, None, cold_seconds, cold_expected, COLD_KILLS),
                 (compiled, _incremental_changes, incremental_seconds, incremental_expected, INCREMENTAL_KILLS)]
    for n, (start, change, seconds, expected, kills) in enumerate(scenarios):
        slot = attempts = 0
        # Every attempt must end identical; only attempts that really killed a working process
        # count towards the kill points (a slot whose run had already finished is tried again).
        while slot < kills and attempts < 3 * kills:
            attempts += 1
            work = tmp_path / f"run-{n}-{attempts}"
            shutil.copytree(start, work, symlinks=True)
            if change:
                change(work)
            raw_before = tree_bytes(work / "raw")
            # Spread the kill points over the run, each jittered inside its slot.
            delay = 0.9 * seconds * (slot + rng.random()) / kills
            if _compile_and_kill(work, delay):
                slot += 1
            _compile_until_done(work)
            assert _wiki(work) == expected, f"scenario {n}, kill after {delay:.3f}s: vault differs"
            assert tree_bytes(work / "raw") == raw_before, "kbd changed a byte under raw/"
            _no_temp_files(work)
            shutil.rmtree(work)
        killed += slot
    assert killed >= 20, f"only {killed} of the runs were still working when killed"

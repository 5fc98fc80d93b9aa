"""Acceptance 7: SIGKILL at any point, then a re-run, gives the vault an uninterrupted run gives."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from kbd.init import init_vault
from kbd.vault.holdpoint import POINTS, hold_env
from kbd.vault.layout import TEMP_SUFFIX
from tests.clippings import make_clipping
from tests.conftest import FIXED_EPOCH, run_kbd, tree_bytes
from tests.events import held_or_exited, kill_group

COLD_KILLS = 12
INCREMENTAL_KILLS = 10


def _compile_until_done(root: Path) -> None:
    result = run_kbd("compile", str(root))
    assert result.returncode == 0, result.stderr


def _compile_and_kill(root: Path, point: str, count: int) -> bool:
    """Start a compile, hold it at the `count`-th `point`, SIGKILL its whole process group there.
    True if it was killed at that point (False: the run ended before reaching it)."""
    marker = root.parent / f"{root.name}.held"
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, **hold_env(point, count, str(marker))}
    proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "compile", str(root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        held = held_or_exited(proc, marker)
    finally:
        kill_group(proc)  # a held process answers no SIGTERM: never leave one behind
    marker.unlink(missing_ok=True)
    return held


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


def test_sigkill_at_random_points_then_rerun_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine"
    init_vault(pristine)
    for i in range(24):
        c = make_clipping(i, words=1500)
        (pristine / "raw" / c.filename).write_text(c.text)

    reference = tmp_path / "reference"
    shutil.copytree(pristine, reference, symlinks=True)
    _compile_until_done(reference)
    cold_expected = _wiki(reference)
    compiled = tmp_path / "compiled"
    shutil.copytree(reference, compiled, symlinks=True)
    _incremental_changes(reference)
    _compile_until_done(reference)
    incremental_expected = _wiki(reference)
    assert cold_expected != incremental_expected

    rng = random.Random(20261122)
    killed = 0
    # Each run writes at least every file that differs from where it started: kill points among
    # those writes all fall inside the run, whatever the machine's speed.
    cold_writes = sum(1 for rel in cold_expected if rel.startswith("wiki/"))
    incremental_writes = sum(1 for rel, data in incremental_expected.items()
                             if rel.startswith("wiki/") and cold_expected.get(rel) != data)
    scenarios = [(pristine, None, cold_writes, cold_expected, COLD_KILLS),
                 (compiled, _incremental_changes, incremental_writes, incremental_expected, INCREMENTAL_KILLS)]
    for n, (start, change, writes, expected, kills) in enumerate(scenarios):
        for slot in range(kills):
            work = tmp_path / f"run-{n}-{slot}"
            shutil.copytree(start, work, symlinks=True)
            if change:
                change(work)
            raw_before = tree_bytes(work / "raw")
            # Spread the kill points over the run's writes, each jittered inside its slot, half of
            # them between a temp file and its rename, half after the rename.
            count = 1 + int(writes * (slot + rng.random()) / kills)
            point = rng.choice(POINTS)
            killed += _compile_and_kill(work, point, count)
            _compile_until_done(work)
            assert _wiki(work) == expected, f"scenario {n}, killed at {point} #{count}: vault differs"
            assert tree_bytes(work / "raw") == raw_before, "kbd changed a byte under raw/"
            _no_temp_files(work)
            shutil.rmtree(work)
    assert killed == COLD_KILLS + INCREMENTAL_KILLS, f"only {killed} of the runs reached their kill point"

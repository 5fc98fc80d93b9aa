"""Issue 8, acceptance 2: crash kbd at random file operations, damage what was not synced,
restart; every file is old or new, never half-written, and the restart converges (bench/crash.py
runs 1,000 trials; CI runs 100)."""

from __future__ import annotations

from pathlib import Path

from bench.crash import run_trials

CI_TRIALS = 100


def test_a_crash_at_any_file_operation_loses_nothing_and_converges_after_restart(tmp_path: Path) -> None:
    summary = run_trials(CI_TRIALS, seed=8, base=tmp_path)
    assert summary.by_scenario == {"cold": CI_TRIALS // 2, "incremental": CI_TRIALS // 2}
    assert sum(summary.fates.values()) > 0, "no trial crashed with unsynced data: the damage model never ran"
    assert [(r.scenario, r.crash_at, r.violations) for r in summary.failed] == []

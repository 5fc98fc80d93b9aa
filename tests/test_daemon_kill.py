"""Issue 8, acceptance 2 (small): SIGKILL `kbd run` during its start-up compile; nothing of it
survives, and the next compile gives the wiki an uninterrupted one gives (bench/daemon_kill.py
does 50 kills during a 200-note compile)."""

from __future__ import annotations

from pathlib import Path

from bench.daemon_kill import kill_trials


def test_sigkill_of_the_daemon_mid_compile_leaves_no_orphan_and_converges(tmp_path: Path) -> None:
    summary = kill_trials(notes=30, kills=4, seed=2, base=tmp_path)
    assert summary.problems == []
    assert summary.orphans == 0 and summary.kills == 4
    assert summary.killed_mid_compile >= 1, "no kill landed while the daemon was compiling"

"""Issue 8, acceptance 6 (CI size): `kbd run` under a stream of file events with time triggers
firing, then no leak and an empty queue. bench/soak.py runs the same for 30 minutes and 10,000
events; here the 3 minutes the issue asks of CI, with 1,800 events (the benchmark's rate) and
triggers every 10 s."""

from __future__ import annotations

from pathlib import Path

from bench.compile import compile_once, make_vault
from bench.soak import soak


def test_the_daemon_does_not_leak_under_a_stream_of_events(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    make_vault(vault, 40)
    compile_once(vault)
    result = soak(vault, minutes=3, events=1800, every="10s", log=lambda _: None)
    # Fires that come while a job runs collapse into one run (one worker), so a loaded machine
    # runs fewer than the 36 fires: what matters is that both triggers kept running (each at
    # least twice, a check inside `passed`).
    assert result.passed, result.lines()

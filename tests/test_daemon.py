"""`kbd run` as a user runs it: a real subprocess, real files, real signals (issue: the daemon)."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kbd.config import parse_config, trigger_jobs
from kbd.daemon.install import service_file
from kbd.daemon.service import glob_to_regex
from kbd.jobs import JOBS
from kbd.vault.holdpoint import hold_env
from tests.conftest import FIXED_EPOCH, Vault, clipper_note
from tests.events import drain, wait_for

BODY = ("The buffer pool keeps hot pages in memory. A buffer pool with a clock sweep evicts cold pages first. "
        "Sizing the buffer pool is the most important tuning decision for a database server.")
FAST = "daemon:\n  debounce_seconds: 0.3\n"


def body(title: str) -> str:
    """BODY made distinct per note: clippings with the same text would be one article."""
    return f"{BODY} These notes are called {title}."


class Running:
    def __init__(self, vault: Vault, proc: subprocess.Popen[str]) -> None:
        self.vault = vault
        self.proc = proc

    def runs(self) -> int:
        """Compile runs recorded so far (every job the daemon runs is a compile underneath)."""
        with sqlite3.connect(self.vault.root / ".kbd/state.db") as db:
            return db.execute("SELECT COUNT(*) FROM runs WHERE finished IS NOT NULL").fetchone()[0]

    def trigger_run(self, name: str) -> str | None:
        with sqlite3.connect(self.vault.root / ".kbd/state.db") as db:
            row = db.execute("SELECT last_run FROM trigger_runs WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def stop(self, sig: int = signal.SIGTERM) -> float:
        start = time.monotonic()
        self.proc.send_signal(sig)
        self.proc.wait(timeout=600)
        return time.monotonic() - start

    def output(self) -> str:
        return self.proc.stdout.read() if self.proc.stdout else ""


def start_daemon(vault: Vault, *extra: str, hold: dict[str, str] | None = None) -> Running:
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, **(hold or {})}
    proc = subprocess.Popen([sys.executable, "-P", "-m", "kbd", "run", str(vault.root), *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    running = Running(vault, proc)
    wait_for(lambda: proc.poll() is not None or "## kbd run" in _status(vault), what="the daemon to start")
    assert proc.poll() is None, running.output()
    if hold is None:  # a held daemon never finishes its start-up scan: the test waits for the hold
        wait_for(lambda: running.runs() >= 1, what="the start-up scan")
    return running


def _status(vault: Vault) -> str:
    path = vault.wiki / "reports/Status.md"
    return path.read_text() if path.exists() else ""


@pytest.fixture
def daemon_vault(vault: Vault) -> Iterator[Vault]:
    (vault.root / "kbd/config.yaml").write_text(FAST)
    yield vault


@pytest.fixture
def running(daemon_vault: Vault) -> Iterator[Running]:
    r = start_daemon(daemon_vault)
    yield r
    if r.proc.poll() is None:
        r.stop()


def summary(vault: Vault, title: str) -> Path:
    return vault.wiki / "sources" / f"{title}.md"


def test_a_clipping_is_compiled_while_the_daemon_runs(running: Running) -> None:
    vault = running.vault  # how fast: bench/watch.py (a timed test would depend on the machine)
    vault.clip("Fresh clip.md", clipper_note("Fresh clip", body("Fresh clip")))
    wait_for(lambda: summary(vault, "Fresh clip").exists(), what="the summary")
    index = vault.wiki / "index.md"  # written just after the summary: it may not exist yet
    wait_for(lambda: index.exists() and "Fresh clip" in index.read_text(), what="the index")


def test_editor_save_patterns_moves_and_deletes(running: Running, tmp_path: Path) -> None:
    vault = running.vault
    # temp file + rename (most editors and sync tools)
    tmp = vault.raw / ".Atomic.md.tmp"
    tmp.write_text(clipper_note("Atomic save", body("Atomic save")))
    os.replace(tmp, vault.raw / "Atomic.md")
    # vim: the old file is renamed to a backup, the new one written in its place
    vault.clip("Vim.md", clipper_note("Vim first", body("Vim first")))
    wait_for(lambda: summary(vault, "Vim first").exists(), what="vim's first save")
    os.rename(vault.raw / "Vim.md", vault.raw / "Vim.md~")
    (vault.raw / "Vim.md").write_text(clipper_note("Vim second", body("Vim second")))
    os.unlink(vault.raw / "Vim.md~")
    # a whole folder moved in
    outside = tmp_path / "Downloads"
    outside.mkdir()
    (outside / "One.md").write_text(clipper_note("Moved in one", body("Moved in one")))
    (outside / "Two.md").write_text(clipper_note("Moved in two", body("Moved in two")))
    os.rename(outside, vault.raw / "batch")
    vault.sync_raw()
    for title in ("Atomic save", "Vim second", "Moved in one", "Moved in two"):
        wait_for(lambda t=title: summary(vault, t).exists(), what=title)
    wait_for(lambda: not summary(vault, "Vim first").exists(), what="the old vim title to go")
    os.rename(vault.raw / "batch/One.md", vault.raw / "One renamed.md")
    (vault.raw / "batch/Two.md").unlink()
    vault.sync_raw()
    wait_for(lambda: not summary(vault, "Moved in two").exists(), what="the deleted note's summary to go")
    wait_for(lambda: re.search(r"^## \[.*\] move \| Moved in one$", (vault.wiki / "log.md").read_text(), re.M),
             what="the move in the log")
    assert summary(vault, "Moved in one").exists()
    assert not re.search(r"^## \[.*\] remove \| Moved in one$", (vault.wiki / "log.md").read_text(), re.M), \
        "a move is never taken for a delete, whatever batches its two ends arrive in"


def test_ignored_paths_and_kbds_own_writes_trigger_nothing(running: Running) -> None:
    vault = running.vault
    vault.clip("Real.md", clipper_note("Real", body("Real")))
    wait_for(lambda: summary(vault, "Real").exists(), what="the summary")
    drain(vault.root)  # kbd's own writes to wiki/ arrive as events and must not cause another run
    settled = running.runs()
    (vault.root / ".obsidian").mkdir(exist_ok=True)
    (vault.root / ".obsidian/workspace.json").write_text("{}")
    (vault.root / ".git").mkdir(exist_ok=True)
    (vault.root / ".git/HEAD").write_text("ref")
    vault.clip(".hidden.md", BODY)
    vault.clip("Real.md~", BODY)
    vault.clip(".Real.md.swp", "swap")
    vault.clip("Real.sync-conflict-20260101-101010-ABCDEFG.md", BODY)
    vault.clip("Real (Conflicted copy 2026-01-01 101010).md", BODY)
    (vault.root / "My own note.md").write_text("outside raw: not kbd's business")
    drain(vault.root)
    assert running.runs() == settled


def test_start_up_scan_catches_what_changed_while_stopped(daemon_vault: Vault) -> None:
    daemon_vault.clip("Before.md", clipper_note("Before start", body("Before start")))
    r = start_daemon(daemon_vault)
    try:
        wait_for(lambda: summary(daemon_vault, "Before start").exists(), what="the start-up scan")
    finally:
        r.stop()


def test_a_second_daemon_is_refused_and_a_dead_ones_lock_is_taken_over(running: Running) -> None:
    vault = running.vault
    second = subprocess.run([sys.executable, "-P", "-m", "kbd", "run", str(vault.root)], capture_output=True,
                            text=True, timeout=600)
    assert second.returncode == 2, "a lock conflict is a refusal (README: exit code 2)"
    assert f"pid {running.proc.pid}" in second.stderr
    running.stop(signal.SIGKILL)
    again = start_daemon(vault)
    vault.clip("After takeover.md", clipper_note("After takeover", body("After takeover")))
    wait_for(lambda: summary(vault, "After takeover").exists(), what="the new daemon to work")
    again.stop()
    assert again.proc.returncode == 0


def test_sigint_and_sigterm_stop_it_promptly_even_mid_compile(daemon_vault: Vault) -> None:
    from tests.clippings import make_clipping

    r = start_daemon(daemon_vault)
    r.stop(signal.SIGINT)
    assert r.proc.returncode == 0
    for i in range(60):
        c = make_clipping(i, words=4000)
        daemon_vault.clip(c.filename, c.text)
    r = start_daemon(daemon_vault)

    def compiling() -> bool:  # the start-up compile has queued its notes and is working through them
        with sqlite3.connect(daemon_vault.root / ".kbd/state.db") as db:
            return db.execute("SELECT COUNT(*) FROM jobs WHERE kind='ingest'").fetchone()[0] > 0

    wait_for(compiling, what="the start-up compile to begin")
    # How long stopping takes is measured in bench/watch.py; here: it stops mid-compile,
    # cleanly, and leaves the rest queued.
    r.stop(signal.SIGTERM)
    assert r.proc.returncode == 0
    assert "## kbd run" not in _status(daemon_vault), "the status note no longer says kbd is running"
    assert "stopped early; the rest is queued" in (daemon_vault.root / ".kbd/kbd.log").read_text()
    r = start_daemon(daemon_vault)
    try:
        wait_for(lambda: len(list((daemon_vault.wiki / "sources").glob("*.md"))) == 60,
                 what="the re-queued notes to be compiled")
    finally:
        r.stop()


def test_sigkill_mid_work_then_restart_finishes_every_note_exactly_once(daemon_vault: Vault) -> None:
    from tests.clippings import make_clipping

    titles = []
    for i in range(30):
        c = make_clipping(i, words=3000)
        daemon_vault.clip(c.filename, c.text)
        titles.append(c.filename)
    marker = daemon_vault.root.parent / "held"
    r = start_daemon(daemon_vault, hold=hold_env("installed", 12, str(marker)))
    try:
        wait_for(marker.exists, what="the daemon to hold after its 12th write, mid-compile")
    finally:
        r.stop(signal.SIGKILL)  # a held daemon answers no SIGTERM: never leave one behind
    # Killed inside its first compile (the other writes of a batch may have landed beside the held one).
    assert r.runs() == 0
    r = start_daemon(daemon_vault)
    try:
        wait_for(lambda: len(list((daemon_vault.wiki / "sources").glob("*.md"))) == 30, what="all 30 summaries")
        wait_for(lambda: "30 sources" in _status(daemon_vault), what="the final status")
    finally:
        r.stop()
    log = (daemon_vault.wiki / "log.md").read_text()
    assert log.count("] ingest | ") == 30, "each note ingested exactly once"
    assert not list(daemon_vault.root.rglob("*.kbd-tmp"))


def test_a_stream_of_bad_files_then_a_good_one(running: Running) -> None:
    vault = running.vault
    for i in range(20):
        vault.clip(f"bad {i}.md", [b"", b"\x00\x01binary", b"\xff\xfe latin", b"---\ntitle: x\n---\n"][i % 4])
    vault.clip("Good after bad.md", clipper_note("Good after bad", body("Good after bad")))
    wait_for(lambda: summary(vault, "Good after bad").exists(), what="the good note")
    def skipped() -> int:
        section = _status(vault).partition("## Skipped files")[2].partition("\n## ")[0]
        return section.count("- raw/bad ")

    wait_for(lambda: skipped() == 20, what="all bad files listed")
    assert running.proc.poll() is None


def test_interval_and_start_triggers_run_and_survive_restart(daemon_vault: Vault) -> None:
    (daemon_vault.root / "kbd/config.yaml").write_text(
        FAST + "triggers:\n  - {name: clip, on: {files: \"raw/**/*.md\"}, run: compile}\n"
               "  - {name: often, on: {every: 1s}, run: index}\n"
               "  - {name: warm, on: {start: true}, run: compile}\n")
    r = start_daemon(daemon_vault)
    try:
        first = wait_for(lambda: r.trigger_run("often"), what="the interval trigger")
        wait_for(lambda: (r.trigger_run("often") or "") > str(first), what="a second interval run")
        wait_for(lambda: "warm → compile (kbd started)" in _status(daemon_vault), what="the start trigger")
        assert "| often | every 1s | index |" in _status(daemon_vault)
    finally:
        r.stop()


def test_a_daily_job_missed_while_down_runs_once_and_a_restart_does_not_repeat_it(daemon_vault: Vault) -> None:
    (daemon_vault.root / "kbd/config.yaml").write_text(
        FAST + "  missed_run_grace_hours: 48\ntriggers:\n  - {name: nightly, on: {cron: \"0 3 * * *\"}, run: index}\n")
    r = start_daemon(daemon_vault)
    r.stop()
    two_days_ago = (datetime.now().astimezone() - timedelta(days=1, hours=1)).isoformat()
    with sqlite3.connect(daemon_vault.root / ".kbd/state.db") as db:
        db.execute("INSERT INTO trigger_runs(name, last_run) VALUES('nightly', ?)", (two_days_ago,))
    r = start_daemon(daemon_vault)
    try:
        ran = wait_for(lambda: r.trigger_run("nightly") != two_days_ago and r.trigger_run("nightly"),
                       what="the missed nightly run")
        drain(daemon_vault.root)
        assert _status(daemon_vault).count("nightly → index (missed while kbd was not running)") == 1
    finally:
        r.stop()
    r = start_daemon(daemon_vault)
    try:
        drain(daemon_vault.root)  # the start-up requests (a missed run among them) were queued before this
        assert r.trigger_run("nightly") == ran, "a restart must not repeat a job that already ran"
    finally:
        r.stop()


def test_config_changes_are_live_and_a_broken_config_keeps_the_previous_one(running: Running) -> None:
    vault = running.vault
    config = vault.root / "kbd/config.yaml"
    config.write_text(FAST + "triggers:\n  - {name: often, on: {every: 1s}, run: index}\n")
    wait_for(lambda: running.trigger_run("often"), what="the new trigger to run")
    config.write_text(FAST + "triggers:\n  - {name: often, on: {every: 1s}, run: tidy}\n")
    wait_for(lambda: "has an error" in _status(vault), what="the config error in Status.md")
    status = _status(vault).replace("\\", "")
    assert "kbd/config.yaml, line 4, key `triggers.often.run`: no job called `tidy`" in status
    before = running.trigger_run("often")
    wait_for(lambda: running.trigger_run("often") != before, what="the previous trigger to keep running")
    assert "config not reloaded" in (vault.root / ".kbd/kbd.log").read_text()


def test_idle_means_idle_and_memory_stays_flat(running: Running) -> None:
    """CPU over 60 idle seconds < 1 s; RSS after 1,000 file events within 10 MB of before."""
    pid = running.proc.pid
    drain(running.vault.root)

    def cpu_seconds() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb() -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    before = cpu_seconds()
    time.sleep(60)
    idle = cpu_seconds() - before
    rss_start = rss_mb()
    notes = running.vault.root / "Journal"
    notes.mkdir()
    for i in range(1000):
        (notes / f"day {i % 50}.md").write_text(f"entry {i}")
    drain(running.vault.root)
    rss_end = rss_mb()
    print(f"idle CPU over 60 s: {idle:.2f} s; RSS {rss_start:.1f} MB → {rss_end:.1f} MB after 1,000 events")
    assert idle < 1.0
    assert rss_end - rss_start < 10
    assert running.proc.poll() is None


def test_service_install_writes_a_systemd_user_unit(daemon_vault: Vault, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = subprocess.run([sys.executable, "-P", "-m", "kbd", "service", "install", str(daemon_vault.root)],
                            capture_output=True, text=True, env={**os.environ, "HOME": str(home)}, timeout=600)
    assert result.returncode == 0, result.stderr
    unit = service_file(daemon_vault.root, home, platform="linux").path
    assert unit.name.startswith("kbd-Vault-") and unit.suffix == ".service"
    text = unit.read_text()
    assert f"ExecStart={sys.executable} -P -m kbd run {daemon_vault.root}" in text
    assert "Restart=on-failure" in text and "WantedBy=default.target" in text and "KillSignal=SIGTERM" in text
    assert f"systemctl --user enable --now {unit.name}" in result.stdout
    again = subprocess.run([sys.executable, "-P", "-m", "kbd", "service", "install", str(daemon_vault.root)],
                           capture_output=True, text=True, env={**os.environ, "HOME": str(home)}, timeout=600)
    assert again.returncode == 2 and "--force" in again.stderr
    plist = service_file(daemon_vault.root, home, platform="darwin")
    assert "<key>RunAtLoad</key>" in plist.text and plist.path.name.startswith("dev.kbd.Vault-")


def test_the_job_table_and_config_agree() -> None:
    assert set(JOBS) == set(trigger_jobs()) == {"compile", "index", "lint", "monitor", "slides", "ask"}
    for job in JOBS:  # every job of the table is one a trigger may run
        parse_config(f"triggers:\n  - {{name: t, on: {{start: true}}, run: {job}}}\n")


def test_globs_match_like_a_user_expects() -> None:
    pattern = glob_to_regex("raw/**/*.md")
    assert pattern.match("raw/a.md") and pattern.match("raw/x/y/a.md")
    assert not pattern.match("raw/a.png") and not pattern.match("wiki/a.md")




def test_own_writes_are_recognised_by_hash_even_under_a_catch_all_trigger(daemon_vault: Vault) -> None:
    (daemon_vault.root / "kbd/config.yaml").write_text(
        FAST + "triggers:\n  - {name: everything, on: {files: \"**/*.md\"}, run: compile}\n")
    r = start_daemon(daemon_vault)
    try:
        daemon_vault.clip("Echo.md", clipper_note("Echo test", body("Echo test")))
        wait_for(lambda: summary(daemon_vault, "Echo test").exists(), what="the summary")
        drain(daemon_vault.root)  # every note kbd just wrote matches **/*.md; none may start another run
        settled = r.runs()
        drain(daemon_vault.root)
        assert r.runs() == settled
        note = summary(daemon_vault, "Echo test")
        note.write_text(note.read_text() + "\nmy edit\n")  # a user edit does start a run, which reports it
        wait_for(lambda: "## Notes you edited" in _status(daemon_vault), what="the edit in Status.md")
    finally:
        r.stop()


def test_polling_mode_for_network_drives(daemon_vault: Vault) -> None:
    (daemon_vault.root / "kbd/config.yaml").write_text(FAST + "  watcher: polling\n")
    r = start_daemon(daemon_vault)
    try:
        assert "polling every 2 s" in _status(daemon_vault)
        daemon_vault.clip("Polled.md", clipper_note("Polled", body("Polled")))
        wait_for(lambda: summary(daemon_vault, "Polled").exists(), what="the polled summary")
    finally:
        r.stop()


def test_runs_missed_while_the_machine_slept_happen_once_on_wake(daemon_vault: Vault) -> None:
    (daemon_vault.root / "kbd/config.yaml").write_text(
        FAST + "triggers:\n  - {name: often, on: {every: 1s}, run: index}\n")
    r = start_daemon(daemon_vault)
    try:
        wait_for(lambda: r.trigger_run("often"), what="the first run")
        log = daemon_vault.root / ".kbd/kbd.log"
        r.proc.send_signal(signal.SIGSTOP)  # what a laptop lid does to a process
        time.sleep(6)  # the lid stays shut for six 1 s intervals: this sleep is the scenario, not a wait
        before = log.read_text().count("often → index")
        woke_at = time.monotonic()
        r.proc.send_signal(signal.SIGCONT)
        wait_for(lambda: log.read_text().count("often → index") >= before + 3, what="three runs after waking")
        woke = log.read_text().count("often → index") - before
        awake = time.monotonic() - woke_at
        # Six runs were missed. Coalesced, they are one run, then at most one per 1 s tick of the
        # time awake (however slow the machine, that bound only grows); replayed, six runs come
        # back to back at once.
        assert woke <= awake + 2, f"{woke} runs in {awake:.1f} s after waking; six missed runs should coalesce"
    finally:
        r.stop()


def test_a_cron_trigger_fires_on_time(daemon_vault: Vault) -> None:
    (daemon_vault.root / "kbd/config.yaml").write_text(
        FAST + "triggers:\n  - {name: minutely, on: {cron: \"* * * * *\"}, run: index}\n")
    started = datetime.now().replace(second=0, microsecond=0)
    r = start_daemon(daemon_vault)
    try:
        row = next(line for line in _status(daemon_vault).splitlines() if line.startswith("| minutely |"))
        read = datetime.now().replace(second=0, microsecond=0)
        next_run = datetime.strptime(row.split("|")[5].strip(), "%Y-%m-%d %H:%M")
        # Status.md was written between the start and this read: the next minute after that moment.
        # (Compared with the minute of the read alone, a read at 13:42:00.1 of "13:42" failed.)
        assert started < next_run <= read + timedelta(minutes=1), (started, next_run, read)
        ran = wait_for(lambda: r.trigger_run("minutely"), what="the cron run")
        # It ran at (not before) the time Status.md announced; how late a loaded machine starts it
        # is not this test's business.
        assert datetime.fromisoformat(str(ran)).replace(tzinfo=None) >= next_run
    finally:
        r.stop()


def test_a_refused_write_is_reported_and_the_daemon_carries_on(running: Running, tmp_path: Path) -> None:
    vault = running.vault
    sources = vault.wiki / "sources"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sources.rename(tmp_path / "sources-aside")
    sources.symlink_to(elsewhere)  # the writer refuses to write through it: those notes are reported
    vault.clip("Blocked.md", clipper_note("Blocked", body("Blocked")))
    wait_for(lambda: "write:wiki/sources/Blocked.md" in _status(vault) and "symlink" in _status(vault),
             what="the refused write in Status.md")
    assert list(elsewhere.iterdir()) == [], "nothing was written through the symlink"
    assert running.proc.poll() is None
    sources.unlink()
    (tmp_path / "sources-aside").rename(sources)
    vault.clip("Unblocked.md", clipper_note("Unblocked", body("Unblocked")))
    wait_for(lambda: summary(vault, "Unblocked").exists() and summary(vault, "Blocked").exists(),
             what="both notes once the vault is sane again")


INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")


@pytest.mark.skipif(not os.access(INOTIFY_INSTANCES, os.W_OK), reason="needs root to lower the inotify limit")
def test_falls_back_to_polling_when_the_os_refuses_file_events(daemon_vault: Vault) -> None:
    # The limit is the whole machine's: copies of this suite running side by side take turns at it,
    # so none reads another's 0 as the value to put back.
    with open("/tmp/kbd-tests-inotify-limit.lock", "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)
        original = INOTIFY_INSTANCES.read_text()
        INOTIFY_INSTANCES.write_text("0")  # no new inotify instance for anyone, just for this start
        try:
            r = start_daemon(daemon_vault)
        finally:
            INOTIFY_INSTANCES.write_text(original)
    try:
        assert "polling every 2 s, because the OS refused file events" in _status(daemon_vault)
        daemon_vault.clip("Polled anyway.md", clipper_note("Polled anyway", body("Polled anyway")))
        wait_for(lambda: summary(daemon_vault, "Polled anyway").exists(), what="the summary")
        assert "fs.inotify.max_user_watches" in (daemon_vault.root / ".kbd/kbd.log").read_text()
    finally:
        r.stop()

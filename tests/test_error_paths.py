"""Issue 8, classes 4 and 5: error paths end in a message and the right exit code, never a
traceback, a dead daemon, a partial file or a silently disabled limit; config gets the same
resource caps as clippings."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kbd.config import ConfigError, parse_config
from tests.conftest import FIXED_EPOCH, Vault, clipper_note, run_kbd
from tests.events import log_lines
from tests.test_daemon import FAST, _status, start_daemon, wait_for

BODY = "The buffer pool keeps hot pages in memory, and the page cache sits beneath it. " * 20


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


@pytest.mark.parametrize(("text", "words"), [
    ("compile:\n  workers: !!int \"x\"\n", "cannot be read"),
    ("budget:\n  daily_usd: .nan\n", "US dollars"),
    ("budget:\n  daily_usd: .inf\n", "US dollars"),
    ("budget:\n  per_run_usd: -0.5\n", "US dollars"),
    ("models:\n  worker: {provider: openai, model: m, price_per_mtok: {input: .nan}}\n", "US dollars"),
    ("triggers:\n  - {name: x, on: {every: 99999999999999999999999999d}, run: compile}\n", "at most 366d"),
    ("triggers:\n  - {name: x, on: {every: 400d}, run: compile}\n", "at most 366d"),
    ("triggers:\n  - name: x\n    on: {start: true}\n    run: compile\n    with: {? [a, b] : c}\n", "unhashable"),
    ("? " + "[" * 60 + "]" * 60 + "\n: 1\n", "nested more than 20"),
    ("compile: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 20"),
    ("compile:\n  workers: !!python/object/apply:os.getpid []\n", "cannot be read"),
])
def test_bad_config_values_are_config_errors(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("[", r"\[")):
        parse_config(text)


def test_an_alias_bomb_anywhere_in_the_config_is_refused_at_once() -> None:
    bomb = "".join(f"    l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 12))
    text = ("triggers:\n  - name: x\n    on: {start: true}\n    run: compile\n    with:\n"
            "      l0: &l0 [lol]\n" + bomb.replace("    l", "      l"))
    with pytest.raises(ConfigError, match="aliases") as err:  # refused, not expanded (9**11 items)
        parse_config(text)
    assert err.value.line == 6


def test_huge_configs_and_too_many_triggers_are_refused() -> None:
    many = "triggers:\n" + "".join(f"  - {{name: t{i}, on: {{every: 1m}}, run: compile}}\n" for i in range(101))
    with pytest.raises(ConfigError, match="at most 100"):
        parse_config(many)
    with pytest.raises(ConfigError, match="over 64 KB"):
        parse_config("# padding\n" * 10_000)
    with pytest.raises(ConfigError, match="more than 5000 values"):
        parse_config("compile: {}\nx: [" + ", ".join(["1"] * 6000) + "]\n")


def test_a_config_error_exits_2_with_a_message(vault: Vault) -> None:
    (vault.root / "kbd/config.yaml").write_text("budget:\n  daily_usd: .nan\n")
    result = vault.kbd("compile", ".", check=False)
    assert result.returncode == 2
    assert "config error" in result.stderr and "budget.daily_usd" in result.stderr
    _no_traceback(result)


def test_a_non_ascii_api_key_is_a_config_error(vault: Vault) -> None:
    (vault.root / "kbd/config.yaml").write_text(
        "models:\n  worker: {provider: openai, model: m, base_url: \"http://127.0.0.1:9/v1\", api_key_env: KBD_K}\n")
    vault.clip("a.md", clipper_note("A", BODY))
    result = run_kbd("compile", ".", cwd=vault.root, env={"KBD_K": "sk-\u201ckey\u201d"})
    assert result.returncode == 2, result.stderr
    assert "KBD_K" in result.stderr and "non-ASCII" in result.stderr and "\u201c" not in result.stderr
    _no_traceback(result)


def test_an_invalid_date_drops_that_property_with_a_warning(vault: Vault) -> None:
    vault.clip("a.md", clipper_note("Impossible day", BODY, published="2024-02-30", source="https://example.org/a"))
    vault.clip("b.md", clipper_note("Bad time", BODY.replace("buffer pool", "write-ahead log"),
                                    published="2024-01-01 25:61:00", source="https://example.org/b"))
    report = vault.compile()
    assert report.ingested == 2 and report.failed == 0
    note = vault.note("wiki/sources/Impossible day.md")
    assert "published" not in note.metadata
    assert "`published: 2024-02-30` is not a valid date" in vault.status().replace("\\", "")


def test_a_symlinked_sources_folder_or_note_is_reported_not_written_through(vault: Vault, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    if (vault.wiki / "sources").exists():
        (vault.wiki / "sources").rmdir()
    (vault.wiki / "sources").symlink_to(outside)
    (vault.wiki / "precious.md").write_text("mine")
    (vault.wiki / "index.md").symlink_to(vault.wiki / "precious.md")
    vault.clip("a.md", clipper_note("A note", BODY))
    result = vault.kbd("compile", ".", check=False)
    _no_traceback(result)
    assert result.returncode == 1
    assert "could not write" in result.stdout
    assert list(outside.iterdir()) == []
    assert (vault.wiki / "precious.md").read_text() == "mine"
    status = vault.status()
    assert "write:wiki/sources/A note.md" in status and "write:wiki/index.md" in status
    # Once the folder is a folder again, the next run writes what was refused.
    (vault.wiki / "sources").unlink()
    (vault.wiki / "index.md").unlink()
    vault.kbd("compile", ".")
    assert (vault.wiki / "sources/A note.md").exists() and (vault.wiki / "index.md").exists()
    assert "write:wiki/" not in vault.status()


def _make_read_only(folder: Path) -> Callable[[], None]:
    """Read-only even for root (chattr +i), else by permissions; returns the undo."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
            pytest.skip("root ignores permissions and chattr +i is not available here")
        return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True) and None
    folder.chmod(0o500)
    return lambda: folder.chmod(0o755)


def test_a_read_only_state_folder_is_a_message(vault: Vault) -> None:
    vault.clip("a.md", clipper_note("A", BODY))
    state = vault.root / ".kbd"
    state.mkdir(exist_ok=True)
    undo = _make_read_only(state)
    try:
        result = vault.kbd("compile", ".", check=False)
    finally:
        undo()
    assert result.returncode == 1
    assert ".kbd" in result.stderr
    _no_traceback(result)


def test_a_full_disk_is_a_message_and_leaves_no_partial_file(vault: Vault) -> None:
    vault.kbd("compile", ".")
    before = {p: p.read_bytes() for p in vault.wiki.rglob("*.md")}
    vault.clip("big.md", clipper_note("Big", BODY * 40))

    def limit() -> None:  # a file-size limit fails writes with EFBIG, as a full disk fails them with ENOSPC
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    result = subprocess.run([sys.executable, "-P", "-m", "kbd", "compile", "."], cwd=vault.root, env=env,
                            capture_output=True, text=True, timeout=600, preexec_fn=limit)
    assert result.returncode == 1, result.stderr
    assert "disk" in result.stderr, result.stderr
    _no_traceback(result)
    for path, data in before.items():
        assert not path.exists() or path.read_bytes() == data or path.name in ("Status.md", "index.md", "log.md")
    assert [p for p in vault.wiki.rglob("*") if p.name.endswith(".kbd-tmp")] == []
    vault.kbd("compile", ".")  # with room again, it finishes
    assert (vault.wiki / "sources/Big.md").exists()


def test_output_piped_into_a_reader_that_stopped_ends_quietly_as_cat_does(vault: Vault) -> None:
    """`kbd status --json | head -1`: the reader closed the pipe. No 'kbd: Broken pipe', no traceback,
    and the exit code says SIGPIPE (141) as cat's and git's do, not "a job failed" (1)."""
    vault.kbd("compile", ".")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before kbd writes: its first write fails with EPIPE
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    try:
        result = subprocess.run([sys.executable, "-P", "-m", "kbd", "status", ".", "--json"], cwd=vault.root,
                                env=env, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=600)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, "")


def test_a_state_database_from_a_newer_kbd_is_refused_with_the_upgrade_to_make(vault: Vault) -> None:
    """A fresh process loads sqlite3 only when a command opens state.db; its refusals still end in a
    message and exit 2, not a traceback (kbd/cli.py catches them by the loaded module)."""
    import sqlite3

    vault.clip("Buffer pools.md", clipper_note("Buffer pools", BODY))
    vault.compile()
    db = sqlite3.connect(vault.root / ".kbd/state.db")
    db.execute("PRAGMA user_version = 999")
    db.close()
    result = run_kbd("status", str(vault.root))
    _no_traceback(result)
    assert result.returncode == 2
    assert "was written by a newer kbd (schema 999); upgrade kbd" in result.stderr


def test_a_state_database_that_is_not_a_database_is_an_error_naming_its_folder(vault: Vault) -> None:
    vault.clip("Buffer pools.md", clipper_note("Buffer pools", BODY))
    vault.compile()
    (vault.root / ".kbd/state.db").write_bytes(b"not a database " * 512)
    result = run_kbd("status", str(vault.root))
    _no_traceback(result)
    assert result.returncode == 1
    assert "the state database in .kbd/ cannot be used (file is not a database)" in result.stderr


def test_a_broken_pipe_that_is_not_stdout_is_reported_as_an_error(vault: Vault, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Only a reader of stdout that stopped reading ends quietly; any other pipe is an error with its message."""
    import errno

    import kbd.compile.cli as compile_cli
    from kbd.cli import main

    def broken(args: object) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(compile_cli, "cmd_status", broken)
    assert main(["status", str(vault.root)], hand_over=False) == 1
    assert "kbd: Broken pipe" in capsys.readouterr().err


def test_the_daemon_survives_a_broken_config_and_a_symlinked_reports_folder(vault: Vault, tmp_path: Path) -> None:
    daemon_vault = vault
    (vault.root / "kbd/config.yaml").write_text(FAST)
    running = start_daemon(daemon_vault)
    try:
        config = daemon_vault.root / "kbd/config.yaml"
        config.write_text(FAST + "compile:\n  workers: !!int \"x\"\n")
        wait_for(lambda: "previous one stays in force" in _status(daemon_vault) or
                 "config error" in _status(daemon_vault).lower() or "cannot be read" in _status(daemon_vault),
                 what="the config error in Status.md")
        assert running.proc.poll() is None
        log = daemon_vault.root / ".kbd/kbd.log"
        answered = log_lines(log, "config reloaded") + log_lines(log, "config not reloaded")
        config.write_text(FAST + "triggers:\n  - {name: x, on: {every: 99999999999999999999d}, run: compile}\n")
        wait_for(lambda: log_lines(log, "config reloaded") + log_lines(log, "config not reloaded") > answered,
                 what="the absurd interval to be answered")
        assert running.proc.poll() is None
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        reports = daemon_vault.wiki / "reports"
        reports.rename(tmp_path / "reports-aside")
        reports.symlink_to(elsewhere)
        daemon_vault.clip("a.md", clipper_note("After the swap", BODY))
        wait_for(lambda: (daemon_vault.wiki / "sources/After the swap.md").exists(), what="the next compile")
        assert running.proc.poll() is None, running.output()
        assert list(elsewhere.iterdir()) == []
    finally:
        if running.proc.poll() is None:
            running.stop()

"""Issue 8, classes 2 and 3: check-then-use races on reads, and a user edit during a write.

Each race is forced deterministically: the check kbd makes is wrapped so that the file is swapped
the instant after it, which is the worst moment a racing process could pick.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

import kbd.vault.fsread as fsread
import kbd.vault.note as note_module
from kbd.compile.run import compile_vault, open_state
from kbd.config import load_config
from kbd.vault.layout import VaultLayout
from kbd.vault.write import VaultWriter
from tests.clippings import make_clipping
from tests.conftest import Vault, clipper_note

SECRET = "TOP-SECRET-OUTSIDE-THE-VAULT " * 20
BODY = "The buffer pool keeps hot pages in memory. " * 30


def _swap_after_check(monkeypatch: pytest.MonkeyPatch, victim: str, swap) -> list[str]:
    """Make `swap(path)` happen right after the cheap check kbd makes before reading `victim`."""
    real = note_module.check_file
    swapped: list[str] = []

    def check_then_swap(root: Path, rel: str, max_bytes: int):
        result = real(root, rel, max_bytes)
        if rel == victim and result is None and not swapped:
            swap(root / rel)
            swapped.append(rel)
        return result

    monkeypatch.setattr(note_module, "check_file", check_then_swap)
    return swapped


def _compile_within(vault: Vault, seconds: float) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            compile_vault(vault.root, load_config(vault.root))  # raw/ is changed by the race itself
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"compile still running after {seconds} s: it hangs"
    assert not errors, errors


def test_a_symlink_swapped_in_after_the_check_is_never_followed(vault: Vault, monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(clipper_note("Secret", SECRET))
    vault.clip("Victim.md", clipper_note("Victim", BODY))

    def to_symlink(path: Path) -> None:
        path.unlink()
        path.symlink_to(secret)

    swapped = _swap_after_check(monkeypatch, "raw/Victim.md", to_symlink)
    _compile_within(vault, 60)
    vault.sync_raw()
    assert swapped
    assert all("TOP-SECRET" not in text for text in vault.generated().values())
    assert "raw/Victim.md" in vault.status() and "symlink" in vault.status()


def test_a_fifo_swapped_in_after_the_check_never_hangs_the_compile(vault: Vault,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    vault.clip("Victim.md", clipper_note("Victim", BODY))
    vault.clip("Other.md", clipper_note("Other", BODY))

    def to_fifo(path: Path) -> None:
        path.unlink()
        os.mkfifo(path)

    swapped = _swap_after_check(monkeypatch, "raw/Victim.md", to_fifo)
    _compile_within(vault, 60)
    vault.sync_raw()
    assert swapped
    assert (vault.wiki / "sources/Other.md").exists()
    assert "raw/Victim.md" in vault.status()


def test_content_changed_during_the_read_is_read_again(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    path = vault.clip("Victim.md", clipper_note("Victim", "The first version talks about hash joins. " * 20))
    real_read = os.read
    changed: list[int] = []

    def read_then_change(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        if not changed and data and os.fstat(fd).st_ino == path.stat().st_ino:
            with path.open("a") as fh:  # a writer appends while kbd is in the middle of reading
                fh.write("The second version adds the merge join and its sort cost.\n")
            changed.append(1)
        return data

    monkeypatch.setattr(fsread.os, "read", read_then_change)
    compile_vault(vault.root, load_config(vault.root))
    monkeypatch.undo()
    vault.sync_raw()
    assert changed
    state = open_state(VaultLayout.from_config(vault.root, load_config(vault.root)))
    try:
        row = state.db.execute("SELECT sha256 FROM sources WHERE raw_path='raw/Victim.md'").fetchone()
    finally:
        state.close()
    assert row["sha256"] == note_module.file_sha256(path.read_bytes()), "the summary is of a version no longer there"


def test_a_swap_that_restores_the_old_mtime_is_still_compiled(vault: Vault) -> None:
    """`cp -p`, rsync -t and sync clients replace content and put the old mtime back."""
    first = clipper_note("Victim", "The first version talks about hash joins. " * 20)
    path = vault.clip("Victim.md", first)
    vault.compile()
    before = path.stat()
    second = first.replace("hash joins", "sort merge")
    assert len(second) == len(first)
    path.write_text(second)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    vault.sync_raw()
    vault.compile()
    text = (vault.wiki / "sources/Victim.md").read_text()
    assert "sort merge" in text.lower() and "hash joins" not in text.lower()


# -- class 3: a user edit during kbd's write -------------------------------------------------

TRIALS = 10


def _append_when_kbd_writes(target: Path, marker: str, stop: threading.Event, written: list[str]) -> None:
    """Wait for kbd's temp file for `target`, then append to the target at once, as a user would."""
    temp = target.with_name(f".{target.name}.kbd-tmp")
    while not stop.is_set():
        if temp.exists():
            with target.open("a", encoding="utf-8") as fh:
                fh.write(f"\n{marker}\n")
            written.append(marker)
            return
    return


def test_an_append_during_kbds_write_is_never_lost(vault: Vault) -> None:
    index = vault.wiki / "index.md"
    layout = VaultLayout.from_config(vault.root, load_config(vault.root))
    vault.clip("seed.md", make_clipping(0, words=300).text)
    vault.compile()
    raced = trial = 0
    # An attempt counts once the user's append really landed while kbd's temp file existed.
    while raced < TRIALS and trial < 5 * TRIALS:
        trial += 1
        c = make_clipping(trial, words=300)
        vault.clip(c.filename, c.text)
        stop, written = threading.Event(), []
        appender = threading.Thread(target=_append_when_kbd_writes,
                                    args=(index, f"my note {trial}", stop, written), daemon=True)
        appender.start()
        report = vault.compile()
        stop.set()
        appender.join(10)
        if not written:
            continue
        raced += 1
        kept = "\n".join(p.read_text(encoding="utf-8") for p in vault.wiki.glob("index*.md"))
        assert f"my note {trial}" in kept, f"trial {trial}: the user's append was lost"
        assert "wiki/index.md" in report.kept_user_edits or index.read_text().endswith(f"my note {trial}\n")
        # Hand the note back, so the next trial races a write again.
        state = open_state(layout)
        try:
            VaultWriter(layout, state).adopt("wiki/index.md")
        finally:
            state.close()
    assert raced == TRIALS, f"only {raced} of {TRIALS} trials raced kbd's write"

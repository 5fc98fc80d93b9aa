"""Issue 8, acceptance 3: a user works in the vault while the daemon compiles.

The simulated user edits kbd's notes in place and by rename-replace, creates and deletes raw
notes, renames folders, and swaps raw notes and kbd notes for symlinks to a secret outside the
vault and for FIFOs. Pass: every byte the user wrote is still in the vault, nothing from outside
it was read, nothing hangs, and once the user stops, kbd's own writes start no further work.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from pathlib import Path

from tests.clippings import make_clipping
from tests.conftest import Vault
from tests.events import drain
from tests.test_daemon import FAST, Running, start_daemon, wait_for

SECONDS = 25
MIN_ACTIONS = 8
MIN_MARKERS = 10
SECRET = "SECRET-FROM-OUTSIDE-THE-VAULT"


class User:
    def __init__(self, vault: Vault, secret: Path, seed: int) -> None:
        self.vault = vault
        self.secret = secret
        self.rng = random.Random(seed)
        self.markers: dict[str, str] = {}  # marker → the note it was written into
        self.next = 1000
        self.actions: dict[str, int] = {}

    def _did(self, what: str) -> None:
        self.actions[what] = self.actions.get(what, 0) + 1

    def _kbd_note(self) -> Path | None:
        notes = [p for p in (self.vault.wiki / "sources").glob("*.md") if p.is_file() and not p.is_symlink()]
        return self.rng.choice(notes) if notes else None

    def act(self) -> None:
        roll = self.rng.random()
        raw = self.vault.raw
        self.next += 1
        marker = f"user-marker-{self.next}"
        if roll < 0.2 and (note := self._kbd_note()):  # edit one of kbd's notes in place
            with note.open("a", encoding="utf-8") as fh:
                fh.write(f"\n{marker}\n")
            self.markers[marker] = note.name
            self._did("edit kbd note in place")
        elif roll < 0.35 and (note := self._kbd_note()):  # ... or as an editor saves: temp file, rename
            try:
                text = note.read_text(encoding="utf-8")
            except (FileNotFoundError, UnicodeDecodeError):
                return
            tmp = note.with_name(f".{note.name}.swp")
            tmp.write_text(text + f"\n{marker}\n", encoding="utf-8")
            os.replace(tmp, note)
            self.markers[marker] = note.name
            self._did("edit kbd note by rename-replace")
        elif roll < 0.55:  # clip a note
            c = make_clipping(self.next, words=300)
            folder = raw / self.rng.choice(["", "inbox", "inbox/deep"])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / c.filename).write_text(c.text, encoding="utf-8")
            self._did("create raw note")
        elif roll < 0.65:  # delete a note
            notes = [p for p in raw.rglob("*.md") if p.is_file() and not p.is_symlink()]
            if notes:
                self.rng.choice(notes).unlink()
                self._did("delete raw note")
        elif roll < 0.75:  # rename a folder
            folders = [p for p in raw.rglob("*") if p.is_dir() and not p.is_symlink()]
            if folders:
                folder = self.rng.choice(folders)
                folder.rename(folder.with_name(f"{folder.name}-{self.next}"))
                self._did("rename raw folder")
        elif roll < 0.85:  # swap a raw note for a symlink to a file outside the vault
            notes = [p for p in raw.rglob("*.md") if p.is_file() and not p.is_symlink()]
            if notes:
                victim = self.rng.choice(notes)
                victim.unlink()
                victim.symlink_to(self.secret)
                self._did("swap raw note for symlink")
        elif roll < 0.93:  # swap a raw note for a FIFO
            notes = [p for p in raw.rglob("*.md") if p.is_file() and not p.is_symlink()]
            if notes:
                victim = self.rng.choice(notes)
                victim.unlink()
                os.mkfifo(victim)
                self._did("swap raw note for FIFO")
        else:  # swap one of kbd's notes for a FIFO
            note = self._kbd_note()
            if note is not None:
                note.unlink()
                os.mkfifo(note)
                # The user threw this note away: their earlier edits to it go with it.
                self.markers = {m: n for m, n in self.markers.items() if n != note.name}
                self._did("swap kbd note for FIFO")


def _compile_runs(vault: Vault) -> int:
    with sqlite3.connect(vault.root / ".kbd/state.db", timeout=10) as db:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def _all_text(vault: Vault) -> str:
    parts = []
    for path in vault.root.rglob("*.md"):
        if path.is_file() and not path.is_symlink() and ".kbd" not in path.parts:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_a_user_working_in_the_vault_loses_nothing_while_the_daemon_compiles(vault: Vault, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(f'---\ntitle: "Secret"\n---\n{SECRET} ' * 50)
    (vault.root / "kbd/config.yaml").write_text(FAST)
    for i in range(20):
        c = make_clipping(i, words=400)
        vault.clip(c.filename, c.text)
    running: Running = start_daemon(vault)
    # The daemon logs every job to stderr: read it as it comes, or a full pipe would block it.
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(running.proc.stdout or []), daemon=True)
    reader.start()
    user = User(vault, secret, seed=3)
    try:
        deadline = time.monotonic() + SECONDS
        # On a slow machine fewer actions fit in the time: keep going until the user has done
        # enough to prove something (bounded, so a stuck daemon still fails the test).
        while time.monotonic() < deadline or (
                (len(user.markers) < MIN_MARKERS or len(user.actions) < MIN_ACTIONS)
                and time.monotonic() < deadline + SECONDS):
            user.act()
            time.sleep(user.rng.uniform(0.0, 0.15))
            assert running.proc.poll() is None, "".join(output[-50:])
        vault.sync_raw()
        # The daemon catches up: every event handled, no job pending, and then kbd's own writes
        # (events like any other) start no compile at all.
        drain(vault.root)
        wait_for(lambda: _queue_empty(vault), what="the queue to drain")
        drain(vault.root)
        runs = _compile_runs(vault)
        drain(vault.root)
        assert _compile_runs(vault) == runs, "kbd's own writes started more work"
        running.stop()
        assert running.proc.returncode == 0
    finally:
        if running.proc.poll() is None:
            running.proc.kill()
        reader.join(600)
    text = _all_text(vault)
    lost = [(m, user.markers[m]) for m in user.markers if m not in text]
    assert lost == [], f"user bytes lost: {lost[:5]} of {len(user.markers)}"
    assert SECRET not in "".join(p.read_text(errors="replace") for p in vault.wiki.rglob("*.md")
                                 if p.is_file() and not p.is_symlink())
    assert len(user.actions) >= MIN_ACTIONS, user.actions
    assert len(user.markers) >= MIN_MARKERS


def _queue_empty(vault: Vault) -> bool:
    with sqlite3.connect(vault.root / ".kbd/state.db", timeout=10) as db:
        return db.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'running')").fetchone()[0] == 0

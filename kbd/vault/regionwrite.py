"""Managed regions in the user's notes: the half of the writer (kbd/vault/write.py) that puts kbd's
text between `%% kbd:begin NAME %%` and `%% kbd:end NAME %%` in a note kbd does not own, and
hands it back on a user edit. VaultWriter inherits these methods; nothing else writes regions.
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass
from pathlib import PurePosixPath

from kbd.state import State
from kbd.vault.atomic import SymlinkRefused, fsync_folder, install, open_folder, read_at, recover, sha256_bytes
from kbd.vault.errors import WriteRefused
from kbd.vault.fsread import Unreadable, read_optional
from kbd.vault.layout import CONTROL_DIR, STATE_DIR, TEMP_SUFFIX, VaultLayout
from kbd.vault.region import Malformed, begin_marker, check_name, end_marker, find, inner, region_hash, splice
from kbd.vault.sanitize import sanitize_markdown

REGION_ATTEMPTS = 5  # a note the user keeps changing while kbd writes its region: tried again on the next run
log = logging.getLogger("kbd.write")


class RegionOutcome(enum.Enum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    USER_EDITED = "user-edited"  # the user changed or removed the region: kbd no longer touches it
    GONE = "gone"  # the note is not there (deleted or moved)
    BUSY = "busy"  # the note changed under every attempt; nothing written, try again later
    REFUSED = "refused"  # a symlink or special file, or not a note kbd may write into


@dataclass(frozen=True)
class RegionWrite:
    outcome: RegionOutcome
    reason: str = ""


@dataclass(frozen=True)
class RegionRecord:
    sha256: str | None
    pending_sha256: str | None
    note_sha256: str | None
    pending_note_sha256: str | None
    base_note_sha256: str | None
    user_edited: bool
    reason: str | None


class RegionWrites:
    """The region methods of VaultWriter (which sets `layout` and `state`)."""

    layout: VaultLayout
    state: State

    def managed_note(self, rel: str, declared: str | None = None) -> PurePosixPath:
        """A note kbd may write a region into: a markdown note under the questions folder, or the
        user's note a custom skill names as its target (`declared`), never one in raw/, in the wiki
        (kbd writes its own notes whole), in kbd's control or state folders, or in a hidden folder."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or pure.suffix.lower() != ".md":
            raise WriteRefused(f"{rel}: not a plain vault-relative path to a note")
        if declared is not None and rel == declared:
            refused = (self.layout.raw, self.layout.wiki, STATE_DIR, CONTROL_DIR)
            if any(PurePosixPath(folder) in pure.parents for folder in refused) and \
                    PurePosixPath(self.layout.questions) not in pure.parents:
                raise WriteRefused(f"{rel}: a skill writes a region only into your own notes, not into "
                                   f"{self.layout.raw}/, {self.layout.wiki}/, {STATE_DIR}/ or {CONTROL_DIR}/")
            if any(part.startswith(".") for part in pure.parts):
                raise WriteRefused(f"{rel}: a skill does not write into hidden folders or notes")
            return pure
        if PurePosixPath(self.layout.questions) not in pure.parents:
            raise WriteRefused(f"{rel}: kbd writes into your notes only inside a managed region of a note "
                               f"in {self.layout.questions}/")
        return pure

    def region(self, rel: str, name: str) -> RegionRecord | None:
        row = self.state.db.execute("SELECT * FROM regions WHERE path=? AND name=?", (rel, name)).fetchone()
        if row is None:
            return None
        return RegionRecord(row["sha256"], row["pending_sha256"], row["note_sha256"], row["pending_note_sha256"],
                            row["base_note_sha256"], bool(row["user_edited"]), row["reason"])

    def is_own_region_echo(self, rel: str, data: bytes) -> bool:
        """The note holds exactly what kbd's last region write left there."""
        digest = sha256_bytes(data)
        return self.state.db.execute(
            "SELECT 1 FROM regions WHERE path=? AND ? IN (note_sha256, pending_note_sha256)",
            (rel, digest)).fetchone() is not None

    def write_region(self, rel: str, name: str, content: str, declared: str | None = None) -> RegionWrite:
        """Put `content` in the region `name` of the user's note `rel` (appending the region the
        first time); every byte outside the region stays as it is. Only if the region holds what
        kbd last wrote there: a user edit in it (or its removal) stops kbd for good, with the
        reason in the ledger, until `kbd adopt`. The note is swapped in atomically and only if it
        still holds the bytes the new version was made from (kbd.vault.atomic); a user edit
        anywhere in the note meanwhile is kept, and kbd starts again from it. With `declared` (the
        note a custom skill names) the user must have put the region's markers there: kbd never adds them."""
        check_name(name)
        pure = self.managed_note(rel, declared)
        record = self.region(rel, name)
        if record is not None and record.user_edited:
            return RegionWrite(RegionOutcome.USER_EDITED, record.reason or "")
        body = inner(sanitize_markdown(content))
        try:
            fd = open_folder(str(self.layout.root), pure.parent.parts, create=False)
        except FileNotFoundError:
            return RegionWrite(RegionOutcome.GONE, f"{rel} is not there")
        except SymlinkRefused as exc:
            return RegionWrite(RegionOutcome.REFUSED, f"{rel}: {exc} is a symlink or not a folder")
        try:
            for _ in range(REGION_ATTEMPTS):
                try:
                    current = read_at(fd, pure.name)
                except SymlinkRefused:
                    return RegionWrite(RegionOutcome.REFUSED, f"{rel} is a symlink or not a regular file")
                if current is None:
                    return RegionWrite(RegionOutcome.GONE, f"{rel} is not there")
                try:
                    text = current.decode("utf-8")
                except UnicodeDecodeError:
                    return self._stop_region(rel, name, "the note is not valid UTF-8")
                try:
                    found = find(text, name)
                except Malformed as exc:
                    return self._stop_region(rel, name, str(exc))
                known = {h for h in (record.sha256, record.pending_sha256) if h} if record else set()
                if found is None and record is not None and record.sha256:  # a pending one may never have landed
                    return self._stop_region(rel, name, "you removed kbd's region from the note")
                if found is None and declared is not None:
                    return RegionWrite(RegionOutcome.REFUSED, missing_markers(rel, name))
                if found is not None and region_hash(found.body(text)) not in known and found.body(text).strip():
                    return self._stop_region(rel, name, "you edited the text inside kbd's region")
                try:
                    new = splice(text, name, body).encode("utf-8")
                except Malformed as exc:  # the note ends inside an open code block or comment
                    return self._stop_region(rel, name, str(exc))
                new_region = region_hash(body)
                if new == current:
                    self._region_written(rel, name, new_region, sha256_bytes(new))
                    return RegionWrite(RegionOutcome.UNCHANGED)
                with self.state.durable_transaction():
                    self.state.db.execute(
                        "INSERT INTO regions(path, name, pending_sha256, pending_note_sha256, base_note_sha256) "
                        "VALUES(?, ?, ?, ?, ?) ON CONFLICT(path, name) DO UPDATE SET "
                        "pending_sha256=excluded.pending_sha256, pending_note_sha256=excluded.pending_note_sha256, "
                        "base_note_sha256=excluded.base_note_sha256",
                        (rel, name, new_region, sha256_bytes(new), sha256_bytes(current)))
                result = install(fd, pure.name, new, {sha256_bytes(current)})
                if result.ok:
                    fsync_folder(fd)
                    self._region_written(rel, name, new_region, sha256_bytes(new))
                    return RegionWrite(RegionOutcome.WRITTEN)
                if result.conflict:
                    log.warning("%s was edited while kbd wrote its %s region; your second version is kept as %s",
                                rel, name, result.conflict)
                record = self.region(rel, name)  # the user's version stays; start again from it
        finally:
            os.close(fd)
        return RegionWrite(RegionOutcome.BUSY, f"{rel} kept changing while kbd wrote its {name} region; "
                                               "kbd tries again on its next run")

    def _region_written(self, rel: str, name: str, region: str, note: str) -> None:
        self.state.db.execute(
            "INSERT INTO regions(path, name, sha256, note_sha256) VALUES(?, ?, ?, ?) ON CONFLICT(path, name) "
            "DO UPDATE SET sha256=excluded.sha256, note_sha256=excluded.note_sha256, pending_sha256=NULL, "
            "pending_note_sha256=NULL, base_note_sha256=NULL, user_edited=0, reason=NULL",
            (rel, name, region, note))

    def _stop_region(self, rel: str, name: str, reason: str) -> RegionWrite:
        self.state.db.execute(
            "INSERT INTO regions(path, name, user_edited, reason) VALUES(?, ?, 1, ?) ON CONFLICT(path, name) "
            "DO UPDATE SET user_edited=1, reason=excluded.reason", (rel, name, reason))
        log.warning("%s: %s; kbd no longer updates its %s region there (`kbd adopt %s` hands it back)",
                    rel, reason, name, rel)
        return RegionWrite(RegionOutcome.USER_EDITED, reason)

    def adopt_region(self, rel: str, declared: str | None = None) -> bool:
        """Hand the regions of a user's note back to kbd: whatever is in them now is replaced on
        kbd's next write (a removed region is appended again)."""
        data = self._read_managed(rel, declared)
        rows = self.state.db.execute("SELECT name FROM regions WHERE path=? AND user_edited=1", (rel,)).fetchall()
        if data is None or not rows:
            return False
        text = data.decode("utf-8", "replace")
        for (name,) in rows:
            try:
                found = find(text, name)
            except Malformed:
                return False
            if found is None:
                self.state.db.execute("DELETE FROM regions WHERE path=? AND name=?", (rel, name))
            else:
                self._region_written(rel, name, region_hash(found.body(text)), sha256_bytes(data))
        return True

    def _read_managed(self, rel: str, declared: str | None = None) -> bytes | None:
        self.managed_note(rel, declared)
        try:
            return read_optional(self.layout.root, rel)
        except Unreadable:
            return None

    def _recover_regions(self) -> int:
        """After a crash in the middle of a region write: the user's version of the note is put
        back if it is not the one kbd built its write on (kbd.vault.atomic.recover)."""
        handled = 0
        rows = self.state.db.execute("SELECT path, note_sha256, pending_note_sha256, base_note_sha256 FROM regions "
                                     "WHERE pending_note_sha256 IS NOT NULL").fetchall()
        for path, note, pending, base in rows:
            pure = PurePosixPath(path)
            try:
                fd = open_folder(str(self.layout.root), pure.parent.parts, create=False)
            except (SymlinkRefused, FileNotFoundError):
                continue
            try:
                leftover = f".{pure.name}{TEMP_SUFFIX}"
                if exists_at(fd, leftover):
                    known = {h for h in (note, base, pending) if h}
                    if recover(fd, leftover, pure.name, known, pending):
                        log.warning("a crash interrupted kbd while it wrote into %s; your version is back", path)
                    fsync_folder(fd)
                    handled += 1
            finally:
                os.close(fd)
        return handled


def missing_markers(rel: str, name: str) -> str:
    return (f"{rel} has no `{name}` region; kbd never adds one to your note. Paste these two lines where it "
            f"should go:\n{begin_marker(name)}\n{end_marker(name)}")


def exists_at(dir_fd: int, name: str) -> bool:
    """Something is at `name` in the folder (not followed if a symlink)."""
    try:
        os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    return True

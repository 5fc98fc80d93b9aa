"""The writer: the only code that changes files in the vault.

Every write is contained in the wiki folder, refuses symlinked path components, is sanitised,
skipped when the bytes are unchanged, and replaces the target atomically (temp file in the same
folder, fsync, rename, fsync the folder). The outputs ledger in state.db records the hash of
every file written; a file whose bytes differ from what kbd wrote was edited by its user and is
left alone until `kbd adopt`.
"""

from __future__ import annotations

import enum
import hashlib
import os
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from kbd.state import State
from kbd.vault.layout import TEMP_SUFFIX, VaultLayout
from kbd.vault.sanitize import sanitize_markdown

IO_THREADS = 8


class WriteRefused(Exception):
    """A write that would leave the wiki folder or pass through a symlink."""


class Outcome(enum.Enum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    KEPT_USER_EDIT = "kept-user-edit"


def sha256_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes, sync_folder: bool = True) -> os.stat_result:
    """Replace `path` with `data` so that a crash leaves either the old or the new file.

    `sync_folder=False` leaves fsyncing the folder (which makes the rename durable) to the caller,
    who may batch it over many files."""
    tmp = path.with_name(f".{path.name}{TEMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_folder:
        _fsync_dir(path.parent)
    return os.stat(path)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class VaultWriter:
    def __init__(self, layout: VaultLayout, state: State) -> None:
        self.layout = layout
        self.state = state

    def target(self, rel: str) -> Path:
        """Resolve a vault-relative path, refusing anything outside the wiki folder or via a symlink."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise WriteRefused(f"{rel}: not a plain vault-relative path")
        wiki = PurePosixPath(self.layout.wiki)
        if wiki not in pure.parents:
            raise WriteRefused(f"{rel}: kbd writes only inside {self.layout.wiki}/")
        path = self.layout.root
        for part in pure.parts:
            path = path / part
            if path.is_symlink():
                raise WriteRefused(f"{rel}: {path.relative_to(self.layout.root)} is a symlink; kbd will not "
                                   "write through it")
        return path

    def write(self, rel: str, text: str) -> Outcome:
        return self.write_many([(rel, text)])[0]

    def write_many(self, notes: list[tuple[str, str]]) -> list[Outcome]:
        """Write a batch of (vault-relative path, text). The protocol that tells a crash from a
        user edit: the new hashes are recorded as pending (one commit) before any file is
        replaced, and as written (one commit) after every file and folder is fsynced."""
        outcomes: list[Outcome] = []
        to_write: list[tuple[int, str, Path, bytes, str]] = []
        for rel, text in notes:
            path = self.target(rel)
            data = sanitize_markdown(text).encode("utf-8")
            new_hash = sha256_bytes(data)
            outcomes.append(self._decide(rel, path, new_hash))
            if outcomes[-1] is Outcome.WRITTEN:
                to_write.append((len(outcomes) - 1, rel, path, data, new_hash))
        if not to_write:
            return outcomes
        with self.state.transaction():
            for _, rel, _, _, new_hash in to_write:
                self.state.output_pending(rel, new_hash)
        folders = sorted({path.parent for _, _, path, _, _ in to_write})
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        # fsync waits on the disk, not the CPU, and releases the GIL: overlapping a batch's fsyncs
        # lets the filesystem commit them together.
        if len(to_write) == 1:
            stats = [atomic_write(to_write[0][2], to_write[0][3], sync_folder=False)]
        else:
            with ThreadPoolExecutor(max_workers=IO_THREADS) as pool:
                stats = list(pool.map(lambda item: atomic_write(item[2], item[3], sync_folder=False), to_write))
        for folder in folders:
            _fsync_dir(folder)
        with self.state.transaction():
            for (_, rel, _, _, new_hash), st in zip(to_write, stats, strict=True):
                self.state.output_written(rel, new_hash, st.st_size, st.st_mtime_ns)
        return outcomes

    def _decide(self, rel: str, path: Path, new_hash: str) -> Outcome:
        """WRITTEN means "go ahead"; anything else is final."""
        record = self.state.output(rel)
        if record and record.user_edited:
            return Outcome.KEPT_USER_EDIT
        current = _read(path)
        if current is None:
            return Outcome.WRITTEN
        current_hash = sha256_bytes(current)
        if current_hash == new_hash:
            if not record or record.sha256 != new_hash:
                st = os.stat(path)
                self.state.output_written(rel, new_hash, st.st_size, st.st_mtime_ns)
            return Outcome.UNCHANGED
        if record is None or current_hash not in (record.sha256, record.pending_sha256):
            self._keep_users(rel, record)
            return Outcome.KEPT_USER_EDIT
        return Outcome.WRITTEN

    def delete(self, rel: str) -> Outcome:
        path = self.target(rel)
        record = self.state.output(rel)
        current = _read(path)
        if current is None:
            self.state.output_forget(rel)
            return Outcome.UNCHANGED
        if record is None or record.user_edited or sha256_bytes(current) not in (record.sha256,
                                                                                  record.pending_sha256):
            self._keep_users(rel, record)
            return Outcome.KEPT_USER_EDIT
        path.unlink()
        _fsync_dir(path.parent)
        self.state.output_forget(rel)
        return Outcome.DELETED

    def _keep_users(self, rel: str, record: object | None) -> None:
        if record is None:
            # A file kbd never wrote sits where kbd wants to write: it is the user's.
            self.state.output_pending(rel, "")
        self.state.output_user_edited(rel)

    def check_user_edits(self, only: Collection[str] | None = None) -> list[str]:
        """Find kbd-written files whose bytes changed on disk (stat first, hash only on change),
        all of them or those among `only`. Marks them user-edited and returns their paths;
        missing files are forgotten if user-owned."""
        edited = []
        root = str(self.layout.root)
        query = "SELECT path, sha256, pending_sha256, size, mtime_ns, user_edited FROM outputs"
        if only is None:
            rows = self.state.db.execute(query).fetchall()
        else:
            rows = [row for path in sorted(set(only))
                    for row in self.state.db.execute(query + " WHERE path=?", (path,))]
        for path, sha, pending, size, mtime_ns, user_edited in rows:
            full = f"{root}/{path}"
            try:
                st = os.lstat(full)
            except FileNotFoundError:
                if user_edited:
                    self.state.output_forget(path)
                continue  # otherwise regenerated when its note is next rendered
            if user_edited or (st.st_size == size and st.st_mtime_ns == mtime_ns):
                continue
            current = _read(Path(full))
            if current is not None and sha256_bytes(current) not in (sha, pending):
                self.state.output_user_edited(path)
                edited.append(path)
            elif current is not None:
                self.state.output_written(path, sha256_bytes(current), st.st_size, st.st_mtime_ns)
        return edited

    def adopt(self, rel: str) -> bool:
        """Hand a user-edited note back to kbd: its current bytes become kbd's, to be regenerated."""
        record = self.state.output(rel)
        path = self.target(rel)
        current = _read(path)
        if record is None or current is None:
            return False
        st = os.stat(path)
        self.state.output_written(rel, sha256_bytes(current), st.st_size, st.st_mtime_ns)
        return True

    def remove_stray_temp_files(self) -> int:
        wiki = self.layout.abs(self.layout.wiki)
        removed = 0
        if not wiki.is_dir():
            return 0
        for folder, dirs, files in os.walk(wiki):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            for name in files:
                if name.endswith(TEMP_SUFFIX):
                    os.unlink(os.path.join(folder, name))
                    removed += 1
        return removed


def _read(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WriteRefused(f"{path}: cannot be read safely ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def create_if_missing(root: Path, rel: str, data: bytes) -> bool:
    """Create a file that does not exist yet (used by `kbd init`); never replaces anything.

    Returns False when something already exists at `rel`, whatever it is.
    """
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return True

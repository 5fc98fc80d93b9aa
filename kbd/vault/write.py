"""The writer: the only code that changes files in the vault (with kbd/vault/regionwrite.py, the
half of it that writes managed regions into the user's notes; VaultWriter is both).

Every write is contained in the wiki folder, refuses symlinked path components (checked on
the descriptors it writes through, not only on the path), is sanitised, skipped when the bytes
are unchanged, and replaces the target atomically (temp file in the same folder, fsync, an
exchange that checks the bytes it displaced, fsync the folder; see kbd.vault.atomic). The
outputs ledger in state.db records the hash of every file written; a file whose bytes differ
from what kbd wrote was edited by its user and is left alone until `kbd adopt`.
"""

from __future__ import annotations

import enum
import logging
import os
import stat
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from kbd.state import State
from kbd.vault.atomic import (
    ASIDE_SUFFIX,
    Replaced,
    SymlinkRefused,
    fsync_folder,
    install,
    open_folder,
    read_at,
    recover,
    remove,
    sha256_bytes,
)
from kbd.vault.basefile import base_problems
from kbd.vault.errors import WriteRefused
from kbd.vault.fsread import Unreadable, read_optional
from kbd.vault.layout import TEMP_SUFFIX, VaultLayout
from kbd.vault.regionwrite import RegionOutcome, RegionRecord, RegionWrite, RegionWrites, exists_at, missing_markers
from kbd.vault.sanitize import sanitize_markdown, svg_problems

IO_THREADS = 8
APPENDABLE = ("kbd/constraints.md",)  # user-owned control files kbd may append a line to, nothing else
APPEND_ATTEMPTS = 5
IMAGE_SUFFIXES = (".png", ".jpg", ".gif", ".webp")  # what write_asset stores under raw/assets/
log = logging.getLogger("kbd.write")


class Outcome(enum.Enum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    KEPT_USER_EDIT = "kept-user-edit"
    REFUSED = "refused"  # a symlink or special file in the way: nothing written, reason in `refused`


def _parts(path: Path, root: Path) -> tuple[str, ...]:
    return path.relative_to(root).parts


__all__ = ["Outcome", "RegionOutcome", "RegionRecord", "RegionWrite", "VaultWriter", "create_if_missing",
           "missing_markers", "sha256_bytes"]


class VaultWriter(RegionWrites):
    def __init__(self, layout: VaultLayout, state: State) -> None:
        self.layout = layout
        self.state = state
        self.refused: dict[str, str] = {}  # path → why, for every write refused by this writer

    def target(self, rel: str) -> Path:
        """Resolve a vault-relative path, refusing anything outside the wiki folder or via a symlink.
        The symlink check here gives the early, precise message; the write itself is safe because
        it goes through folder descriptors opened without following symlinks."""
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
        """One note; raises WriteRefused where write_many reports Outcome.REFUSED."""
        outcome = self.write_many([(rel, text)])[0]
        if outcome is Outcome.REFUSED:
            raise WriteRefused(self.refused[rel])
        return outcome

    def write_many(self, notes: list[tuple[str, str]]) -> list[Outcome]:
        """Write a batch of (vault-relative path, text). The protocol that tells a crash from a
        user edit: the new hashes are recorded as pending (one commit) before any file is
        replaced, and as written (one commit) after every file and folder is fsynced. Each file
        is swapped in only if the bytes it displaces are kbd's (kbd.vault.atomic)."""
        outcomes: list[Outcome] = []
        to_write: list[tuple[int, str, Path, bytes, str, frozenset[str] | None]] = []
        folders: dict[Path, int] = {}
        try:
            for rel, text in notes:
                # Charts and Bases views are not markdown: each has its own check in _check_kind.
                data = (text if rel.endswith((".svg", ".base")) else sanitize_markdown(text)).encode("utf-8")
                new_hash = sha256_bytes(data)
                try:
                    _check_kind(rel, text)
                    path = self.target(rel)
                    outcome, expected = self._decide(rel, path, new_hash)
                    if outcome is Outcome.WRITTEN and path.parent not in folders:
                        folders[path.parent] = self._open_folder(rel, path.parent)
                except WriteRefused as exc:
                    self.refused[rel] = str(exc)
                    outcome = Outcome.REFUSED
                outcomes.append(outcome)
                if outcome is Outcome.WRITTEN:
                    to_write.append((len(outcomes) - 1, rel, path, data, new_hash, expected))
            if not to_write:
                return outcomes
            # Durable before any file changes: after a power cut, a file holding the pending hash
            # must be recognised as kbd's, not taken for a user edit.
            with self.state.durable_transaction():
                for _, rel, _, _, new_hash, _ in to_write:
                    self.state.output_pending(rel, new_hash)

            def one(item: tuple[int, str, Path, bytes, str, frozenset[str] | None]) -> Replaced:
                _, _, path, data, _, expected = item
                return install(folders[path.parent], path.name, data, expected)

            # fsync waits on the disk, not the CPU, and releases the GIL: overlapping a batch's
            # fsyncs lets the filesystem commit them together.
            if len(to_write) == 1:
                results = [one(to_write[0])]
            else:
                with ThreadPoolExecutor(max_workers=IO_THREADS) as pool:
                    results = list(pool.map(one, to_write))
            for fd in folders.values():
                fsync_folder(fd)
        finally:
            for fd in folders.values():
                os.close(fd)
        with self.state.transaction():
            for (index, rel, _, _, new_hash, _), result in zip(to_write, results, strict=True):
                if result.ok:
                    self.state.output_written(rel, new_hash, result.size, result.mtime_ns)
                else:
                    self._keep_users(rel, self.state.output(rel))
                    outcomes[index] = Outcome.KEPT_USER_EDIT
                    if result.conflict:
                        log.warning("%s was edited while kbd wrote it; your second version is kept as %s",
                                    rel, result.conflict)
        return outcomes

    def write_clipping(self, rel: str, text: str, expected: str | None) -> tuple[Outcome, str]:
        """The one kind of file kbd writes under the raw folder, and only because the user asked for
        it with a monitor's `ingest: true`: a Web Clipper-style note of a monitored page. With
        `expected` None it is a new file, created only if nothing is at `rel` (what is there, the
        user's, is never replaced: KEPT_USER_EDIT). Otherwise `rel` is replaced only while it still
        holds `expected`, the hash kbd wrote there, checked on the bytes displaced (kbd.vault.atomic).
        It stays out of the outputs ledger: the clipping is the user's to compile, edit or delete like
        any other (the monitor keeps the hash). Returns the outcome and the hash of the new bytes."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or PurePosixPath(self.layout.raw) not in pure.parents \
                or pure.suffix != ".md":
            raise WriteRefused(f"{rel}: a clipping goes into {self.layout.raw}/ as a .md note")
        data = sanitize_markdown(text).encode("utf-8")
        new_hash = sha256_bytes(data)
        if new_hash == expected:
            return Outcome.UNCHANGED, new_hash
        try:
            fd = open_folder(str(self.layout.root), pure.parent.parts, create=True)
        except SymlinkRefused as exc:
            raise WriteRefused(f"{rel}: {exc} is a symlink or not a folder; kbd will not write through it") from None
        try:
            result = install(fd, pure.name, data, None if expected is None else {expected})
            fsync_folder(fd)
        finally:
            os.close(fd)
        return (Outcome.WRITTEN if result.ok else Outcome.KEPT_USER_EDIT), new_hash

    def write_asset(self, rel: str, data: bytes) -> Outcome:
        """An image downloaded for a clipping, at `<raw>/assets/<clipping>/<hash>.<ext>`: the one place
        kbd writes under the raw folder. DESIGN §2 names raw/assets/ as where a clipping's images are
        kept, next to the clipping (Obsidian and the Web Clipper look for them there). Only new files
        are created, named by their content's hash: kbd never replaces or deletes a file there and
        never touches a clipping's own bytes; the folders are opened without following symlinks."""
        pure = PurePosixPath(rel)
        assets = PurePosixPath(self.layout.raw) / "assets"
        if (pure.is_absolute() or ".." in pure.parts or pure.parent.parent != assets
                or pure.suffix.lower() not in IMAGE_SUFFIXES or pure.name.startswith(".")):
            raise WriteRefused(f"{rel}: kbd writes under {self.layout.raw}/ only images in {assets}/<clipping>/")
        try:
            fd = open_folder(str(self.layout.root), pure.parent.parts, create=True)
        except SymlinkRefused as exc:
            raise WriteRefused(f"{rel}: {exc} is a symlink; kbd will not write through it") from None
        try:
            if exists_at(fd, pure.name):
                return Outcome.UNCHANGED  # the same bytes: the name is their hash
            written = install(fd, pure.name, data, None)
            fsync_folder(fd)
        finally:
            os.close(fd)
        return Outcome.WRITTEN if written.ok else Outcome.UNCHANGED

    def _open_folder(self, rel: str, folder: Path) -> int:
        try:
            return open_folder(str(self.layout.root), _parts(folder, self.layout.root), create=True)
        except SymlinkRefused as exc:
            raise WriteRefused(f"{rel}: {exc} is a symlink or not a folder; kbd will not write through it") from None

    def _decide(self, rel: str, path: Path, new_hash: str) -> tuple[Outcome, frozenset[str] | None]:
        """WRITTEN means "go ahead", with the hashes the file may hold when it is replaced (None:
        it must not exist); anything else is final."""
        record = self.state.output(rel)
        if record and record.user_edited:
            return Outcome.KEPT_USER_EDIT, None
        current = self._read(rel)
        if current is None:
            return Outcome.WRITTEN, None
        current_hash = sha256_bytes(current)
        if current_hash == new_hash:
            if not record or record.sha256 != new_hash:
                st = os.stat(path, follow_symlinks=False)
                self.state.output_written(rel, new_hash, st.st_size, st.st_mtime_ns)
            return Outcome.UNCHANGED, None
        if record is None or current_hash not in (record.sha256, record.pending_sha256):
            self._keep_users(rel, record)
            return Outcome.KEPT_USER_EDIT, None
        return Outcome.WRITTEN, frozenset(h for h in (record.sha256, record.pending_sha256) if h)

    def delete(self, rel: str) -> Outcome:
        path = self.target(rel)
        record = self.state.output(rel)
        current = self._read(rel)
        if current is None:
            self.state.output_forget(rel)
            return Outcome.UNCHANGED
        if record is None or record.user_edited or sha256_bytes(current) not in (record.sha256,
                                                                                  record.pending_sha256):
            self._keep_users(rel, record)
            return Outcome.KEPT_USER_EDIT
        fd = self._open_folder(rel, path.parent)
        try:
            removed = remove(fd, path.name, {h for h in (record.sha256, record.pending_sha256) if h})
            fsync_folder(fd)
        finally:
            os.close(fd)
        if not removed:
            self._keep_users(rel, record)
            return Outcome.KEPT_USER_EDIT
        self.state.output_forget(rel)
        return Outcome.DELETED

    def as_written(self, rel: str) -> bool:
        """The file is, by its size and modification time, what kbd last wrote there and kbd still
        owns it: rewriting identical content can be skipped without reading the file."""
        record = self.state.output(rel)
        if record is None or record.user_edited or record.pending_sha256 or record.size is None:
            return False
        try:
            st = os.lstat(self.layout.abs(rel))
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and st.st_size == record.size and st.st_mtime_ns == record.mtime_ns

    def _read(self, rel: str) -> bytes | None:
        try:
            return read_optional(self.layout.root, rel)
        except Unreadable as exc:
            raise WriteRefused(f"{rel}: cannot be read safely ({exc.reason})") from None

    def _keep_users(self, rel: str, record: object | None) -> None:
        if record is None:
            # A file kbd never wrote sits where kbd wants to write: it is the user's.
            self.state.output_pending(rel, "")
        self.state.output_user_edited(rel)

    def append_line(self, rel: str, line: str) -> bool:
        """Append one line to a user-owned control file (`kbd/constraints.md`): the user's bytes stay
        exactly as they are, the line goes after them (on a line of its own), and the file is replaced
        atomically only if it still holds the bytes the new version was made from; if the user saved
        it meanwhile, the line is appended to their new version instead. False when the line is
        already there (nothing written). The file is not kbd's: it never enters the outputs ledger."""
        if rel not in APPENDABLE:
            raise WriteRefused(f"{rel}: kbd appends only to {', '.join(APPENDABLE)}")
        line = sanitize_markdown(" ".join(line.split())).strip()
        if not line:
            raise WriteRefused(f"{rel}: nothing to append")
        pure = PurePosixPath(rel)
        for _ in range(APPEND_ATTEMPTS):
            try:
                fd = open_folder(str(self.layout.root), pure.parts[:-1], create=True)
            except SymlinkRefused as exc:
                raise WriteRefused(f"{rel}: {exc} is a symlink or not a folder; kbd will not write through it") \
                    from None
            try:
                try:
                    current = read_at(fd, pure.name)
                except SymlinkRefused:
                    raise WriteRefused(f"{rel}: is a symlink or not a regular file; kbd will not write to it") \
                        from None
                text = (current or b"").decode("utf-8", "surrogateescape")
                if line in (existing.strip() for existing in text.splitlines()):
                    return False
                data = (current or b"") + (b"\n" if current and not current.endswith(b"\n") else b"") \
                    + line.encode("utf-8") + b"\n"
                result = install(fd, pure.name, data, None if current is None else {sha256_bytes(current)})
                fsync_folder(fd)
            finally:
                os.close(fd)
            if result.ok:
                return True
        raise WriteRefused(f"{rel}: it kept changing while kbd appended to it; nothing was appended, try again")

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
            try:
                current = self._read(path)
            except WriteRefused:
                continue  # a symlink or FIFO where kbd's note was: refused when kbd next writes there
            if current is not None and sha256_bytes(current) not in (sha, pending):
                self.state.output_user_edited(path)
                edited.append(path)
            elif current is not None:
                self.state.output_written(path, sha256_bytes(current), st.st_size, st.st_mtime_ns)
        return edited

    def patch_lines(self, rel: str, before: bytes, lines: dict[int, str]) -> bool:
        """Replace some lines (0-based index → new text, sanitised here) of a note kbd wrote that
        its user has since edited — a lint report whose boxes were ticked — keeping every other
        byte. Done only if the note still holds `before` (checked on the bytes displaced, as every
        write is); the note stays the user's. Returns whether it was written."""
        record = self.state.output(rel)
        if record is None:
            return False  # kbd never wrote it: not kbd's to touch at all
        path = self.target(rel)
        text = before.decode("utf-8").split("\n")
        for index, line in lines.items():
            new = sanitize_markdown(line).rstrip("\n")
            if "\n" in new or not 0 <= index < len(text):
                raise WriteRefused(f"{rel}: a patch replaces one whole line with one line")
            text[index] = new + ("\r" if text[index].endswith("\r") else "")
        data = "\n".join(text).encode("utf-8")
        fd = self._open_folder(rel, path.parent)
        try:
            result = install(fd, path.name, data, {sha256_bytes(before)})
            fsync_folder(fd)
        finally:
            os.close(fd)
        if result.ok:
            with self.state.transaction():
                self.state.output_written(rel, sha256_bytes(data), result.size, result.mtime_ns)
                self.state.output_user_edited(rel)
        return result.ok

    def adopt(self, rel: str) -> bool:
        """Hand a user-edited note back to kbd: its current bytes become kbd's, to be regenerated."""
        record = self.state.output(rel)
        path = self.target(rel)
        current = self._read(rel)
        if record is None or current is None:
            return False
        st = os.stat(path, follow_symlinks=False)
        self.state.output_written(rel, sha256_bytes(current), st.st_size, st.st_mtime_ns)
        return True

    # -- managed regions in the user's notes ------------------------------------------------
    def remove_stray_temp_files(self) -> int:
        """After a crash: remove kbd's unfinished writes; put back user bytes a crash caught in
        the middle of an exchange or a delete (kbd.vault.atomic.recover). Returns how many
        leftovers were dealt with."""
        wiki = self.layout.abs(self.layout.wiki)
        handled = 0
        if not wiki.is_dir():
            return self._recover_regions()
        for folder, dirs, files in os.walk(wiki):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            leftovers = [n for n in files if n.startswith(".") and n.endswith((TEMP_SUFFIX, ASIDE_SUFFIX))]
            if not leftovers:
                continue
            folder_path = Path(folder)
            try:
                fd = open_folder(str(self.layout.root), _parts(folder_path, self.layout.root), create=False)
            except (SymlinkRefused, FileNotFoundError):
                continue
            try:
                for leftover in leftovers:
                    suffix = TEMP_SUFFIX if leftover.endswith(TEMP_SUFFIX) else ASIDE_SUFFIX
                    name = leftover[1:-len(suffix)]
                    rel = (folder_path / name).relative_to(self.layout.root).as_posix()
                    record = self.state.output(rel)
                    known = {h for h in (record.sha256, record.pending_sha256) if h} if record else set()
                    if recover(fd, leftover, name, known, record.pending_sha256 if record else None):
                        log.warning("a crash interrupted kbd while it replaced %s; your version is back", rel)
                        self._keep_users(rel, record)
                    handled += 1
                fsync_folder(fd)
            finally:
                os.close(fd)
        return handled + self._recover_regions()


def _check_kind(rel: str, text: str) -> None:
    """Notes are sanitised markdown; the only other files kbd writes are its own charts, SVG that
    must pass `svg_problems` (no script, links, external references or styles), and its Bases
    views (`base_problems`)."""
    if rel.endswith(".svg"):
        problems = svg_problems(text)
        if problems:
            raise WriteRefused(f"{rel}: not a safe image ({'; '.join(problems[:3])}); nothing was written")
    elif rel.endswith(".base"):
        problems = base_problems(text)
        if problems:
            raise WriteRefused(f"{rel}: not a Bases view ({'; '.join(problems[:3])}); nothing was written")
    elif not rel.endswith(".md"):
        raise WriteRefused(f"{rel}: kbd writes only markdown notes, its own SVG charts and Bases views")


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

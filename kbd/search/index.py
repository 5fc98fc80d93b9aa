"""The whoosh index in `.kbd/search/`: the one writer, self-healing, never in the way.

The index is derived data. It is rebuilt from the vault whenever it is missing, unreadable or was
written with another schema version; deleting `.kbd/search/` loses nothing. A build runs into a
fresh folder that is swapped in when done (kbd.search.build), so searches keep answering from the
index that exists meanwhile, and a build can be stopped at any moment.

Trust: every writer that leaves the index matching the vault writes a stamp into the index folder:
the modified time of every folder of the vault. A search whose folders still match it does not
compare every note with the index (0.3 s at 10,000 notes): a note added, removed or renamed changes
its folder, and edits reach the index through compile and `kbd run`. A writer that skipped changes
(another process held the lock) removes the stamp, and the next search compares.

Writers: every change goes through `SearchIndex.update` or `SearchIndex.sync`, which take a
per-folder thread lock (one writer per process) and whoosh's write lock (one writer across
processes). whoosh's lock is an `flock` on `.kbd/search/<name>_WRITELOCK`, which the kernel drops
when its holder dies: a kill leaves the lock file behind but never a held lock, so the next writer
takes it at once; segment files a killed writer left half-written are not listed in the committed
table of contents, and are deleted by the next commit. Readers open the last committed table of
contents and never wait for a writer.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, LockError  # = whoosh.writing's, without loading the writer
from whoosh.reading import SegmentReader
from whoosh.util.filelock import FcntlLock

from kbd import clock
from kbd.config import Config
from kbd.isolation import NoteFailure, contain, settle
from kbd.search.build import BuildStopped, Progress, Stop, fill
from kbd.search.notes import NoteFields, is_navigation, read_note, walk_notes
from kbd.search.schema import document, make_schema
from kbd.vault.layout import VaultLayout

log = logging.getLogger("kbd.search")

# Bump when the schema or the way notes are turned into fields changes: an index written by
# another version is then rebuilt instead of being read with the wrong fields.
SCHEMA_VERSION = 6  # 4: navigation pages are no documents; 5: no body spelling field; 6: titles as compile gives them
INDEX_NAME = f"kbd_v{SCHEMA_VERSION}"
SEARCH_DIR = "search"
STAMP = "kbd-current.json"
CATALOGUE = "kbd-catalogue.json"
WRITE_TIMEOUT = 10.0  # seconds a daemon or compile waits for another process's writer
# An update commits its own small segment; small segments are merged only when this many pile
# up, and never into a large one (whoosh's MERGE_SMALL rewrote the big segment every ~9th update).
SMALL_SEGMENTS = 8
SMALL_SHARE = 0.02  # a segment with fewer than this share of the index's notes is small


class IndexUnavailable(Exception):
    """The index could not be opened or built (the message says why and what to do)."""


_ensured: set[str] = set()
_reserved: set[str] = set()  # index folders a background thread of this process builds
_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def _writer_lock(folder: Path) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(os.fspath(folder), threading.Lock())


class SearchIndex:
    """The search index of one vault."""

    def __init__(self, root: Path, config: Config) -> None:
        self.layout = VaultLayout.from_config(root, config)
        self.config = config
        self.folder = self.layout.state_dir / SEARCH_DIR
        self.read: dict[str, NoteFailure | None] = {}  # notes this object indexed: None, or why it could not

    # -- opening ---------------------------------------------------------------------------
    def open(self, *, check: bool = True) -> FileIndex | None:
        """The committed index, or None when it is missing, unreadable or of another schema.
        `check` also opens every segment (searches skip that and rebuild when a read fails)."""
        try:
            if not self.folder.is_dir():
                return None
            # No mmap: a segment file damaged or truncated under a mapping kills the process with
            # SIGBUS; read() turns the same damage into an exception, and a rebuild.
            storage = FileStorage(os.fspath(self.folder), supports_mmap=False)
            if not storage.index_exists(INDEX_NAME):
                return None
            ix = storage.open_index(INDEX_NAME)
            if check:
                with ix.reader() as reader:
                    reader.doc_count_all()  # reads the segment headers: a damaged file fails here
            return ix
        except Exception as exc:  # whoosh raises many kinds on damaged files; any of them means rebuild
            log.warning("search index in %s is unreadable (%s: %s); it will be rebuilt",
                        self.folder, type(exc).__name__, exc)
            return None

    def is_trusted(self) -> bool:
        """A writer left the index matching the vault, and no folder changed since (see the
        module's note on trust)."""
        try:
            stamp = json.loads((self.folder / STAMP).read_text())
        except (OSError, ValueError):
            return False
        if not isinstance(stamp, dict) or stamp.get("schema") != SCHEMA_VERSION or \
                not isinstance(stamp.get("folders"), dict):
            return False
        # Only the folders the stamp lists are looked at (listing every folder's entries to find
        # its subfolders was most of a search's check): a folder made or removed since changes the
        # modified time of the folder that holds it, which is listed.
        root = os.fspath(self.layout.root)
        for rel, mtime in stamp["folders"].items():
            try:
                if os.stat(os.path.join(root, rel) if rel else root, follow_symlinks=False).st_mtime_ns != mtime:
                    return False
            except (OSError, TypeError):
                return False
        return True

    def building(self) -> bool:
        """Another thread or process is building the index right now."""
        lock = FcntlLock(os.fspath(self.layout.state_dir / f"{SEARCH_DIR}.build-lock"))
        try:
            if lock.acquire(blocking=False):
                lock.release()
                return False
        except OSError:
            return False
        return True

    def ensure(self, progress: Progress | None = None, *, heal: bool = True, trust: bool = True,
               stop: Stop | None = None) -> FileIndex:
        """Open the index, building it when needed (IndexUnavailable when another thread or process
        is building it); then bring it up to date with the vault (`heal`), unless a writer stamped
        it as current and `trust`, or another process is writing it right now: then the last
        committed state is what searches see."""
        trusted = trust and self.is_trusted()
        # A stamped index is not opened segment by segment here: the search that follows opens them
        # anyway, and a damaged one fails there and is rebuilt (kbd.search.query).
        ix = self.open(check=not trusted)
        if ix is None:
            ix = self.rebuild(progress, stop=stop)
        elif heal and not trusted:
            self.sync(ix, wait=False)
        _ensured.add(os.fspath(self.folder))
        return ix

    def reserved(self) -> bool:
        """A background thread of this process builds or checks the index (`reserve_build`)."""
        return os.fspath(self.folder) in _reserved

    def ensured(self) -> bool:
        """`ensure` ran in this process (a search need not check again)."""
        return os.fspath(self.folder) in _ensured

    def doc_count(self) -> int:
        ix = self.open()
        if ix is None:
            return 0
        return int(ix.doc_count())

    # -- writing ---------------------------------------------------------------------------
    def rebuild(self, progress: Progress | None = None, *, force: bool = False, stop: Stop | None = None,
                prepared: dict[str, NoteFields] | None = None) -> FileIndex:
        """Index every note of the vault into a fresh folder, then swap it in (`force`: even when
        the current index is fine). Searches and updates use the current index meanwhile; notes
        changed during the build are caught by a sync right after the swap. `stop` is asked
        between notes: true ends the build at once (BuildStopped), leaving the current index.
        `prepared`: fields compile already parsed, by path (used when the note is unchanged)."""
        state_dir = self.layout.state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        build_lock = FcntlLock(os.fspath(state_dir / f"{SEARCH_DIR}.build-lock"))
        if not build_lock.acquire(blocking=False):
            raise IndexUnavailable("the search index is being built by another kbd process or thread; "
                                   "try again shortly")
        try:
            ix = None if force else self.open()  # another thread may have built it meanwhile
            if ix is not None:
                return ix
            import shutil  # only a build removes folders: a search call need not load it

            for stale in state_dir.glob(f"{SEARCH_DIR}.new-*"):  # left by a build that was killed
                shutil.rmtree(stale, ignore_errors=True)
            fresh = state_dir / f"{SEARCH_DIR}.new-{os.getpid()}-{threading.get_ident()}"
            fresh.mkdir()
            try:
                new_ix = whoosh_index.create_in(fresh, make_schema(), INDEX_NAME)
                on_disk = walk_notes(self.layout.root)
                notes = sorted(p for p in on_disk if not is_navigation(self.layout, p))
                usable = self._current(prepared)
                done = fill(new_ix, self.layout, self.config, notes, usable, progress, stop)
                with _writer_lock(self.folder):
                    old = state_dir / f"{SEARCH_DIR}.old-{os.getpid()}"
                    if self.folder.exists():
                        os.replace(self.folder, old)
                    os.replace(fresh, self.folder)
                    shutil.rmtree(old, ignore_errors=True)
            except BaseException:
                shutil.rmtree(fresh, ignore_errors=True)
                raise
        finally:
            build_lock.release()
        log.info("search index built: %d notes", done)
        ix = self.open()
        if ix is None:
            raise IndexUnavailable(f"the search index in {self.folder} could not be read back after "
                                   "building it; check the disk, then run `kbd search --rebuild`")
        self.sync(ix)  # what changed while it was built; stamps it as current
        return ix

    def update(self, paths: Iterable[str], ix: FileIndex | None = None, *, wait: bool = True,
               prepared: dict[str, NoteFields] | None = None) -> int:
        """Re-read exactly these vault-relative paths: changed notes are replaced, notes that are
        gone or no longer readable are removed. Returns how many paths were applied (0 when
        `wait` is false and another writer is busy)."""
        paths = sorted(set(paths))
        if not paths:
            return 0
        with _writer_lock(self.folder):
            # Opened under the lock: another thread's commit deletes the table of contents an open
            # outside it may be reading, and the update would be dropped as "unreadable".
            ix = ix or self.open()
            if ix is None:
                return 0  # nothing to update: the next build reads the vault as it is then
            writer = self._writer(ix, wait)
            if writer is None:
                self._distrust()
                return 0
            catalogue = self._catalogue(ix)
            try:
                usable = self._current({p: prepared[p] for p in paths if p in prepared} if prepared else None)
                for rel in paths:
                    fields = usable.get(rel) or self._read(rel)
                    if isinstance(fields, NoteFailure):
                        continue  # a failure keeps the note's last indexed version
                    if fields is None:
                        writer.delete_by_term("path", rel)
                        catalogue.pop(rel, None)
                    else:
                        writer.update_document(**document(fields))
                        catalogue[rel] = (fields.mtime_ns, fields.size)
            except BaseException:
                writer.cancel()
                self._distrust()
                raise
            trusted = self.is_trusted_file()
            writer.commit(mergetype=merge_small_segments)
            self._write_catalogue(catalogue)  # after the commit: at worst it names notes to re-read
            if trusted:  # current before, and these were the changes: current again
                self._stamp()
        return len(paths)

    def _read(self, rel: str) -> NoteFields | NoteFailure | None:
        fields = contain("index", rel, read_note, self.layout, self.config, rel)
        self.read[rel] = fields if isinstance(fields, NoteFailure) else None
        return fields

    def _catalogue(self, ix: FileIndex) -> dict[str, tuple[int, int]]:
        """Path → (modified time, size) of every indexed note: kept beside the index, because
        reading it from the index's stored fields took 0.5 s at 33,000 notes."""
        try:
            saved = json.loads((self.folder / CATALOGUE).read_text())
            if saved.get("schema") == SCHEMA_VERSION and saved.get("toc") == ix.latest_generation():
                return {p: (int(m), int(z)) for p, (m, z) in saved["notes"].items()}
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            pass
        with ix.searcher() as searcher:
            return {f["path"]: (f.get("mtime"), f.get("size")) for f in searcher.all_stored_fields()}

    def _write_catalogue(self, catalogue: dict[str, tuple[int, int]]) -> None:
        ix = self.open(check=False)
        if ix is None:
            return
        try:
            tmp = self.folder / f".{CATALOGUE}.tmp"
            tmp.write_text(json.dumps({"schema": SCHEMA_VERSION, "toc": ix.latest_generation(), "notes": catalogue}))
            os.replace(tmp, self.folder / CATALOGUE)
        except OSError as exc:  # without it the next compare reads the index's stored fields
            log.debug("search index catalogue not written: %s", exc)

    def is_trusted_file(self) -> bool:
        return (self.folder / STAMP).is_file()

    def _current(self, prepared: dict[str, NoteFields] | None) -> dict[str, NoteFields]:
        """The prepared fields whose file is still the version parsed (same size and change stamp),
        with the modified time the index records."""
        usable = {}
        for rel, fields in (prepared or {}).items():
            try:
                st = os.stat(self.layout.abs(rel), follow_symlinks=False)
            except OSError:
                continue
            if fields.stamp and (st.st_size, max(st.st_mtime_ns, st.st_ctime_ns)) == (fields.size, fields.stamp):
                usable[rel] = replace(fields, mtime_ns=st.st_mtime_ns, stamp=0)
        return usable

    def sync(self, ix: FileIndex | None = None, *, wait: bool = True,
             prepared: dict[str, NoteFields] | None = None) -> int:
        """Compare the vault with the index (modified time and size), update what differs and
        stamp the index as current."""
        ix = ix or self.open()
        if ix is None:
            self.rebuild()
            return 0
        on_disk = {p: s for p, s in walk_notes(self.layout.root).items() if not is_navigation(self.layout, p)}
        indexed = self._catalogue(ix)
        changed = [p for p, stamp in on_disk.items() if indexed.get(p) != stamp]
        gone = [p for p in indexed if p not in on_disk]
        done = 0
        if changed or gone:
            log.debug("search index: %d changed, %d gone", len(changed), len(gone))
            done = self.update([*changed, *gone], ix, wait=wait, prepared=prepared)
            if done == 0:
                return 0  # another writer was busy: not current, no stamp
        elif not (self.folder / CATALOGUE).exists():
            self._write_catalogue(indexed)  # a fresh build: the next compare reads it from here
        self._stamp()
        return done

    def _stamp(self) -> None:
        try:
            tmp = self.folder / f".{STAMP}.tmp"
            tmp.write_text(json.dumps({"schema": SCHEMA_VERSION, "folders": folder_stamps(self.layout.root)}))
            os.replace(tmp, self.folder / STAMP)
        except OSError as exc:  # no stamp only means the next search compares the vault
            log.debug("search index stamp not written: %s", exc)

    def _distrust(self) -> None:
        try:
            (self.folder / STAMP).unlink(missing_ok=True)
        except OSError:
            pass

    @staticmethod
    def _writer(ix: FileIndex, wait: bool):  # type: ignore[no-untyped-def]
        try:
            return ix.writer(timeout=WRITE_TIMEOUT if wait else 0.0)
        except LockError:
            if wait:
                log.warning("search index is locked by another kbd process for over %gs; "
                            "the changes will be indexed by the next sync", WRITE_TIMEOUT)
            return None


def folder_stamps(root: Path) -> dict[str, int]:
    """Every folder of the vault (dot-folders and symlinks aside) → its modified time (ns)."""
    found: dict[str, int] = {}
    stack = [""]
    while stack:
        rel = stack.pop()
        folder = os.path.join(root, rel) if rel else os.fspath(root)
        try:
            found[rel] = os.stat(folder, follow_symlinks=False).st_mtime_ns
            entries = list(os.scandir(folder))
        except OSError:
            continue
        stack.extend(f"{rel}{e.name}/" for e in entries
                     if not e.name.startswith(".") and e.is_dir(follow_symlinks=False))
    return found


def merge_small_segments(writer, segments):  # type: ignore[no-untyped-def]
    """whoosh merge policy: merge the small segments once SMALL_SEGMENTS of them pile up; never
    rewrite a large one (an update then costs the notes it changed, not the index's size)."""
    total = sum(s.doc_count_all() for s in segments) or 1
    small = [s for s in segments if s.doc_count_all() < max(50, total * SMALL_SHARE)]
    if len(small) < SMALL_SEGMENTS:
        return list(segments)
    for seg in small:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in small]


def ensure_index(root: Path, config: Config, progress: Progress | None = None, *, vectors: bool = True,
                 stop: Stop | None = None) -> None:
    """Build the index if it is missing or broken, then compare every note with it (for the
    background refreshes of `kbd serve` and `kbd mcp`, which also catch notes edited in place);
    with `search.embeddings` (and `vectors`), embed the notes that changed since the last look.
    `stop` ends a build early (BuildStopped)."""
    index = SearchIndex(root, config)
    try:
        index.ensure(progress, trust=False, stop=stop)
    finally:  # what was read before a stop counts too
        _settle_read(index)
    if vectors and config.search.embeddings:
        from kbd.search.vectors import sync_vectors

        sync_vectors(root, config, None, progress)


def reserve_build(root: Path, config: Config) -> None:
    """This process builds the index on a background thread (the daemon): until `release_build`,
    `update_index` leaves a missing index to it instead of building it on the caller's thread;
    that build's closing sync catches what the caller wrote meanwhile."""
    _reserved.add(os.fspath(SearchIndex(root, config).folder))


def release_build(root: Path, config: Config) -> None:
    _reserved.discard(os.fspath(SearchIndex(root, config).folder))


def update_index(root: Path, config: Config, paths: Iterable[str] | None = None, *,
                 prepared: dict[str, NoteFields] | None = None, stop: Stop | None = None) -> int:
    """For the compile pipeline and the daemon: index exactly `paths`, vault-relative (None:
    compare the whole vault). A folder among them, or a reported path that is gone and was
    not a note, means a folder moved or was deleted: then the whole vault is compared.
    `prepared`: the fields of notes the caller already parsed, by path.

    An index that does not exist yet is built here (compile keeps the index current, so the
    first search never waits for it), unless another thread or process is building it already:
    that build's closing sync catches these notes. Never raises: the index is derived data, and
    a failure here must not fail the compile that wrote the notes (the next search or sync heals
    it). With `search.embeddings`, the same notes' vectors are brought up to date too."""
    index = SearchIndex(root, config)
    try:
        ix = index.open()
        if ix is None:
            if index.building() or index.reserved():
                return 0
            index.rebuild(prepared=prepared, stop=stop)
            paths, done = None, 0  # the vectors too: the whole vault
        else:
            if paths is not None:
                paths = set(paths)
                if any(_is_folder_change(index.layout.abs(p), p) for p in paths):
                    paths = None
            done = index.sync(ix, prepared=prepared) if paths is None else index.update(paths, ix, prepared=prepared)
    except (IndexUnavailable, BuildStopped) as exc:
        log.info("search index not updated: %s", exc or "stopped")
        return 0
    except Exception:
        log.exception("updating the search index failed; the next search will catch up")
        return 0
    _settle_read(index)
    if config.search.embeddings:
        from kbd.search.vectors import sync_vectors

        try:
            sync_vectors(root, config, paths)
        except Exception:
            log.exception("updating the search vectors failed; the next search will catch up")
    return done


def _settle_read(index: SearchIndex) -> None:
    """Record the notes that could not be indexed and clear those indexed again since
    (kbd/isolation.py), so that Status.md and `kbd status` name them whoever built the index."""
    if not index.read:
        return
    from kbd.state import State  # a search that indexed nothing need not load sqlite3

    state = State(index.layout.state_dir / "state.db")
    try:
        with state.transaction():
            settle(state, [f for f in index.read.values() if f is not None],
                   [f"index:{rel}" for rel, f in index.read.items() if f is None], clock.stamp(clock.now()))
    finally:
        state.close()


def _is_folder_change(path: Path, rel: str) -> bool:
    if path.is_dir():
        return True
    return not rel.lower().endswith(".md") and not path.exists()

"""The whoosh index in `.kbd/search/`: schema, the one writer, self-healing.

The index is derived data. It is rebuilt from the vault whenever it is missing, unreadable or was
written with another schema version; deleting `.kbd/search/` loses nothing.

Writers: every change goes through `SearchIndex.update` or `SearchIndex.sync`, which take a
per-folder thread lock (one writer per process) and whoosh's write lock (one writer across
processes). whoosh's lock is an `flock` on `.kbd/search/<name>_WRITELOCK`, which the kernel drops
when its holder dies: a kill leaves the lock file behind but never a held lock, so the next writer
takes it at once; segment files a killed writer left half-written are not listed in the committed
table of contents, and are deleted by the next commit. Readers open the last committed table of
contents and never wait for a writer.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import STOP_WORDS, Analyzer, Token
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.lang import stemmer_for_language
from whoosh.support.charset import accent_map
from whoosh.util.filelock import FcntlLock
from whoosh.writing import LockError

from kbd import clock
from kbd.config import Config
from kbd.isolation import NoteFailure, contain, settle
from kbd.search.notes import NoteFields, read_note, walk_notes
from kbd.state import State
from kbd.vault.layout import VaultLayout

log = logging.getLogger("kbd.search")

# Bump when the schema or the way notes are turned into fields changes: an index written by
# another version is then rebuilt instead of being read with the wrong fields.
SCHEMA_VERSION = 3
INDEX_NAME = f"kbd_v{SCHEMA_VERSION}"
SEARCH_DIR = "search"
WRITE_TIMEOUT = 10.0  # seconds a daemon or compile waits for another process's writer
BUILD_LIMIT_MB = 96  # the rebuild's in-memory posting pool before it spills to disk
Progress = Callable[[int, int], None]  # notes done, notes in total
_TOKEN = re.compile(r"\w+(\.?\w+)*", re.UNICODE)  # whoosh's default tokenizer: `e.g`, `3.14` are one token
_FOLD_ALL = accent_map
_stem_en = stemmer_for_language("en")

# Boosts of BM25F: a word in the title says more about a note than the same word in passing.
TITLE_BOOST, ALIAS_BOOST, HEADING_BOOST, TAG_BOOST = 5.0, 4.0, 2.0, 2.0
# Catalogues that list every title would top almost any query; they still match, lower down.
LOW_BOOST = 0.2


class TextAnalyzer(Analyzer):
    """English stemming with accent folding: `Café`, `cafe` and `cafés` are one word.

    The same tokens as whoosh's `RegexTokenizer | LowercaseFilter | CharsetFilter(accent_map) |
    StopFilter | StemFilter` chain, in one loop with a stem cache: that chain of generators was
    two thirds of the time to index a note."""

    is_morph = True

    def __init__(self) -> None:
        self._stems: dict[str, str] = {}

    def __getstate__(self) -> dict[str, object]:
        return {}  # pickled into the index's table of contents: no cache

    def __setstate__(self, state: dict[str, object]) -> None:
        self._stems = {}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def has_morph(self) -> bool:
        return True

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", no_morph: bool = False, **kwargs: object):  # type: ignore[no-untyped-def]
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        stems = self._stems
        if len(stems) > 200_000:
            stems.clear()
        matches = _TOKEN.finditer(value) if tokenize else iter([None])
        pos = start_pos
        for m in matches:
            raw = m.group(0) if m is not None else value
            text = raw.lower().translate(_FOLD_ALL)
            if keeporiginal:
                token.original = raw
            token.stopped = text in STOP_WORDS
            if token.stopped and removestops:
                continue  # as whoosh's StopFilter(renumber=True): no gap in positions
            if not token.stopped and not no_morph:
                stem = stems.get(text)
                if stem is None:
                    stem = stems[text] = _stem_en(text)
                text = stem
            token.text = text
            token.boost = 1.0
            if positions:
                token.pos = pos
            if chars:
                start = m.start() if m is not None else 0
                token.startchar = start_char + start
                token.endchar = start_char + start + len(raw)
            pos += 1
            yield token


def text_analyzer() -> TextAnalyzer:
    return TextAnalyzer()


def make_schema() -> Schema:
    ana = text_analyzer()
    # A word the analyzer splits (`write-ahead`, `force-with-lease`) is searched as a phrase.
    phrase = "phrase"
    return Schema(
        path=ID(stored=True, unique=True),
        title=TEXT(analyzer=ana, field_boost=TITLE_BOOST, stored=True, spelling=True, multitoken_query=phrase),
        aliases=TEXT(analyzer=ana, field_boost=ALIAS_BOOST, stored=True, multitoken_query=phrase),
        tags=KEYWORD(lowercase=True, commas=True, scorable=True, stored=True, field_boost=TAG_BOOST),
        headings=TEXT(analyzer=ana, field_boost=HEADING_BOOST, multitoken_query=phrase),
        body=TEXT(analyzer=ana, spelling=True, multitoken_query=phrase),
        type=ID(stored=True),
        folder=ID(stored=True),
        mtime=NUMERIC(int, bits=64, stored=True),  # nanoseconds since the epoch
        size=STORED(),
    )


class IndexUnavailable(Exception):
    """The index could not be opened or built (the message says why and what to do)."""


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

    def ensure(self, progress: Progress | None = None, *, heal: bool = True) -> FileIndex:
        """Open the index, rebuilding it when needed; then bring it up to date with the vault
        (`heal`) unless another process is writing it right now, in which case the last
        committed state is what searches see."""
        ix = self.open()
        if ix is None:
            return self.rebuild(progress)
        if heal:
            self.sync(ix, wait=False)
        return ix

    def doc_count(self) -> int:
        ix = self.open()
        if ix is None:
            return 0
        return int(ix.doc_count())

    # -- writing ---------------------------------------------------------------------------
    def rebuild(self, progress: Progress | None = None, *, force: bool = False) -> FileIndex:
        """Index every note of the vault into a fresh folder, then swap it in (`force`: even
        when the current index is fine). Readers of the old index keep their open files."""
        lock = _writer_lock(self.folder)
        with lock:
            ix = None if force else self.open()  # another thread may have rebuilt it meanwhile
            if ix is not None:
                return ix
            state_dir = self.layout.state_dir
            state_dir.mkdir(parents=True, exist_ok=True)
            fresh = state_dir / f"{SEARCH_DIR}.new-{os.getpid()}"
            shutil.rmtree(fresh, ignore_errors=True)
            fresh.mkdir()
            build_lock = FcntlLock(os.fspath(state_dir / f"{SEARCH_DIR}.build-lock"))
            if not build_lock.acquire(blocking=False):
                shutil.rmtree(fresh, ignore_errors=True)
                raise IndexUnavailable("another kbd process is building the search index; try again shortly")
            try:
                new_ix = whoosh_index.create_in(fresh, make_schema(), INDEX_NAME)
                notes = sorted(walk_notes(self.layout.root))
                total, done = len(notes), 0
                if progress:
                    progress(0, total)
                # One writer, one commit: a single segment searches several times faster than many
                # (whoosh opens and merges every segment on every search); the writer's pool spills
                # to temporary runs on disk beyond `limitmb`, so memory stays bounded.
                writer = new_ix.writer(limitmb=BUILD_LIMIT_MB)
                try:
                    for rel in notes:
                        fields = self._read(rel)
                        if isinstance(fields, NoteFields):  # a note that fails is left out (and logged), alone
                            writer.add_document(**_document(fields))
                        done += 1
                        if progress and (done % 50 == 0 or done == total):
                            progress(done, total)
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
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
            return ix

    def update(self, paths: Iterable[str], ix: FileIndex | None = None, *, wait: bool = True) -> int:
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
                return 0  # nothing to update: the next search rebuilds the index from the vault
            writer = self._writer(ix, wait)
            if writer is None:
                return 0
            try:
                for rel in paths:
                    fields = self._read(rel)
                    if fields is None:
                        writer.delete_by_term("path", rel)
                    elif isinstance(fields, NoteFields):  # a failure keeps the note's last indexed version
                        writer.update_document(**_document(fields))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        return len(paths)

    def _read(self, rel: str) -> NoteFields | NoteFailure | None:
        fields = contain("index", rel, read_note, self.layout, self.config, rel)
        self.read[rel] = fields if isinstance(fields, NoteFailure) else None
        return fields

    def sync(self, ix: FileIndex | None = None, *, wait: bool = True) -> int:
        """Compare the vault with the index (modified time and size) and update what differs."""
        ix = ix or self.open()
        if ix is None:
            self.rebuild()
            return 0
        on_disk = walk_notes(self.layout.root)
        with ix.searcher() as searcher:
            indexed = {f["path"]: (f.get("mtime"), f.get("size")) for f in searcher.all_stored_fields()}
        changed = [p for p, stamp in on_disk.items() if indexed.get(p) != stamp]
        gone = [p for p in indexed if p not in on_disk]
        if changed or gone:
            log.debug("search index: %d changed, %d gone", len(changed), len(gone))
            return self.update([*changed, *gone], ix, wait=wait)
        return 0

    @staticmethod
    def _writer(ix: FileIndex, wait: bool):  # type: ignore[no-untyped-def]
        try:
            return ix.writer(timeout=WRITE_TIMEOUT if wait else 0.0)
        except LockError:
            if wait:
                log.warning("search index is locked by another kbd process for over %gs; "
                            "the changes will be indexed by the next sync", WRITE_TIMEOUT)
            return None


def _document(fields: NoteFields) -> dict[str, object]:
    tags: list[str] = []
    for tag in fields.tags:  # `tag:health` also finds `#health/sleep`, as Obsidian's tag search does
        parts = tag.split("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if prefix not in tags:
                tags.append(prefix)
    doc: dict[str, object] = {
        "path": fields.path, "title": fields.title, "aliases": "\n".join(fields.aliases),
        "tags": ",".join(tags), "headings": "\n".join(fields.headings), "body": fields.body,
        "type": fields.type, "folder": fields.folder, "mtime": fields.mtime_ns, "size": fields.size,
    }
    name = fields.path.rsplit("/", 1)[-1]
    if fields.type == "note" and name in ("index.md", "log.md") and fields.folder.count("/") == 0:
        # The catalogue and the log name every note; their own titles are not what anyone looks for.
        doc["_boost"] = LOW_BOOST
        doc["_stored_title"] = doc["title"]
        doc["title"] = ""
    return doc


def ensure_index(root: Path, config: Config, progress: Progress | None = None, *, vectors: bool = True) -> None:
    """Build the index if it is missing or broken, then bring it up to date with the vault;
    with `search.embeddings` (and `vectors`), embed the notes that changed since the last look."""
    SearchIndex(root, config).ensure(progress)
    if vectors and config.search.embeddings:
        from kbd.search.vectors import sync_vectors

        sync_vectors(root, config, None, progress)


def update_index(root: Path, config: Config, paths: Iterable[str] | None = None) -> int:
    """For the compile pipeline and the daemon: index exactly `paths`, vault-relative (None:
    compare the whole vault). A folder among them, or a reported path that is gone and was
    not a note, means a folder moved or was deleted: then the whole vault is compared.

    An index that does not exist yet is left for the first search to build. Never raises: the
    index is derived data, and a failure here must not fail the compile that wrote the notes
    (the next search or sync heals it). With `search.embeddings`, the same notes' vectors are
    brought up to date too, through the same path."""
    index = SearchIndex(root, config)
    try:
        ix = index.open()
        if ix is None:
            return 0
        if paths is not None:
            paths = set(paths)
            if any(_is_folder_change(index.layout.abs(p), p) for p in paths):
                paths = None
        done = index.sync(ix) if paths is None else index.update(paths, ix)
    except Exception:
        log.exception("updating the search index failed; the next search will catch up")
        return 0
    if index.read:  # notes that could not be indexed, and those indexed again since (kbd/isolation.py)
        state = State(index.layout.state_dir / "state.db")
        try:
            with state.transaction():
                settle(state, [f for f in index.read.values() if f is not None],
                       [f"index:{rel}" for rel, f in index.read.items() if f is None], clock.stamp(clock.now()))
        finally:
            state.close()
    if config.search.embeddings:
        from kbd.search.vectors import sync_vectors

        try:
            sync_vectors(root, config, paths)
        except Exception:
            log.exception("updating the search vectors failed; the next search will catch up")
    return done


def _is_folder_change(path: Path, rel: str) -> bool:
    if path.is_dir():
        return True
    return not rel.lower().endswith(".md") and not path.exists()

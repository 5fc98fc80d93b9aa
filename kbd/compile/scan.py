"""Find what changed under the raw folder since the ledger last saw it.

Stat first; read and hash only files whose size or mtime moved. A file whose bytes are unchanged
(touched, copied back) costs one hash and no engine work.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass, field

from kbd.papers.read import is_pdf, pdf_max_bytes
from kbd.state import State
from kbd.vault.fsread import Unreadable, change_stamp, read_snapshot
from kbd.vault.layout import VaultLayout, is_conflict_copy, is_ignored_name, is_source_name
from kbd.vault.note import Rejection, check_file, file_sha256


@dataclass(frozen=True)
class Candidate:
    path: str
    sha256: str
    size: int
    mtime_ns: int  # change stamp (fsread.change_stamp) of the version hashed; 0: look again next scan


@dataclass
class ScanResult:
    changed: list[Candidate] = field(default_factory=list)  # new or different bytes
    touched: list[Candidate] = field(default_factory=list)  # same bytes, new stat
    gone: list[str] = field(default_factory=list)  # accepted before, no longer on disk
    forgotten: list[str] = field(default_factory=list)  # rejected or ignored before, no longer on disk
    rejected: list[tuple[Rejection, int, int]] = field(default_factory=list)  # with size, mtime_ns
    ignored: list[Rejection] = field(default_factory=list)
    seen: int = 0


def scan_raw(layout: VaultLayout, state: State, max_bytes: int, only: Collection[str] | None = None) -> ScanResult:
    """Everything under the raw folder, or with `only` (vault-relative paths a watcher reported:
    files, folders, or paths that are gone) just those and what lies below them; the rest is
    taken to be as the ledger last saw it, unless one of them is gone."""
    result = ScanResult()
    if only is None:
        ledger = {r["path"]: r for r in state.db.execute("SELECT * FROM files")}
        found = _walk(layout.abs(layout.raw), layout.raw)
    else:
        ledger, found = _reported(layout, state, only)
    seen: set[str] = set()
    for rel, is_symlink_dir in found:
        seen.add(rel)
        known = ledger.get(rel)
        if is_symlink_dir:
            if known is None:
                result.rejected.append((Rejection(rel, "symlinked folder; kbd does not follow symlinks"), 0, 0))
            continue
        if is_conflict_copy(rel.rsplit("/", 1)[-1]):
            if known is None:
                result.ignored.append(Rejection(rel, "sync conflict copy", kind="ignored"))
            continue
        result.seen += 1
        path = layout.root / rel
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if known is not None and known["size"] == st.st_size and known["mtime_ns"] == change_stamp(st):
            continue  # unchanged since the ledger saw it, accepted or rejected
        limit = pdf_max_bytes(max_bytes) if is_pdf(rel) else max_bytes
        rejection = check_file(layout.root, rel, limit)
        if rejection is None:
            # The hash, size and stamp all come from one read of one opened file (see fsread):
            # what was looked at above only chose whether to read.
            try:
                snap = read_snapshot(layout.root, rel, limit)
            except FileNotFoundError:
                continue
            except Unreadable as exc:
                rejection = Rejection(rel, exc.reason)
            except OSError as exc:
                rejection = Rejection(rel, f"cannot be read ({exc.strerror})")
        if rejection is not None:
            result.rejected.append((rejection, rejection.size, rejection.stamp))
            continue
        sha = file_sha256(snap.data)
        candidate = Candidate(rel, sha, snap.size, snap.stamp)
        if known is not None and known["sha256"] == sha and known["status"] == "ok":
            result.touched.append(candidate)
        else:
            result.changed.append(candidate)
    for rel, row in ledger.items():
        if rel not in seen:
            if row["status"] == "ok":
                result.gone.append(rel)
            else:
                result.forgotten.append(rel)
    if only is not None and result.gone:
        # The two ends of a move can reach the watcher in different batches, and a gone file may
        # have moved anywhere: look at everything, so that a move is not taken for a delete.
        return scan_raw(layout, state, max_bytes)
    result.gone.sort()
    result.changed.sort(key=lambda c: c.path)
    return result


def _reported(layout: VaultLayout, state: State, only: Collection[str]
              ) -> tuple[dict[str, sqlite3.Row], list[tuple[str, bool]]]:
    """The ledger rows and the files on disk at or below each reported path inside the raw folder."""
    ledger: dict[str, sqlite3.Row] = {}
    found: dict[str, bool] = {}
    for rel in sorted(set(only)):
        if rel != layout.raw and not rel.startswith(layout.raw + "/"):
            continue
        # "0" is the character after "/": the range is everything below `rel`.
        for row in state.db.execute("SELECT * FROM files WHERE path=? OR (path>? AND path<?)",
                                    (rel, rel + "/", rel + "0")):
            ledger[row["path"]] = row
        parts = rel[len(layout.raw):].strip("/").split("/") if rel != layout.raw else []
        if any(is_ignored_name(p) for p in parts) or any(
                os.path.islink(layout.root / layout.raw / "/".join(parts[:i])) for i in range(1, len(parts))):
            continue  # inside a dot-folder or below a symlinked folder: what a full walk never enters
        full = layout.root / rel
        if os.path.islink(full) and os.path.isdir(full):
            found[rel] = True
        elif os.path.isdir(full):
            found.update(_walk(full, rel))
        elif os.path.lexists(full) and is_source_name(rel.rsplit("/", 1)[-1]):
            found[rel] = False
    return ledger, sorted(found.items())


def _walk(root: os.PathLike[str] | str, prefix: str) -> list[tuple[str, bool]]:
    """Notes and PDFs below `root` as vault-relative paths, sorted; symlinked folders flagged."""
    found: list[tuple[str, bool]] = []
    if not os.path.isdir(root):
        return found
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        base = prefix if rel_folder == "." else f"{prefix}/{rel_folder.replace(os.sep, '/')}"
        keep = []
        for d in sorted(dirs):
            if is_ignored_name(d):
                continue
            if os.path.islink(os.path.join(folder, d)):
                found.append((f"{base}/{d}", True))
                continue
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            if is_source_name(name):
                found.append((f"{base}/{name}", False))
    return found

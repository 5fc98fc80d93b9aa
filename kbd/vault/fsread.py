"""Reading a file in the vault without trusting what a path looked like a moment ago.

Check what you opened, not what you looked at: every folder on the way and the file itself are
opened relative to the descriptor of the one before, never following a symlink (a component
swapped for a symlink fails the open instead of leading out of the vault); the file is opened
non-blocking (a FIFO swapped in cannot hang the reader) and `fstat` on the descriptor decides
whether it is a regular file. The bytes are read from that descriptor, and the descriptor's
size and change stamp are compared before and after the read: a file written during the read is
read again, and one that never holds still is reported, so that it is looked at again later.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from kbd.vault.atomic import SymlinkRefused, open_folder

ATTEMPTS = 3
# A file changed within this long before it was read may change again inside one timestamp tick
# (2 s on FAT/exFAT) without its stamp moving: its stamp is not recorded, so it is hashed again.
RACY_NS = 2_000_000_000
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class Unreadable(Exception):
    """A path kbd will not read; `reason` says why in words a person can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Snapshot:
    data: bytes
    size: int
    stamp: int  # change_stamp() of the file read, or 0 when it changed too recently to be trusted


def change_stamp(st: os.stat_result) -> int:
    """mtime or ctime, whichever is later: a copy that restores an old mtime (`cp -p`, rsync -t,
    sync clients) still moves ctime, which nothing but the kernel can set."""
    return max(st.st_mtime_ns, st.st_ctime_ns)


def open_dir_beneath(root: Path | str, parts: tuple[str, ...]) -> int:
    """A descriptor for the folder `root/parts...`, each component opened without following a
    symlink. Raises FileNotFoundError, or Unreadable for a symlinked or non-folder component."""
    try:
        return open_folder(str(root), parts, create=False)
    except SymlinkRefused as exc:
        raise Unreadable(f"{exc} is a symlink or not a folder; kbd does not follow symlinks") from None


def open_beneath(root: Path | str, rel: str) -> int:
    """Open the regular file `root/rel` for reading: no symlink anywhere on the path, no FIFO or
    device (checked on the descriptor). Raises FileNotFoundError or Unreadable."""
    parts = tuple(p for p in rel.split("/") if p)
    if not parts or any(p in (".", "..") for p in parts):
        raise Unreadable("not a plain vault-relative path")
    dir_fd = open_dir_beneath(root, parts[:-1])
    try:
        try:
            fd = os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _NOCTTY | _CLOEXEC, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise Unreadable("symlink; kbd does not follow symlinks") from None
            if exc.errno in (errno.ENXIO, errno.EWOULDBLOCK):
                raise Unreadable("not a regular file (a socket or FIFO)") from None
            raise
    finally:
        os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable("not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_snapshot(root: Path | str, rel: str, max_bytes: int | None = None) -> Snapshot:
    """The bytes of `root/rel` as one consistent version. Raises FileNotFoundError or Unreadable."""
    for _ in range(ATTEMPTS):
        fd = open_beneath(root, rel)
        try:
            before = os.fstat(fd)
            if max_bytes is not None and before.st_size > max_bytes:
                raise Unreadable(f"{before.st_size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit "
                                 "(raise compile.max_note_bytes in kbd/config.yaml to include it)")
            chunks, total = [], 0
            limit = (max_bytes + 1) if max_bytes is not None else None
            while True:
                chunk = os.read(fd, 1 << 20 if limit is None else min(1 << 20, limit - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                if limit is not None and total >= limit:
                    break
            after = os.fstat(fd)
        except OSError as exc:
            raise Unreadable(f"cannot be read ({exc.strerror})") from None
        finally:
            os.close(fd)
        data = b"".join(chunks)
        if max_bytes is not None and len(data) > max_bytes:
            raise Unreadable(f"grew past the {max_bytes / 1e6:g} MB limit while being read")
        if (before.st_size, change_stamp(before)) == (after.st_size, change_stamp(after)) \
                and len(data) == after.st_size:
            racy = change_stamp(after) > time.time_ns() - RACY_NS
            return Snapshot(data, after.st_size, 0 if racy else change_stamp(after))
    raise Unreadable("kept changing while kbd read it; it is read again at its next change or rescan")


def read_optional(root: Path | str, rel: str) -> bytes | None:
    """The bytes of a file kbd manages, None when it does not exist. Raises Unreadable."""
    try:
        return read_snapshot(root, rel).data
    except FileNotFoundError:
        return None

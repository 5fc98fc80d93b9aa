"""Atomic file replacement that cannot lose bytes someone else put there a moment earlier.

Why an exchange and not "check, then rename": a writer that re-hashes the destination and then
renames over it only narrows the window; an edit landing between the check and the rename is
lost without trace (an appender lost its edits to `wiki/index.md` in 10 of 10 trials). Here the
new version is swapped in with `renameat2(RENAME_EXCHANGE)`, which atomically puts the new file
at the destination and the version it displaced at the temp name. The displaced version — the
exact bytes that were at the path at the instant of the swap, not bytes read a moment before —
is then hashed: if it is what kbd expected, it is unlinked; if not, the two are swapped back and
the user's bytes stay where they were. An editor that saves by opening the path (Obsidian,
`>>`, editors writing in place or by rename) either wrote before the swap (its bytes are in the
displaced file and get checked) or after it (on top of kbd's version, where the next scan sees a
user edit). A process that opened the note before the swap and writes through that descriptor
after it writes into the displaced file: so before hashing it, kbd takes a write lease on it
(fcntl F_SETLEASE), which the kernel grants only when no other descriptor anywhere has the file
open, and which keeps anyone from opening it while held. The bytes hashed under the lease are
final. Without leases (other systems, some network filesystems) the displaced file's size and
mtime are compared again after the unlink, and a change found then is put back as the user's.
Creating a file that must not exist yet uses RENAME_NOREPLACE, so a file the user created meanwhile is never replaced.

Where renameat2 is missing (not Linux, or a filesystem that refuses the flags), creation uses
link(2), which never replaces, and replacement falls back to re-hashing the destination just
before `rename`: the window is then narrowed to microseconds, not closed.

Every folder is opened relative to the one above it without following symlinks, so a folder
swapped for a symlink between a check and the write fails the write instead of leading out.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import signal
import stat
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass

from kbd.vault import holdpoint
from kbd.vault.layout import TEMP_SUFFIX

ASIDE_SUFFIX = ".kbd-del"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
_F_SETSIG = 10 if sys.platform.startswith("linux") else None  # fcntl(2) F_SETSIG; not in Python's fcntl
LEASE_WAIT = 2.0


class SymlinkRefused(Exception):
    """A folder on the way, or the file itself, is a symlink or not what it should be."""


@dataclass(frozen=True)
class Replaced:
    ok: bool  # False: the destination held someone else's bytes, which were kept
    size: int = 0
    mtime_ns: int = 0
    conflict: str | None = None  # a name the user's second version was kept under, if any


def sha256_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def temp_name(name: str) -> str:
    return f".{name}{TEMP_SUFFIX}"


def aside_name(name: str) -> str:
    """Where a note being deleted waits while its bytes are checked."""
    return f".{name}{ASIDE_SUFFIX}"


def _renameat2_func() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_renameat2 = _renameat2_func()
_flags_supported = _renameat2 is not None


def renameat2(dir_fd: int, old: str, new: str, flags: int) -> bool:
    """rename(2) with flags inside one folder. False when this system or filesystem cannot."""
    global _flags_supported
    if not _flags_supported or _renameat2 is None:
        return False
    if _renameat2(dir_fd, os.fsencode(old), dir_fd, os.fsencode(new), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        _flags_supported = False
        return False
    raise OSError(err, os.strerror(err), new)


def open_folder(root: str, parts: Collection[str], create: bool) -> int:
    """A descriptor for root/parts, each component opened without following a symlink, missing
    ones created when `create`. Raises SymlinkRefused or FileNotFoundError."""
    fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        done: list[str] = []
        for part in parts:
            done.append(part)
            try:
                nfd = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
                nfd = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise SymlinkRefused("/".join(done)) from None
                raise
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_at(dir_fd: int, name: str) -> bytes | None:
    """The bytes of a regular file in the folder, None if nothing is there; SymlinkRefused for a
    symlink, FIFO or anything else that is not a regular file."""
    try:
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):
            raise SymlinkRefused(name) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SymlinkRefused(name)
        return _read_all(fd)
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def write_temp(dir_fd: int, name: str, data: bytes) -> os.stat_result:
    """Write `data` to the temp file for `name`, fsynced; returns its stat."""
    tmp = temp_name(name)
    try:
        os.unlink(tmp, dir_fd=dir_fd)  # a leftover, or a symlink planted under the temp name
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644, dir_fd=dir_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        return os.fstat(fd)
    finally:
        os.close(fd)


def fsync_folder(dir_fd: int) -> None:
    os.fsync(dir_fd)


def install(dir_fd: int, name: str, data: bytes, expected: Collection[str] | None) -> Replaced:
    """Put `data` at `name` in the folder if what is there now is one of the `expected` hashes
    (None: if nothing is there). Never loses what is there otherwise (see the module doc)."""
    tmp = temp_name(name)
    try:
        st = write_temp(dir_fd, name, data)  # a full disk fails here, and the finally removes the rest
        holdpoint.reach("temp-written")
        if expected is None:
            replaced = _create(dir_fd, tmp, name, st)
        else:
            replaced = _exchange(dir_fd, tmp, name, data, set(expected), st)
        holdpoint.reach("installed")
        return replaced
    finally:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except FileNotFoundError:
            pass


def _create(dir_fd: int, tmp: str, name: str, st: os.stat_result) -> Replaced:
    try:
        if not renameat2(dir_fd, tmp, name, RENAME_NOREPLACE):
            os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except FileExistsError:
        return Replaced(False)  # the user created it meanwhile: theirs
    return Replaced(True, st.st_size, st.st_mtime_ns)


def _exchange(dir_fd: int, tmp: str, name: str, data: bytes, expected: set[str], st: os.stat_result) -> Replaced:
    try:
        swapped = renameat2(dir_fd, tmp, name, RENAME_EXCHANGE)
    except FileNotFoundError:
        return _create(dir_fd, tmp, name, st)  # the user deleted kbd's note meanwhile: write it anew
    if not swapped:
        # No exchange here: re-hash just before the rename (a narrowed window, not a closed one).
        current = read_at(dir_fd, name)
        if current is not None and sha256_bytes(current) not in expected:
            return Replaced(False)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return Replaced(True, st.st_size, st.st_mtime_ns)
    # `tmp` now holds exactly what was at `name` at the instant of the swap.
    try:
        fd = os.open(tmp, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return _swap_back(dir_fd, tmp, name, data)  # a symlink or special file the user put there
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return _swap_back(dir_fd, tmp, name, data)
        leased = _lease(fd)
        if leased is False:
            return _swap_back(dir_fd, tmp, name, data)  # someone keeps writing to it: theirs
        try:
            displaced = _read_all(fd)
            if sha256_bytes(displaced) not in expected:
                return _swap_back(dir_fd, tmp, name, data)
            os.unlink(tmp, dir_fd=dir_fd)
        finally:
            if leased:
                fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        if leased is None:
            after = os.fstat(fd)
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                # Written through a descriptor opened before the swap: those bytes are the user's.
                os.lseek(fd, 0, os.SEEK_SET)
                return _put_back(dir_fd, name, _read_all(fd), sha256_bytes(data))
        return Replaced(True, st.st_size, st.st_mtime_ns)
    finally:
        os.close(fd)


def _lease(fd: int) -> bool | None:
    """Take a write lease on the displaced file: granted only while no other descriptor anywhere
    has it open, and while held, nobody can open it. With it, the bytes hashed are final: no
    writer that opened the note before the swap can still add to them. True: held; False: someone
    kept it open for LEASE_WAIT seconds; None: leases unsupported here (only a stat check then)."""
    if _F_SETSIG is None or not hasattr(fcntl, "F_SETLEASE"):
        return None
    try:
        # A lease break is signalled to the holder, by default with SIGIO, which would end the
        # process: SIGURG is ignored unless handled.
        fcntl.fcntl(fd, _F_SETSIG, signal.SIGURG)
    except OSError:
        return None
    deadline = time.monotonic() + LEASE_WAIT
    while True:
        try:
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
            return True
        except OSError as exc:
            if exc.errno != errno.EAGAIN:
                return None  # EINVAL (filesystem), EACCES (not the owner), ENOLCK: no leases here
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)


def _swap_back(dir_fd: int, tmp: str, name: str, data: bytes) -> Replaced:
    renameat2(dir_fd, tmp, name, RENAME_EXCHANGE)
    # Someone who opened `name` in the instant kbd's version stood there wrote into kbd's file:
    # that is a second version of theirs, kept beside the first rather than thrown away. Read
    # under a lease like the displaced version, so that a write still to come through a
    # descriptor opened then is not lost with kbd's file.
    try:
        fd = os.open(tmp, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return Replaced(False)
    try:
        before = os.fstat(fd)
        leased = _lease(fd)
        try:
            current = _read_all(fd)
        finally:
            if leased:
                fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if current != data or leased is False or (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        conflict = _free_name(dir_fd, name)
        os.rename(tmp, conflict, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return Replaced(False, conflict=conflict)
    return Replaced(False)


def _put_back(dir_fd: int, name: str, users: bytes, ours: str) -> Replaced:
    outcome = install(dir_fd, name, users, {ours})
    if not outcome.ok:
        return outcome
    return Replaced(False)


def _free_name(dir_fd: int, name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    base = stem if dot else name
    for n in range(1, 1000):
        candidate = f"{base} (edited while kbd wrote {n}).{ext}" if dot else f"{base} (edited while kbd wrote {n})"
        try:
            os.lstat(candidate, dir_fd=dir_fd)
        except FileNotFoundError:
            return candidate
    raise FileExistsError(name)


def remove(dir_fd: int, name: str, expected: Collection[str]) -> bool:
    """Unlink `name` if it holds one of the `expected` hashes; otherwise leave it. The file is
    first renamed aside (atomic), so the bytes checked are the bytes removed."""
    aside = aside_name(name)
    try:
        os.rename(name, aside, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except FileNotFoundError:
        return True
    try:
        current = read_at(dir_fd, aside)
    except SymlinkRefused:
        current = None
    if current is not None and sha256_bytes(current) in expected:
        os.unlink(aside, dir_fd=dir_fd)
        return True
    _put_aside_back(dir_fd, aside, name)
    return False


def _put_aside_back(dir_fd: int, aside: str, name: str) -> None:
    """Move user bytes set aside back to `name`, or beside it if the user made a new `name`."""
    try:
        if not renameat2(dir_fd, aside, name, RENAME_NOREPLACE):
            os.link(aside, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
            os.unlink(aside, dir_fd=dir_fd)
    except FileExistsError:
        os.rename(aside, _free_name(dir_fd, name), src_dir_fd=dir_fd, dst_dir_fd=dir_fd)


def recover(dir_fd: int, leftover: str, name: str, known: Collection[str], pending: str | None) -> bool:
    """Deal with a temp or aside file a crash left next to `name`. `known` are the hashes kbd
    wrote there, `pending` the one it was writing. Returns True when user bytes were put back.

    A temp file holds either kbd's unfinished write (removed) or, when the crash fell between an
    exchange and its check, the version the exchange displaced: then `name` holds the pending
    version, and a displaced version that is not kbd's goes back. An aside file is a note a
    delete set aside: put back unless it is kbd's."""
    try:
        data = read_at(dir_fd, leftover)
    except SymlinkRefused:
        data = None  # not something kbd made; its name is kbd's temp name, so it goes
    if data is None or sha256_bytes(data) in known:
        os.unlink(leftover, dir_fd=dir_fd)
        return False
    if leftover.endswith(TEMP_SUFFIX):
        try:
            current = read_at(dir_fd, name)
        except SymlinkRefused:
            current = None
        if pending is None or current is None or sha256_bytes(current) != pending:
            os.unlink(leftover, dir_fd=dir_fd)  # never swapped in: an unfinished write
            return False
        if not renameat2(dir_fd, leftover, name, RENAME_EXCHANGE):
            os.rename(leftover, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            return True
        os.unlink(leftover, dir_fd=dir_fd)
        return True
    _put_aside_back(dir_fd, leftover, name)
    return True

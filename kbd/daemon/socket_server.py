"""The daemon's front door for the CLI: `.kbd/run/daemon.sock`.

While `kbd run` holds the vault lock, `kbd compile`, `ask`, `lint`, `slides`, `monitor`, `skill` and
`adopt` hand their command line to it here (kbd/daemon/client.py) instead of failing on the lock.
The daemon queues it beside its own jobs and runs it on its one worker thread, through the same
CLI code an in-process run uses, so the vault ends the same either way; what the command prints
streams back, its exit code is the CLI's, and the CLI's Ctrl-C (a `cancel` message, or the
connection dropping) stops it at its next safe point (kbd/interrupt.py).

What is handed over is the command line, not a job of the table in kbd/jobs.py: a command has
options a trigger's job has not (a question, --format, --redo, --fix, a deck title), and running the
very handler an in-process run runs is what makes the text, the exit code and the vault the same.
The daemon's own triggers keep going through the job table.

Only the user running the daemon may use it: the socket is 0600 in a 0700 folder, and each
connection's peer uid (SO_PEERCRED) must be the daemon's own.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import stat
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from kbd import interrupt
from kbd.daemon.protocol import (
    CLIENT_MESSAGES,
    HANDED_COMMANDS,
    MAX_MESSAGE,
    LineReader,
    ProtocolError,
    encode,
    out_messages,
    reachable,
    read_message,
    run_request,
    socket_path,
)
from kbd.logs import logging_kept

log = logging.getLogger("kbd.daemon")
FIRST_MESSAGE_SECONDS = 30  # a client that connects and says nothing is dropped after this
# A CLI that stops reading (suspended, or its stdout a full pipe) is given up after this, so that the
# daemon's one worker thread is never stuck on it: its command stops at the next safe point.
SEND_SECONDS = 120
EXIT_FAILURE, EXIT_INTERRUPTED = 1, 130
FrontDoor = Callable[[list[str]], int]

_local = threading.local()  # .job: the HandedJob whose command this thread is running


def peer_refusal(conn: socket.socket, allowed_uid: int) -> str | None:
    """Why the process at the other end of `conn` may not use the daemon, or None when it may."""
    try:
        raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError as exc:
        return f"cannot tell which user is connecting ({exc.strerror})"
    pid, uid, _gid = struct.unpack("3i", raw)
    if uid != allowed_uid:
        return (f"refused: the connecting process (pid {pid}) runs as uid {uid}; this kbd daemon serves uid "
                f"{allowed_uid} only")
    return None


class HandedJob:
    """One command line from the CLI: queued on the daemon, run on its worker thread."""

    def __init__(self, argv: list[str], cwd: str, tty: dict[str, bool], conn: socket.socket) -> None:
        self.argv = argv
        self.cwd = cwd
        self.tty = tty
        self.conn = conn
        self.cancel = threading.Event()
        self.finished = threading.Event()
        self.gone = False  # the CLI stopped reading: its output is dropped
        self._send_lock = threading.Lock()

    @property
    def title(self) -> str:
        return "kbd " + " ".join(self.argv[:1] + [a if len(a) <= 60 else a[:57] + "..." for a in self.argv[1:3]])

    def send(self, kind: str, **fields: Any) -> None:
        self._send([encode(kind, **fields)])

    def write(self, stream: str, text: str) -> None:
        self._send(out_messages(stream, text))

    def _send(self, messages: list[bytes], last: bool = False) -> None:
        with self._send_lock:
            if self.finished.is_set() or self.gone:
                return
            if last:  # set first: the CLI closes the connection as soon as it has this, and that is no Ctrl-C
                self.finished.set()
            try:
                for message in messages:
                    self.conn.sendall(message)
            except OSError:  # the CLI is gone or stuck: nobody is waiting for the rest
                self.gone = True
                self.cancel.set()

    def run(self, front_door: FrontDoor) -> int:
        """Run the command here, as the CLI would have in its own process (worker thread only)."""
        if self.cancel.is_set():  # Ctrl-C, or the CLI went away, while it waited in the queue
            self.write("stderr", "\nkbd: interrupted before the daemon started it; nothing was changed\n")
            return self.finish(EXIT_INTERRUPTED)
        try:
            previous = os.getcwd()
        except OSError:  # the folder the daemon was started in is gone
            previous = "/"
        try:
            # The command's relative paths are the user's: work from their folder. Every other
            # thread of the daemon uses absolute paths, and commands run one at a time.
            os.chdir(self.cwd)
        except OSError as exc:
            self.write("stderr", f"kbd: the daemon cannot work in {self.cwd} ({exc.strerror}); run the command "
                                 "from another folder\n")
            return self.finish(EXIT_FAILURE)
        _local.job = self
        warnings = _WarningsToClient(self)
        logging.getLogger("kbd").addHandler(warnings)
        try:
            with interrupt.scope(self.cancel), logging_kept():
                code = front_door(self.argv)
        except SystemExit as exc:  # argparse's own exit
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else EXIT_FAILURE
        except KeyboardInterrupt:
            code = EXIT_INTERRUPTED
        except Exception as exc:  # a bug in one command must not take the daemon down
            log.exception("%s failed in the daemon", self.title)
            self.write("stderr", f"kbd: {type(exc).__name__}: {exc} (the daemon's log, .kbd/kbd.log, has the "
                                 "details)\n")
            code = EXIT_FAILURE
        finally:
            logging.getLogger("kbd").removeHandler(warnings)
            _local.job = None
            try:
                os.chdir(previous)
            except OSError:
                os.chdir("/")
        return self.finish(code)

    def finish(self, code: int) -> int:
        self._send([encode("exit", code=code)], last=True)
        self.finished.set()
        _close(self.conn)
        return code


class _WarningsToClient(logging.Handler):
    """The warnings the command logs, on the CLI's stderr as an in-process run prints them."""

    def __init__(self, job: HandedJob) -> None:
        super().__init__(logging.WARNING)
        self.job = job
        self.thread = threading.get_ident()
        self.setFormatter(logging.Formatter("kbd: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.job.write("stderr", self.format(record) + "\n")


class _RoutedStream(io.TextIOBase):
    """sys.stdout / sys.stderr of the daemon: what a handed-over command prints (on the worker
    thread) goes to its CLI; everything else to the daemon's own stream."""

    def __init__(self, name: str, own: TextIO) -> None:
        self.name = name
        self.own = own

    def write(self, text: str) -> int:
        job: HandedJob | None = getattr(_local, "job", None)
        if job is None:
            return self.own.write(text)
        job.write(self.name, text)
        return len(text)

    def flush(self) -> None:
        if getattr(_local, "job", None) is None:
            self.own.flush()

    def isatty(self) -> bool:
        job: HandedJob | None = getattr(_local, "job", None)
        return job.tty[self.name] if job is not None else self.own.isatty()

    def fileno(self) -> int:  # for code that writes below Python (faulthandler): the daemon's own
        return self.own.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


class CommandServer:
    """Listens on the socket; each connection is read on its own thread, its command run by `submit`'s taker."""

    def __init__(self, state_dir: Path, submit: Callable[[HandedJob], None]) -> None:
        self.path = socket_path(state_dir)
        self.submit = submit
        self.jobs: set[HandedJob] = set()
        self.jobs_lock = threading.Lock()
        self.listener: socket.socket | None = None
        self._streams: tuple[TextIO, TextIO] | None = None

    def start(self) -> bool:
        """Listen; False (and a log line saying why) when the CLI cannot be served here."""
        if not hasattr(socket, "SO_PEERCRED"):  # no way to check who connects: no socket at all
            log.info("the CLI cannot hand commands to this daemon on this system (no SO_PEERCRED)")
            return False
        try:
            self._prepare()
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            with reachable(self.path) as address:
                listener.bind(address)
            os.chmod(self.path, 0o600)
            listener.listen(16)
        except OSError as exc:
            log.error("commands from the CLI cannot reach this daemon (%s: %s); they wait for the vault lock",
                      self.path, exc.strerror or exc)
            return False
        self.listener = listener
        self._streams = (sys.stdout, sys.stderr)
        sys.stdout = _RoutedStream("stdout", sys.stdout)
        sys.stderr = _RoutedStream("stderr", sys.stderr)
        threading.Thread(target=self._accept, name="kbd-socket", daemon=True).start()
        return True

    def _prepare(self) -> None:
        """The socket's folder, ours and 0700; a socket a killed daemon left there removed (we hold the lock)."""
        folder = self.path.parent
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise OSError(0, f"{folder} is not a folder of this user")
        os.chmod(folder, 0o700)
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(info.st_mode):
            raise OSError(0, f"{self.path} is there and is not a socket; remove it")
        os.unlink(self.path)

    def close(self) -> None:
        """Stop listening and remove the socket; a command still queued is dropped (its CLI says so)."""
        if self.listener is None:
            return
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the listening thread
        except OSError:
            pass
        self.listener.close()
        self.listener = None
        try:
            os.unlink(self.path)
        except OSError:
            pass
        if self._streams is not None:
            sys.stdout, sys.stderr = self._streams
        with self.jobs_lock:
            for job in self.jobs:
                job.finished.set()
                _close(job.conn)

    def cancel_all(self) -> None:
        """The daemon is stopping: the command in hand stops at its next safe point."""
        with self.jobs_lock:
            for job in self.jobs:
                log.info("%s: the daemon is stopping; stopping at the next safe point", job.title)
                job.cancel.set()

    def _accept(self) -> None:
        listener = self.listener
        while listener is not None:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(conn,), name="kbd-cli", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        refusal = peer_refusal(conn, os.getuid())
        if refusal:
            log.warning("socket: %s", refusal)
            _refuse(conn, refusal)
            return
        reader = LineReader(conn)
        try:
            conn.settimeout(FIRST_MESSAGE_SECONDS)
            first = read_message(reader, CLIENT_MESSAGES)
            if first is None:
                _close(conn)
                return
            if first["type"] != "run":
                raise ProtocolError(f"a {first['type']} message before any run message")
            argv, cwd, tty = run_request(first)
            if argv[0] not in HANDED_COMMANDS:
                raise ProtocolError(f"`kbd {argv[0][:40]}` is not a command the daemon runs "
                                    f"(it runs {', '.join(HANDED_COMMANDS)})")
            conn.settimeout(SEND_SECONDS)
        except (ProtocolError, OSError) as exc:
            log.warning("socket: refused a client: %s", exc)
            _refuse(conn, str(exc) if isinstance(exc, ProtocolError) else f"no run message ({exc})")
            return
        job = HandedJob(argv, cwd, tty, conn)
        job.send("accepted", pid=os.getpid())
        with self.jobs_lock:
            self.jobs.add(job)
        log.info("%s: queued for the CLI", job.title)
        self.submit(job)
        self._listen_for_cancel(job, reader)
        job.finished.wait()
        with self.jobs_lock:
            self.jobs.discard(job)

    def _listen_for_cancel(self, job: HandedJob, reader: LineReader) -> None:
        try:
            while not job.finished.is_set():
                try:
                    message = read_message(reader, CLIENT_MESSAGES)
                except TimeoutError:  # the socket's timeout is for sending; a quiet CLI is fine
                    continue
                if message is None:
                    break
                if message["type"] != "cancel":
                    raise ProtocolError(f"a second {message['type']} message on one connection")
                log.info("%s: Ctrl-C in the CLI; stopping at the next safe point", job.title)
                job.cancel.set()
        except (ProtocolError, OSError) as exc:
            if not job.finished.is_set():
                log.warning("socket: %s: %s", job.title, exc)
        if not job.finished.is_set():
            log.info("%s: the CLI went away; stopping at the next safe point", job.title)
            job.cancel.set()


REFUSAL_DRAIN_SECONDS = 2.0  # how long a refused client may go on sending before the connection closes


def _refuse(conn: socket.socket, reason: str) -> None:
    """Send the reason, then read and drop what the client still sends (a bounded amount, for a
    short while) before closing: a client refused as it connects is still writing its request, and
    closing at once failed that write (EPIPE), so it never read why (seen under load)."""
    try:
        conn.sendall(encode("error", message=reason[:MAX_MESSAGE // 2]))
        conn.shutdown(socket.SHUT_WR)
        deadline, left = time.monotonic() + REFUSAL_DRAIN_SECONDS, MAX_MESSAGE
        while left > 0 and (wait := deadline - time.monotonic()) > 0:
            conn.settimeout(wait)
            chunk = conn.recv(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)
    except (OSError, ProtocolError):
        pass
    _close(conn)


def _close(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()

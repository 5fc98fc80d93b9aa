"""The CLI's side of the daemon's socket (kbd/daemon/socket_server.py).

`hand_over` runs a command line in the `kbd run` that holds the vault, printing what it prints and
returning its exit code; None means no daemon answers (no socket, or one a killed daemon left:
the connection is refused), and the command runs in this process as it always did, where the vault
lock says whether anything else holds the vault.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
from pathlib import Path
from typing import Any

from kbd.daemon.protocol import (
    MAX_MESSAGE,
    SERVER_MESSAGES,
    LineReader,
    ProtocolError,
    encode,
    reachable,
    read_message,
    socket_path,
)

EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def socket_refusal(path: Path, uid: int) -> str | None:
    """Why the socket at `path` is not one the user `uid` should talk to (someone else's, or
    reachable by others), or None when it is fine."""
    checks = ((path.parent, stat.S_ISDIR, "folder"), (path, stat.S_ISSOCK, "socket"))
    for where, kind_ok, kind in checks:
        try:
            info = os.lstat(where)
        except OSError as exc:
            return f"{where}: {exc.strerror}"
        if not kind_ok(info.st_mode):
            return f"{where} is not a {kind}"
        if info.st_uid != uid:
            return f"{where} belongs to uid {info.st_uid}, not to you (uid {uid})"
        if info.st_mode & 0o077:
            return (f"{where} has permissions {stat.S_IMODE(info.st_mode):04o}: other users could use it "
                    f"(kbd makes it {'0700' if kind == 'folder' else '0600'})")
    return None


def hand_over(state_dir: Path, argv: list[str]) -> int | None:
    """Run `argv` (a `kbd` command line) in the daemon holding the vault: its exit code, or None
    when no daemon answers and the command should run here."""
    path = socket_path(state_dir)
    if not os.path.lexists(path):
        return None
    refusal = socket_refusal(path, os.getuid())
    if refusal is not None:
        print(f"kbd: not handing the command to the daemon: {refusal}", file=sys.stderr)
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with reachable(path) as address:
            sock.connect(address)
    except OSError:  # no daemon listens (a killed daemon's socket): run here
        sock.close()
        return None
    with sock:
        return _converse(sock, argv)


def _converse(sock: socket.socket, argv: list[str]) -> int:
    try:
        sock.sendall(encode("run", argv=argv, cwd=os.getcwd(),
                            tty={"stdout": sys.stdout.isatty(), "stderr": sys.stderr.isatty()}))
    except ProtocolError as exc:  # a command line over the size limit
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError:
        return _gone([])
    reader = LineReader(sock)
    daemon_pid: list[int] = []
    cancelled = False
    while True:
        try:
            message = read_message(reader, SERVER_MESSAGES)
            if message is None:
                return _gone(daemon_pid)
            code = _take(message, daemon_pid)
            if code is not None:
                return code
        except KeyboardInterrupt:
            if cancelled:  # a second Ctrl-C: stop waiting (the daemon sees the connection close)
                print("\nkbd: interrupted; the daemon stops the command at its next safe point", file=sys.stderr)
                return EXIT_INTERRUPTED
            cancelled = True
            try:
                sock.sendall(encode("cancel"))
            except OSError:
                return _gone(daemon_pid)
        except ProtocolError as exc:
            print(f"kbd: the daemon sent {exc}; the command's outcome is unknown (see .kbd/kbd.log)",
                  file=sys.stderr)
            return EXIT_FAILURE
        except (ConnectionResetError, ConnectionAbortedError):  # not BrokenPipeError: that is our stdout
            return _gone(daemon_pid)


def _take(message: dict[str, Any], daemon_pid: list[int]) -> int | None:
    """Act on one message from the daemon; the command's exit code once it has ended."""
    kind = message["type"]
    if kind == "accepted":
        daemon_pid.append(message["pid"])
    elif kind == "out":
        stream = sys.stdout if message["stream"] == "stdout" else sys.stderr
        stream.write(message["text"])
        stream.flush()
    elif kind == "exit":
        return int(message["code"])
    else:  # error: the daemon refused the request (README: a refusal is exit code 2)
        print(f"kbd: the daemon refused the command: {message['message'][:MAX_MESSAGE]}", file=sys.stderr)
        return EXIT_USAGE
    return None


def _gone(pid: list[int]) -> int:
    who = f"the kbd daemon (pid {pid[0]})" if pid else "the kbd daemon"
    print(f"kbd: {who} stopped before the command finished; what it had written is complete (writes are "
          "atomic) and the rest is still queued: run the command again (with no daemon running, it runs here)",
          file=sys.stderr)
    return EXIT_FAILURE

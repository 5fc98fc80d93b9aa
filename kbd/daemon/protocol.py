"""The wire format between the CLI and `kbd run`, and where its socket lives: one JSON object per line.

Every message carries `v` (the protocol version) and `type`; each side accepts only the types it
expects, with the fields each type must have, and no line over MAX_MESSAGE bytes. Anything else
is a ProtocolError with a reason the other side can print.

  CLI → daemon:  run {argv, cwd, tty: {stdout, stderr}}   then, any time: cancel {}
  daemon → CLI:  accepted {pid}   out {stream, text}…   exit {code}   or   error {message}
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

VERSION = 1
MAX_MESSAGE = 256 * 1024  # bytes per line: a command line, or one piece of a command's output
MAX_ARGS = 1000
STREAMS = ("stdout", "stderr")
# The commands the daemon runs for the CLI: those that need the vault lock it holds.
HANDED_COMMANDS = ("compile", "ask", "lint", "slides", "monitor", "skill", "adopt")
SOCKET_DIR = "run"  # in .kbd/: mode 0700, so nobody else can even reach the socket (0600) in it
SOCKET_NAME = "daemon.sock"

# type → {field: type it must have}
CLIENT_MESSAGES: dict[str, dict[str, type]] = {"run": {"argv": list, "cwd": str, "tty": dict}, "cancel": {}}
SERVER_MESSAGES: dict[str, dict[str, type]] = {"accepted": {"pid": int}, "out": {"stream": str, "text": str},
                                               "exit": {"code": int}, "error": {"message": str}}


class ProtocolError(Exception):
    """A message that is not one this side accepts (the text says why)."""


def encode(kind: str, **fields: Any) -> bytes:
    line = json.dumps({"v": VERSION, "type": kind, **fields}, ensure_ascii=False).encode("utf-8") + b"\n"
    if len(line) > MAX_MESSAGE:
        raise ProtocolError(f"a {kind} message of {len(line)} bytes is over the {MAX_MESSAGE}-byte limit")
    return line


def out_messages(stream: str, text: str) -> list[bytes]:
    """Output as `out` messages, cut so that each stays under the size limit (JSON escaping
    can make a character up to 12 bytes)."""
    step = (MAX_MESSAGE - 200) // 12
    return [encode("out", stream=stream, text=text[i:i + step]) for i in range(0, len(text), step)]


def socket_path(state_dir: Path) -> Path:
    return state_dir / SOCKET_DIR / SOCKET_NAME


@contextmanager
def reachable(path: Path) -> Iterator[str]:
    """An address for `path` within AF_UNIX's limit of 107 bytes: a longer path (a deep vault) is
    reached through a descriptor of its folder (Linux's /proc/self/fd)."""
    if len(os.fsencode(path)) < 100:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


class LineReader:
    """Lines from a socket. The bytes of a line cut short by an exception (Ctrl-C in the CLI)
    stay buffered for the next call, which a file object from socket.makefile does not promise."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def readline(self, limit: int) -> bytes:
        while True:
            end = self.buffer.find(b"\n", 0, limit)
            if end >= 0 or len(self.buffer) >= limit:
                cut = end + 1 if end >= 0 else limit
                line, self.buffer = self.buffer[:cut], self.buffer[cut:]
                return line
            chunk = self.sock.recv(65536)
            if not chunk:
                line, self.buffer = self.buffer, b""
                return line
            self.buffer += chunk


def read_message(reader: LineReader, accepted: dict[str, dict[str, type]]) -> dict[str, Any] | None:
    """The next message, None at the end of the stream; ProtocolError for anything malformed."""
    line = reader.readline(MAX_MESSAGE + 1)
    if not line:
        return None
    if len(line) > MAX_MESSAGE or not line.endswith(b"\n"):
        if len(line) <= MAX_MESSAGE:
            raise ProtocolError("the connection ended in the middle of a message")
        raise ProtocolError(f"a message over the {MAX_MESSAGE}-byte limit")
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("a message that is not JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message that is not a JSON object")
    if message.get("v") != VERSION:
        raise ProtocolError(f"protocol version {message.get('v')!r}, but this kbd speaks version {VERSION} "
                            "(the CLI and `kbd run` come from different kbd versions: restart `kbd run`)")
    kind = message.get("type")
    fields = accepted.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise ProtocolError(f"a message of unknown type {kind!r} (expected {', '.join(accepted)})")
    for name, expected in fields.items():
        if type(message.get(name)) is not expected:
            raise ProtocolError(f"a {kind} message whose {name!r} is not a {expected.__name__}")
    return message


def run_request(message: dict[str, Any]) -> tuple[list[str], str, dict[str, bool]]:
    """The argv, working folder and terminal flags of a `run` message, checked."""
    argv, cwd, tty = message["argv"], message["cwd"], message["tty"]
    if not argv or len(argv) > MAX_ARGS or not all(isinstance(a, str) for a in argv):
        raise ProtocolError(f"a run message whose argv is not 1 to {MAX_ARGS} strings")
    if not cwd.startswith("/"):
        raise ProtocolError("a run message whose cwd is not an absolute path")
    return argv, cwd, {s: tty.get(s) is True for s in STREAMS}

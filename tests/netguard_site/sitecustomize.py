"""The test session's network guard, for every Python process the tests start (tests/netguard.py puts
this folder on PYTHONPATH and names a log file in KBD_TEST_NETGUARD_LOG; Python imports
`sitecustomize` at start-up). Tests talk to 127.0.0.1 only: a lookup of any name but localhost, or a
connection to any address but loopback, is written to the log and refused as an offline machine
would refuse it, and the test that caused it fails (the `loopback_only` fixture reads the log).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

LOG_ENV = "KBD_TEST_NETGUARD_LOG"
_LOCAL_NAMES = {"localhost", "localhost.", "localhost.localdomain", "ip6-localhost", ""}
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local_ip(text: str) -> bool:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _refuse(what: str) -> None:
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {what}\n")
    raise socket.gaierror(socket.EAI_NONAME, f"test network guard: {what} is not loopback")


def _guarded_getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,
                         flags: int = 0) -> list[Any]:
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    if name is None or str(name).lower() in _LOCAL_NAMES:
        return _real_getaddrinfo(host, port, family, type, proto, flags)
    try:  # a numeric address is parsed, not looked up: no network; connect() checks where it goes
        return _real_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
    except socket.gaierror:
        _refuse(f"lookup of {name!r}")
        raise  # unreachable: _refuse raises


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local_ip(str(address[0])):
        _refuse(f"connection to {address[0]!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


def install() -> None:
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


if os.environ.get(LOG_ENV):
    install()

"""The session's network guard (tests/netguard.py): a test, or a kbd process it starts, that looks up a
name other than localhost or connects beyond loopback is refused and would fail. These tests point the
guard's log at their own file, so the refusals they provoke on purpose do not fail them."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.netguard import guard
from tests.page_server import page_server


def test_a_lookup_of_a_public_name_is_refused_and_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "attempts.log"
    monkeypatch.setenv(guard.LOG_ENV, str(log))
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("cdn.example.org", 443)
    with pytest.raises(OSError):
        socket.create_connection(("93.184.215.14", 80), timeout=1)
    assert log.read_text().splitlines()[0].endswith("lookup of 'cdn.example.org'")
    assert "connection to '93.184.215.14'" in log.read_text()


def test_loopback_stays_reachable() -> None:
    with page_server() as site:
        url = site.page("/ok", b"fine", content_type="text/plain")
        host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    assert socket.getaddrinfo("localhost", 80)


def test_a_kbd_child_process_is_guarded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "attempts.log"
    monkeypatch.setenv(guard.LOG_ENV, str(log))
    child = subprocess.run([sys.executable, "-P", "-c", "import socket; socket.getaddrinfo('example.org', 443)"],
                           capture_output=True, text=True, timeout=60)
    assert child.returncode != 0 and "test network guard" in child.stderr
    assert "lookup of 'example.org'" in log.read_text()

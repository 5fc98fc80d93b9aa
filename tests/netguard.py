"""A pytest plugin (loaded with `-p tests.netguard`, pyproject's addopts, before conftest imports kbd,
because kbd/fetch.py binds socket.getaddrinfo when it is imported): tests and the kbd
processes they start reach 127.0.0.1 only. Any attempt to look up another name or connect to another
address is refused and fails the test that made it, naming the host (tests/netguard_site/sitecustomize.py
does the refusing, in this process and, through PYTHONPATH, in every Python child)."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parent / "netguard_site"
_spec = importlib.util.spec_from_file_location("kbd_test_netguard", SITE / "sitecustomize.py")
assert _spec is not None and _spec.loader is not None
guard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guard)

_fd, _log_name = tempfile.mkstemp(prefix="kbd-netguard-", suffix=".log")
os.close(_fd)
LOG = Path(_log_name)
os.environ[guard.LOG_ENV] = str(LOG)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH", "")) if p)
guard.install()


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    start = LOG.stat().st_size
    yield
    with LOG.open("rb") as log:
        log.seek(start)
        attempts = log.read().decode("utf-8", "replace").splitlines()
    if attempts:
        pytest.fail("the test reached for the network beyond 127.0.0.1: " + "; ".join(attempts[:10]), pytrace=False)


def pytest_unconfigure() -> None:
    LOG.unlink(missing_ok=True)

"""`.kbd/kbd.log`: opened with the first record a command logs, so that a command that logs nothing
(most `kbd search` calls) neither opens it nor loads the rotating handler's module."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from kbd.logs import setup_logging
from tests.conftest import Vault


@pytest.fixture
def logged(vault: Vault) -> Iterator[Vault]:
    (vault.root / ".kbd").mkdir(exist_ok=True)  # the state folder is what makes setup_logging add the file
    assert not list((vault.root / ".kbd").glob("kbd.log*"))
    yield vault
    setup_logging(None)  # closes the file handler


def test_a_command_that_logs_nothing_leaves_no_log_file(logged: Vault) -> None:
    setup_logging(logged.root)
    assert not (logged.root / ".kbd/kbd.log").exists()


def test_the_first_record_opens_the_log_and_later_ones_follow_it(logged: Vault) -> None:
    setup_logging(logged.root)
    logging.getLogger("kbd.search").info("search index built: %d notes", 3)
    logging.getLogger("kbd.compile").warning("skipped raw/x.md: not UTF-8")
    lines = (logged.root / ".kbd/kbd.log").read_text(encoding="utf-8").splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO kbd.search: search index built: 3 notes", "WARNING kbd.compile: skipped raw/x.md: not UTF-8"]


def test_a_record_below_the_files_level_does_not_open_it(logged: Vault) -> None:
    setup_logging(logged.root)
    logging.getLogger("kbd.search").debug("a detail")
    assert not (logged.root / ".kbd/kbd.log").exists()


def test_a_log_that_cannot_be_written_is_said_once_and_the_command_goes_on(
        logged: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    (logged.root / ".kbd/kbd.log").mkdir()
    setup_logging(logged.root)
    logging.getLogger("kbd.search").info("search index built: %d notes", 3)
    logging.getLogger("kbd.compile").warning("skipped raw/x.md: not UTF-8")
    err = capsys.readouterr().err
    assert err.count("cannot write the log") == 1 and "kbd.log (Is a directory); going on without it" in err
    assert "kbd: skipped raw/x.md: not UTF-8" in err and "Traceback" not in err and "Logging error" not in err

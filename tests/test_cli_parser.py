"""`kbd COMMAND ...` builds the parser of that command only (its module is all a `kbd search` call
loads of the CLI); what the user sees is the same as with every command's parser."""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import pytest

from kbd.cli import COMMANDS, _parser, main


def subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


@pytest.mark.parametrize("name", [command for command, _ in COMMANDS])
def test_a_command_parsed_alone_has_the_usage_and_options_it_has_among_all(name: str) -> None:
    assert subcommand(_parser(name), name).format_help() == subcommand(_parser(), name).format_help()


def test_kbd_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    listed = capsys.readouterr().out
    assert all(f"\n    {command} " in listed for command, _ in COMMANDS)


def test_a_mistyped_command_is_answered_with_the_commands_there_are(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["serch", "~/Vault", "sleep"])
    assert stop.value.code == 2
    assert "invalid choice: 'serch' (choose from 'init', 'compile', 'plan', 'doctor', 'status', 'search'," \
        in capsys.readouterr().err


def test_a_bad_option_of_a_command_names_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["search", "~/Vault", "sleep", "--limit", "zero"])
    assert stop.value.code == 2
    assert "kbd search: error: argument -n/--limit: 'zero' is not a number" in capsys.readouterr().err


def test_an_error_while_state_dbs_module_is_half_imported_is_reported_as_itself(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Another thread (a `kbd serve` request) may be importing kbd.state when an error reaches the CLI."""
    monkeypatch.setitem(sys.modules, "kbd.state", types.ModuleType("kbd.state"))
    assert main(["search", "/no/such/vault", "sleep"], hand_over=False) == 2
    assert "/no/such/vault does not exist" in capsys.readouterr().err


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    vault = tmp_path / "Vault"
    assert main(["init", str(vault), "--samples"], hand_over=False) == 0
    return vault


def test_a_query_after_an_option_is_the_query(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["search", str(samples), "-n", "1", "write-ahead"], hand_over=False) == 0
    assert capsys.readouterr().out.startswith(" 1. ")


def test_a_question_after_an_option_is_the_question(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["ask", str(samples), "--no-file", "--json", "what is a write-ahead log"], hand_over=False) == 0
    assert json.loads(capsys.readouterr().out)["question"] == "what is a write-ahead log"


def test_words_left_over_are_refused_with_the_advice_to_quote(samples: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["search", str(samples), "write-ahead", "log"], hand_over=False)
    assert stop.value.code == 2
    assert "unrecognized arguments: log (quote the query when it has spaces)" in capsys.readouterr().err

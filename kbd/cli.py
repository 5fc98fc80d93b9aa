"""The `kbd` command: assembles the parser from the command modules that live with each feature
(kbd/<feature>/cli.py, kbd/init.py, kbd/doctor.py) and turns what they raise into exit codes.
A command that needs the vault lock is handed to a running `kbd run` first (kbd/daemon/client.py)."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import select
import sys
from pathlib import Path

import kbd.features  # noqa: F401  (every feature's config section is registered before a command reads the config)
from kbd import __version__
from kbd.commandline import EXIT_FAILURE, EXIT_USAGE, UsageError
from kbd.config import ConfigError
from kbd.lock import VaultBusy
from kbd.vault.errors import WriteRefused
from kbd.vault.layout import STATE_DIR, enclosing_vault

DESCRIPTION = """\
kbd turns an Obsidian vault of clipped articles into a self-maintaining wiki.

  kbd init ~/Vault --samples   lay out a vault (raw/, wiki/, kbd/) with three sample clippings
  kbd compile ~/Vault          summarise new and changed clippings into wiki/ (no API key needed)
  kbd plan ~/Vault             what a compile would do and cost, before spending anything
  kbd status ~/Vault           what is in the wiki, what was skipped and why
  kbd search ~/Vault "query"   full-text search over every note (--json for other tools)
  kbd serve ~/Vault            the search page on http://127.0.0.1:8765/, opens notes in Obsidian
  kbd mcp ~/Vault              search and read notes as MCP tools for another agent (stdio)
  kbd doctor ~/Vault           check config, folders, keys and model endpoints
  kbd adopt NOTE               hand a generated note you edited back to kbd
  kbd skill ~/Vault NAME       run a custom skill of kbd/skills/ (cost shown first; --plan to only look)
  kbd ask ~/Vault "question"   answer from the wiki with checked citations; file it in wiki/answers/
  kbd slides ~/Vault "Title"   a Marp deck in wiki/slides/ from what the wiki says
  kbd lint ~/Vault             health checks; a report whose ticked boxes kbd applies
  kbd monitor ~/Vault          check the web pages config.yaml monitors; report what changed
  kbd run ~/Vault              stay running: compile on every clip, run config.yaml triggers
  kbd service install ~/Vault  start `kbd run` at login (systemd user unit / launchd agent)

Clip articles into raw/ (Obsidian Web Clipper can save there directly), run `kbd compile`, and
read wiki/index.md in Obsidian. Nothing under raw/ is ever modified (a web monitor with
`ingest: true` only adds its own notes there).
"""


# Each command with the function that adds it to the parser ("module:function"), in the order
# `kbd --help` lists them. A module is imported when the parser needs it: `kbd search` loads no
# other command's module, a cost every search call would pay (docs/performance.md).
COMMANDS = (
    ("init", "kbd.init:add_init"),
    ("compile", "kbd.compile.cli:add_compile"),
    ("plan", "kbd.compile.cli:add_plan"),
    ("doctor", "kbd.doctor:add_doctor"),
    ("status", "kbd.compile.cli:add_status"),
    ("search", "kbd.search:add_search"),
    ("ask", "kbd.ask.cli:add_ask"),
    ("slides", "kbd.ask.cli:add_slides"),
    ("serve", "kbd.serve.cli:add_serve"),
    ("mcp", "kbd.serve.cli:add_mcp"),
    ("adopt", "kbd.compile.cli:add_adopt"),
    ("lint", "kbd.lint.cli:add_lint"),
    ("monitor", "kbd.monitor.cli:add_monitor"),
    ("run", "kbd.daemon.cli:add_run"),
    ("skill", "kbd.custom_skills.cli:add_skill"),
    ("service", "kbd.daemon.cli:add_service"),
)


def main(argv: list[str] | None = None, hand_over: bool = True) -> int:
    """`hand_over=False`: never pass the command to a daemon (the daemon itself runs it so)."""
    words = sys.argv[1:] if argv is None else argv
    parser = _parser(words[0] if words else None)
    args = _parse(parser, words)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        if hand_over and (vault := _daemon_vault(args)) is not None:
            from kbd.daemon.client import hand_over as to_daemon

            code = to_daemon(vault / STATE_DIR, words)
            if code is not None:
                return code
        return args.handler(args)
    except ConfigError as exc:
        print(f"kbd: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # A refusal, not a failed job: README's exit code 2.
    except (UsageError, VaultBusy, *_loaded("kbd.state", "StateError")) as exc:
        hint = "; `kbd ask --no-file` answers now without filing" if isinstance(exc, VaultBusy) and \
            args.command == "ask" else ""
        print(f"kbd: {exc}{hint}", file=sys.stderr)
        return EXIT_USAGE
    except WriteRefused as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except _loaded("sqlite3", "Error") as exc:
        print(f"kbd: the state database in {STATE_DIR}/ cannot be used ({exc}); check that the folder is "
              "writable and the disk is not full", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError as exc:
        if not _stdout_reader_gone():  # some other pipe: an error like any other
            print(f"kbd: {_os_error(exc)}", file=sys.stderr)
            return EXIT_FAILURE
        # `kbd status --json | head`: the reader stopped reading. Exit as `cat` does (128 + SIGPIPE),
        # with no message, and keep Python from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        print(f"kbd: {_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("\nkbd: interrupted; run the command again to finish (nothing is half-written)", file=sys.stderr)
        return 130


def _parse(parser: argparse.ArgumentParser, words: list[str]) -> argparse.Namespace:
    """argparse matches a command's positionals before its first option, so `kbd ask VAULT --no-file
    "question"` read VAULT and no question, then refused "question". A command's late positional
    (`late_positional` in its defaults) left empty takes the one word left over."""
    args, extra = parser.parse_known_args(words)
    late = getattr(args, "late_positional", None)
    if late and len(extra) == 1 and not extra[0].startswith("-") and getattr(args, late) is None:
        setattr(args, late, extra[0])
    elif extra:
        hint = f" (quote the {late} when it has spaces)" if late else ""
        parser.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    return args


def _loaded(module: str, name: str) -> tuple[type[BaseException], ...]:
    """The exception class `module.name` if that module is loaded, else none: no exception of a module
    never loaded can be raised, and `kbd search` need not load sqlite3 and state.db's code to catch them."""
    found = getattr(sys.modules.get(module), name, None)  # None too while another thread is importing it
    return (found,) if isinstance(found, type) else ()


def _daemon_vault(args: argparse.Namespace) -> Path | None:
    """The vault of a command that needs the vault lock (a `kbd run` holding it runs the command, see
    kbd/daemon/client.py); None for a command that reads only or runs anywhere."""
    command = args.command
    if command == "adopt":
        return enclosing_vault(args.notes[0].expanduser().resolve())
    if command == "skill":
        return None if args.plan else Path(args.where[0] if len(args.where) == 2 else ".").expanduser().resolve()
    if command == "ask" and not args.refresh_stale and (args.plan or not args.file):
        return None
    if command in ("compile", "ask", "lint", "slides", "monitor"):
        return args.vault.expanduser().resolve()
    return None


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (poll reports an error on its write end)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), 0)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no poll (Windows), or stdout is not a file
        return False


def _os_error(exc: OSError) -> str:
    """A file-system failure in words: what failed, where, and what to do (never a traceback)."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return (f"{exc.strerror}{where}: the disk is full or a file-size limit was reached; nothing was left "
                "half-written; free some space and run the command again")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{exc.strerror}{where}: kbd needs to write there; check its permissions"
    return f"{exc.strerror or exc}{where}"


def _parser(first_word: str | None = None) -> argparse.ArgumentParser:
    """The `kbd` parser; when the command line starts with a command's name, with that command
    only (its usage and errors read the same; `kbd --help` and a mistyped command get them all)."""
    parser = argparse.ArgumentParser(prog="kbd", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"kbd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = [entry for entry in COMMANDS if entry[0] == first_word]
    for name, where in named or COMMANDS:
        module, _, adder = where.partition(":")
        add = getattr(importlib.import_module(module), adder)
        if name == "run":  # the daemon runs a command a CLI hands it through this front door
            add(sub, front_door=lambda argv: main(argv, hand_over=False))
        else:
            add(sub)
    return parser

"""The `kbd` command: argument parsing and printing only; the work happens in the modules."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import shlex
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbd import __version__
from kbd.config import Config, ConfigError, load_config
from kbd.lock import VaultBusy
from kbd.logs import setup_logging
from kbd.state import StateError
from kbd.vault.errors import WriteRefused
from kbd.vault.layout import STATE_DIR, VaultLayout, enclosing_vault

if TYPE_CHECKING:
    from kbd.compile.run import CompileReport
    from kbd.plan import Plan

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
NOTE_TYPES = ("source", "concept", "answer", "slides", "report", "raw", "note")  # = kbd.search.notes.NOTE_TYPES
MODES = ("bm25", "hybrid")


class UsageError(Exception):
    """The command cannot run as given (no vault there, a note outside the vault): exit code 2."""

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


SKILL_HELP = """\
Run a custom skill: a prompt file you write in kbd/skills/NAME.md that says what to read
(`reads: {glob: ...}` or `reads: {search: ...}`), the output schema, and the report it writes
(`writes: {report: TITLE}` → wiki/reports/TITLE YYYY-MM-DD.md, or `writes: {note: PATH, region: NAME}`
→ between the `%% kbd:begin NAME %%` / `%% kbd:end NAME %%` lines you put in your note). The README
has two examples.

  kbd skill ~/Vault weekly_digest --plan   what it would read and cost; spends nothing
  kbd skill ~/Vault weekly_digest          show that, then run it (budget caps apply)

A trigger runs it on a schedule: `- {name: digest, on: {cron: "0 8 * * 1"}, run: skill:weekly_digest}`.
It needs a model (`models:` in kbd/config.yaml). Exit status: 0 done, 1 the run failed or was
paused by the budget, 2 no such skill, a broken skill file, or no model configured."""


SEARCH_HELP = """\
Search every markdown note of the vault: wiki notes, raw clippings and your own notes.
Results are ranked by BM25F (a word in a title or heading counts more than one in passing).

  kbd search ~/Vault "sleep memory"         notes with these words, best first
  kbd search ~/Vault '"deep sleep"'         an exact phrase
  kbd search ~/Vault "circad*"              words starting with circad
  kbd search ~/Vault "tag:health type:source"   by tag (nested tags included) and note type
  kbd search ~/Vault "title:sleep in:raw"   in titles only; notes in the raw folder
  kbd search ~/Vault "sleep NOT coffee"     AND, OR, NOT and (parentheses) work too

Words are matched by stem and without accents (sleeping = sleep, cafe = café). When nothing
matches, the closest known spelling is tried and shown as "did you mean".
With search.embeddings set in kbd/config.yaml (e.g. nomic-embed-text with Ollama), results
also come by meaning (--mode hybrid, then the default): every passage of every note is
embedded once, and a query finds notes that share no word with it. Queries with field
filters or NOT are ranked by words alone; --mode bm25 never uses the network.
The index lives in .kbd/search/ and keeps itself current; --rebuild is rarely needed.
Exit status: 0 found, 1 nothing found, 2 usage error."""


ASK_HELP = """\
Answer a question from the wiki. Search picks the best notes, their links lead to concept and
source notes, and the best passages (within ask.context_tokens) go to the model, which answers in
claims that each quote the note they rest on. kbd checks every quote against its note, asks once
for a repair, and drops what is still unsupported. Without a model (no `models:` in the config)
the answer is extractive: the best passages, quoted and cited.

  kbd ask ~/Vault "Why do B-trees stay shallow?"            answer and file wiki/answers/<question>.md
  kbd ask ~/Vault "Why do B-trees stay shallow?" --plan     notes, tokens and cost; spends nothing
  kbd ask ~/Vault "What is a WAL?" --no-file --json         print only, machine-readable

Asking the same question again updates the same note, unless you edited it. When a note an
answer cites changes, the answer is marked stale (`stale: true`, listed in Status.md):

  kbd ask ~/Vault --refresh-stale                           ask the stale ones again, within the budget

In Obsidian: drop a note into kbd/questions/ while `kbd run` is going; the answer's link appears
in the note, between %% kbd:begin answer %% and %% kbd:end answer %%.
Exit status: 0 answered, 1 no answer or not filed (or the model failed), 2 usage error."""


MONITOR_HELP = """\
Fetch each monitored page now and compare its main text with the last check. A change writes a
report note, wiki/reports/Monitor NAME YYYY-MM-DD HHMM.md (with a model: what changed and why it
matters; always the added and removed paragraphs). An unchanged page writes nothing; Status.md
shows when it was last checked. With `ingest: true` the new version is also saved under raw/
for compile. Monitors are triggers in kbd/config.yaml:

  triggers:
    - name: acme-pricing
      on: {url: "https://acme.example/pricing", every: 6h}
      with: {ingest: true}

Only http(s) pages on public addresses are fetched (monitor.allow_private_networks: true allows
private ones); size and time are capped (monitor.max_bytes, monitor.timeout_seconds).
Exit status: 0 every check worked, 1 a page could not be fetched or read, 2 usage or config error."""


SLIDES_HELP = """\
Make a Marp slide deck in wiki/slides/ from what the wiki says, with its sources, speaker notes and,
when the sources state comparable numbers, a chart. Open it in Obsidian with the Marp Slides
plugin, or render it with marp-cli (`marp --html wiki/slides/Deck.md`).

  kbd slides ~/Vault "Sleep and mood"                     a deck of the notes that match the title
  kbd slides ~/Vault "Body clocks" --concept "Circadian rhythm"   from a concept article and its sources
  kbd slides ~/Vault --from "wiki/answers/Does exercise help.md"  from an answer (or any note)
  kbd slides ~/Vault                                      refresh the decks listed under `decks:`

Without a model the deck is extractive (the sources' own sentences); with `models:` the worker model
writes it and kbd checks every slide against the passages it cites. A deck is made again only when
a note it draws from changed (--force makes it anyway); `kbd run` keeps the config's decks current.
Exit status: 0 every deck made or current, 1 a deck could not be made, 2 usage error."""


def main(argv: list[str] | None = None, hand_over: bool = True) -> int:
    """`hand_over=False`: never pass the command to a daemon (the daemon itself runs it so)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        if hand_over and (vault := _daemon_vault(args)) is not None:
            from kbd.daemon.client import hand_over as to_daemon

            code = to_daemon(vault / STATE_DIR, sys.argv[1:] if argv is None else argv)
            if code is not None:
                return code
        return args.handler(args)
    except ConfigError as exc:
        print(f"kbd: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, VaultBusy, StateError) as exc:  # a refusal, not a failed job: README's exit code 2
        hint = "; `kbd ask --no-file` answers now without filing" if isinstance(exc, VaultBusy) and \
            args.command == "ask" else ""
        print(f"kbd: {exc}{hint}", file=sys.stderr)
        return EXIT_USAGE
    except WriteRefused as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except sqlite3.Error as exc:
        print(f"kbd: the state database in {STATE_DIR}/ cannot be used ({exc}); check that the folder is "
              "writable and the disk is not full", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:
        print(f"kbd: {_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("\nkbd: interrupted; run the command again to finish (nothing is half-written)", file=sys.stderr)
        return 130


def _daemon_vault(args: argparse.Namespace) -> Path | None:
    """The vault of a command that needs the vault lock (a `kbd run` holding it runs the command, see
    kbd/daemon/client.py); None for a command that reads only or runs anywhere."""
    command = args.command
    if command == "adopt":
        return _find_vault(args.notes[0].expanduser().resolve())
    if command == "skill":
        return None if args.plan else Path(args.where[0] if len(args.where) == 2 else ".").expanduser().resolve()
    if command == "ask" and not args.refresh_stale and (args.plan or not args.file):
        return None
    if command in ("compile", "ask", "lint", "slides", "monitor"):
        return args.vault.expanduser().resolve()
    return None


def _os_error(exc: OSError) -> str:
    """A file-system failure in words: what failed, where, and what to do (never a traceback)."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return (f"{exc.strerror}{where}: the disk is full or a file-size limit was reached; nothing was left "
                "half-written; free some space and run the command again")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{exc.strerror}{where}: kbd needs to write there; check its permissions"
    return f"{exc.strerror or exc}{where}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kbd", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"kbd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="create the vault layout; never overwrites a file",
                       description="Create raw/, wiki/, kbd/config.yaml and kbd/constraints.md in VAULT. "
                                   "Existing files are left exactly as they are.")
    p.add_argument("vault", type=Path, help="vault folder (created if missing)")
    p.add_argument("--samples", action="store_true", help="also add three sample clippings to raw/")
    p.add_argument("--model", metavar="SERVER:MODEL", help="a model on this machine, e.g. ollama:qwen3:8b (servers: "
                   "ollama, llama.cpp, lmstudio, vllm): its preset goes into a new kbd/config.yaml")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("compile", help="compile new and changed clippings into the wiki",
                       description="Summarise new and changed raw notes, update concept articles, index.md, "
                                   "log.md and wiki/reports/Status.md. Unchanged notes cost nothing; a run "
                                   "that is interrupted resumes where it stopped.")
    _vault_args(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
    p.add_argument("-v", "--verbose", action="store_true", help="also print progress details to stderr")
    p.add_argument("--redo", nargs="?", const="stale", metavar="stale|all",
                   help="also summarise again the notes an older engine made (another model, skill or "
                        "kbd/constraints.md; `kbd plan` shows how many and the cost), or with --redo=all every "
                        "note; notes you edited are left alone and the budget caps apply")
    p.add_argument("--limit", type=_positive, metavar="N", help="with --redo: redo at most N notes this run")
    p.add_argument("--batch", action="store_true",
                   help="send the queued summaries through the provider's batch interface (half price, answers "
                        "within 24 h); later runs of `kbd compile` or `kbd run` collect them")
    p.set_defaults(handler=cmd_compile)

    p = sub.add_parser("plan", help="what a compile would do and cost; spends nothing",
                       description="List the clippings a compile would summarise, the model calls and tokens "
                                   "each would take and the estimated cost, against your budget. Reads only.")
    _vault_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_plan)

    p = sub.add_parser("doctor", help="check the config, folders, state, keys and model endpoints",
                       description="Check that the vault is ready: config valid, folders present, state.db "
                                   "readable, and for each model that its key variable is set, its endpoint "
                                   "answers and accepts the key (a free model-list request), and one tiny real "
                                   "structured request succeeds (a few dozen tokens, within the budget). Creates "
                                   "nothing. Exit 1 if a check fails, 2 if VAULT is not a vault or its config is "
                                   "invalid.")
    _vault_args(p)
    p.add_argument("--no-network", action="store_true", help="make no request to any model endpoint")
    p.set_defaults(handler=cmd_doctor)

    p = sub.add_parser("status", help="show what the wiki holds and what needs attention",
                       description="Counts, the last run, skipped files with reasons, notes you edited, "
                                   "failed jobs. The same is in wiki/reports/Status.md.")
    _vault_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("search", help="search every note of the vault",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description=SEARCH_HELP)
    p.add_argument("vault", type=Path, help="vault folder (`.` for here)")
    p.add_argument("query", nargs="?", help="what to look for (quote it when it has spaces)")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.add_argument("-n", "--limit", type=_positive, default=10, metavar="N", help="show N results (default 10)")
    p.add_argument("--type", dest="note_type", choices=NOTE_TYPES, help="only notes of this type")
    p.add_argument("--json", action="store_true", help="machine-readable output (schema in the README)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the index from the notes first "
                                                          "(rarely needed: it heals itself)")
    p.add_argument("--mode", choices=MODES,
                   help="bm25 (words only, offline) or hybrid (words and meaning, by embeddings); the default is "
                        "hybrid when search.embeddings names a model in kbd/config.yaml, else bm25")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("ask", help="answer a question from the wiki, with citations, and file the answer",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description=ASK_HELP)
    p.add_argument("vault", type=Path, help="vault folder (`.` for here)")
    p.add_argument("question", nargs="?", help="the question (quote it)")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.add_argument("--refresh-stale", action="store_true",
                   help="instead of a question: ask again every answer a changed note made stale (listed in "
                        "Status.md), until a spending cap stops it")
    p.add_argument("--plan", action="store_true", help="show the notes and passages chosen, the tokens and the "
                                                       "estimated cost; no model call, nothing written")
    p.add_argument("--no-file", dest="file", action="store_false", help="print the answer; write nothing into "
                                                                        "the vault")
    p.add_argument("--json", action="store_true", help="machine-readable output (schema in the README)")
    p.add_argument("--format", choices=("md", "marp"), default="md",
                   help="md: an answer note in wiki/answers/ (default); marp: a slide deck in wiki/slides/")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("slides", help="make a Marp slide deck from the wiki, or refresh the decks in the config",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description=SLIDES_HELP)
    p.add_argument("vault", type=Path, help="vault folder (`.` for here)")
    p.add_argument("title", nargs="?", help="the deck's title, also what it searches for (quote it); leave it "
                                            "out to refresh every deck under `decks:` in the config")
    p.add_argument("--concept", metavar="NAME", help="make the deck from this concept article and its sources")
    p.add_argument("--from", dest="note", metavar="NOTE", help="make the deck from this note (an answer in "
                                                              "wiki/answers/, usually)")
    p.add_argument("--max-slides", type=int, default=12, metavar="N",
                   help="at most N slides, the title and Sources slides included (default 12)")
    p.add_argument("--force", action="store_true", help="make the deck again even if no note it draws from changed")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_slides)

    p = sub.add_parser("serve", help="a local search page that opens notes in Obsidian",
                       description="Serve a search page for the vault: results as you type, type filters, a "
                                   "safe preview of each note, links that open it in Obsidian, and the status "
                                   "report. Listens on 127.0.0.1 only (your machine) unless --host says "
                                   "otherwise. Read-only. Ctrl-C stops it.")
    _vault_args(p)
    p.add_argument("--port", type=_port, default=8765, help="port to listen on (default 8765; 0: any free port)")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1); anything but loopback exposes "
                                  "your notes, with no login, to whoever can reach it")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("mcp", help="serve search and notes to another agent over MCP (stdio)",
                       description="Run a Model Context Protocol server on stdin/stdout with the tools search, "
                                   "read_note and list_notes (read-only, inside the vault only). Add it to an "
                                   "MCP client (Claude Code, Codex, ...) as the command `kbd mcp VAULT`. "
                                   "Needs the optional extra: pip install 'kbd[mcp]'.")
    _vault_args(p)
    p.set_defaults(handler=cmd_mcp)

    p = sub.add_parser("adopt", help="hand a generated note you edited back to kbd",
                       description="kbd never overwrites a generated note you edited; it lists it in "
                                   "Status.md instead. `kbd adopt NOTE` hands it back: your edits are "
                                   "replaced by a freshly generated note.")
    p.add_argument("notes", nargs="+", type=Path, help="path of the note (absolute, or relative to here)")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.set_defaults(handler=cmd_adopt)

    p = sub.add_parser("lint", help="check the whole vault and write a report with fixes to tick",
                       description=LINT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _vault_args(p)
    p.add_argument("--json", action="store_true", help="print the findings as JSON (schema version 1)")
    p.add_argument("--fix", action="store_true", help="apply every safe fix now, as if each box were ticked")
    p.add_argument("--no-write", action="store_true", help="do not write the report note (nor apply ticks)")
    p.set_defaults(handler=cmd_lint)

    p = sub.add_parser("monitor", help="check the web pages the config monitors, now",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description=MONITOR_HELP)
    p.add_argument("vault", type=Path, nargs="?", default=Path("."), help="vault folder (default: here)")
    p.add_argument("name", nargs="?", help="check only this monitor (the trigger's name); default: all")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_monitor)

    p = sub.add_parser("run", help="stay running: watch the vault and run triggers",
                       description="Watch the vault and compile each clipping about two seconds after it lands; "
                                   "run the triggers in kbd/config.yaml (cron, every, start, files); reload the "
                                   "config when you save it. Ctrl-C or SIGTERM stop it cleanly; unfinished work "
                                   "is resumed on the next start. One `kbd run` per vault.")
    _vault_args(p)
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("skill", help="run a custom skill of kbd/skills/ now (cost shown first)",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description=SKILL_HELP)
    p.add_argument("where", nargs="+", metavar="[VAULT] NAME", help="vault folder (default: here) and skill name")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.add_argument("--plan", action="store_true", help="only show what it would read and cost; spend nothing")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_skill)

    p = sub.add_parser("service", help="run kbd at login", description="Manage running `kbd run` at login.")
    service = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    s_install = service.add_parser("install", help="write a systemd user unit (Linux) or launchd agent (macOS)",
                                   description="Write a service file that runs `kbd run VAULT` at login and "
                                               "restarts it if it fails, then print the command that enables it.")
    s_install.add_argument("vault", type=Path, nargs="?", default=Path("."), help="vault folder (default: here)")
    s_install.add_argument("--force", action="store_true", help="replace an existing service file")
    s_install.set_defaults(handler=cmd_service_install)
    return parser


def _vault_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("vault", type=Path, nargs="?", default=Path("."), help="vault folder (default: here)")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")


def _open_vault(vault: Path, config_path: Path | None, command: str, create_state: bool = True
                ) -> tuple[Path, Config]:
    """The vault root and its config, or a ConfigError whose advice fits where the user is.
    Read-only commands pass `create_state=False`: they must not leave a `.kbd/` behind."""
    root = vault.expanduser().resolve()
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise UsageError(f"{vault} {what}; check the path, or create a vault there with `kbd init {vault}`")
    config = load_config(root, config_path)
    layout = VaultLayout.from_config(root, config)
    if not layout.abs(layout.raw).is_dir():
        enclosing = enclosing_vault(root)
        if enclosing is not None:
            raise UsageError(f"{root} is inside the vault {enclosing}, not a vault itself; run the command on "
                              f"the vault: `kbd {command} {_shown(enclosing)}`")
        raise UsageError(f"{root} has no {layout.raw}/ folder, so it is not a kbd vault yet; "
                          f"run `kbd init {_shown(root)}` first (it creates {layout.raw}/ and changes no "
                          "existing file)")
    if create_state:
        (root / STATE_DIR).mkdir(exist_ok=True)
    return root, config


def _shown(path: Path) -> str:
    """`path` as the user would type it from here: relative when at or below the working folder."""
    cwd = Path.cwd().resolve()
    if path.is_relative_to(cwd):
        return shlex.quote(str(path.relative_to(cwd))) if path != cwd else "."
    if cwd.is_relative_to(path):
        return "/".join([".."] * len(cwd.relative_to(path).parts))
    return shlex.quote(str(path))


def cmd_init(args: argparse.Namespace) -> int:
    from kbd.init import init_vault

    root = args.vault.expanduser()
    enclosing = enclosing_vault(root.resolve())
    if enclosing is not None:
        raise UsageError(f"{root} is inside the vault {enclosing}; a vault inside a vault would compile its notes "
                         f"twice. Run kbd on {_shown(enclosing)}, or pick a folder outside it")
    models = ""
    if args.model:
        from kbd.engines.presets import models_block, parse_model, server_context

        try:
            preset, model = parse_model(args.model)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        models = models_block(preset, model, server_context(preset, model))
    report = init_vault(root, samples=args.samples, models=models)
    for rel in report.created:
        print(f"  created {rel}")
    for rel in report.kept:
        print(f"  kept    {rel} (already there)")
    if report.models_written:
        print(f"kbd: kbd/config.yaml uses {args.model} on this machine; `kbd doctor {_shown(root.resolve())}` checks "
              "that the server answers and which structured mode it takes")
    if models and not report.models_written:
        print("kbd: kbd/config.yaml was already there and is left as it is; to use the model, put this in it:\n"
              + models)
    shown = _shown(root.resolve())
    print(f"kbd: vault ready at {shown}; clip articles into {report.raw}/ and run `kbd compile {shown}`")
    return EXIT_OK


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of notes, 1 or more, got {text!r}")
    return value


def counted(n: int, noun: str) -> str:
    from kbd.render.notes import counted as render_counted  # imported when used: it slowed every command's start

    return render_counted(n, noun)


def cmd_compile(args: argparse.Namespace) -> int:
    from kbd.compile.run import CompileOptions, compile_vault

    if args.redo not in (None, "stale", "all"):
        if args.vault != Path("."):
            print(f"kbd: --redo takes stale or all, not {args.redo!r}", file=sys.stderr)
            return EXIT_USAGE
        args.vault, args.redo = Path(args.redo), "stale"  # `kbd compile --redo ~/Vault`
    if args.limit is not None and not args.redo:
        print("kbd: --limit goes with --redo (e.g. `kbd compile --redo --limit 20`)", file=sys.stderr)
        return EXIT_USAGE
    root, config = _open_vault(args.vault, args.config, "compile")
    setup_logging(root, verbose=args.verbose)
    progress = _Progress() if sys.stderr.isatty() and not args.quiet else None
    try:
        report = compile_vault(root, config, progress=progress,
                               options=CompileOptions(redo=args.redo, limit=args.limit, batch=args.batch))
    finally:
        if progress:
            progress.finish()
    layout = VaultLayout.from_config(root, config)
    if report.changed_anything or report.failed:
        line = (f"compiled {counted(report.ingested, 'source')}; wiki has {counted(report.sources, 'source')}, "
                f"{counted(report.concepts, 'concept')}")
        if report.duplicates:
            copies = "1 copy" if report.duplicates == 1 else f"{report.duplicates} copies"
            line += f"; {copies} of articles already there joined their notes (see {layout.log_note})"
        if report.removed or report.moved:
            line += f"; removed {report.removed}, moved {report.moved}"
    elif report.batches.sent or report.batches.waiting:
        line = f"compiled 0 sources while batches run; wiki has {counted(report.sources, 'source')}, " \
               f"{counted(report.concepts, 'concept')}"
    else:
        line = f"nothing to do: {counted(report.sources, 'source')}, {counted(report.concepts, 'concept')} up to date"
    notes = []
    if report.skipped:
        notes.append(f"skipped {report.skipped}")
    if report.failed:
        notes.append(f"failed {report.failed}")
    if report.kept_user_edits:
        notes.append(f"kept your edits to {counted(len(report.kept_user_edits), 'note')}")
    if report.refused:
        notes.append(f"could not write {counted(len(report.refused), 'note')}: {report.refused[0]}"
                     + (" and more" if len(report.refused) > 1 else ""))
    if notes:
        line += "; " + ", ".join(notes) + f" (see {layout.status_note})"
    if report.redone:
        line += f"; redid {counted(report.redone, 'note')} with the current engine"
    print(line)
    if not args.quiet:
        _print_batches(report)
    if report.out_of_date and not args.quiet:
        print(f"{counted(report.out_of_date, 'note')} made by an older engine (model, skill or constraints); "
              "`kbd plan` shows what redoing them costs, `kbd compile --redo` redoes them")
    logging.getLogger("kbd.compile").info("kbd compile: %s", line)
    return EXIT_FAILURE if report.failed or report.refused else EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from kbd.plan import plan_compile

    root, config = _open_vault(args.vault, args.config, "plan", create_state=False)
    plan = plan_compile(root, config)
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    if plan.in_batches:
        print(f"{counted(plan.in_batches, 'clipping')} wait for a batch already sent (`kbd status` shows it); "
              "`kbd compile` collects it once it ends")
    if not plan.sources and not plan.removals and not plan.redo.notes:
        print(f"nothing else to do (engine {plan.engine})" if plan.in_batches else
              f"nothing to do: the wiki is up to date (engine {plan.engine})")
        return EXIT_OK
    for item in plan.sources:
        if item.skipped:
            print(f"  skip  {item.path}: {item.skipped}")
        elif plan.calls or plan.cached_calls:
            cached = f" ({item.cached_calls} cached)" if item.cached_calls else ""
            print(f"  {item.calls:>3} calls {item.input_tokens:>8,} in {item.output_tokens:>7,} out "
                  f"${item.cost_usd:>8.4f}  {item.path}{cached}")
        else:
            print(f"  summarise {item.path}")
    print(f"{counted(len(plan.sources), 'clipping')} to compile, {plan.removals} to remove; engine {plan.engine}")
    if plan.calls or plan.cached_calls:
        print(f"{plan.calls} model calls (+{plan.cached_calls} from cache), about {plan.input_tokens:,} input and "
              f"{plan.output_tokens:,} output tokens, estimated ${plan.cost_usd:.4f}"
              + (f" (with --batch about ${plan.batch_cost_usd:.4f}, answers within 24 h)" if plan.calls else ""))
        if _budget_line(plan):
            print(_budget_line(plan))
    if plan.redo.notes:
        _print_redo(plan)
    return EXIT_OK


def _print_batches(report: CompileReport) -> None:
    b = report.batches
    if b.collected or b.failed:
        print(f"collected {counted(b.collected, 'answer')} from batches at the batch price"
              + (f"; {b.failed} failed and were retried normally" if b.failed else ""))
    for sent in b.sent:
        print(f"sent batch {sent}")
    for waiting in b.waiting:
        print(f"batch {waiting}")
    if b.sent or b.waiting:
        print("answers usually come within minutes and at most 24 h: run `kbd compile` again (or leave `kbd run` "
              "running) to collect them")


def _print_redo(plan: Plan) -> None:
    redo = plan.redo
    why = ", ".join(f"{what} changed for {n}" if what != "unknown engine" else f"{n} made before kbd recorded it"
                    for what, n in sorted(redo.reasons.items(), key=lambda kv: -kv[1]))
    print(f"{counted(redo.notes, 'note')} made by an older engine than {plan.engine}" + (f" ({why})" if why else "")
          + "; nothing is redone until you ask")
    if redo.calls or redo.cached_calls:
        print(f"  `kbd compile --redo` would make {redo.calls} model calls (+{redo.cached_calls} from cache), about "
              f"{redo.input_tokens:,} input and {redo.output_tokens:,} output tokens, estimated ${redo.cost_usd:.4f}"
              " (`--limit N` redoes fewer)")
    else:
        print("  `kbd compile --redo` redoes them (no model calls)")


def cmd_doctor(args: argparse.Namespace) -> int:
    from kbd.doctor import run_checks

    checks = run_checks(args.vault.expanduser().resolve(), args.config, network=not args.no_network)
    for check in checks:
        print(f"{'ok ' if check.ok else 'BAD'}  {check.name:16} {check.detail}")
    bad = [c for c in checks if not c.ok]
    print("all good" if not bad else f"{counted(len(bad), 'problem')} to fix")
    if any(c.name in ("vault", "config") for c in bad):
        return EXIT_USAGE  # no vault there, or a config that cannot be used: a usage or config error
    return EXIT_OK if not bad else EXIT_FAILURE


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def cmd_status(args: argparse.Namespace) -> int:
    from kbd.status import vault_status

    root, config = _open_vault(args.vault, args.config, "status", create_state=False)
    status = vault_status(root, config)
    if args.json:
        print(json.dumps(status.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"vault      {status.vault}")
    print(f"wiki       {counted(status.sources, 'source')}, {counted(status.concepts, 'concept')}")
    print(f"changed    {status.last_change or 'never compiled'}")
    if status.last_run:
        r = status.last_run
        print(f"last run   {r['kind']} at {r['finished']}: {r.get('ingested', 0)} compiled, "
              f"{r.get('removed', 0)} removed, {r.get('failed', 0)} failed")
    print(f"queue      {status.pending_jobs} pending, {len(status.failed_jobs) + len(status.failed_notes)} failed")
    if status.paused:
        print(f"  paused   {status.paused}")
    for b in status.batches:
        print(f"batch      {b['id']} ({b['provider']}:{b['model']}): {b['status']}, "
              f"{counted(b['requests'], 'request')}, up to ${b['reserved_usd']:.4f} reserved; "
              f"sent {b['submitted'].replace('T', ' ')[:16]}")
    if status.engine:
        older = f"; {counted(status.out_of_date, 'note')} made by an older engine (`kbd plan`, `kbd compile --redo`)"
        print(f"engine     {status.engine}" + (older if status.out_of_date else ""))
    for s in status.spend:
        print(f"spend      {s['role']} {s['provider']}:{s['model']}: ${s['today_usd']:.4f} today, "
              f"${s['total_usd']:.4f} total; {s['calls']} calls ({s['cached']} cached), "
              f"{s['input_tokens']:,} in / {s['output_tokens']:,} out tokens; prompt cache "
              f"{_share(s['cached_input_tokens'], s['input_tokens'])} of input")
    for job in status.failed_jobs:
        print(f"  failed   {job['job']}: {job['error']}")
    for note in status.failed_notes:
        print(f"  failed   {note['note']} ({note['stage']}): {note['error']}")
    for item in status.rejected:
        print(f"  skipped  {item['path']}: {item['reason']}")
    for item in status.ignored:
        print(f"  ignored  {item['path']}: {item['reason']}")
    for path in status.user_edited:
        print(f"  edited   {path} (yours now; `kbd adopt` hands it back)")
    for item in status.stale_answers:
        print(f"  stale    {item['note']}: {item['changed']} (`kbd ask VAULT --refresh-stale`)")
    for m in status.monitors:
        print(f"monitor    {m['name']} ({m['url']}): checked {(m['checked'] or 'never').replace('T', ' ')[:16]}, "
              f"{m['outcome']}")
    print(f"report     {status.status_note}")
    return EXIT_OK


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def cmd_search(args: argparse.Namespace) -> int:
    from kbd.search import IndexUnavailable, QueryError, SearchIndex, search_vault, sync_vectors
    from kbd.search.query import default_mode

    if args.query is None and not args.rebuild:
        print("kbd: search needs a query, e.g. kbd search ~/Vault \"sleep memory\" (or --rebuild)", file=sys.stderr)
        return EXIT_USAGE
    root, config = _open_vault(args.vault, args.config, "search")
    setup_logging(root)
    index = SearchIndex(root, config)
    progress = _Progress() if sys.stderr.isatty() and not args.json else None
    report = (lambda done, total: progress("index", done, total, "notes")) if progress else None
    mode = args.mode or default_mode(config)
    try:
        if args.rebuild:
            index.rebuild(report, force=True)
        elif not index.building():  # else a build is under way: the results say what they come from
            try:
                index.ensure(report)
            except IndexUnavailable:
                pass  # a build began just now, in another process
        if mode == "hybrid" and config.search.embeddings:  # embed what changed since the last look
            sync_vectors(root, config, None, (lambda done, total: progress("embed", done, total, "notes"))
                         if progress else None)
    except IndexUnavailable as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        if progress:
            progress.finish()
    if args.query is None:
        print(f"search index rebuilt: {counted(index.doc_count(), 'note')}")
        return EXIT_OK
    try:
        results = search_vault(root, config, args.query, limit=args.limit, note_type=args.note_type, mode=mode)
    except QueryError as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IndexUnavailable as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(results.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_results(results, sys.stdout.isatty())
    return EXIT_OK if results.hits else EXIT_FAILURE


def _print_results(results: Any, color: bool) -> None:
    if results.notice:
        print(f"kbd: {results.notice}", file=sys.stderr)
    if results.suggestion:
        print(f"nothing matched {results.query!r}; did you mean {results.suggestion!r}? showing those results")
    if not results.hits:
        print(f"nothing matched {results.query!r}")
        return
    on, off = ("\033[1;33m", "\033[0m") if color else ("", "")
    for rank, hit in enumerate(results.hits, start=1):
        print(f"{rank:>2}. {hit.title}  [{hit.type}, {hit.score:.2f}]")
        print(f"    {hit.path}" + "".join(f"\n    also {path}" for path in hit.also))
        if hit.snippet:
            text, last = [], 0
            for start, end in hit.highlights:
                text += [hit.snippet[last:start], on, hit.snippet[start:end], off]
                last = end
            text.append(hit.snippet[last:])
            print(f"    {''.join(text)}")
    shown = len(results.hits)
    if results.total > shown:
        print(f"{shown} of {results.total} matching notes; -n {min(results.total, 100)} shows more")


def _step_printer(as_json: bool) -> Callable[[str], None] | None:
    """Progress lines (`kbd: retrieving…`) on a terminal; nothing when piped or printing JSON."""
    if not sys.stderr.isatty() or as_json:
        return None
    return lambda line: print(f"kbd: {line}…", file=sys.stderr, flush=True)


def cmd_ask(args: argparse.Namespace) -> int:
    from kbd.ask.command import AskError, AskFailed, AskOptions, ask

    if args.refresh_stale == bool(args.question):
        print("kbd: give either a question or --refresh-stale; e.g. kbd ask ~/Vault \"Why do B-trees stay "
              "shallow?\"", file=sys.stderr)
        return EXIT_USAGE
    root, config = _open_vault(args.vault, args.config, "ask", create_state=not args.plan)
    if not args.plan:
        setup_logging(root)
    if args.refresh_stale:
        return _refresh_stale(root, config, args.json)
    progress = _step_printer(args.json)
    try:
        result = ask(root, config, args.question, AskOptions(plan_only=args.plan, file=args.file,
                                                            format=args.format), progress)
    except AskError as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AskFailed as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_answer(result)
    if result.filed == "kept-user-edit":
        return EXIT_FAILURE
    return EXIT_OK if result.filed == "planned" or (result.answer and result.answer.claims) else EXIT_FAILURE


def cmd_slides(args: argparse.Namespace) -> int:
    from kbd.ask.slides_command import SlidesError, SlidesRequest, make_slides

    root, config = _open_vault(args.vault, args.config, "slides")
    setup_logging(root)
    note = _vault_relative(root, args.note) if args.note else None
    progress = _step_printer(args.json)
    request = SlidesRequest(title=args.title, concept=args.concept, note=note, max_slides=args.max_slides,
                            force=args.force)
    try:
        outcomes = make_slides(root, config, request, progress)
    except SlidesError as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps([{"title": o.title, "note": o.path, "made": o.made, "slides": o.slides,
                           "message": o.message, "dropped": o.warnings} for o in outcomes], indent=2,
                         ensure_ascii=False))
    for o in outcomes if not args.json else ():
        where = f"{o.path} ({counted(o.slides, 'slide')})" if o.path else o.title
        print(f"{'wrote' if o.made else 'kept ' if o.path else 'no deck'} {where}: {o.message}")
        for warning in o.warnings:
            print(f"  dropped: {warning}")
    return EXIT_OK if all(o.path for o in outcomes) else EXIT_FAILURE


def _vault_relative(root: Path, note: str) -> str:
    """A note given as a path from here or inside the vault, as the vault-relative path kbd uses."""
    path = Path(note).expanduser()
    if path.is_absolute() or path.exists():
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            raise UsageError(f"{note} is not inside the vault {root}") from None
    return path.as_posix()


def _refresh_stale(root: Path, config: Any, as_json: bool) -> int:
    from kbd.ask.refresh import refresh_stale

    result = refresh_stale(root, config, _step_printer(as_json))
    if as_json:
        print(json.dumps({"refreshed": [{"question": q, "note": n} for q, n in result.refreshed],
                          "left": [{"question": q, "reason": r} for q, r in result.left],
                          "spent": {"calls": result.calls, "usd": round(result.spent_usd, 6)}},
                         indent=2, ensure_ascii=False))
    else:
        if not result.refreshed and not result.left:
            print("no stale answers")
        for question, note in result.refreshed:
            print(f"re-asked   {question} → {note}")
        for question, reason in result.left:
            print(f"still stale {question}: {reason}")
        if result.calls:
            print(f"spent      ${result.spent_usd:.4f} ({result.calls} model calls)")
    return EXIT_FAILURE if result.left else EXIT_OK


def _print_answer(result: Any) -> None:
    plan = result.plan
    if result.answer is None:
        print(f"question   {result.question}")
        print(f"engine     {result.engine}")
        print(f"context    {counted(len(plan.passages), 'passage')} from {counted(len(plan.chosen_notes()), 'note')}, "
              f"{plan.tokens} of {plan.budget} tokens" + (f" ({plan.left_out} more did not fit)" if plan.left_out
                                                            else ""))
        for p in plan.passages:
            print(f"  {p.tokens:>5}  {p.path}{p.anchor}")
        est = result.estimate
        cost = f"${est.usd:.4f}" if est.calls else "nothing (offline, or answered before: cached)"
        print(f"estimate   {counted(est.calls, 'model call')}, {est.input_tokens} input + {est.output_tokens} output "
              f"tokens at most; cost {cost}")
        return
    answer = result.answer
    print(f"# {answer.question}")
    if answer.extractive:
        print("(extractive answer (no model configured): the passages that match best, quoted)")
    print()
    if not answer.claims:
        print("Nothing in the wiki supports an answer to this question yet.")
    for number, claim in enumerate(answer.claims, start=1):
        sources = "; ".join(f"{c.path}{_anchor(c)}" for c in claim.citations)
        print(f"{number}. {claim.text}\n   [{sources}]")
    if answer.dropped:
        print(f"\n{counted(len(answer.dropped), 'claim')} dropped: their quotes were not found in the cited notes")
    if not answer.verified:
        print("\nnot verified: " + "; ".join(answer.objections))
    print()
    spent = f"; spent ${result.spent_usd:.4f} in {counted(result.calls, 'request')}" if result.calls else ""
    where = {"written": f"filed to {result.note}", "unchanged": f"{result.note} is up to date",
             "not-filed": "not filed (--no-file)" if result.plan.passages else
                          "nothing filed: no note matches the question",
             "kept-user-edit": f"not filed: you edited {result.note}, kbd keeps your version "
                               "(`kbd adopt` on it hands it back)"}[result.filed]
    print(f"{where} · engine {result.engine}{spent}")


def _anchor(citation: Any) -> str:
    from kbd.render.answer import anchor

    return anchor(citation)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def cmd_serve(args: argparse.Namespace) -> int:
    from kbd.search import SearchIndex
    from kbd.serve import DEFAULT_HOST, is_loopback, make_server

    root, config = _open_vault(args.vault, args.config, "serve")
    setup_logging(root)
    host = args.host or DEFAULT_HOST
    if not is_loopback(host):
        print(f"kbd: warning: listening on {host}: anyone who can reach this address can read every note "
              "in the vault (there is no login)", file=sys.stderr)
    try:
        server = make_server(root, config, host, args.port)
    except OSError as exc:
        print(f"kbd: cannot listen on {host}:{args.port} ({exc.strerror}); pick another with --port", file=sys.stderr)
        return EXIT_FAILURE
    if SearchIndex(root, config).open(check=False) is None:
        print("kbd: building the search index in the background; the page says so and answers once it is "
              "ready", file=sys.stderr)
    server.build_index_in_background()  # the page answers at once, from what exists meanwhile
    print(f"kbd: searching {root} at {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nkbd: search page stopped", file=sys.stderr)
    finally:
        server.server_close()
    return EXIT_OK


def cmd_mcp(args: argparse.Namespace) -> int:
    from kbd.mcp import McpMissing, run_stdio

    root, config = _open_vault(args.vault, args.config, "mcp")
    setup_logging(root)  # stderr and .kbd/kbd.log; stdout belongs to the protocol
    try:
        run_stdio(root, config)
    except McpMissing as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_adopt(args: argparse.Namespace) -> int:
    from kbd.adopt import adopt_notes

    notes = [n.expanduser().resolve() for n in args.notes]
    root = _find_vault(notes[0])
    if root is None:
        raise UsageError(f"{args.notes[0]} is not inside a kbd vault (no {STATE_DIR}/ folder above it)")
    root, config = _open_vault(root, args.config, "adopt")
    setup_logging(root)
    rels = []
    for note in notes:
        if not note.is_relative_to(root):
            raise UsageError(f"{note} is not inside the vault {root}")
        rels.append(note.relative_to(root).as_posix())
    results = adopt_notes(root, config, rels)
    for r in results:
        print(f"{'adopted' if r.adopted else 'skipped'} {r.path}: {r.message}")
    if any(r.adopted for r in results):
        from kbd.compile.run import compile_vault

        compile_vault(root, config)
        print("regenerated; run `kbd status` to see the wiki")
    return EXIT_OK if all(r.adopted for r in results) else EXIT_USAGE


def cmd_skill(args: argparse.Namespace) -> int:
    from kbd.custom_skills.command import plan_skill, run_skill_now
    from kbd.engines.skills import SkillError

    if len(args.where) > 2:
        raise UsageError("give the vault and one skill name: `kbd skill ~/Vault weekly_digest`")
    vault, name = (Path(args.where[0]), args.where[1]) if len(args.where) == 2 else (Path("."), args.where[0])
    root, config = _open_vault(vault, args.config, "skill")
    try:
        if args.plan:
            plan = plan_skill(root, config, name)
            print(json.dumps(plan.to_json(), indent=2, ensure_ascii=False) if args.json else _skill_plan_text(plan))
            return EXIT_USAGE if plan.needs_model else EXIT_OK
        setup_logging(root)
        run = run_skill_now(root, config, name, None if args.json else lambda p: print(_skill_plan_text(p)))
    except SkillError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(run.to_json(), indent=2, ensure_ascii=False))
    elif run.outcome != "needs-model":
        print(run.message)
    logging.getLogger("kbd.skill").info("kbd skill: %s", run.message)
    if run.outcome == "needs-model":
        print(f"kbd: {run.message}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAILURE if run.failed else EXIT_OK


def _skill_plan_text(plan: Any) -> str:
    lines = [f"skill {plan.skill}: reads {counted(len(plan.notes), 'note')}"
             + (f" ({len(plan.left_out)} more matched but do not fit; narrow `reads:` or raise `limit`)"
                if plan.left_out else "") + f", writes {plan.report}"]
    lines += [f"  skipped {why}" for why in plan.skipped]
    if plan.needs_model:
        lines.append(plan.needs_model)
    elif not plan.notes:
        lines.append("nothing to read: no model call")
    elif plan.cached:
        lines.append("the same notes were read before: the answer comes from the cache, no model call ($0)")
    else:
        lines.append(f"{counted(plan.calls, 'model call')}, about {plan.input_tokens:,} input and "
                     f"{plan.output_tokens:,} output tokens, estimated ${plan.cost_usd:.4f}")
        if _budget_line(plan):
            lines.append(_budget_line(plan))
    return "\n".join(lines)


def _budget_line(plan: Any) -> str:
    """`budget: per run $X, today $Y (spent $Z)` for a plan with caps; empty without caps."""
    caps = []
    if plan.per_run_cap_usd is not None:
        caps.append(f"per run ${plan.per_run_cap_usd:.2f}")
    if plan.daily_cap_usd is not None:
        caps.append(f"today ${plan.daily_cap_usd:.2f} (spent ${plan.spent_today_usd:.4f})")
    return "budget: " + ", ".join(caps) if caps else ""


LINT_HELP = """Check the whole vault and write wiki/reports/Lint YYYY-MM-DD.md.

Checks: broken links and embeds (with the likely target), missing attachments, orphan notes,
clippings without a summary, stale summaries, concepts with one source, duplicate concepts,
names mentioned in several notes with no page, missing or invalid frontmatter on kbd's notes,
property type conflicts, empty notes, index drift, notes kbd stopped managing after you edited them.
Switch checks off or tune them under `lint:` in kbd/config.yaml.

A finding kbd can fix safely has a checkbox; tick it in Obsidian and the next `kbd lint` (or the
`lint` trigger of `kbd run`) applies it and turns the line into a record. Notes you own are never
changed by a fix.

Exit status: 0 the vault was checked (findings or not), 1 a check or ticked fix failed or the
report could not be written, 2 usage or config error."""


def cmd_lint(args: argparse.Namespace) -> int:
    from kbd.lint.command import lint_vault, report_json, summary_lines
    from kbd.lint.run import LintOptions

    root, config = _open_vault(args.vault, args.config, "lint")
    setup_logging(root)
    report = lint_vault(root, config, LintOptions(write=not args.no_write, apply_ticks=not args.no_write,
                                                  fix_all=args.fix))
    if args.json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        print("\n".join(summary_lines(report)))
    broken = any(r.skipped and r.skipped.startswith("the check failed") for r in report.checks)
    failed = broken or any(not a.ok for a in report.applied) or (not args.no_write and not report.path)
    return EXIT_FAILURE if failed else EXIT_OK


def cmd_monitor(args: argparse.Namespace) -> int:
    from kbd.monitor.command import NoSuchMonitor, monitor_vault

    root, config = _open_vault(args.vault, args.config, "monitor")
    setup_logging(root)
    try:
        run = monitor_vault(root, config, args.name)
    except NoSuchMonitor as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps({"results": [r.to_json() for r in run.results], "status_note": run.status_note},
                         indent=2, ensure_ascii=False))
    else:
        for r in run.results:
            print(f"{r.name}: {r.detail}")
        if any(r.clipping for r in run.results):
            print(f"run `kbd compile {_shown(root)}` to summarise the new versions (`kbd run` does it by itself)")
        print(f"see {run.status_note}")
    if run.status_problem:
        print(f"kbd: Status.md not updated: {run.status_problem}", file=sys.stderr)
    return EXIT_FAILURE if any(r.problem for r in run.results) else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from kbd.daemon.service import run_daemon

    root, _ = _open_vault(args.vault, args.config, "run")
    setup_logging(root, verbose=None)  # each run, timestamped: what a foreground daemon should show
    return run_daemon(root, args.config, front_door=lambda argv: main(argv, hand_over=False))


def cmd_service_install(args: argparse.Namespace) -> int:
    from kbd.daemon.install import install_service

    root, _ = _open_vault(args.vault, None, "service install", create_state=False)
    unit, written = install_service(root, Path.home(), force=args.force)
    if not written:
        print(f"kbd: {unit.path} already exists; pass --force to replace it", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {unit.path}")
    print(f"enable it now and at every login with:\n  {unit.enable}")
    return EXIT_OK


def _find_vault(path: Path) -> Path | None:
    for folder in [path, *path.parents]:
        if (folder / STATE_DIR / "state.db").exists():
            return folder
    return None


class _Progress:
    """One self-overwriting line on stderr while a long compile runs."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, phase: str, done: int, total: int, item: str) -> None:
        if total and done % max(1, total // 200) and done != total:
            return
        text = f"{phase:8} [{done}/{total}] {item}" if total else f"{phase:8} {item}"
        width = 100
        sys.stderr.write("\r" + text[:width].ljust(width))
        sys.stderr.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 100 + "\r")
            sys.stderr.flush()

"""The `kbd` command: argument parsing and printing only; the work happens in the modules."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import shlex
import sqlite3
import sys
from pathlib import Path

from kbd import __version__
from kbd.config import Config, ConfigError, load_config
from kbd.lock import VaultBusy
from kbd.logs import setup_logging
from kbd.state import StateError
from kbd.vault.errors import WriteRefused
from kbd.vault.layout import STATE_DIR, VaultLayout, enclosing_vault

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """The command cannot run as given (no vault there, a note outside the vault): exit code 2."""

DESCRIPTION = """\
kbd turns an Obsidian vault of clipped articles into a self-maintaining wiki.

  kbd init ~/Vault --samples   lay out a vault (raw/, wiki/, kbd/) with three sample clippings
  kbd compile ~/Vault          summarise new and changed clippings into wiki/ (no API key needed)
  kbd plan ~/Vault             what a compile would do and cost, before spending anything
  kbd status ~/Vault           what is in the wiki, what was skipped and why
  kbd doctor ~/Vault           check config, folders, keys and model endpoints
  kbd adopt NOTE               hand a generated note you edited back to kbd
  kbd run ~/Vault              stay running: compile on every clip, run config.yaml triggers
  kbd service install ~/Vault  start `kbd run` at login (systemd user unit / launchd agent)

Clip articles into raw/ (Obsidian Web Clipper can save there directly), run `kbd compile`, and
read wiki/index.md in Obsidian. Nothing under raw/ is ever modified.
"""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"kbd: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, VaultBusy, StateError) as exc:  # a refusal, not a failed job: README's exit code 2
        print(f"kbd: {exc}", file=sys.stderr)
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
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("compile", help="compile new and changed clippings into the wiki",
                       description="Summarise new and changed raw notes, update concept articles, index.md, "
                                   "log.md and wiki/reports/Status.md. Unchanged notes cost nothing; a run "
                                   "that is interrupted resumes where it stopped.")
    _vault_args(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
    p.add_argument("-v", "--verbose", action="store_true", help="also print progress details to stderr")
    p.set_defaults(handler=cmd_compile)

    p = sub.add_parser("plan", help="what a compile would do and cost; spends nothing",
                       description="List the clippings a compile would summarise, the model calls and tokens "
                                   "each would take and the estimated cost, against your budget. Reads only.")
    _vault_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_plan)

    p = sub.add_parser("doctor", help="check the config, folders, state, keys and model endpoints",
                       description="Check that the vault is ready: config valid, folders present, state.db "
                                   "readable, and for each model that its key variable is set and its endpoint "
                                   "answers and accepts the key (a free model-list request). Reads only: it "
                                   "creates nothing. Exit 1 if a check fails, 2 if VAULT is not a vault or its "
                                   "config is invalid.")
    _vault_args(p)
    p.set_defaults(handler=cmd_doctor)

    p = sub.add_parser("status", help="show what the wiki holds and what needs attention",
                       description="Counts, the last run, skipped files with reasons, notes you edited, "
                                   "failed jobs. The same is in wiki/reports/Status.md.")
    _vault_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("adopt", help="hand a generated note you edited back to kbd",
                       description="kbd never overwrites a generated note you edited; it lists it in "
                                   "Status.md instead. `kbd adopt NOTE` hands it back: your edits are "
                                   "replaced by a freshly generated note.")
    p.add_argument("notes", nargs="+", type=Path, help="path of the note (absolute, or relative to here)")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.set_defaults(handler=cmd_adopt)

    p = sub.add_parser("run", help="stay running: watch the vault and run triggers",
                       description="Watch the vault and compile each clipping about two seconds after it lands; "
                                   "run the triggers in kbd/config.yaml (cron, every, start, files); reload the "
                                   "config when you save it. Ctrl-C or SIGTERM stop it cleanly; unfinished work "
                                   "is resumed on the next start. One `kbd run` per vault.")
    _vault_args(p)
    p.set_defaults(handler=cmd_run)

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
    report = init_vault(root, samples=args.samples)
    for rel in report.created:
        print(f"  created {rel}")
    for rel in report.kept:
        print(f"  kept    {rel} (already there)")
    shown = _shown(root.resolve())
    print(f"kbd: vault ready at {shown}; clip articles into {report.raw}/ and run `kbd compile {shown}`")
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def cmd_compile(args: argparse.Namespace) -> int:
    from kbd.compile.run import compile_vault

    root, config = _open_vault(args.vault, args.config, "compile")
    setup_logging(root, verbose=args.verbose)
    progress = _Progress() if sys.stderr.isatty() and not args.quiet else None
    try:
        report = compile_vault(root, config, progress=progress)
    finally:
        if progress:
            progress.finish()
    layout = VaultLayout.from_config(root, config)
    if report.changed_anything or report.failed:
        line = (f"compiled {_count(report.ingested, 'source')}; wiki has {_count(report.sources, 'source')}, "
                f"{_count(report.concepts, 'concept')}")
        if report.duplicates:
            copies = "1 copy" if report.duplicates == 1 else f"{report.duplicates} copies"
            line += f"; {copies} of articles already there joined their notes (see {layout.log_note})"
        if report.removed or report.moved:
            line += f"; removed {report.removed}, moved {report.moved}"
    else:
        line = f"nothing to do: {_count(report.sources, 'source')}, {_count(report.concepts, 'concept')} up to date"
    notes = []
    if report.skipped:
        notes.append(f"skipped {report.skipped}")
    if report.failed:
        notes.append(f"failed {report.failed}")
    if report.kept_user_edits:
        notes.append(f"kept your edits to {_count(len(report.kept_user_edits), 'note')}")
    if report.refused:
        notes.append(f"could not write {_count(len(report.refused), 'note')}: {report.refused[0]}"
                     + (" and more" if len(report.refused) > 1 else ""))
    if notes:
        line += "; " + ", ".join(notes) + f" (see {layout.status_note})"
    print(line)
    logging.getLogger("kbd.compile").info("kbd compile: %s", line)
    return EXIT_FAILURE if report.failed or report.refused else EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from kbd.plan import plan_compile

    root, config = _open_vault(args.vault, args.config, "plan", create_state=False)
    plan = plan_compile(root, config)
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    if not plan.sources and not plan.removals:
        print(f"nothing to do: the wiki is up to date (engine {plan.engine})")
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
    print(f"{_count(len(plan.sources), 'clipping')} to compile, {plan.removals} to remove; engine {plan.engine}")
    if plan.calls or plan.cached_calls:
        print(f"{plan.calls} model calls (+{plan.cached_calls} from cache), about {plan.input_tokens:,} input and "
              f"{plan.output_tokens:,} output tokens, estimated ${plan.cost_usd:.4f}")
        caps = []
        if plan.per_run_cap_usd is not None:
            caps.append(f"per run ${plan.per_run_cap_usd:.2f}")
        if plan.daily_cap_usd is not None:
            caps.append(f"today ${plan.daily_cap_usd:.2f} (spent ${plan.spent_today_usd:.4f})")
        if caps:
            print("budget: " + ", ".join(caps))
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from kbd.doctor import run_checks

    checks = run_checks(args.vault.expanduser().resolve(), args.config)
    for check in checks:
        print(f"{'ok ' if check.ok else 'BAD'}  {check.name:16} {check.detail}")
    bad = [c for c in checks if not c.ok]
    print("all good" if not bad else f"{_count(len(bad), 'problem')} to fix")
    if any(c.name in ("vault", "config") for c in bad):
        return EXIT_USAGE  # no vault there, or a config that cannot be used: a usage or config error
    return EXIT_OK if not bad else EXIT_FAILURE


def cmd_status(args: argparse.Namespace) -> int:
    from kbd.status import vault_status

    root, config = _open_vault(args.vault, args.config, "status", create_state=False)
    status = vault_status(root, config)
    if args.json:
        print(json.dumps(status.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"vault      {status.vault}")
    print(f"wiki       {_count(status.sources, 'source')}, {_count(status.concepts, 'concept')}")
    print(f"changed    {status.last_change or 'never compiled'}")
    if status.last_run:
        r = status.last_run
        print(f"last run   {r['kind']} at {r['finished']}: {r.get('ingested', 0)} compiled, "
              f"{r.get('removed', 0)} removed, {r.get('failed', 0)} failed")
    print(f"queue      {status.pending_jobs} pending, {len(status.failed_jobs)} failed")
    if status.paused:
        print(f"  paused   {status.paused}")
    for s in status.spend:
        print(f"spend      {s['role']} {s['provider']}:{s['model']}: ${s['today_usd']:.4f} today, "
              f"${s['total_usd']:.4f} total; {s['calls']} calls ({s['cached']} cached), "
              f"{s['input_tokens']:,} in / {s['output_tokens']:,} out tokens")
    for job in status.failed_jobs:
        print(f"  failed   {job['job']}: {job['error']}")
    for item in status.rejected:
        print(f"  skipped  {item['path']}: {item['reason']}")
    for item in status.ignored:
        print(f"  ignored  {item['path']}: {item['reason']}")
    for path in status.user_edited:
        print(f"  edited   {path} (yours now; `kbd adopt` hands it back)")
    print(f"report     {status.status_note}")
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


def cmd_run(args: argparse.Namespace) -> int:
    from kbd.daemon.service import run_daemon

    root, _ = _open_vault(args.vault, args.config, "run")
    setup_logging(root, verbose=None)  # each run, timestamped: what a foreground daemon should show
    return run_daemon(root, args.config)


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

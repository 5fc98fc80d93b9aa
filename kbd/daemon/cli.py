"""`kbd run` and `kbd service install`: the daemon's commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from kbd.commandline import EXIT_OK, EXIT_USAGE, Subcommands, open_vault, vault_args
from kbd.logs import setup_logging


def add_run(sub: Subcommands, front_door: Callable[[list[str]], int]) -> None:
    """`front_door(argv)`: how the daemon runs a command a CLI hands it (kbd.cli.main, never handing over)."""
    p = sub.add_parser("run", help="stay running: watch the vault and run triggers",
                       description="Watch the vault and compile each clipping about two seconds after it lands; "
                                   "run the triggers in kbd/config.yaml (cron, every, start, files); reload the "
                                   "config when you save it. Ctrl-C or SIGTERM stop it cleanly; unfinished work "
                                   "is resumed on the next start. One `kbd run` per vault.")
    vault_args(p)
    p.set_defaults(handler=lambda args: cmd_run(args, front_door))


def add_service(sub: Subcommands) -> None:
    p = sub.add_parser("service", help="run kbd at login", description="Manage running `kbd run` at login.")
    service = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    s_install = service.add_parser("install", help="write a systemd user unit (Linux) or launchd agent (macOS)",
                                   description="Write a service file that runs `kbd run VAULT` at login and "
                                               "restarts it if it fails, then print the command that enables it.")
    s_install.add_argument("vault", type=Path, nargs="?", default=Path("."), help="vault folder (default: here)")
    s_install.add_argument("--force", action="store_true", help="replace an existing service file")
    s_install.set_defaults(handler=cmd_service_install)


def cmd_run(args: argparse.Namespace, front_door: Callable[[list[str]], int]) -> int:
    from kbd.daemon.service import run_daemon

    root, _ = open_vault(args.vault, args.config, "run")
    setup_logging(root, verbose=None)  # each run, timestamped: what a foreground daemon should show
    return run_daemon(root, args.config, front_door=front_door)


def cmd_service_install(args: argparse.Namespace) -> int:
    from kbd.daemon.install import install_service

    root, _ = open_vault(args.vault, None, "service install", create_state=False)
    unit, written = install_service(root, Path.home(), force=args.force)
    if not written:
        print(f"kbd: {unit.path} already exists; pass --force to replace it", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {unit.path}")
    print(f"enable it now and at every login with:\n  {unit.enable}")
    return EXIT_OK

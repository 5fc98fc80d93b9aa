"""`kbd monitor` on the command line; the work under the vault lock is kbd/monitor/command.py."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kbd.commandline import EXIT_FAILURE, EXIT_OK, Subcommands, UsageError, open_vault, shown_path
from kbd.logs import setup_logging

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


def add_monitor(sub: Subcommands) -> None:
    p = sub.add_parser("monitor", help="check the web pages the config monitors, now",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description=MONITOR_HELP)
    p.add_argument("vault", type=Path, nargs="?", default=Path("."), help="vault folder (default: here)")
    p.add_argument("name", nargs="?", help="check only this monitor (the trigger's name); default: all")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_monitor)


def cmd_monitor(args: argparse.Namespace) -> int:
    from kbd.monitor.command import NoSuchMonitor, monitor_vault

    root, config = open_vault(args.vault, args.config, "monitor")
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
            print(f"run `kbd compile {shown_path(root)}` to summarise the new versions (`kbd run` does it by itself)")
        print(f"see {run.status_note}")
    if run.status_problem:
        print(f"kbd: Status.md not updated: {run.status_problem}", file=sys.stderr)
    return EXIT_FAILURE if any(r.problem for r in run.results) else EXIT_OK

"""`kbd lint` on the command line; the work under the vault lock is kbd/lint/command.py."""

from __future__ import annotations

import argparse
import json

from kbd.commandline import EXIT_FAILURE, EXIT_OK, Subcommands, open_vault, vault_args
from kbd.logs import setup_logging

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


def add_lint(sub: Subcommands) -> None:
    p = sub.add_parser("lint", help="check the whole vault and write a report with fixes to tick",
                       description=LINT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    vault_args(p)
    p.add_argument("--json", action="store_true", help="print the findings as JSON (schema version 1)")
    p.add_argument("--fix", action="store_true", help="apply every safe fix now, as if each box were ticked")
    p.add_argument("--no-write", action="store_true", help="do not write the report note (nor apply ticks)")
    p.set_defaults(handler=cmd_lint)


def cmd_lint(args: argparse.Namespace) -> int:
    from kbd.lint.command import lint_vault, report_json, summary_lines
    from kbd.lint.run import LintOptions

    root, config = open_vault(args.vault, args.config, "lint")
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

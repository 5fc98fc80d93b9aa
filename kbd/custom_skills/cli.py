"""`kbd skill` on the command line; the work under the vault lock is kbd/custom_skills/command.py."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from kbd.commandline import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Subcommands, UsageError, budget_line, counted, open_vault
from kbd.logs import setup_logging

SKILL_HELP = """\
Run a custom skill: a prompt file you write in kbd/skills/NAME.md that says what to read
(`reads: {glob: ...}` or `reads: {search: ...}`), the output schema, and the report it writes
(`writes: {report: TITLE}` → wiki/reports/TITLE YYYY-MM-DD.md, or `writes: {note: PATH, region: NAME}`
→ between the `%% kbd:begin NAME %%` / `%% kbd:end NAME %%` lines you put in your note).
docs/custom-skills.md has two worked examples.

  kbd skill ~/Vault weekly_digest --plan   what it would read and cost; spends nothing
  kbd skill ~/Vault weekly_digest          show that, then run it (budget caps apply)

A trigger runs it on a schedule: `- {name: digest, on: {cron: "0 8 * * 1"}, run: skill:weekly_digest}`.
It needs a model (`models:` in kbd/config.yaml). Exit status: 0 done, 1 the run failed or was
paused by the budget, 2 no such skill, a broken skill file, or no model configured."""


def add_skill(sub: Subcommands) -> None:
    p = sub.add_parser("skill", help="run a custom skill of kbd/skills/ now (cost shown first)",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description=SKILL_HELP)
    p.add_argument("where", nargs="+", metavar="[VAULT] NAME", help="vault folder (default: here) and skill name")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.add_argument("--plan", action="store_true", help="only show what it would read and cost; spend nothing")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_skill)


def cmd_skill(args: argparse.Namespace) -> int:
    from kbd.custom_skills.command import plan_skill, run_skill_now
    from kbd.engines.skills import SkillError

    if len(args.where) > 2:
        raise UsageError("give the vault and one skill name: `kbd skill ~/Vault weekly_digest`")
    vault, name = (Path(args.where[0]), args.where[1]) if len(args.where) == 2 else (Path("."), args.where[0])
    root, config = open_vault(vault, args.config, "skill")
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
        if budget_line(plan):
            lines.append(budget_line(plan))
    return "\n".join(lines)

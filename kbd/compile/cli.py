"""`kbd compile`, `kbd plan`, `kbd status` and `kbd adopt`: the wiki's build, what it would cost, what
it holds, and handing an edited note back."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kbd.commandline import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Progress,
    Subcommands,
    UsageError,
    budget_line,
    counted,
    open_vault,
    positive,
    vault_args,
)
from kbd.logs import setup_logging
from kbd.vault.layout import STATE_DIR, VaultLayout, enclosing_vault

if TYPE_CHECKING:
    from kbd.compile.run import CompileReport
    from kbd.plan import Plan


def add_compile(sub: Subcommands) -> None:
    p = sub.add_parser("compile", help="compile new and changed clippings into the wiki",
                       description="Summarise new and changed raw notes, update concept articles, index.md, "
                                   "log.md and wiki/reports/Status.md. Unchanged notes cost nothing; a run "
                                   "that is interrupted resumes where it stopped.")
    vault_args(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
    p.add_argument("-v", "--verbose", action="store_true", help="also print progress details to stderr")
    p.add_argument("--redo", nargs="?", const="stale", metavar="stale|all",
                   help="also summarise again the notes an older engine made (another model, skill or "
                        "kbd/constraints.md; `kbd plan` shows how many and the cost), or with --redo=all every "
                        "note; notes you edited are left alone and the budget caps apply")
    p.add_argument("--limit", type=positive, metavar="N", help="with --redo: redo at most N notes this run")
    p.add_argument("--batch", action="store_true",
                   help="send the queued summaries through the provider's batch interface (half price, answers "
                        "within 24 h); later runs of `kbd compile` or `kbd run` collect them")
    p.set_defaults(handler=cmd_compile)


def add_plan(sub: Subcommands) -> None:
    p = sub.add_parser("plan", help="what a compile would do and cost; spends nothing",
                       description="List the clippings a compile would summarise, the model calls and tokens "
                                   "each would take and the estimated cost, against your budget. Reads only.")
    vault_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_plan)


def add_status(sub: Subcommands) -> None:
    p = sub.add_parser("status", help="show what the wiki holds and what needs attention",
                       description="Counts, the last run, skipped files with reasons, notes you edited, "
                                   "failed jobs. The same is in wiki/reports/Status.md.")
    vault_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_status)


def add_adopt(sub: Subcommands) -> None:
    p = sub.add_parser("adopt", help="hand a generated note you edited back to kbd",
                       description="kbd never overwrites a generated note you edited; it lists it in "
                                   "Status.md instead. `kbd adopt NOTE` hands it back: your edits are "
                                   "replaced by a freshly generated note.")
    p.add_argument("notes", nargs="+", type=Path, help="path of the note (absolute, or relative to here)")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.set_defaults(handler=cmd_adopt)


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
    root, config = open_vault(args.vault, args.config, "compile")
    setup_logging(root, verbose=args.verbose)
    progress = Progress() if sys.stderr.isatty() and not args.quiet else None
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
        if report.retired:
            line += f"; retired {counted(report.retired, 'concept page')} (see {layout.log_note})"
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

    root, config = open_vault(args.vault, args.config, "plan", create_state=False)
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
        if budget_line(plan):
            print(budget_line(plan))
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


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def cmd_status(args: argparse.Namespace) -> int:
    from kbd.status import vault_status

    root, config = open_vault(args.vault, args.config, "status", create_state=False)
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


def cmd_adopt(args: argparse.Namespace) -> int:
    from kbd.adopt import adopt_notes

    notes = [n.expanduser().resolve() for n in args.notes]
    root = enclosing_vault(notes[0])
    if root is None:
        raise UsageError(f"{args.notes[0]} is not inside a kbd vault (no {STATE_DIR}/ folder above it)")
    root, config = open_vault(root, args.config, "adopt")
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

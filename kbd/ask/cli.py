"""`kbd ask` and `kbd slides`: parsing their arguments and printing what they did."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kbd.commandline import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Subcommands, UsageError, counted, open_vault
from kbd.logs import setup_logging

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


def add_ask(sub: Subcommands) -> None:
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
    p.add_argument("--json", action="store_true", help="machine-readable output (schema in docs/ask.md)")
    p.add_argument("--format", choices=("md", "marp"), default="md",
                   help="md: an answer note in wiki/answers/ (default); marp: a slide deck in wiki/slides/")
    p.set_defaults(handler=cmd_ask, late_positional="question")


def add_slides(sub: Subcommands) -> None:
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
    p.set_defaults(handler=cmd_slides, late_positional="title")


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
    root, config = open_vault(args.vault, args.config, "ask", create_state=not args.plan)
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

    root, config = open_vault(args.vault, args.config, "slides")
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
    from kbd.engines.procedures import code_of_parts, lead_in_and_steps, step_mark

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
        first = claim.citations[0]
        lead_in, steps = lead_in_and_steps(first.quote) if answer.extractive else (claim.text, [])
        lead_code, step_code = code_of_parts(lead_in, steps, claim.code)
        if steps or lead_code:  # a procedure: its lead-in (or its section's heading), then its code or its steps
            print(f"{number}. {lead_in or (first.heading or first.title).rstrip(' :') + ':'}" +
                  _code_lines(lead_code, "       ") +
                  "".join(f"\n   {step_mark(n, claim.numbered)} {step}" + _code_lines(step_code[n - 1], "         ")
                          for n, step in enumerate(steps, start=1)) +
                  f"\n   [{sources}]")
        else:
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


def _code_lines(code: Any, indent: str) -> str:
    """A code block a procedure shows, a line each, indented under its line (no fence: a terminal shows it as is)."""
    if code and code.left_out:
        return f"\n{indent}(in the note: {code.size()}, too long to quote)"
    return "".join(f"\n{indent}{line}".rstrip(" ") for line in code.text.split("\n")) if code else ""


def _anchor(citation: Any) -> str:
    from kbd.render.answer import anchor

    return anchor(citation)

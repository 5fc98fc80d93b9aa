"""`kbd search`: the command line of the search package."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kbd.commandline import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Progress, Subcommands, counted, open_vault, positive
from kbd.logs import setup_logging

# = kbd.search.notes.NOTE_TYPES, written out so that the parser does not load mistune at start-up
NOTE_TYPES = ("source", "concept", "answer", "slides", "report", "raw", "note")

MODES = ("bm25", "hybrid")


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


def add_search(sub: Subcommands) -> None:
    p = sub.add_parser("search", help="search every note of the vault",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description=SEARCH_HELP)
    p.add_argument("vault", type=Path, help="vault folder (`.` for here)")
    p.add_argument("query", nargs="?", help="what to look for (quote it when it has spaces)")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")
    p.add_argument("-n", "--limit", type=positive, default=10, metavar="N", help="show N results (default 10)")
    p.add_argument("--type", dest="note_type", choices=NOTE_TYPES, help="only notes of this type")
    p.add_argument("--json", action="store_true", help="machine-readable output (schema in docs/search.md)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the index from the notes first "
                                                          "(rarely needed: it heals itself)")
    p.add_argument("--mode", choices=MODES,
                   help="bm25 (words only, offline) or hybrid (words and meaning, by embeddings); the default is "
                        "hybrid when search.embeddings names a model in kbd/config.yaml, else bm25")
    p.set_defaults(handler=cmd_search, late_positional="query")


def cmd_search(args: argparse.Namespace) -> int:
    from kbd.search import IndexUnavailable, QueryError, SearchIndex, search_vault
    from kbd.search.query import default_mode

    if args.query is None and not args.rebuild:
        print("kbd: search needs a query, e.g. kbd search ~/Vault \"sleep memory\" (or --rebuild)", file=sys.stderr)
        return EXIT_USAGE
    root, config = open_vault(args.vault, args.config, "search")
    setup_logging(root)
    index = SearchIndex(root, config)
    progress = Progress() if sys.stderr.isatty() and not args.json else None
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
            from kbd.search import sync_vectors

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
    shown = sum(1 + len(hit.also) for hit in results.hits)  # a folded clipping is shown, on its `also` line
    if results.total > shown:
        print(f"{shown} of {results.total} matching notes; -n {min(results.total, 100)} shows more")

"""`kbd serve` and `kbd mcp`: the read-only front doors that serve search and notes to a browser or
an agent."""

from __future__ import annotations

import argparse
import sys

from kbd.commandline import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Subcommands, open_vault, vault_args
from kbd.logs import setup_logging


def add_serve(sub: Subcommands) -> None:
    p = sub.add_parser("serve", help="a local search page that opens notes in Obsidian",
                       description="Serve a search page for the vault: results as you type, type filters, a "
                                   "safe preview of each note, links that open it in Obsidian, and the status "
                                   "report. Listens on 127.0.0.1 only (your machine) unless --host says "
                                   "otherwise. Read-only. Ctrl-C stops it.")
    vault_args(p)
    p.add_argument("--port", type=_port, default=8765, help="port to listen on (default 8765; 0: any free port)")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1); anything but loopback exposes "
                                  "your notes, with no login, to whoever can reach it")
    p.set_defaults(handler=cmd_serve)


def add_mcp(sub: Subcommands) -> None:
    p = sub.add_parser("mcp", help="serve search and notes to another agent over MCP (stdio)",
                       description="Run a Model Context Protocol server on stdin/stdout with the tools search, "
                                   "read_note and list_notes (read-only, inside the vault only). Add it to an "
                                   "MCP client (Claude Code, Codex, ...) as the command `kbd mcp VAULT`. "
                                   "Needs the optional extra: `.venv/bin/pip install '.[mcp]'` in a kbd checkout.")
    vault_args(p)
    p.set_defaults(handler=cmd_mcp)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def cmd_serve(args: argparse.Namespace) -> int:
    from kbd.search import SearchIndex
    from kbd.serve import DEFAULT_HOST, is_loopback, make_server

    root, config = open_vault(args.vault, args.config, "serve")
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

    root, config = open_vault(args.vault, args.config, "mcp")
    setup_logging(root)  # stderr and .kbd/kbd.log; stdout belongs to the protocol
    try:
        run_stdio(root, config)
    except McpMissing as exc:
        print(f"kbd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK

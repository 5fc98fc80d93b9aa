"""What every command module of the CLI shares: exit codes, the usage error, opening a vault with
advice that fits where the user is, and the progress line. Each feature's commands live with the
feature (kbd/<feature>/cli.py); kbd/cli.py only assembles them."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from kbd.config import Config, load_config
from kbd.vault.layout import STATE_DIR, VaultLayout, enclosing_vault

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
# What a command module's `add_<command>(sub)` receives: the `kbd` parser's subcommands.
Subcommands = argparse._SubParsersAction


def counted(n: int, noun: str) -> str:
    """"1 source", "3 sources" (kbd.render.notes.counted, imported when a command prints: the
    renderers would slow every command's start)."""
    from kbd.render.notes import counted as render_counted

    return render_counted(n, noun)


class UsageError(Exception):
    """The command cannot run as given (no vault there, a note outside the vault): exit code 2."""


def vault_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("vault", type=Path, nargs="?", default=Path("."), help="vault folder (default: here)")
    p.add_argument("--config", type=Path, help="config file (default: VAULT/kbd/config.yaml)")


def open_vault(vault: Path, config_path: Path | None, command: str, create_state: bool = True
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
                              f"the vault: `kbd {command} {shown_path(enclosing)}`")
        raise UsageError(f"{root} has no {layout.raw}/ folder, so it is not a kbd vault yet; "
                          f"run `kbd init {shown_path(root)}` first (it creates {layout.raw}/ and changes no "
                          "existing file)")
    if create_state:
        (root / STATE_DIR).mkdir(exist_ok=True)
    return root, config


def shown_path(path: Path) -> str:
    """`path` as the user would type it from here: relative when at or below the working folder."""
    cwd = Path.cwd().resolve()
    if path.is_relative_to(cwd):
        return shlex.quote(str(path.relative_to(cwd))) if path != cwd else "."
    if cwd.is_relative_to(path):
        return "/".join([".."] * len(cwd.relative_to(path).parts))
    return shlex.quote(str(path))


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def budget_line(plan: Any) -> str:
    """`budget: per run $X, today $Y (spent $Z)` for a plan with caps; empty without caps."""
    caps = []
    if plan.per_run_cap_usd is not None:
        caps.append(f"per run ${plan.per_run_cap_usd:.2f}")
    if plan.daily_cap_usd is not None:
        caps.append(f"today ${plan.daily_cap_usd:.2f} (spent ${plan.spent_today_usd:.4f})")
    return "budget: " + ", ".join(caps) if caps else ""


class Progress:
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

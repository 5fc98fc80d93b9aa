"""`kbd ask VAULT --refresh-stale`: ask again the answers a changed note made stale, oldest mark
first, until a spending cap refuses the next one (those stay stale and are listed)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kbd.ask.command import AskError, AskFailed, ask_and_file
from kbd.compile.run import Compiler
from kbd.config import Config
from kbd.lock import VaultLock
from kbd.state import State
from kbd.vault.layout import VaultLayout


@dataclass
class RefreshResult:
    refreshed: list[tuple[str, str]] = field(default_factory=list)  # question, answer note
    left: list[tuple[str, str]] = field(default_factory=list)  # question, why it is still stale
    spent_usd: float = 0.0
    calls: int = 0


def refresh_stale(root: Path, config: Config, progress: Callable[[str], None] | None = None) -> RefreshResult:
    layout = VaultLayout.from_config(root, config)
    with VaultLock(layout.state_dir):
        state = State(layout.state_dir / "state.db")
        try:
            return refresh_with(layout, config, state, progress)
        finally:
            state.close()


def refresh_with(layout: VaultLayout, config: Config, state: State,
                 progress: Callable[[str], None] | None = None) -> RefreshResult:
    """refresh_stale for a caller that holds the vault lock (the daemon's `ask` job)."""
    say = progress or (lambda _: None)
    result = RefreshResult()
    _render(layout, config, state)  # brings the stale marks up to date (no model call)
    stale = state.db.execute("SELECT a.question FROM answer_stale s JOIN answers a ON a.id=s.answer_id "
                             "ORDER BY s.since, a.id").fetchall()
    for number, (question,) in enumerate(stale, start=1):
        say(f"re-asking {number} of {len(stale)}: {question[:80]}")
        try:
            asked = ask_and_file(layout.root, config, state, question, "md", say)
        except AskFailed as exc:
            if exc.budget:
                result.left += [(q, f"not re-asked: {exc}") for (q,) in stale[number - 1:]]
                break
            result.left.append((question, str(exc)))
            continue
        except AskError as exc:
            result.left.append((question, str(exc)))
            continue
        result.spent_usd += asked.spent_usd
        result.calls += asked.calls
        if asked.filed == "kept-user-edit":
            result.left.append((question, f"you edited {asked.note}; kbd kept your version"))
        else:
            result.refreshed.append((question, asked.note or ""))
    return result


def _render(layout: VaultLayout, config: Config, state: State) -> None:
    Compiler(layout, config, state, stop=threading.Event(), only=frozenset()).run()

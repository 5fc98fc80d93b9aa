"""`kbd monitor VAULT [NAME]`: check web monitors now (kbd/monitor/cli.py parses and prints).

A front door like the daemon: after the checks it re-renders Status.md with the same renderer the
daemon and compile use (kbd.compile.model), so the last-checked times show without a compile."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kbd import interrupt
from kbd.compile.model import WikiModel
from kbd.config import Config
from kbd.lock import VaultLock
from kbd.monitor.check import CheckResult, MonitorChecker
from kbd.monitor.settings import monitors
from kbd.state import State
from kbd.vault.layout import VaultLayout
from kbd.vault.write import VaultWriter, WriteRefused

EXAMPLE = ('triggers:\n  - name: acme-pricing\n    on: {url: "https://acme.example/pricing", every: 6h}\n'
           "    with: {ingest: true}   # optional: also save each new version under raw/")


class NoSuchMonitor(Exception):
    """The config names no monitor of that name (or none at all): a usage error."""


@dataclass
class MonitorRun:
    results: list[CheckResult] = field(default_factory=list)
    status_note: str = ""
    status_problem: str | None = None  # why Status.md could not be updated


def monitor_vault(root: Path, config: Config, name: str | None = None) -> MonitorRun:
    names = [m.name for m in monitors(config)]
    layout = VaultLayout.from_config(root, config)
    with VaultLock(layout.state_dir):
        state = State(layout.state_dir / "state.db")
        try:
            writer = VaultWriter(layout, state)
            checker = MonitorChecker(layout, config, state, writer)
            try:
                checker.forget_others()  # monitors taken out of the config leave Status.md too
                if not names:
                    raise NoSuchMonitor(f"no web monitors in {config.source or 'kbd/config.yaml'}; add one, e.g."
                                        f"\n{EXAMPLE}")
                if name is not None and name not in names:
                    raise NoSuchMonitor(f"no web monitor called {name!r}; the config has: {', '.join(names)}")
                run = MonitorRun(checker.check_all([name] if name else None, stop=interrupt.current()),
                                 layout.status_note)
                interrupt.checkpoint()
            finally:
                checker.close()
            rendered = WikiModel(state, layout, config.compile.max_concepts_per_source).render("status")
            if rendered is not None:
                try:
                    writer.write(rendered.path, rendered.text)
                except (WriteRefused, OSError) as exc:
                    run.status_problem = str(exc)
            return run
        finally:
            state.close()

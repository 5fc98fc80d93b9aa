"""`kbd plan`: what a compile would do and what it would cost, spending nothing.

It scans like a compile (reading only), builds each model call exactly as the engine would, and
prices it: input tokens = characters / 3.5, output tokens = the skill's usual reply size. Calls
already in the cache cost nothing and are counted as such.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kbd.compile.scan import scan_raw
from kbd.config import Config
from kbd.engines import make_engine
from kbd.engines.base import SourceInput
from kbd.engines.client import Usage
from kbd.engines.gateway import estimate_tokens
from kbd.engines.llm import LLMEngine
from kbd.engines.skills import system_prompt
from kbd.state import State
from kbd.vault.layout import VaultLayout
from kbd.vault.note import Rejection, read_raw_note


@dataclass
class PlannedSource:
    path: str
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    skipped: str | None = None


@dataclass
class Plan:
    engine: str
    sources: list[PlannedSource] = field(default_factory=list)
    removals: int = 0
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    daily_cap_usd: float | None = None
    per_run_cap_usd: float | None = None
    spent_today_usd: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan_compile(root: Path, config: Config) -> Plan:
    """Reads only. A vault never compiled has no state.db, and planning must not create one: the
    plan then runs against an empty state in a temporary folder outside the vault."""
    layout = VaultLayout.from_config(root, config)
    with tempfile.TemporaryDirectory(prefix="kbd-plan-") as scratch:
        existing = layout.state_dir / "state.db"
        state = State(existing if existing.exists() else Path(scratch) / "state.db")
        return _plan(layout, config, state)


def _plan(layout: VaultLayout, config: Config, state: State) -> Plan:
    try:
        scan = scan_raw(layout, state, config.compile.max_note_bytes)
        known = {r[0]: r[1] for r in state.db.execute("SELECT key, note_name FROM concepts")}
        engine = make_engine(config, layout.root, state.path, "plan", known)
        plan = Plan(engine=engine.name, removals=len(scan.gone),
                    daily_cap_usd=config.budget.daily_usd, per_run_cap_usd=config.budget.per_run_usd)
        for candidate in scan.changed:
            item = PlannedSource(candidate.path)
            plan.sources.append(item)
            note = read_raw_note(layout.root, candidate.path, config.compile.max_note_bytes)
            if isinstance(note, Rejection):
                item.skipped = note.reason
                continue
            if not isinstance(engine, LLMEngine):
                continue  # the offline engine makes no model calls
            gateway, skill = engine.gateway, engine.skill
            prices = gateway.roles[skill.role].prices
            messages = engine.planned_calls(SourceInput(note.title, note.document, note.meta, label=candidate.path))
            system = system_prompt(skill, gateway.constraints)
            for user in messages:
                if gateway.cached(skill, user):
                    item.cached_calls += 1
                    continue
                item.calls += 1
                item.input_tokens += estimate_tokens(len(system) + len(user))
                item.output_tokens += skill.expected_output_tokens
            if len(messages) > 1:
                # Combining the parts: in go their summaries and concept sentences (about half of
                # each part's reply), out comes one summary.
                item.calls += 1
                item.input_tokens += estimate_tokens(len(system)) + len(messages) * skill.expected_output_tokens // 2
                item.output_tokens += skill.expected_output_tokens
            item.cost_usd = prices.cost(Usage(item.input_tokens, item.output_tokens, 0))
            if engine.verifier is not None and item.calls:
                # One check per summary (a rejection costs one more summary and check, not planned).
                checker = engine.verifier
                checker_system = system_prompt(checker, gateway.constraints)
                source_chars = sum(map(len, messages))
                tokens_in = estimate_tokens(len(checker_system) + source_chars) + skill.expected_output_tokens
                item.calls += 1
                item.input_tokens += tokens_in
                item.output_tokens += checker.expected_output_tokens
                check_usage = Usage(tokens_in, checker.expected_output_tokens)
                item.cost_usd += gateway.roles["verifier"].prices.cost(check_usage)
        if isinstance(engine, LLMEngine):
            plan.spent_today_usd = engine.gateway.spent()[1]
        engine.close()
        for item in plan.sources:
            plan.calls += item.calls
            plan.cached_calls += item.cached_calls
            plan.input_tokens += item.input_tokens
            plan.output_tokens += item.output_tokens
            plan.cost_usd += item.cost_usd
        return plan
    finally:
        state.close()

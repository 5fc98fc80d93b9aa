"""`kbd plan`: what a compile would do and what it would cost, spending nothing.

It scans like a compile (reading only), builds each model call exactly as the engine would, and
prices it: input tokens = characters / 3.5, output tokens = the skill's usual reply size. Calls
already in the cache cost nothing and are counted as such. Summaries an older engine made (another
model, skill or constraints) are counted and priced apart: `kbd compile --redo` redoes them.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kbd.compile.redo import out_of_date
from kbd.compile.scan import scan_raw
from kbd.config import Config
from kbd.engines import make_engine
from kbd.engines.base import Engine, SourceInput
from kbd.engines.batch import BATCH_DISCOUNT
from kbd.engines.client import Usage
from kbd.engines.gateway import estimate_tokens
from kbd.engines.llm import LLMEngine
from kbd.engines.skills import system_prompt
from kbd.papers.read import is_pdf, read_pdf
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
    batch_cost_usd: float = 0.0  # the same with --batch: its first calls at the batch discount


@dataclass
class RedoPlan:
    """Summaries an older engine made, and what `kbd compile --redo` would spend redoing them."""

    notes: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # what changed ("model", "constraints") → notes
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    sources: list[PlannedSource] = field(default_factory=list)


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
    redo: RedoPlan = field(default_factory=RedoPlan)
    batch_cost_usd: float = 0.0  # what the compile would cost with --batch
    in_batches: int = 0  # changed clippings whose summaries are in a batch already sent

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
        batched = {r[0] for r in state.db.execute("SELECT json_extract(payload, '$.path') FROM jobs "
                                                  "WHERE state='batched'")}
        for candidate in scan.changed:
            if candidate.path in batched:
                plan.in_batches += 1
                continue
            plan.sources.append(_estimate(layout, config, engine, candidate.path))
        changed = {c.path for c in scan.changed} | set(scan.gone)
        stale = [s for s in out_of_date(state, layout, engine.made_by) if s.raw_path not in changed]
        plan.redo.notes = len(stale)
        for item in stale:
            for reason in item.changes:
                plan.redo.reasons[reason] = plan.redo.reasons.get(reason, 0) + 1
            plan.redo.sources.append(_estimate(layout, config, engine, item.raw_path))
        if isinstance(engine, LLMEngine):
            plan.spent_today_usd = engine.gateway.spent()[1]
        engine.close()
        _add_up(plan, plan.sources)
        _add_up(plan.redo, plan.redo.sources)
        plan.batch_cost_usd = sum(item.batch_cost_usd for item in plan.sources)
        return plan
    finally:
        state.close()


def _add_up(total: Plan | RedoPlan, items: list[PlannedSource]) -> None:
    for item in items:
        total.calls += item.calls
        total.cached_calls += item.cached_calls
        total.input_tokens += item.input_tokens
        total.output_tokens += item.output_tokens
        total.cost_usd += item.cost_usd


def _estimate(layout: VaultLayout, config: Config, engine: Engine, path: str) -> PlannedSource:
    """The calls, tokens and cost of summarising one clipping, built as the engine would."""
    item = PlannedSource(path)
    max_bytes = config.compile.max_note_bytes
    # A PDF's text is what the engine is given: read it as a compile would (capped worker, kbd/papers).
    note = read_pdf(layout.root, path, max_bytes) if is_pdf(path) else read_raw_note(layout.root, path, max_bytes)
    if isinstance(note, Rejection):
        item.skipped = note.reason
        return item
    if not isinstance(engine, LLMEngine):
        return item  # the offline engine makes no model calls
    gateway, skill = engine.gateway, engine.skill
    prices = gateway.roles[skill.role].prices
    messages = engine.planned_calls(SourceInput(note.title, note.document, note.meta, label=path))
    system = system_prompt(skill, gateway.constraints)
    for user in messages:
        if gateway.cached(skill, user):
            item.cached_calls += 1
            continue
        item.calls += 1
        item.input_tokens += estimate_tokens(len(system) + len(user))
        item.output_tokens += skill.expected_output_tokens
    first_calls = prices.cost(Usage(item.input_tokens, item.output_tokens, 0))
    if len(messages) > 1:
        # Combining the parts: in go their summaries and concept sentences (about half of
        # each part's reply), out comes one summary.
        item.calls += 1
        item.input_tokens += estimate_tokens(len(system)) + len(messages) * skill.expected_output_tokens // 2
        item.output_tokens += skill.expected_output_tokens
    item.cost_usd = prices.cost(Usage(item.input_tokens, item.output_tokens, 0))
    item.batch_cost_usd = item.cost_usd - first_calls * (1 - BATCH_DISCOUNT)
    if engine.verifier is not None and item.calls:
        # One check per request that made the summary: the source, or each part and the
        # combination of the parts (a rejection costs one more summary and check, not planned).
        checks = 1 if len(messages) == 1 else len(messages) + 1
        checker = engine.verifier
        checker_system = system_prompt(checker, gateway.constraints)
        source_chars = sum(map(len, messages))
        tokens_in = estimate_tokens(checks * len(checker_system) + source_chars) + checks * skill.expected_output_tokens
        item.calls += checks
        item.input_tokens += tokens_in
        item.output_tokens += checks * checker.expected_output_tokens
        check_usage = Usage(tokens_in, checks * checker.expected_output_tokens)
        item.cost_usd += gateway.roles["verifier"].prices.cost(check_usage)
        item.batch_cost_usd += gateway.roles["verifier"].prices.cost(check_usage)
    return item

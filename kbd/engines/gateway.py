"""The only way a model is called: cache lookup, budget check, call, usage record.

Every call is keyed by content hash (provider, model, skill version, constraints, input); an
unchanged input is answered from state.db without a request. Before a call its cost is
estimated (characters / 3.5 + the skill's output budget, at the configured prices) and checked
against the per-run and daily caps, counting calls still in flight, so spend never exceeds a cap
by more than one call's estimate error. Afterwards the real usage and cost are recorded.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kbd.engines.client import ModelClient, ModelSpec, Usage
from kbd.engines.errors import BudgetExceeded, ModelError
from kbd.engines.skills import Skill, cache_key, system_prompt

CHARS_PER_TOKEN = 3.5


@dataclass(frozen=True)
class Prices:
    """US dollars per million tokens."""

    input: float = 0.0
    output: float = 0.0
    cached_input: float | None = None

    def cost(self, usage: Usage) -> float:
        cached = min(usage.cached_tokens, usage.input_tokens)
        cached_price = self.input if self.cached_input is None else self.cached_input
        return ((usage.input_tokens - cached) * self.input + cached * cached_price
                + usage.output_tokens * self.output) / 1_000_000


@dataclass(frozen=True)
class Role:
    spec: ModelSpec
    prices: Prices


@dataclass(frozen=True)
class Caps:
    daily_usd: float | None = None
    per_run_usd: float | None = None


def estimate_tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


class ModelGateway:
    def __init__(self, db_path: Path, roles: dict[str, Role], caps: Caps, constraints: str, run: str,
                 clients: dict[str, ModelClient] | None = None) -> None:
        self.roles = roles
        self.caps = caps
        self.constraints = constraints
        self.run = run
        self.clients = clients or {name: ModelClient(role.spec) for name, role in roles.items()}
        # One connection shared by the worker threads, every use under the lock.
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=30)
        self.lock = threading.Lock()
        self.reserved = 0.0

    def close(self) -> None:
        self.db.close()
        for client in self.clients.values():
            client.close()

    def estimate(self, skill: Skill, user: str) -> tuple[int, int, float]:
        """(input tokens, output tokens, cost) a call is expected to take at most."""
        role = self.roles[skill.role]
        tokens_in = estimate_tokens(len(system_prompt(skill, self.constraints)) + len(user))
        tokens_out = skill.max_output_tokens
        return tokens_in, tokens_out, role.prices.cost(Usage(tokens_in, tokens_out, 0))

    def cached(self, skill: Skill, user: str) -> bool:
        role = self.roles[skill.role]
        key = cache_key(role.spec.provider, role.spec.model, skill, self.constraints, user)
        with self.lock:
            return self.db.execute("SELECT 1 FROM llm_cache WHERE key=?", (key,)).fetchone() is not None

    def call(self, skill: Skill, user: str, job: str) -> dict[str, Any]:
        role = self.roles.get(skill.role)
        if role is None:
            raise ModelError(f"skill `{skill.name}` needs a `{skill.role}` model; add models.{skill.role} "
                             "to the config")
        key = cache_key(role.spec.provider, role.spec.model, skill, self.constraints, user)
        with self.lock:
            hit = self.db.execute("SELECT result FROM llm_cache WHERE key=?", (key,)).fetchone()
            if hit:
                self._record(job, skill, role, Usage(), 0, 0.0, 0, "cached")
                return json.loads(hit[0])
        _, _, estimate = self.estimate(skill, user)
        with self.lock:
            refusal = self._over_cap(estimate)
            if refusal:
                self._record(job, skill, role, Usage(), 0, 0.0, 0, f"refused: {refusal}")
                raise BudgetExceeded(refusal)
            self.reserved += estimate
        start = time.monotonic()
        try:
            completion = self.clients[skill.role].complete(system_prompt(skill, self.constraints), user,
                                                           skill.schema, skill.max_output_tokens)
        except ModelError as exc:
            with self.lock:
                self.reserved -= estimate
                self._record(job, skill, role, Usage(), 0, 0.0, int((time.monotonic() - start) * 1000),
                             f"error: {exc}"[:300])
            raise
        cost = role.prices.cost(completion.usage)
        with self.lock:
            self.reserved -= estimate
            self._record(job, skill, role, completion.usage, completion.requests, cost,
                         int(completion.latency_seconds * 1000), "ok")
            self.db.execute("INSERT OR REPLACE INTO llm_cache(key, result, created) VALUES(?, ?, ?)",
                            (key, json.dumps(completion.data, ensure_ascii=False), _now().isoformat()))
        return completion.data

    def embed(self, role_name: str, texts: list[str], job: str) -> list[list[float]]:
        """Embeddings through the same budget check and usage record as every other call. The
        caller caches vectors by content hash; this never sends an unchanged text twice."""
        role = self.roles[role_name]
        estimate = role.prices.cost(Usage(estimate_tokens(sum(map(len, texts))), 0, 0))
        with self.lock:
            refusal = self._over_cap(estimate)
            if refusal:
                self._record_call(job, "embed", role_name, role, Usage(), 0, 0.0, 0, f"refused: {refusal}")
                raise BudgetExceeded(refusal)
            self.reserved += estimate
        start = time.monotonic()
        try:
            vectors, usage, requests = self.clients[role_name].embed(texts)
        except ModelError as exc:
            with self.lock:
                self.reserved -= estimate
                self._record_call(job, "embed", role_name, role, Usage(), 0, 0.0,
                                  int((time.monotonic() - start) * 1000), f"error: {exc}"[:300])
            raise
        with self.lock:
            self.reserved -= estimate
            self._record_call(job, "embed", role_name, role, usage, requests, role.prices.cost(usage),
                              int((time.monotonic() - start) * 1000), "ok")
        return vectors

    def spent(self) -> tuple[float, float]:
        """(this run, today) in US dollars, calls in flight not included."""
        run = self.db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_calls WHERE run=?",
                              (self.run,)).fetchone()[0]
        day = self.db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_calls WHERE day=?",
                              (_now().date().isoformat(),)).fetchone()[0]
        return float(run), float(day)

    def _over_cap(self, estimate: float) -> str | None:
        run, day = self.spent()
        if self.caps.per_run_usd is not None and run + self.reserved + estimate > self.caps.per_run_usd:
            return (f"the next call (about ${estimate:.4f}) would take this run past budget.per_run_usd "
                    f"(${self.caps.per_run_usd:.2f}; spent ${run:.4f})")
        if self.caps.daily_usd is not None and day + self.reserved + estimate > self.caps.daily_usd:
            return (f"the next call (about ${estimate:.4f}) would take today past budget.daily_usd "
                    f"(${self.caps.daily_usd:.2f}; spent ${day:.4f})")
        return None

    def _record(self, job: str, skill: Skill, role: Role, usage: Usage, requests: int, cost: float,
                latency_ms: int, outcome: str) -> None:
        self._record_call(job, skill.name, skill.role, role, usage, requests, cost, latency_ms, outcome)

    def _record_call(self, job: str, skill: str, role_name: str, role: Role, usage: Usage, requests: int,
                     cost: float, latency_ms: int, outcome: str) -> None:
        now = _now()
        self.db.execute(
            "INSERT INTO llm_calls(time, day, run, job, skill, role, provider, model, input_tokens, output_tokens, "
            "cached_tokens, requests, cost_usd, latency_ms, outcome) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now.isoformat(), now.date().isoformat(), self.run, job, skill, role_name, role.spec.provider,
             role.spec.model, usage.input_tokens, usage.output_tokens, usage.cached_tokens, requests, cost,
             latency_ms, outcome))


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)

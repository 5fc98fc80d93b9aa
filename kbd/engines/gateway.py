"""The only way a model is called: cache lookup, budget check, call, usage record.

Every call is keyed by content hash (provider, model, skill version, constraints, input); an
unchanged input is answered from state.db without a request. Every HTTP request of a call
(retries, the repair, a truncation retry) is reserved against the per-run and daily caps before
it is sent, on the pessimistic side (characters / 2 input tokens, the whole output budget,
reasoning included), counting requests still in flight; once it ends the reservation is settled
with the usage the provider reported, whatever became of the reply. So spend exceeds a cap by at
most what one request was billed beyond its reservation. The call is then recorded with its real
usage and cost, failed calls included.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kbd.engines.client import ModelClient, ModelSpec, Usage
from kbd.engines.errors import BudgetExceeded, ModelError
from kbd.engines.skills import Skill, cache_key, system_prompt, task_prompt
from kbd.engines.throttle import Throttle
from kbd.engines.vision import ImageInput

CHARS_PER_TOKEN = 3.5
PESSIMISTIC_CHARS_PER_TOKEN = 2.0  # reservations: dense text (code, numbers, CJK) takes more tokens
PROBE_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": False, "required": ["ok"],
                                "properties": {"ok": {"type": "boolean"}}}


@dataclass(frozen=True)
class Prices:
    """US dollars per million tokens."""

    input: float = 0.0
    output: float = 0.0
    cached_input: float | None = None  # tokens read from the provider's prompt cache; default: input
    cache_write: float | None = None  # tokens written to it (Anthropic charges more); default: input

    def cost(self, usage: Usage) -> float:
        cached = min(usage.cached_tokens, usage.input_tokens)
        written = min(usage.cache_write_tokens, usage.input_tokens - cached)
        cached_price = self.input if self.cached_input is None else self.cached_input
        write_price = self.input if self.cache_write is None else self.cache_write
        return ((usage.input_tokens - cached - written) * self.input + cached * cached_price
                + written * write_price + usage.output_tokens * self.output) / 1_000_000


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
        self.clients = clients or _clients(roles)
        # One connection shared by the worker threads, every use under the lock.
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=30)
        self.lock = threading.Lock()
        for client in self.clients.values():
            client.modes = self
        self.reserved = 0.0  # requests in flight, at their pessimistic estimate
        self.settled = 0.0  # requests ended but their call not yet recorded

    def close(self) -> None:
        self.db.close()
        for client in self.clients.values():
            client.close()

    def estimate(self, skill: Skill, user: str) -> tuple[int, int, float]:
        """(input tokens, output tokens, cost) a call is expected to take at most."""
        role = self.roles[skill.role]
        tokens_in = estimate_tokens(len(system_prompt(skill, self.constraints)) + len(task_prompt(skill, user)))
        tokens_out = skill.max_output_tokens + role.spec.reasoning_allowance()
        return tokens_in, tokens_out, role.prices.cost(Usage(tokens_in, tokens_out, 0))

    def cached(self, skill: Skill, user: str) -> bool:
        role = self.roles[skill.role]
        key = cache_key(role.spec.provider, role.spec.model, skill, self.constraints, user)
        with self.lock:
            return self.db.execute("SELECT 1 FROM llm_cache WHERE key=?", (key,)).fetchone() is not None

    def call(self, skill: Skill, user: str, job: str, prefix: str = "", image: ImageInput | None = None
             ) -> dict[str, Any]:
        """The skill's result for `user` (the task); `prefix` (the source) goes before the task and
        is shared, as a cacheable prompt prefix, by every call about the same source. An `image`
        (for a vision model) is keyed in the cache by its content hash."""
        role = self.roles.get(skill.role)
        if role is None:
            raise ModelError(f"skill `{skill.name}` needs a `{skill.role}` model; add models.{skill.role} "
                             "to the config")
        key = self.cache_key(skill, user + (f"\n\nimage sha256:{image.sha256}" if image else ""), prefix)
        with self.lock:
            hit = self.db.execute("SELECT result FROM llm_cache WHERE key=?", (key,)).fetchone()
            if hit:
                self._record(job, skill, role, Usage(), 0, 0.0, 0, "cached")
                return json.loads(hit[0])
        meter = _Meter(self, role)
        start = time.monotonic()
        try:
            completion = self.clients[skill.role].complete(system_prompt(skill, self.constraints),
                                                           task_prompt(skill, user), skill.schema,
                                                           skill.max_output_tokens, meter=meter, prefix=prefix,
                                                           tool=tool_name(skill), image=image)
        except ModelError as exc:
            with self.lock:
                self.settled -= meter.cost
                refused = isinstance(exc, BudgetExceeded) and meter.requests == 0
                self._record(job, skill, role, meter.usage, meter.requests, meter.cost,
                             int((time.monotonic() - start) * 1000), (f"refused: {exc}" if refused
                                                                      else f"error: {exc}")[:300])
            raise
        with self.lock:
            self.settled -= meter.cost
            self._record(job, skill, role, completion.usage, completion.requests, meter.cost,
                         int(completion.latency_seconds * 1000), "ok")
            self.db.execute("INSERT OR REPLACE INTO llm_cache(key, result, created) VALUES(?, ?, ?)",
                            (key, json.dumps(completion.data, ensure_ascii=False), _now().isoformat()))
        return completion.data

    def cache_key(self, skill: Skill, user: str, prefix: str = "") -> str:
        """Where `call` keeps the result of this call."""
        role = self.roles[skill.role]
        return cache_key(role.spec.provider, role.spec.model, skill, self.constraints,
                         f"{prefix}\n\n{user}" if prefix else user)

    def record_batched(self, job: str, skill: Skill, usage: Usage, cost: float, key: str,
                       data: dict[str, Any] | None, problem: str | None) -> None:
        """An answer collected from a provider batch (kbd/compile/backfill.py): recorded like a call,
        at the batch price, and, when valid, cached where `call` will find it."""
        role = self.roles[skill.role]
        with self.lock:
            self._record(job, skill, role, usage, 1, cost, 0, "ok" if data is not None else f"error: {problem}"[:300])
            if data is not None:
                self.db.execute("INSERT OR REPLACE INTO llm_cache(key, result, created) VALUES(?, ?, ?)",
                                (key, json.dumps(data, ensure_ascii=False), _now().isoformat()))

    def share_tools(self, skills: list[Skill]) -> None:
        """Offer every skill's result tool in every request to the model that runs it (Anthropic),
        so that a summary and its check share one cacheable prefix when one model does both."""
        for name, client in self.clients.items():
            model = _where(self.roles[name].spec)
            client.tools = {tool_name(s): s.schema for s in skills
                            if s.role in self.roles and _where(self.roles[s.role].spec) == model}

    def remembered(self, where: str) -> tuple[str, str] | None:
        """The structured-output mode `auto` found for an endpoint and model, and why (ModeMemory)."""
        with self.lock:
            row = self.db.execute("SELECT mode, reason FROM structured_modes WHERE endpoint=?", (where,)).fetchone()
        return (row[0], row[1]) if row else None

    def remember(self, where: str, mode: str, reason: str) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO structured_modes(endpoint, mode, reason, decided) "
                            "VALUES(?, ?, ?, ?)", (where, mode, reason, _now().isoformat()))

    def probe(self, role_name: str, fresh: bool = False, structured: str | None = None) -> tuple[str, str]:
        """One tiny real structured request to a role's model, as every call is made (strict schema,
        reasoning settings, budget, usage record) but never answered from the cache: `kbd doctor`
        uses it so a model that refuses kbd's requests shows before a compile. `fresh`: find the
        structured mode again (`auto`) instead of using the remembered one; `structured`: try that
        setting instead of the configured one, remembering nothing. Returns the structured mode the
        request went out in and why that one."""
        role = self.roles[role_name]
        client = self.clients[role_name]
        if structured is not None:  # what another `structured:` setting would do (doctor's suggestion)
            client = ModelClient(replace(role.spec, structured=structured), throttle=client.throttle)
        elif fresh:
            client.forget_mode()
        skill = Skill(name="doctor", role=role_name, version="1", schema=PROBE_SCHEMA,
                      prompt="Check that structured replies work: reply with ok set to true.", max_output_tokens=16,
                      expected_output_tokens=8, origin="built-in")
        meter = _Meter(self, role)
        start = time.monotonic()
        try:
            completion = client.complete(system_prompt(skill, self.constraints), task_prompt(skill, ""), PROBE_SCHEMA,
                                         skill.max_output_tokens, meter=meter)
        except ModelError as exc:
            with self.lock:
                self.settled -= meter.cost
                self._record("doctor", skill, role, meter.usage, meter.requests, meter.cost,
                             int((time.monotonic() - start) * 1000), f"error: {exc}"[:300])
            raise
        finally:
            if client is not self.clients[role_name]:
                client.close()
        with self.lock:
            self.settled -= meter.cost
            self._record("doctor", skill, role, completion.usage, completion.requests, meter.cost,
                         int(completion.latency_seconds * 1000), "ok")
        return client.structured_mode() or "", client.mode_reason

    def embed(self, role_name: str, texts: list[str], job: str) -> list[list[float]]:
        """Embeddings through the same throttle, per-request budget reservation and usage record as
        every other call. The caller caches vectors by content hash; this never sends an unchanged
        text twice."""
        role = self.roles[role_name]
        meter = _Meter(self, role)
        start = time.monotonic()
        try:
            vectors, usage, requests = self.clients[role_name].embed(texts, meter=meter)
        except ModelError as exc:
            with self.lock:
                self.settled -= meter.cost
                refused = isinstance(exc, BudgetExceeded) and meter.requests == 0
                self._record_call(job, "embed", role_name, role, meter.usage, meter.requests, meter.cost,
                                  int((time.monotonic() - start) * 1000),
                                  (f"refused: {exc}" if refused else f"error: {exc}")[:300])
            raise
        with self.lock:
            self.settled -= meter.cost
            self._record_call(job, "embed", role_name, role, usage, requests, meter.cost,
                              int((time.monotonic() - start) * 1000), "ok")
        return vectors


    def spent(self) -> tuple[float, float]:
        """(this run, today) in US dollars, calls in flight not included."""
        run = self.db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_calls WHERE run=?",
                              (self.run,)).fetchone()[0]
        day = self.db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_calls WHERE day=?",
                              (_now().date().isoformat(),)).fetchone()[0]
        return float(run), float(day)

    def over_cap(self, estimate: float) -> str | None:
        """Why spending `estimate` more would pass a budget cap (batches in flight counted), else None."""
        run, day = self.spent()
        # Batches sent but not yet collected hold what they may cost (their run's, and today's).
        mine, waiting = self.db.execute(
            "SELECT COALESCE(SUM(reserved_usd) FILTER (WHERE run=?), 0), COALESCE(SUM(reserved_usd), 0) "
            "FROM batches WHERE state='submitted'", (self.run,)).fetchone()
        run, day = run + self.settled + mine, day + self.settled + waiting
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


class _Meter:
    """One call's requests against the caps: each reserved before it is sent, settled after."""

    def __init__(self, gateway: ModelGateway, role: Role) -> None:
        self.gateway = gateway
        self.role = role
        self.usage = Usage()
        self.cost = 0.0
        self.requests = 0
        self.held = 0.0

    def reserve(self, prompt_chars: int, max_tokens: int) -> None:
        worst = Usage(math.ceil(prompt_chars / PESSIMISTIC_CHARS_PER_TOKEN), max_tokens)
        estimate = self.role.prices.cost(worst)
        with self.gateway.lock:
            refusal = self.gateway.over_cap(estimate)
            if refusal:
                raise BudgetExceeded(refusal)
            self.gateway.reserved += estimate
            self.held = estimate
            self.requests += 1

    def settle(self, usage: Usage) -> None:
        cost = self.role.prices.cost(usage)
        with self.gateway.lock:
            self.gateway.reserved -= self.held
            self.held = 0.0
            self.gateway.settled += cost
            self.usage += usage
            self.cost += cost


def tool_name(skill: Skill) -> str:
    """The name of a skill's result tool, as Anthropic accepts tool names (^[a-zA-Z0-9_-]{1,64}$)."""
    return "record_" + re.sub(r"[^a-zA-Z0-9_-]", "_", skill.name)[:57]


def _where(spec: ModelSpec) -> tuple[str, str, str]:
    return spec.provider, spec.base_url.rstrip("/"), spec.model


def _clients(roles: dict[str, Role]) -> dict[str, ModelClient]:
    """One client per role; roles served by the same model share one throttle, so the model's
    max_concurrency and rate limits hold across worker and verifier calls alike."""
    throttles: dict[tuple[str, str, str], Throttle] = {}
    clients = {}
    for name, role in roles.items():
        spec = role.spec
        where = _where(spec)
        if where not in throttles:
            same = [r.spec for r in roles.values() if _where(r.spec) == where]
            throttles[where] = Throttle(min(s.max_concurrency for s in same),
                                        _least([s.requests_per_minute for s in same]),
                                        _least([s.tokens_per_minute for s in same]))
        clients[name] = ModelClient(spec, throttle=throttles[where])
    return clients


def _least(values: list[int | None]) -> int | None:
    given = [v for v in values if v is not None]
    return min(given) if given else None


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)

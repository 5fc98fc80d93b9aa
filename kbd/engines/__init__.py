"""Engines turn typed inputs into typed results and never touch the vault.

Features get their engine from `make_engine`; none imports a concrete engine.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kbd.config import Config, ConfigError
from kbd.engines.base import Engine

if TYPE_CHECKING:
    from kbd.engines.gateway import ModelGateway


def make_engine(config: Config, vault_root: Path | None = None, state_path: Path | None = None, run: str = "",
                known_concepts: dict[str, str] | None = None) -> Engine:
    """The engine the config asks for: the offline engine, or with `models:` the LLM engine (which
    needs the vault, for skills and constraints, and state.db, for its cache, budget and usage)."""
    if not config.models:
        from kbd.engines.offline import OfflineEngine

        return OfflineEngine(max_concepts=config.compile.max_concepts_per_source)
    if vault_root is None or state_path is None:
        raise ValueError("the LLM engine needs the vault and its state.db")
    from kbd.engines.context import default_input_tokens, part_chars
    from kbd.engines.llm import LLMEngine
    from kbd.engines.provenance import VERIFIER_SKILL, WORKER_SKILL, made_by
    from kbd.engines.skills import load_skill, system_prompt

    gateway = make_gateway(config, vault_root, state_path, run)
    constraints = gateway.constraints
    skills = vault_root / "kbd" / "skills"
    skill = load_skill(WORKER_SKILL, skills)
    verifier = load_skill(VERIFIER_SKILL, skills) if "verifier" in gateway.roles else None
    gateway.share_tools([skill, *([verifier] if verifier else [])])
    worker = config.models["worker"]
    input_tokens = worker.max_input_tokens or default_input_tokens(worker.model)
    return LLMEngine(gateway, skill, known_concepts or {}, config.compile.max_concepts_per_source, verifier,
                     made_by=made_by(config, skill, verifier, constraints),
                     part_chars=part_chars(input_tokens, len(system_prompt(skill, constraints))))


def make_gateway(config: Config, vault_root: Path, state_path: Path, run: str = "") -> ModelGateway:
    """The one way to the configured models (keys from the environment, budget caps, the cache and
    usage records in state.db, kbd/constraints.md); needs `models:` in the config."""
    from kbd.engines.client import ModelSpec
    from kbd.engines.gateway import Caps, ModelGateway, Prices, Role
    from kbd.engines.provenance import read_constraints

    roles = {}
    for name, m in config.models.items():
        if m.api_key_env and not os.environ.get(m.api_key_env):
            raise ConfigError(f"the environment variable {m.api_key_env} is not set; export your API key in it "
                              "before running kbd (keys are never read from files)", file=config.source,
                              key=f"models.{name}.api_key_env")
        key = os.environ.get(m.api_key_env, "") if m.api_key_env else ""
        if not (key.isascii() and key.isprintable()) or key != key.strip():
            # An HTTP header holds ASCII only; a pasted curly quote or no-break space would fail
            # every request with an encoding error deep inside the HTTP client.
            raise ConfigError(f"the key in the environment variable {m.api_key_env} contains a space, a control "
                              "or a non-ASCII character (often a quote or no-break space pasted with it); "
                              "paste the key again", file=config.source, key=f"models.{name}.api_key_env")
        spec = ModelSpec(m.provider, m.model, m.base_url, m.api_key_env, m.structured, m.timeout_seconds,
                         reasoning_effort=m.reasoning_effort, reasoning_tokens=m.reasoning_tokens,
                         thinking_budget=m.thinking_budget_tokens, max_concurrency=m.max_concurrency,
                         requests_per_minute=m.requests_per_minute, tokens_per_minute=m.tokens_per_minute)
        roles[name] = Role(spec, Prices(m.price_input, m.price_output, m.price_cached_input, m.price_cache_write))
    return ModelGateway(state_path, roles, Caps(config.budget.daily_usd, config.budget.per_run_usd),
                        read_constraints(vault_root), run)

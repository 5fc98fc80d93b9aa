"""Engines turn typed inputs into typed results and never touch the vault.

Features get their engine from `make_engine` (summaries), `make_answerer` (answers) or
`make_slide_maker` (decks); none imports
a concrete engine. `make_gateway` is the one way to the configured models for any other skill.

Seams used across modules and packages (public, so a change to them is a change of interface):
- `ModelClient.user_content(prefix, task, schema, tool)` and `ModelClient.build_request(system,
  messages, schema, max_tokens, tool)` → (url, headers, body) in the provider's protocol: the
  batch interface (engines/batch.py) sends exactly the body a direct call would.
- `ModelGateway.over_cap(estimate)`: why spending `estimate` more would pass a budget cap, batches
  in flight counted (compile/backfill.py reserves a batch's cost with it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kbd.config import Config, ConfigError
from kbd.engines.answers import Answerer
from kbd.engines.base import Engine
from kbd.engines.decks import SlideMaker

if TYPE_CHECKING:
    from kbd.engines.gateway import ModelGateway
    from kbd.engines.skills import Skill


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
    describer = load_skill("describe_image", skills) if worker.vision and config.images.download else None
    return LLMEngine(gateway, skill, known_concepts or {}, config.compile.max_concepts_per_source, verifier,
                     made_by=made_by(config, skill, verifier, constraints),
                     part_chars=part_chars(input_tokens, len(system_prompt(skill, constraints))), describer=describer)


def make_offline_engine(config: Config) -> Engine:
    """The offline engine whatever the config says: it writes the notes a model could not."""
    from kbd.engines.offline import OfflineEngine

    return OfflineEngine(max_concepts=config.compile.max_concepts_per_source)


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


def make_answerer(config: Config, vault_root: Path | None = None, state_path: Path | None = None, run: str = ""
                  ) -> Answerer:
    """The answerer the config asks for: extractive offline, or the worker model (with the verifier
    model's check when one is configured)."""
    if not config.models:
        from kbd.engines.offline_answer import OfflineAnswerer

        return OfflineAnswerer()
    if vault_root is None or state_path is None:
        raise ValueError("the model answerer needs the vault and its state.db")
    from kbd.engines.llm_answer import ANSWER_SKILL, VERIFY_ANSWER_SKILL, LLMAnswerer

    return LLMAnswerer(*_skilled_gateway(config, vault_root, state_path, run, ANSWER_SKILL, VERIFY_ANSWER_SKILL))


def _skilled_gateway(config: Config, vault_root: Path, state_path: Path, run: str, worker: str, verifier: str
                     ) -> tuple[ModelGateway, Skill, Skill | None]:
    """The gateway with a worker skill and, when a verifier model is configured, its checking skill
    (a file of the same name in kbd/skills/ overrides either)."""
    from kbd.engines.skills import load_skill

    gateway = make_gateway(config, vault_root, state_path, run)
    skills = vault_root / "kbd" / "skills"
    skill = load_skill(worker, skills)
    check = load_skill(verifier, skills) if "verifier" in gateway.roles else None
    gateway.share_tools([skill, *([check] if check else [])])
    return gateway, skill, check


def make_slide_maker(config: Config, vault_root: Path | None = None, state_path: Path | None = None, run: str = ""
                     ) -> SlideMaker:
    """The slide maker the config asks for: extractive offline, or the worker model's `make_slides`
    skill (checked by the verifier model's `verify_slides` when one is configured)."""
    if not config.models:
        from kbd.engines.slides import OfflineSlides

        return OfflineSlides()
    if vault_root is None or state_path is None:
        raise ValueError("the model slide maker needs the vault and its state.db")
    from kbd.engines.slides import ModelSlides

    return ModelSlides(*_skilled_gateway(config, vault_root, state_path, run, "make_slides", "verify_slides"))


def slide_maker_identity(config: Config, vault_root: Path) -> str:
    """What made a deck, without connecting to anything: the engine, the models and the skills
    (version and text, so that an edited override counts), for noticing when a deck is out of date."""
    if not config.models:
        from kbd.engines.slides import OfflineSlides

        return OfflineSlides.made_by
    import hashlib

    from kbd.engines.skills import load_skill

    skills = vault_root / "kbd" / "skills"
    names = ["make_slides", *(["verify_slides"] if "verifier" in config.models else [])]
    parts = [f"{role}={m.provider}:{m.model}" for role, m in sorted(config.models.items())]
    for name in names:
        skill = load_skill(name, skills)
        parts.append(f"{name} v{skill.version} " + hashlib.sha256(skill.prompt.encode()).hexdigest()[:12])
    return "; ".join(parts)

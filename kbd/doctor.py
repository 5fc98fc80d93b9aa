"""`kbd doctor`: is this vault ready? Config, folders, state, and each model's key and endpoint.

Endpoints are checked with the providers' model-list request, which costs nothing, then with one
tiny real structured request per configured model (a few dozen tokens, within the budget and
recorded like every call), so a model that refuses the requests kbd makes (a schema its server
does not accept, a parameter a reasoning model refuses) shows before a compile does. With
`network=False` no request is made. Keys are never printed, only whether the variable is set and
whether the endpoint accepted it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from kbd.config import Config, ConfigError, load_config
from kbd.engines.client import ANTHROPIC_VERSION
from kbd.state import State, StateError
from kbd.vault.layout import VaultLayout


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(root: Path, config_path: Path | None = None, timeout: float = 10.0, network: bool = True
               ) -> list[Check]:
    checks: list[Check] = []
    try:
        config = load_config(root, config_path)
        checks.append(Check("config", True, f"{config.source or 'defaults'} is valid"))
    except ConfigError as exc:
        return [Check("config", False, str(exc))]
    layout = VaultLayout.from_config(root, config)
    raw = layout.abs(layout.raw)
    checks.append(Check("raw folder", raw.is_dir(), f"{layout.raw}/" + (" exists" if raw.is_dir() else
                                                                         " is missing: run `kbd init`")))
    wiki = layout.abs(layout.wiki)
    writable = wiki.is_dir() and os.access(wiki, os.W_OK)
    checks.append(Check("wiki folder", writable, f"{layout.wiki}/ " + ("is writable" if writable else
                                                                         "is missing or not writable")))
    try:
        State(layout.state_dir / "state.db").close()
        checks.append(Check("state", True, ".kbd/state.db opens and is up to date"))
    except (StateError, OSError, Exception) as exc:
        checks.append(Check("state", False, f".kbd/state.db: {exc}"))
    if not config.models:
        checks.append(Check("engine", True, "offline engine (no models: section); no key needed"))
    for role, model in config.models.items():
        if not network:
            checks.append(Check(f"{role} endpoint", True, f"not contacted (--no-network); model {model.model}"))
            continue
        found = _model_checks(role, model, config, timeout)
        checks += found
        if all(c.ok for c in found):
            checks.append(_structured_check(role, config, layout))
    return checks


def _structured_check(role: str, config: Config, layout: VaultLayout) -> Check:
    from kbd.engines import make_engine
    from kbd.engines.errors import ModelError
    from kbd.engines.llm import LLMEngine

    try:
        engine = make_engine(config, layout.root, layout.state_dir / "state.db", run="doctor")
    except (ConfigError, OSError, Exception) as exc:  # a broken skill override, a missing key: say which
        return Check(f"{role} request", False, str(exc))
    assert isinstance(engine, LLMEngine)
    try:
        engine.gateway.probe(role)
        return Check(f"{role} request", True, "a structured request was accepted and answered")
    except ModelError as exc:
        return Check(f"{role} request", False, f"a tiny structured request failed: {exc}")
    finally:
        engine.close()


def _model_checks(role: str, model: object, config: Config, timeout: float) -> list[Check]:
    from kbd.config import ModelConfig

    assert isinstance(model, ModelConfig)
    out = []
    key = os.environ.get(model.api_key_env, "") if model.api_key_env else ""
    if model.api_key_env:
        out.append(Check(f"{role} key", bool(key), f"${model.api_key_env} is " + ("set" if key else
                                                                               "not set: export your API key in it")))
        if not key:
            return out
    base = model.base_url.rstrip("/")
    if model.provider == "anthropic":
        url = (base if base.endswith("/v1") else base + "/v1") + "/models"
        headers = {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}
    else:
        url = base + "/models"
        headers = {"authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.get(url, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        out.append(Check(f"{role} endpoint", False, f"{base} is unreachable ({type(exc).__name__})"))
        return out
    if response.status_code in (401, 403):
        out.append(Check(f"{role} endpoint", False, f"{base} rejected the key (HTTP {response.status_code})"))
    elif response.status_code >= 400:
        out.append(Check(f"{role} endpoint", False, f"{base} answered HTTP {response.status_code}"))
    else:
        out.append(Check(f"{role} endpoint", True, f"{base} answers; model {model.model}"))
    return out

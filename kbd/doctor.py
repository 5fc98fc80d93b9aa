"""`kbd doctor`: is this vault ready? Config, folders, state, and each model's key and endpoint.

Endpoints are checked with the providers' model-list request, which costs nothing. Keys are
never printed, only whether the variable is set and whether the endpoint accepted it.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import httpx

from kbd.config import Config, ConfigError, load_config
from kbd.engines.client import ANTHROPIC_VERSION
from kbd.state import MIGRATIONS
from kbd.vault.layout import VaultLayout, enclosing_vault


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(root: Path, config_path: Path | None = None, timeout: float = 10.0) -> list[Check]:
    """Reads only: a typo in the path must not leave folders or a state.db behind."""
    checks: list[Check] = []
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        return [Check("vault", False, f"{root} {what}; check the path, or create a vault with `kbd init`")]
    try:
        config = load_config(root, config_path)
        checks.append(Check("config", True, f"{config.source or 'defaults'} is valid"))
    except ConfigError as exc:
        return [Check("config", False, str(exc))]
    layout = VaultLayout.from_config(root, config)
    raw = layout.abs(layout.raw)
    enclosing = None if raw.is_dir() else enclosing_vault(root)
    if enclosing is not None:
        return [*checks, Check("vault", False, f"{root} is inside the vault {enclosing}, not a vault itself; "
                                               f"run `kbd doctor {enclosing}`")]
    if not raw.is_dir():
        return [*checks, Check("vault", False, f"{root} has no {layout.raw}/ folder, so it is not a kbd vault yet; "
                                               f"run `kbd init {root}` (it changes no existing file)")]
    checks.append(Check("raw folder", True, f"{layout.raw}/ exists"))
    wiki = layout.abs(layout.wiki)
    writable = wiki.is_dir() and os.access(wiki, os.W_OK)
    checks.append(Check("wiki folder", writable, f"{layout.wiki}/ " + ("is writable" if writable else
                                                                         "is missing or not writable")))
    checks.append(_state_check(layout.state_dir / "state.db"))
    if not config.models:
        checks.append(Check("engine", True, "offline engine (no models: section); no key needed"))
    for role, model in config.models.items():
        checks += _model_checks(role, model, config, timeout)
    return checks


def _state_check(path: Path) -> Check:
    """Open state.db read-only (no migration, no file created) and compare its schema version."""
    if not path.exists():
        return Check("state", True, ".kbd/state.db does not exist yet; the first `kbd compile` creates it")
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        return Check("state", False, f".kbd/state.db cannot be read ({exc}); move it away and run `kbd compile` "
                                     "to rebuild it")
    if version > len(MIGRATIONS):
        return Check("state", False, f".kbd/state.db was written by a newer kbd (schema {version}); upgrade kbd")
    if version < len(MIGRATIONS):
        return Check("state", True, f".kbd/state.db opens; the next compile upgrades it (schema {version} → "
                                    f"{len(MIGRATIONS)})")
    return Check("state", True, ".kbd/state.db opens and is up to date")


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

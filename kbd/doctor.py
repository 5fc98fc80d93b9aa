"""`kbd doctor`: is this vault ready? Config, folders, state, and each model's key and endpoint.

Endpoints are checked with the providers' model-list request, which costs nothing, then with one
tiny real structured request per configured model (a few dozen tokens, within the budget and
recorded like every call), so a model that refuses the requests kbd makes (a schema its server
does not accept, a parameter a reasoning model refuses) shows before a compile does. With
`network=False` no request is made. Keys are never printed, only whether the variable is set and
whether the endpoint accepted it.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kbd.commandline import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Subcommands, counted, vault_args
from kbd.config import Config, ConfigError, load_config
from kbd.state import MIGRATIONS, State
from kbd.vault.layout import VaultLayout, enclosing_vault

if TYPE_CHECKING:
    from kbd.engines.gateway import ModelGateway


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(root: Path, config_path: Path | None = None, timeout: float = 10.0, network: bool = True
               ) -> list[Check]:
    """Reads only (the structured request's usage record aside): a typo in the path must not leave
    folders or a state.db behind."""
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
    checks.append(_word_frequencies_check())
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


def _word_frequencies_check() -> Check:
    """Whether the optional `wordfreq` package is there: the concept rules read which words are everyday English by
    it, and without it take every plain word for one (stricter: fewer pages). Not a fault, so always ok; the
    README's reading figures are with it (docs/reading-quality.md)."""
    from kbd.engines.commonness import knows_word_frequencies  # imports wordfreq: only `kbd doctor` pays for it

    if knows_word_frequencies():
        return Check("word frequencies", True, "wordfreq is installed: everyday words are told by their frequency "
                                                 "in English, as the README's reading figures were measured")
    return Check("word frequencies", True, "wordfreq is not installed, so every plain word counts as everyday "
                                             "and fewer concept pages are made; for the README's figures: "
                                             "`pip install 'wordfreq==3.1.1'` into kbd's environment, then "
                                             "`kbd compile --redo`")


def _structured_check(role: str, config: Config, layout: VaultLayout) -> Check:
    from kbd.engines import make_engine
    from kbd.engines.errors import ModelError, RequestRefused
    from kbd.engines.llm import LLMEngine
    from kbd.engines.structured import AUTO  # the engines load only when a model is checked

    existing = layout.state_dir / "state.db"
    import tempfile  # only `kbd doctor` needs it; every other command imports this module for its parser

    with tempfile.TemporaryDirectory(prefix="kbd-doctor-") as scratch:
        # The request is budgeted and recorded in the vault's state.db when it is up to date; doctor
        # never creates or upgrades it, so otherwise the record goes to a scratch copy.
        path = existing if _schema(existing) == len(MIGRATIONS) else Path(scratch) / "state.db"
        State(path).close()
        try:
            engine = make_engine(config, layout.root, path, run="doctor")
        except (ConfigError, OSError, Exception) as exc:  # a broken skill override, a missing key: say which
            return Check(f"{role} request", False, str(exc))
        assert isinstance(engine, LLMEngine)
        try:
            mode, why = engine.gateway.probe(role, fresh=True)
            return Check(f"{role} request", True, "a structured request was accepted and answered"
                         + _mode_words(config.models[role].structured, mode, why))
        except RequestRefused as exc:
            hint = ""
            if exc.about_format and config.models[role].structured != AUTO:
                hint = _suggestion(engine.gateway, role)
            return Check(f"{role} request", False, f"a tiny structured request failed: {exc}{hint}")
        except ModelError as exc:
            return Check(f"{role} request", False, f"a tiny structured request failed: {exc}")
        finally:
            engine.close()


def _mode_words(configured: str, mode: str, why: str) -> str:
    """How the schema went out, and why that way: what `structured: auto` chose is worth knowing."""
    from kbd.engines.structured import AUTO, MODE_WORDS

    if mode not in MODE_WORDS:
        return ""
    chosen = f"; structured: {configured}" + (f" chose {MODE_WORDS[mode]}" if configured == AUTO
                                              else f" ({MODE_WORDS[mode]})")
    return chosen + (f" — {why}" if why and configured == AUTO else "")


def _suggestion(gateway: ModelGateway, role: str) -> str:
    """With an explicit mode the server refused: the mode that works, found as `auto` would."""
    from kbd.engines.errors import ModelError
    from kbd.engines.structured import AUTO

    try:
        mode, why = gateway.probe(role, structured=AUTO)
    except ModelError:
        return ""
    return f". This server works with `structured: {mode}` (or `auto`): {why}"


def _schema(path: Path) -> int | None:
    """The schema version of a state.db, read without writing; None when there is none to read."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return int(db.execute("PRAGMA user_version").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return None


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
    import httpx  # `kbd doctor --no-network` and the rest of the CLI never load it

    from kbd.config import ModelConfig
    from kbd.engines.client import ANTHROPIC_VERSION

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


def add_doctor(sub: Subcommands) -> None:
    p = sub.add_parser("doctor", help="check the config, folders, state, keys and model endpoints",
                       description="Check that the vault is ready: config valid, folders present, state.db "
                                   "readable, whether the optional wordfreq package is installed (which words are "
                                   "everyday English, for concept pages), and for each model that its key variable "
                                   "is set, its endpoint answers and accepts the key (a free model-list request), "
                                   "and one tiny real structured request succeeds (a few dozen tokens, within the "
                                   "budget). Creates nothing. Exit 1 if a check fails, 2 if VAULT is not a vault or "
                                   "its config is invalid.")
    vault_args(p)
    p.add_argument("--no-network", action="store_true", help="make no request to any model endpoint")
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from kbd.doctor import run_checks

    checks = run_checks(args.vault.expanduser().resolve(), args.config, network=not args.no_network)
    for check in checks:
        print(f"{'ok ' if check.ok else 'BAD'}  {check.name:16} {check.detail}")
    bad = [c for c in checks if not c.ok]
    print("all good" if not bad else f"{counted(len(bad), 'problem')} to fix")
    if any(c.name in ("vault", "config") for c in bad):
        return EXIT_USAGE  # no vault there, or a config that cannot be used: a usage or config error
    return EXIT_OK if not bad else EXIT_FAILURE

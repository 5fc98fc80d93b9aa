"""How checks and fixes plug into lint.

A check is a function registered with `@check(...)`: it reads a `LintContext` (the scanned vault,
the config, state.db) and yields `Finding`s. A fix applier is a function registered with
`@fixer(kind)`: it performs one `Fix` through the writer or the compile machinery and returns the
record line the report keeps. Modules holding checks or fixers are listed in `CHECK_MODULES` and
`FIX_MODULES`; `load()` imports them (lazily: the config parser validates `lint:` against the
registry, and check modules import the vault layer, which imports the config).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kbd.lint.findings import Finding, Fix

if TYPE_CHECKING:
    from kbd.config import Config
    from kbd.lint.scan import VaultScan
    from kbd.state import State
    from kbd.vault.layout import VaultLayout
    from kbd.vault.write import VaultWriter

CHECK_MODULES: list[str] = ["kbd.lint.checks", "kbd.lint.model_checks", "kbd.lint.rules"]
FIX_MODULES: list[str] = ["kbd.lint.fixes"]


@dataclass(frozen=True)
class CheckSettings:
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        return self.options[name]


@dataclass
class LintContext:
    """What every check may read. Checks never write; a model check gets its engine or gateway
    from kbd.engines (config.models empty → the check is skipped with "needs a model")."""

    layout: VaultLayout
    config: Config
    state: State
    vault: VaultScan
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class FixContext:
    layout: VaultLayout
    config: Config
    state: State
    writer: VaultWriter
    date: str  # YYYY-MM-DD, for records
    stop: threading.Event = field(default_factory=threading.Event)


class FixFailed(Exception):
    """A fix that cannot be done (the note became the user's, the concept is gone); the message
    is the reason the report records."""


CheckFunction = Callable[[LintContext, CheckSettings], Iterable[Finding]]
FixFunction = Callable[[FixContext, Fix], str]


@dataclass(frozen=True)
class CheckSpec:
    name: str  # snake_case, the key under `lint:` in config.yaml
    title: str  # plural noun phrase for counts: "broken links"
    run: CheckFunction
    options: dict[str, Any] = field(default_factory=dict)  # option → default (its type is the option's type)
    needs_model: bool = False  # skipped, with "needs a model", when config.models is empty
    enabled: bool = True  # on unless the config switches it off


CHECKS: dict[str, CheckSpec] = {}
FIXERS: dict[str, FixFunction] = {}
_loaded = False
_lock = threading.Lock()


def check(name: str, title: str, *, options: dict[str, Any] | None = None, needs_model: bool = False,
          enabled: bool = True) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        CHECKS[name] = CheckSpec(name, title, function, dict(options or {}), needs_model, enabled)
        return function
    return register


def fixer(kind: str) -> Callable[[FixFunction], FixFunction]:
    def register(function: FixFunction) -> FixFunction:
        FIXERS[kind] = function
        return function
    return register


def load() -> dict[str, CheckSpec]:
    """Import every check and fix module once; returns the checks in report order."""
    global _loaded
    with _lock:
        if not _loaded:
            for module in [*CHECK_MODULES, *FIX_MODULES]:
                importlib.import_module(module)
            _loaded = True
    return CHECKS

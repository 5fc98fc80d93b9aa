"""The floor beneath every other module of kbd: configuration errors, the value constructors the
section parsers share, and the registration points through which each feature declares its part of
`kbd/config.yaml`.

`kbd/config.py` parses the sections that belong to no feature (paths, compile, daemon, search,
images, models, budget, triggers) and asks this registry for the rest; a feature registers its
section, trigger kind or load-time check from its own `settings` module and its jobs from its
`jobs` module, and `kbd/features.py` imports those modules once. So config.py imports no feature
and no feature imports config.py for its errors: nothing here imports anything of kbd.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """A configuration problem, located precisely enough to fix without guessing."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        self.message, self.file, self.line, self.key = message, file, line, key
        where = file or "config"
        if line is not None:
            where += f", line {line}"
        if key:
            where += f", key `{key}`"
        super().__init__(f"{where}: {message}")


def construct(node: yaml.Node, shown: str, key: str, deep: bool = True) -> Any:
    """One composed node as a Python value, with yaml.safe_load's tag resolution; a value no tag
    can build (`!!int "x"`, an unhashable key, `!!python/...`) is a ConfigError, not a traceback."""
    constructor = yaml.SafeLoader("")
    try:
        return constructor.construct_object(node, deep=deep)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        problem = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
        raise ConfigError(f"this value cannot be read: {problem}", file=shown, line=node.start_mark.line + 1,
                          key=key) from None


def pairs(node: yaml.MappingNode, shown: str, prefix: str) -> list[tuple[yaml.Node, yaml.Node]]:
    """The key/value nodes of a mapping; a key that is not a plain name, or appears twice, is an error."""
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ConfigError("keys must be plain names", file=shown, line=key_node.start_mark.line + 1)
        if key_node.value in seen:
            raise ConfigError("this key appears twice; keep one", file=shown,
                              line=key_node.start_mark.line + 1, key=prefix + key_node.value)
        seen.add(key_node.value)
    return node.value


def unknown(name: str, known: list[str]) -> str:
    """The message for an unknown key: the closest known one, else all of them."""
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean `{close[0]}`?" if close else f"; known keys: {', '.join(known)}"
    return f"unknown key{hint}"


def dataclass_section(cls: type, node: yaml.Node, shown: str, name: str,
                      limits: dict[str, tuple[int, int]] | None = None,
                      choices: dict[str, tuple[str, ...]] | None = None) -> Any:
    """A section whose keys are the fields of a frozen dataclass, each read as its default's type:
    whole numbers within `limits` (by key), prices, seconds, text (one of `choices`, by key)."""
    limits, choices = limits or {}, choices or {}
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return cls()
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("must be a mapping of keys", file=shown, line=node.start_mark.line + 1, key=name)
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key_node, value_node in pairs(node, shown, name + "."):
        key = key_node.value
        dotted = f"{name}.{key}"
        line = value_node.start_mark.line + 1
        if key not in known:
            raise ConfigError(unknown(key, list(known)), file=shown, line=key_node.start_mark.line + 1,
                              key=dotted)
        expected = type(known[key].default)
        raw = construct(value_node, shown, dotted)
        if expected is bool and not isinstance(raw, bool):
            raise ConfigError(f"must be true or false, got {value_node.value!r}", file=shown, line=line, key=dotted)
        if expected is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise ConfigError(f"must be a whole number, got {value_node.value!r}", file=shown,
                                  line=line, key=dotted)
            low, high = limits.get(key, (0, 2**62))
            if not low <= raw <= high:
                raise ConfigError(f"must be between {low} and {high}, got {raw}", file=shown, line=line,
                                  key=dotted)
        elif expected is float and key.endswith("_price"):
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
                raise ConfigError(f"must be a price in US dollars per million tokens (0 or more), got "
                                  f"{value_node.value!r}", file=shown, line=line, key=dotted)
            raw = float(raw)
        elif expected is float:
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0.05 <= raw <= 600:
                raise ConfigError(f"must be a number of seconds between 0.05 and 600, got {value_node.value!r}",
                                  file=shown, line=line, key=dotted)
            raw = float(raw)
        elif expected is str:
            if not isinstance(raw, str) or not raw.strip():
                raise ConfigError("must be a non-empty text value", file=shown, line=line, key=dotted)
            raw = raw.strip()
            if key in choices and raw not in choices[key]:
                raise ConfigError(f"must be one of {', '.join(choices[key])}", file=shown, line=line, key=dotted)
        values[key] = raw
    return cls(**values)


# -- registration points ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigSection:
    """A top-level section of config.yaml that a feature owns. `parse(node, shown)` reads it (raising
    ConfigError); `default()` is its value when the file leaves it out; `default_triggers(value,
    clips_glob)` adds triggers to the built-in ones when the config names none."""

    name: str
    parse: Callable[[yaml.Node, str], Any]
    default: Callable[[], Any]
    default_triggers: Callable[[Any, str], tuple[Any, ...]] | None = None


@dataclass(frozen=True)
class TriggerKind:
    """A kind of trigger a feature adds (a web monitor's `on: {url: ...}`): `matches(on_node)` says
    whether a trigger's `on:` is this kind; `build(name, fields, shown, where)` reads the whole trigger."""

    matches: Callable[[yaml.Node | None], bool]
    build: Callable[[str, dict[str, yaml.Node], str, str], Any]


@dataclass(frozen=True)
class JobSpec:
    """A job a trigger may `run:` (or, `internal`, one kbd runs by itself, never named by a trigger):
    `run(ctx, params)` takes a kbd.jobbase.JobContext and the trigger's `with:` (only `params`
    keys), and returns a kbd.jobbase.JobResult."""

    name: str
    run: Callable[[Any, dict[str, str]], Any]
    params: tuple[str, ...] = ()
    internal: bool = False


_SECTIONS: dict[str, ConfigSection] = {}
_JOBS: dict[str, JobSpec] = {}
_TRIGGER_KINDS: list[TriggerKind] = []
_CHECKS: list[Callable[[Path, Any], None]] = []


def register_section(section: ConfigSection) -> None:
    """Declare a feature's config section (once per name; registering it again replaces it)."""
    _SECTIONS[section.name] = section


def register_trigger_kind(kind: TriggerKind) -> None:
    if kind not in _TRIGGER_KINDS:
        _TRIGGER_KINDS.append(kind)


def register_config_check(check: Callable[[Path, Any], None]) -> None:
    """A check `check(vault, config)` that needs the vault (a skill file a trigger names must parse);
    load_config runs it after parsing and it raises ConfigError."""
    if check not in _CHECKS:
        _CHECKS.append(check)


def register_job(spec: JobSpec) -> None:
    """Declare a feature's job (in the order config errors list them); kbd/jobs.py is the table."""
    _JOBS[spec.name] = spec


def registered_jobs() -> dict[str, JobSpec]:
    return dict(_JOBS)


def registered_sections() -> dict[str, ConfigSection]:
    return dict(_SECTIONS)


def registered_section(name: str) -> ConfigSection | None:
    return _SECTIONS.get(name)


def registered_trigger_kinds() -> list[TriggerKind]:
    return list(_TRIGGER_KINDS)


def registered_checks() -> list[Callable[[Path, Any], None]]:
    return list(_CHECKS)

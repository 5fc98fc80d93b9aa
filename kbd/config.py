"""Configuration: `kbd/config.yaml` in the vault, validated into dataclasses.

Every error names the file, the line and the key, and says what would be valid, because the
person reading it is editing YAML in Obsidian, not reading a traceback.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

CONFIG_RELPATH = "kbd/config.yaml"

# Sections that later versions of kbd understand; naming them now gives a clear error instead of
# a silent no-op (a config that asks for a model must not quietly run offline).
NOT_YET_SUPPORTED = {
    "models": "the LLM engine is not in this version of kbd yet; remove `models:` to use the offline engine",
    "budget": "budgets apply to model calls, which this version of kbd does not make yet",
    "triggers": "triggers run under `kbd run`, which this version of kbd does not have yet",
}


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


@dataclass(frozen=True)
class PathsConfig:
    raw: str = "raw"
    wiki: str = "wiki"


@dataclass(frozen=True)
class CompileConfig:
    concept_min_sources: int = 2
    max_note_bytes: int = 5_000_000
    max_concepts_per_source: int = 12
    workers: int = 0  # 0 means one per CPU core


@dataclass(frozen=True)
class Config:
    paths: PathsConfig = field(default_factory=PathsConfig)
    compile: CompileConfig = field(default_factory=CompileConfig)
    source: str | None = None  # the file this was read from, for messages


_SECTIONS: dict[str, type] = {"paths": PathsConfig, "compile": CompileConfig}
# Turns one composed node into a Python value with the same tag resolution as yaml.safe_load.
_constructor = yaml.SafeLoader("")
_LIMITS: dict[str, tuple[int, int]] = {
    "concept_min_sources": (1, 1000),
    "max_note_bytes": (1_000, 1_000_000_000),
    "max_concepts_per_source": (1, 100),
    "workers": (0, 256),
}


def load_config(vault: Path, explicit: Path | None = None) -> Config:
    """Read the vault's config (or `explicit`); a missing default file means all defaults."""
    path = explicit if explicit is not None else vault / CONFIG_RELPATH
    shown = str(path) if explicit is not None else CONFIG_RELPATH
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if explicit is not None:
            raise ConfigError("file not found; pass an existing file to --config", file=shown) from None
        return Config()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", file=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=shown) from None
    return parse_config(text, shown)


def parse_config(text: str, shown: str = CONFIG_RELPATH) -> Config:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(f"invalid YAML: {exc.problem}", file=shown, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=shown) from None
    if root is None:
        return Config(source=shown)
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError("the file must be a mapping of sections (paths:, compile:)", file=shown,
                          line=root.start_mark.line + 1)
    values: dict[str, Any] = {}
    for key_node, value_node in _pairs(root, shown, ""):
        name = key_node.value
        line = key_node.start_mark.line + 1
        if name in NOT_YET_SUPPORTED:
            raise ConfigError(NOT_YET_SUPPORTED[name], file=shown, line=line, key=name)
        if name not in _SECTIONS:
            raise ConfigError(_unknown(name, list(_SECTIONS)), file=shown, line=line, key=name)
        values[name] = _section(_SECTIONS[name], value_node, shown, name)
    config = Config(source=shown, **values)
    _check_paths(config.paths, shown)
    return config


def _pairs(node: yaml.MappingNode, shown: str, prefix: str) -> list[tuple[yaml.Node, yaml.Node]]:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ConfigError("keys must be plain names", file=shown, line=key_node.start_mark.line + 1)
        if key_node.value in seen:
            raise ConfigError("this key appears twice; keep one", file=shown,
                              line=key_node.start_mark.line + 1, key=prefix + key_node.value)
        seen.add(key_node.value)
    return node.value


def _section(cls: type, node: yaml.Node, shown: str, name: str) -> Any:
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return cls()
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("must be a mapping of keys", file=shown, line=node.start_mark.line + 1, key=name)
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key_node, value_node in _pairs(node, shown, name + "."):
        key = key_node.value
        dotted = f"{name}.{key}"
        line = value_node.start_mark.line + 1
        if key not in known:
            raise ConfigError(_unknown(key, list(known)), file=shown, line=key_node.start_mark.line + 1,
                              key=dotted)
        expected = type(known[key].default)
        raw = _constructor.construct_object(value_node, deep=True)
        if expected is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise ConfigError(f"must be a whole number, got {value_node.value!r}", file=shown,
                                  line=line, key=dotted)
            low, high = _LIMITS.get(key, (0, 2**62))
            if not low <= raw <= high:
                raise ConfigError(f"must be between {low} and {high}, got {raw}", file=shown, line=line,
                                  key=dotted)
        elif expected is str:
            if not isinstance(raw, str) or not raw.strip():
                raise ConfigError("must be a non-empty text value", file=shown, line=line, key=dotted)
            raw = raw.strip()
        values[key] = raw
    return cls(**values)


def _unknown(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean `{close[0]}`?" if close else f"; known keys: {', '.join(known)}"
    return f"unknown key{hint}"


def _check_paths(paths: PathsConfig, shown: str) -> None:
    resolved = {}
    for key in ("raw", "wiki"):
        value = getattr(paths, key)
        pure = PurePosixPath(value.replace(os.sep, "/"))
        if pure.is_absolute() or ".." in pure.parts or value.startswith("~"):
            raise ConfigError("must be a folder inside the vault, relative to it (e.g. `raw`)",
                              file=shown, key=f"paths.{key}")
        if pure.parts and pure.parts[0] in (".kbd", "kbd", ".obsidian"):
            raise ConfigError(f"`{pure.parts[0]}` is reserved; pick another folder", file=shown,
                              key=f"paths.{key}")
        resolved[key] = pure
    raw, wiki = resolved["raw"], resolved["wiki"]
    if raw == wiki or raw in wiki.parents or wiki in raw.parents:
        raise ConfigError("the raw and wiki folders must not contain each other", file=shown,
                          key="paths.wiki")

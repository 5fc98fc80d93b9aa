"""Configuration: `kbd/config.yaml` in the vault, validated into dataclasses.

Every error names the file, the line and the key, and says what would be valid, because the
person reading it is editing YAML in Obsidian, not reading a traceback.

This module parses the sections no feature owns; a feature's section (ask, decks, lint, monitor),
its trigger kinds and its load-time checks come through the registration points of
kbd/configbase.py, and `config.<section>` reads them (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from kbd.configbase import (
    ConfigError,
    construct,
    dataclass_section,
    pairs,
    registered_checks,
    registered_section,
    registered_sections,
    registered_trigger_kinds,
    unknown,
)
from kbd.yaml_limits import MAX_BYTES, MAX_DEPTH, MAX_NODES, yaml_problem

CONFIG_RELPATH = "kbd/config.yaml"

# Sections that later versions of kbd understand; naming them now gives a clear error instead of
# a silent no-op (a config that asks for a model must not quietly run offline).
NOT_YET_SUPPORTED: dict[str, str] = {}
PROVIDERS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
# Jobs a trigger may `run:`.
BUILTIN_JOBS = ("compile", "index", "lint", "monitor", "slides", "ask")
# The parameters each job takes under a trigger's `with:`; any other key is refused like every
# other unknown key (a typo must not be accepted silently).
JOB_PARAMS: dict[str, tuple[str, ...]] = {"compile": (), "index": (), "lint": (), "monitor": ("name",), "slides": (),
                                          "ask": ("refresh_stale",)}
SKILL_JOB = "skill:"  # `run: skill:NAME` runs the custom skill kbd/skills/NAME.md
_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}



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
class DaemonConfig:
    debounce_seconds: float = 1.5  # quiet period per file before a change counts
    reconcile_minutes: int = 10  # full rescan, to catch anything the watcher missed
    missed_run_grace_hours: int = 24  # a scheduled run missed by less than this runs once on start or wake
    watcher: str = "auto"  # auto: native file events (polling if the OS refuses); polling: for network drives


@dataclass(frozen=True)
class Trigger:
    name: str
    kind: str  # files | cron | every | start
    spec: str  # glob, crontab line, seconds, or ""
    run: str
    params: tuple[tuple[str, str], ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class ModelConfig:
    provider: str
    model: str
    base_url: str
    api_key_env: str | None = None
    price_input: float = 0.0  # US dollars per million tokens
    price_output: float = 0.0
    price_cached_input: float | None = None
    price_cache_write: float | None = None
    max_concurrency: int = 4
    structured: str = "auto"  # how the schema is sent (kbd/engines/structured.py); auto finds out
    timeout_seconds: float = 120.0
    reasoning_effort: str | None = None  # openai reasoning models (o-series, gpt-5)
    reasoning_tokens: int | None = None  # openai: room for reasoning on top of each answer's budget
    thinking_budget_tokens: int | None = None  # anthropic extended thinking
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    max_input_tokens: int | None = None  # most input per request (sets the part size); None: from the model
    vision: bool = False  # the model reads images: each downloaded image's description joins the summary's input


@dataclass(frozen=True)
class BudgetConfig:
    daily_usd: float | None = None
    per_run_usd: float | None = None


@dataclass(frozen=True)
class SearchConfig:
    embeddings: str = ""  # a model name turns on `--mode hybrid`; empty: BM25 only, no network
    embeddings_url: str = "http://localhost:11434/v1"  # any OpenAI-compatible /v1 (Ollama by default)
    embeddings_key_env: str = ""  # environment variable holding the key, if the endpoint needs one
    embeddings_concurrency: int = 4
    embeddings_price: float = 0.0  # US dollars per million input tokens, for the budget


@dataclass(frozen=True)
class ImagesConfig:
    """`images:`: remote images a clipping embeds, downloaded to raw/assets/<clipping>/ (kbd/images);
    `download: false` opts out."""

    download: bool = True
    allow_private_networks: bool = False  # true lets an image come from loopback/private/link-local addresses
    max_bytes: int = 10_000_000
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class Config:
    paths: PathsConfig = field(default_factory=PathsConfig)
    compile: CompileConfig = field(default_factory=CompileConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    triggers: tuple[Trigger, ...] | None = None  # None: the default (compile on changes in raw/)
    models: dict[str, ModelConfig] = field(default_factory=dict)  # role → model; empty: offline engine
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    images: ImagesConfig = field(default_factory=ImagesConfig)
    source: str | None = None  # the file this was read from, for messages
    # The sections features registered (kbd/configbase.py), by name, as the file gave them; read as
    # attributes (`config.lint`), a section the file leaves out being its registered default.
    sections: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Only called when ordinary lookup fails: a registered section, else the usual AttributeError.
        section = registered_section(name) if not name.startswith("__") and "sections" in self.__dict__ else None
        if section is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.sections[name] if name in self.sections else section.default()

    def effective_triggers(self) -> tuple[Trigger, ...]:
        if self.triggers is not None:
            return self.triggers
        clips = f"{self.paths.raw.strip('/')}/**/*.md"
        added = tuple(t for section in registered_sections().values() if section.default_triggers
                      for t in section.default_triggers(getattr(self, section.name), clips))
        return (Trigger("clip", "files", clips, "compile"),
                Trigger("questions", "files", "kbd/questions/**/*.md", "ask"), *added)


_SECTIONS: dict[str, type] = {"paths": PathsConfig, "compile": CompileConfig, "daemon": DaemonConfig,
                              "search": SearchConfig, "images": ImagesConfig}
_CHOICES: dict[str, tuple[str, ...]] = {"watcher": ("auto", "polling")}
MAX_TRIGGERS = 100
MAX_EVERY_SECONDS = 366 * 86400


_LIMITS: dict[str, tuple[int, int]] = {
    "concept_min_sources": (1, 1000),
    "max_note_bytes": (1_000, 1_000_000_000),
    "max_concepts_per_source": (1, 100),
    "workers": (0, 256),
    "reconcile_minutes": (1, 10_000),
    "missed_run_grace_hours": (0, 10_000),
    "embeddings_concurrency": (1, 64),
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
    config = parse_config(text, shown)
    for check in registered_checks():  # e.g. a trigger's skill file must exist and parse
        check(vault, config)
    return config


def parse_config(text: str, shown: str = CONFIG_RELPATH) -> Config:
    # The config is edited by hand and synced between machines: the same caps as clippings'
    # frontmatter, checked before PyYAML builds anything (an alias bomb would take gigabytes).
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ConfigError(f"the file is over {MAX_BYTES // 1024} KB; kbd's config is a few dozen lines", file=shown)
    problem = yaml_problem(text, MAX_DEPTH, MAX_NODES)
    if problem is not None:
        raise ConfigError(problem.message, file=shown, line=problem.line)
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
    sections: dict[str, Any] = {}
    features = registered_sections()
    for key_node, value_node in pairs(root, shown, ""):
        name = key_node.value
        line = key_node.start_mark.line + 1
        if name in NOT_YET_SUPPORTED:
            raise ConfigError(NOT_YET_SUPPORTED[name], file=shown, line=line, key=name)
        if name == "triggers":
            values[name] = _triggers(value_node, shown)
            continue
        if name == "models":
            values[name] = _models(value_node, shown)
            continue
        if name == "budget":
            values[name] = _budget(value_node, shown)
            continue
        if name in features:
            sections[name] = features[name].parse(value_node, shown)
            continue
        if name not in _SECTIONS:
            raise ConfigError(unknown(name, [*_SECTIONS, "triggers", "models", "budget", *features]),
                              file=shown, line=line, key=name)
        values[name] = dataclass_section(_SECTIONS[name], value_node, shown, name, _LIMITS, _CHOICES)
    config = Config(source=shown, sections=sections, **values)
    _check_paths(config.paths, shown)
    return config








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


def _triggers(node: yaml.Node, shown: str) -> tuple[Trigger, ...]:
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise ConfigError("must be a list of triggers, each `- {name: ..., on: {...}, run: ...}`", file=shown,
                          line=node.start_mark.line + 1, key="triggers")
    if len(node.value) > MAX_TRIGGERS:
        raise ConfigError(f"{len(node.value)} triggers; at most {MAX_TRIGGERS} are allowed", file=shown,
                          line=node.start_mark.line + 1, key="triggers")
    triggers: list[Trigger] = []
    for index, item in enumerate(node.value):
        where = f"triggers[{index}]"
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise ConfigError("each trigger must be a mapping with name, on and run", file=shown, line=line, key=where)
        fields_ = {k.value: v for k, v in pairs(item, shown, where + ".")}
        # A kind of trigger a feature registered (a web monitor's `on: {url: ...}`: kbd/monitor/settings.py).
        feature_kind = next((k for k in registered_trigger_kinds() if k.matches(fields_.get("on"))), None)
        for key in fields_:
            if key not in ("name", "on", "run", "with"):
                raise ConfigError(unknown(key, ["name", "on", "run", "with"]), file=shown, line=line,
                                  key=f"{where}.{key}")
        for key in ("name", "on", "run"):
            if key not in fields_ and not (key == "run" and feature_kind is not None):
                raise ConfigError(f"`{key}:` is missing", file=shown, line=line, key=where)
        name = construct(fields_["name"], shown, f"{where}.name")
        if not isinstance(name, str) or not re.fullmatch(r"[\w.-]{1,64}", name):
            raise ConfigError("must be a short name of letters, digits, `-`, `_` or `.`", file=shown, line=line,
                              key=f"{where}.name")
        where = f"triggers.{name}"
        if any(t.name == name for t in triggers):
            raise ConfigError("two triggers have this name; names must be unique", file=shown, line=line, key=where)
        if feature_kind is not None:
            triggers.append(feature_kind.build(name, fields_, shown, where))
            continue
        run = construct(fields_["run"], shown, f"triggers.{name}.run")
        _check_job(run, shown, fields_["run"].start_mark.line + 1, f"{where}.run")
        kind, spec = _trigger_on(fields_["on"], shown, f"{where}.on")
        params: tuple[tuple[str, str], ...] = ()
        if "with" in fields_:
            value = construct(fields_["with"], shown, f"{where}.with")
            if not isinstance(value, dict) or any(isinstance(v, (dict, list)) for v in value.values()):
                raise ConfigError("must be a flat mapping of parameters", file=shown,
                                  line=fields_["with"].start_mark.line + 1, key=f"{where}.with")
            accepted = JOB_PARAMS.get(run, ())
            for key_node, _ in fields_["with"].value:
                if key_node.value not in accepted:
                    message = (unknown(str(key_node.value), list(accepted)) if accepted else
                               f"unknown key; the {run} job takes no parameters, so leave out `with:`")
                    raise ConfigError(message, file=shown, line=key_node.start_mark.line + 1,
                                      key=f"{where}.with.{key_node.value}")
            params = tuple(sorted((str(k), str(v)) for k, v in value.items()))
        triggers.append(Trigger(name, kind, spec, run, params, line))
    return tuple(triggers)


def _check_job(run: object, shown: str, line: int, key: str) -> None:
    if not isinstance(run, str) or not run:
        raise ConfigError(f"must name a job: {', '.join(BUILTIN_JOBS)}", file=shown, line=line, key=key)
    if run in BUILTIN_JOBS:
        return
    if run.startswith(SKILL_JOB):  # a custom skill: its file is checked where the vault is known (load_config)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", run[len(SKILL_JOB):]):
            raise ConfigError("must be `skill:NAME`, NAME being a file kbd/skills/NAME.md (letters, digits, `-`, "
                              "`_`)", file=shown, line=line, key=key)
        return
    raise ConfigError(f"no job called `{run}`; jobs available now: {', '.join(BUILTIN_JOBS)}, or `skill:NAME` "
                      "for a custom skill in kbd/skills/NAME.md", file=shown, line=line, key=key)


def _trigger_on(node: yaml.Node, shown: str, key: str) -> tuple[str, str]:
    line = node.start_mark.line + 1
    value = construct(node, shown, key) if isinstance(node, yaml.MappingNode) else None
    if not isinstance(value, dict) or not value:
        raise ConfigError("must be one of {files: GLOB}, {cron: \"m h dom mon dow\"}, {every: 6h}, {start: true}",
                          file=shown, line=line, key=key)
    if len(value) != 1:
        raise ConfigError("give exactly one of files, cron, every, start", file=shown, line=line, key=key)
    kind, spec = next(iter(value.items()))
    if kind == "files":
        if not isinstance(spec, str) or not spec.strip() or spec.startswith("/") or ".." in spec.split("/"):
            raise ConfigError("must be a glob inside the vault, e.g. \"raw/**/*.md\"", file=shown, line=line,
                              key=f"{key}.files")
        return "files", spec.strip()
    if kind == "cron":
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(str(spec))
        except ValueError as exc:
            raise ConfigError(f"not a valid cron line ({exc}); e.g. \"0 3 * * *\" is 03:00 every day",
                              file=shown, line=line, key=f"{key}.cron") from None
        return "cron", str(spec)
    if kind == "every":
        return "every", str(every_seconds(spec, shown, line, f"{key}.every"))
    if kind == "start":
        if spec is not True:
            raise ConfigError("write `start: true` to run when kbd starts", file=shown, line=line, key=f"{key}.start")
        return "start", ""
    raise ConfigError(unknown(str(kind), ["files", "cron", "every", "start"]), file=shown, line=line, key=key)


def every_seconds(spec: object, shown: str, line: int, key: str) -> int:
    """An `every:` duration (30s, 10m, 6h, 1d) in seconds."""
    m = _EVERY.match(str(spec))
    if not m or int(m.group(1)) == 0:
        raise ConfigError(f"must be a duration like 30s, 10m, 6h or 1d, got {spec!r}", file=shown, line=line, key=key)
    seconds = int(m.group(1)) * _UNITS[m.group(2)] if len(m.group(1)) < 12 else MAX_EVERY_SECONDS + 1
    if seconds > MAX_EVERY_SECONDS:
        raise ConfigError(f"at most 366d, got {str(spec)[:40]!r}; for rarer runs use a cron line", file=shown,
                          line=line, key=key)
    return seconds


_MODEL_KEYS = ("provider", "model", "base_url", "api_key_env", "price_per_mtok", "max_concurrency", "structured",
               "timeout_seconds", "max_input_tokens", "reasoning_effort", "reasoning_tokens", "thinking_budget_tokens",
               "requests_per_minute", "tokens_per_minute", "vision")
_EFFORTS = ("none", "minimal", "low", "medium", "high")
STRUCTURED_MODES = ("auto", "json_schema", "json_object", "ollama", "prompt")  # kbd/engines/structured.py


def _models(node: yaml.Node, shown: str) -> dict[str, ModelConfig]:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("must map a role (worker) to a model", file=shown, line=node.start_mark.line + 1,
                          key="models")
    models: dict[str, ModelConfig] = {}
    for key_node, value_node in pairs(node, shown, "models."):
        role, line = key_node.value, key_node.start_mark.line + 1
        where = f"models.{role}"
        if role not in ("worker", "verifier"):
            raise ConfigError(unknown(role, ["worker", "verifier"]), file=shown, line=line, key=where)
        value = construct(value_node, shown, where)
        if not isinstance(value, dict):
            raise ConfigError("must be a mapping: {provider: ..., model: ..., api_key_env: ...}", file=shown,
                              line=line, key=where)
        for k in value:
            if k not in _MODEL_KEYS:
                raise ConfigError(unknown(str(k), list(_MODEL_KEYS)), file=shown, line=line, key=f"{where}.{k}")
        provider = value.get("provider")
        if provider not in PROVIDERS:
            raise ConfigError("must be openai (any OpenAI-compatible server: OpenAI, Kimi, OpenRouter, Ollama, "
                              "vLLM, llama.cpp, LM Studio) or anthropic", file=shown, line=line,
                              key=f"{where}.provider")
        if not isinstance(value.get("model"), str) or not value["model"].strip():
            raise ConfigError("name the model, e.g. gpt-4.1-mini or claude-sonnet-4-5", file=shown, line=line,
                              key=f"{where}.model")
        base_url = value.get("base_url", PROVIDERS[provider])
        if not isinstance(base_url, str) or not re.match(r"^https?://", base_url):
            raise ConfigError("must be an http(s) URL", file=shown, line=line, key=f"{where}.base_url")
        key_env = value.get("api_key_env")
        if key_env is not None and (not isinstance(key_env, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*",
                                                                                       key_env)):
            raise ConfigError("must be the NAME of an environment variable holding the key (keys never go in this "
                              "file)", file=shown, line=line, key=f"{where}.api_key_env")
        prices = value.get("price_per_mtok") or {}
        if not isinstance(prices, dict) or \
                any(k not in ("input", "output", "cached_input", "cache_write") for k in prices) or \
                any(not _amount(v) for v in prices.values()):
            raise ConfigError("must be {input: N, output: N, cached_input: N, cache_write: N} in US dollars per "
                              "million tokens", file=shown, line=line, key=f"{where}.price_per_mtok")
        concurrency = value.get("max_concurrency", 4)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 64:
            raise ConfigError("must be a whole number from 1 to 64", file=shown, line=line,
                              key=f"{where}.max_concurrency")
        structured = value.get("structured", "auto")
        if structured not in STRUCTURED_MODES or (provider == "anthropic"
                                                  and structured not in ("auto", "json_schema")):
            raise ConfigError("must be auto, json_schema, json_object, ollama or prompt (all but auto for the openai "
                              "provider only)", file=shown, line=line, key=f"{where}.structured")
        timeout = value.get("timeout_seconds", 120)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 1 <= timeout <= 3600:
            raise ConfigError("must be a number of seconds from 1 to 3600", file=shown, line=line,
                              key=f"{where}.timeout_seconds")
        input_tokens = value.get("max_input_tokens")
        if input_tokens is not None and (isinstance(input_tokens, bool) or not isinstance(input_tokens, int)
                                         or not 1_000 <= input_tokens <= 10_000_000):
            raise ConfigError("must be a whole number of tokens from 1000 to 10000000 (the most kbd puts into one "
                              "request; long sources are split into parts of this size)", file=shown, line=line,
                              key=f"{where}.max_input_tokens")
        effort = value.get("reasoning_effort")
        if effort is not None and (provider != "openai" or effort not in _EFFORTS):
            raise ConfigError("must be none, minimal, low, medium or high (OpenAI reasoning models: o-series, "
                              "gpt-5); for Anthropic use thinking_budget_tokens", file=shown, line=line,
                              key=f"{where}.reasoning_effort")
        limits = {}
        for name, low, high in (("reasoning_tokens", 0, 200_000), ("thinking_budget_tokens", 1024, 128_000),
                                ("requests_per_minute", 1, 1_000_000), ("tokens_per_minute", 1, 1_000_000_000)):
            number = value.get(name)
            if number is not None and (isinstance(number, bool) or not isinstance(number, int)
                                       or not low <= number <= high):
                raise ConfigError(f"must be a whole number from {low:,} to {high:,}", file=shown, line=line,
                                  key=f"{where}.{name}")
            limits[name] = number
        if limits["thinking_budget_tokens"] is not None and provider != "anthropic":
            raise ConfigError("is for Anthropic models; OpenAI reasoning models take reasoning_effort", file=shown,
                              line=line, key=f"{where}.thinking_budget_tokens")
        vision = value.get("vision", False)
        if not isinstance(vision, bool):
            raise ConfigError("must be true or false (true: the model reads images)", file=shown, line=line,
                              key=f"{where}.vision")
        models[role] = ModelConfig(provider=provider, model=value["model"].strip(), base_url=base_url,
                                   api_key_env=key_env, price_input=float(prices.get("input", 0)),
                                   price_output=float(prices.get("output", 0)),
                                   price_cached_input=(float(prices["cached_input"]) if "cached_input" in prices
                                                       else None),
                                   price_cache_write=(float(prices["cache_write"]) if "cache_write" in prices
                                                      else None),
                                   max_concurrency=concurrency, structured=structured, timeout_seconds=float(timeout),
                                   max_input_tokens=input_tokens, reasoning_effort=effort, vision=vision,
                                   **limits)
    if models and "worker" not in models:
        raise ConfigError("models needs a worker", file=shown, line=node.start_mark.line + 1, key="models")
    return models


def _amount(value: object) -> bool:
    """A finite, non-negative number: `.nan` would silently disable a cap, `.inf` means none."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _budget(node: yaml.Node, shown: str) -> BudgetConfig:
    value = construct(node, shown, "budget")
    if value is None:
        return BudgetConfig()
    if not isinstance(value, dict):
        raise ConfigError("must be {daily_usd: N, per_run_usd: N}", file=shown, line=node.start_mark.line + 1,
                          key="budget")
    for k, v in value.items():
        if k not in ("daily_usd", "per_run_usd"):
            raise ConfigError(unknown(str(k), ["daily_usd", "per_run_usd"]), file=shown,
                              line=node.start_mark.line + 1, key=f"budget.{k}")
        if not _amount(v):
            raise ConfigError(f"must be an amount in US dollars, e.g. 2.00, got {v!r}", file=shown,
                              line=node.start_mark.line + 1, key=f"budget.{k}")
    return BudgetConfig(daily_usd=value.get("daily_usd"), per_run_usd=value.get("per_run_usd"))

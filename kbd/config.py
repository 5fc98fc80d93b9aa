"""Configuration: `kbd/config.yaml` in the vault, validated into dataclasses.

Every error names the file, the line and the key, and says what would be valid, because the
person reading it is editing YAML in Obsidian, not reading a traceback.

This module parses the sections no feature owns; a feature's section (ask, decks, lint, monitor),
its trigger kinds and its load-time checks come through the registration points of
kbd/configbase.py, and `config.<section>` reads them (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from kbd.configbase import (
    ConfigError,
    JobSpec,
    construct,
    dataclass_section,
    pairs,
    registered_checks,
    registered_jobs,
    registered_section,
    registered_sections,
    registered_trigger_kinds,
    unknown,
)
from kbd.modelconfig import BudgetConfig, ModelConfig, parse_budget, parse_models
from kbd.yaml_limits import MAX_BYTES, MAX_DEPTH, MAX_NODES, yaml_problem

CONFIG_RELPATH = "kbd/config.yaml"

# Sections that later versions of kbd understand; naming them now gives a clear error instead of
# a silent no-op (a config that asks for a model must not quietly run offline).
NOT_YET_SUPPORTED: dict[str, str] = {}
# The jobs a trigger may `run:`, and the parameters each takes under `with:`, are the ones the
# features registered (kbd/configbase.py, JobSpec); any other key is refused like every other
# unknown key (a typo must not be accepted silently).
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
            values[name] = parse_models(value_node, shown)
            continue
        if name == "budget":
            values[name] = parse_budget(value_node, shown)
            continue
        if name in features:
            sections[name] = features[name].parse(value_node, shown)
            continue
        if name not in _SECTIONS:
            if not features:  # a program that parses configs without the features (kbd/features.py)
                raise RuntimeError(f"config section {name!r}: no feature has registered its section; "
                                   "import kbd.features before reading a config")
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
            accepted = trigger_jobs()[run].params if run in trigger_jobs() else ()
            for key_node, _ in fields_["with"].value:
                if key_node.value not in accepted:
                    message = (unknown(str(key_node.value), list(accepted)) if accepted else
                               f"unknown key; the {run} job takes no parameters, so leave out `with:`")
                    raise ConfigError(message, file=shown, line=key_node.start_mark.line + 1,
                                      key=f"{where}.with.{key_node.value}")
            params = tuple(sorted((str(k), str(v)) for k, v in value.items()))
        triggers.append(Trigger(name, kind, spec, run, params, line))
    return tuple(triggers)


def trigger_jobs() -> dict[str, JobSpec]:
    """The jobs a trigger may name, in the order they were registered."""
    return {name: spec for name, spec in registered_jobs().items() if not spec.internal}


def _check_job(run: object, shown: str, line: int, key: str) -> None:
    names = ", ".join(trigger_jobs())
    if not isinstance(run, str) or not run:
        raise ConfigError(f"must name a job: {names}", file=shown, line=line, key=key)
    if run in trigger_jobs():
        return
    if run.startswith(SKILL_JOB):  # a custom skill: its file is checked where the vault is known (load_config)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", run[len(SKILL_JOB):]):
            raise ConfigError("must be `skill:NAME`, NAME being a file kbd/skills/NAME.md (letters, digits, `-`, "
                              "`_`)", file=shown, line=line, key=key)
        return
    raise ConfigError(f"no job called `{run}`; jobs available now: {names}, or `skill:NAME` "
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

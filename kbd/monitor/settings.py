"""The `monitor:` section of config.yaml and the `on: {url: ..., every: ...}` triggers.

    monitor:
      allow_private_networks: false   # true lets a monitor fetch loopback/private/link-local addresses
      max_bytes: 2000000              # the most a page may be, counted after decompression
      connect_timeout_seconds: 10
      timeout_seconds: 30             # the whole fetch, redirects included
      max_redirects: 5
      user_agent: "..."
    triggers:
      - name: acme-pricing
        on: {url: "https://acme.example/pricing", every: 6h}
        with: {ingest: true}          # also save each new version under raw/ for compile

A url trigger runs the `monitor` job (its `run:` may be left out); its name is the monitor's name.
Both are registered with kbd/configbase.py; config.py does not import this module.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import yaml

from kbd.config import Trigger, every_seconds
from kbd.configbase import ConfigError, ConfigSection, TriggerKind, register_section, register_trigger_kind
from kbd.configbase import construct as _construct
from kbd.configbase import unknown as _unknown

if TYPE_CHECKING:
    from kbd.config import Config

MIN_EVERY_SECONDS = 60  # a page checked more often than once a minute burdens its server for nothing
URL_TRIGGER_PARAMS = ("ingest",)


@dataclass(frozen=True)
class MonitorConfig:
    allow_private_networks: bool = False
    max_bytes: int = 2_000_000
    connect_timeout_seconds: float = 10.0
    timeout_seconds: float = 30.0
    max_redirects: int = 5
    user_agent: str = "kbd-monitor/1 (personal page-change monitor)"


@dataclass(frozen=True)
class Monitor:
    name: str
    url: str
    every_seconds: int
    ingest: bool = False


_LIMITS: dict[str, tuple[float, float]] = {"max_bytes": (1_000, 100_000_000), "connect_timeout_seconds": (0.1, 120),
                                           "timeout_seconds": (0.2, 600), "max_redirects": (0, 20)}


def parse_monitor_section(node: yaml.Node, shown: str) -> MonitorConfig:
    value = _construct(node, shown, "monitor")
    if value is None:
        return MonitorConfig()
    line = node.start_mark.line + 1
    if not isinstance(value, dict):
        raise ConfigError("must be a mapping, e.g. {allow_private_networks: false, max_bytes: 2000000}",
                          file=shown, line=line, key="monitor")
    known = {f.name: f for f in fields(MonitorConfig)}
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key, raw, where = str(key_node.value), value[key_node.value], f"monitor.{key_node.value}"
        line = value_node.start_mark.line + 1
        if key not in known:
            raise ConfigError(_unknown(key, list(known)), file=shown, line=line, key=where)
        default = known[key].default
        if isinstance(default, bool):
            if not isinstance(raw, bool):
                raise ConfigError("must be true or false", file=shown, line=line, key=where)
        elif isinstance(default, (int, float)):
            low, high = _LIMITS[key]
            whole = isinstance(default, int)
            if isinstance(raw, bool) or not isinstance(raw, int if whole else (int, float)) or not low <= raw <= high:
                kind = "a whole number" if whole else "a number of seconds"
                raise ConfigError(f"must be {kind} from {_number(low)} to {_number(high)}, got {value_node.value!r}",
                                  file=shown, line=line, key=where)
            raw = int(raw) if whole else float(raw)
        elif not isinstance(raw, str) or not raw.strip() or not raw.isprintable() or len(raw) > 200:
            raise ConfigError("must be one line of text (at most 200 characters)", file=shown, line=line, key=where)
        values[key] = raw.strip() if isinstance(raw, str) else raw
    return MonitorConfig(**values)


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def is_url_trigger(on: yaml.Node) -> bool:
    return isinstance(on, yaml.MappingNode) and any(isinstance(k, yaml.ScalarNode) and k.value == "url"
                                                    for k, _ in on.value)


def url_trigger(name: str, parts: dict[str, yaml.Node], shown: str, where: str) -> Trigger:
    """A `- {name: N, on: {url: U, every: 6h}, with: {ingest: true}}` trigger, checked."""
    from kbd.fetch import FetchRefused, check_url  # httpx loads only for a config that monitors a page

    on = parts["on"]
    line = on.start_mark.line + 1
    value = _construct(on, shown, f"{where}.on")
    extra = [k for k in value if k not in ("url", "every")]
    if extra:
        raise ConfigError(f"a web monitor takes `url:` and `every:` only, not `{extra[0]}:`", file=shown, line=line,
                          key=f"{where}.on.{extra[0]}")
    if "every" not in value:
        raise ConfigError("say how often to check the page, e.g. {url: \"https://…\", every: 6h}", file=shown,
                          line=line, key=f"{where}.on")
    url = value["url"]
    if not isinstance(url, str):
        raise ConfigError("must be the page's address, e.g. \"https://example.org/pricing\"", file=shown, line=line,
                          key=f"{where}.on.url")
    try:
        url = str(check_url(url.strip()))
    except FetchRefused as exc:
        raise ConfigError(str(exc), file=shown, line=line, key=f"{where}.on.url") from None
    seconds = every_seconds(value["every"], shown, line, f"{where}.on.every")
    if seconds < MIN_EVERY_SECONDS:
        raise ConfigError(f"check a page at most once a minute (every: 1m or more), got {value['every']!r}",
                          file=shown, line=line, key=f"{where}.on.every")
    if "run" in parts:
        run = _construct(parts["run"], shown, f"{where}.run")
        if run != "monitor":
            raise ConfigError(f"a url trigger runs the monitor job; write `run: monitor` or leave `run:` out, not "
                              f"{run!r}", file=shown, line=parts["run"].start_mark.line + 1, key=f"{where}.run")
    params = {"name": name, "url": url}
    if "with" in parts:
        options = _construct(parts["with"], shown, f"{where}.with")
        with_line = parts["with"].start_mark.line + 1
        if not isinstance(options, dict):
            raise ConfigError("must be a mapping, e.g. {ingest: true}", file=shown, line=with_line, key=f"{where}.with")
        for key, option in options.items():
            if key not in URL_TRIGGER_PARAMS:
                raise ConfigError(_unknown(str(key), list(URL_TRIGGER_PARAMS)), file=shown, line=with_line,
                                  key=f"{where}.with.{key}")
            if not isinstance(option, bool):
                raise ConfigError("must be true or false", file=shown, line=with_line, key=f"{where}.with.{key}")
        if options.get("ingest"):
            params["ingest"] = "true"
    return Trigger(name, "every", str(seconds), "monitor", tuple(sorted(params.items())),
                   parts["name"].start_mark.line + 1)


def monitors(config: Config) -> list[Monitor]:
    """Every web monitor the config names, in config order."""
    found = []
    for t in config.triggers or ():
        params = dict(t.params)
        if t.run == "monitor" and "url" in params:
            found.append(Monitor(t.name, params["url"], int(t.spec), params.get("ingest") == "true"))
    return found


register_section(ConfigSection("monitor", parse_monitor_section, MonitorConfig))
register_trigger_kind(TriggerKind(is_url_trigger, url_trigger))

"""The `lint:` section of config.yaml.

```yaml
lint:
  exclude: ["Templates/**"]          # vault paths (globs) no check looks at
  apply_ticks: true                  # apply ticked boxes on every lint and daemon cycle
  single_source_concepts: false      # switch a check off (or `{enabled: false}`)
  unlinked_names: {min_notes: 4}     # tune a check's options
```

Check names and option types come from the check registry, so a typo is refused with the
closest name, like every other key in the config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from kbd.configbase import ConfigError, ConfigSection, register_section
from kbd.configbase import construct as _construct
from kbd.configbase import pairs as _pairs
from kbd.configbase import unknown as _unknown

if TYPE_CHECKING:
    from kbd.lint.registry import CheckSettings, CheckSpec


@dataclass(frozen=True)
class LintSettings:
    exclude: tuple[str, ...] = ()
    apply_ticks: bool = True
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {"enabled": ..., option: value}

    def for_check(self, spec: CheckSpec) -> CheckSettings:
        from kbd.lint.registry import CheckSettings

        given = self.checks.get(spec.name, {})
        options = {**spec.options, **{k: v for k, v in given.items() if k != "enabled"}}
        return CheckSettings(bool(given.get("enabled", spec.enabled)), options)


_GENERAL = ("exclude", "apply_ticks")


def parse_lint(node: yaml.Node, shown: str) -> LintSettings:
    # The registry loads with the first `lint:` section read: every command registers this
    # section, and `kbd search` on a vault whose config leaves lint out need not pay for it.
    from kbd.lint.registry import load

    checks = load()
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return LintSettings()
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("must be a mapping: check names (on/off or options), exclude, apply_ticks", file=shown,
                          line=node.start_mark.line + 1, key="lint")
    exclude: tuple[str, ...] = ()
    apply_ticks = True
    per_check: dict[str, dict[str, Any]] = {}
    for key_node, value_node in _pairs(node, shown, "lint."):
        name, line = key_node.value, key_node.start_mark.line + 1
        where = f"lint.{name}"
        value = _construct(value_node, shown, where)
        if name == "exclude":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ConfigError("must be a list of vault path globs, e.g. [\"Templates/**\"]", file=shown,
                                  line=line, key=where)
            exclude = tuple(v.strip().strip("/") for v in value)
            continue
        if name == "apply_ticks":
            if not isinstance(value, bool):
                raise ConfigError("must be true or false", file=shown, line=line, key=where)
            apply_ticks = value
            continue
        if name not in checks:
            raise ConfigError(_unknown(name, [*_GENERAL, *checks]), file=shown, line=line, key=where)
        spec = checks[name]
        if isinstance(value, bool):
            per_check[name] = {"enabled": value}
            continue
        if not isinstance(value, dict):
            raise ConfigError("must be true/false or a mapping of options"
                              + (f" ({', '.join(spec.options)})" if spec.options else ""),
                              file=shown, line=line, key=where)
        given: dict[str, Any] = {}
        for option, option_value in value.items():
            if option == "enabled":
                if not isinstance(option_value, bool):
                    raise ConfigError("must be true or false", file=shown, line=line, key=f"{where}.enabled")
                given["enabled"] = option_value
                continue
            if option not in spec.options:
                raise ConfigError(_unknown(str(option), ["enabled", *spec.options]), file=shown, line=line,
                                  key=f"{where}.{option}")
            given[option] = _option(option_value, spec.options[option], shown, line, f"{where}.{option}")
        per_check[name] = given
    return LintSettings(exclude, apply_ticks, per_check)


def _option(value: Any, default: Any, shown: str, line: int, key: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError("must be true or false", file=shown, line=line, key=key)
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
            raise ConfigError(f"must be a whole number from 0 to 1000000, got {value!r}", file=shown, line=line,
                              key=key)
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ConfigError(f"must be a number from 0 to 1, got {value!r}", file=shown, line=line, key=key)
        return float(value)
    if isinstance(default, (list, tuple)):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError("must be a list of text values", file=shown, line=line, key=key)
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError("must be a text value", file=shown, line=line, key=key)
    return value


register_section(ConfigSection("lint", parse_lint, LintSettings))

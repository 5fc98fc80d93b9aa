"""What the writer accepts as a `.base` file (Obsidian Bases): YAML whose top level holds only the
sections the Bases syntax documents. kbd's own views are the only `.base` files it writes; the
check keeps a bug from putting anything else (markdown, a YAML alias bomb) under that name."""

from __future__ import annotations

import yaml

SECTIONS = frozenset({"filters", "formulas", "properties", "summaries", "views"})
MAX_BYTES = 64_000


def base_problems(text: str) -> list[str]:
    if len(text.encode("utf-8")) > MAX_BYTES:
        return [f"larger than {MAX_BYTES} bytes"]
    if any(isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None) for e in _events(text)):
        return ["YAML anchors or aliases"]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [f"not YAML ({exc.__class__.__name__})"]
    if not isinstance(data, dict):
        return ["not a YAML mapping"]
    unknown = sorted(str(k) for k in data if k not in SECTIONS)
    problems = [f"unknown section {k!r}" for k in unknown]
    if not isinstance(data.get("views", []), list):
        problems.append("views is not a list")
    return problems


def _events(text: str) -> list[yaml.Event]:
    try:
        return list(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return []

"""Limits on untrusted YAML, checked on the event stream before anything is built from it.

Used for clipping frontmatter and for `kbd/config.yaml` alike: an alias bomb, a document nested
thousands deep or one with millions of values is refused in time and memory proportional to its
size, before PyYAML composes a node graph (composing is what an alias bomb explodes).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

# The same caps for clipping frontmatter and config: far above any real document.
MAX_BYTES = 64 * 1024
MAX_DEPTH = 20
MAX_NODES = 5_000
# LibYAML's C parser when PyYAML was built with it (its wheels are): same safe semantics, ~10x faster.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlProblem:
    message: str
    line: int | None  # 1-based


def yaml_problem(text: str, max_depth: int, max_nodes: int) -> YamlProblem | None:
    """Walk YAML events (iteratively, so deep nesting cannot exhaust the stack)."""
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return YamlProblem("YAML anchors and aliases are not allowed", line)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    return YamlProblem(f"nested more than {max_depth} levels deep", line)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            nodes += 1
            if nodes > max_nodes:
                return YamlProblem(f"more than {max_nodes} values", line)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return YamlProblem(f"invalid YAML ({getattr(exc, 'problem', None) or exc})", mark.line + 1 if mark else None)
    except RecursionError:
        return YamlProblem(f"nested more than {max_depth} levels deep", None)
    return None

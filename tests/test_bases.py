"""Bases views (issue 20, part 3): kbd writes `wiki/Sources.base`, `Concepts.base`, `Answers.base` and
`Reports.base` in the documented Bases syntax, owns them like its notes and links them from index.md.

The syntax check below is written from Obsidian's own help pages (obsidianmd/obsidian-help,
en/Bases/Bases syntax.md, Functions.md and Views.md), not from kbd's renderer: the top-level
sections, the recursive and/or/not filter objects, the view keys and types, the global functions,
methods and fields an expression may use, and the file properties. Every property a view names must
then exist in the notes the base selects, with one type across the whole compiled vault.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from kbd.compile.run import open_state
from kbd.config import load_config
from kbd.lint.scan import shape
from kbd.vault.layout import VaultLayout
from kbd.vault.write import Outcome, VaultWriter
from tests.conftest import Vault, unresolved_links

BASES = ("Sources", "Concepts", "Answers", "Reports")

# -- the Bases syntax, as obsidian-help documents it ----------------------------------------------
SECTIONS = {"filters", "formulas", "properties", "summaries", "views"}
VIEW_TYPES = {"table", "cards", "list", "map"}  # Views.md, "Layout"
VIEW_KEYS = {"type", "name", "limit", "groupBy", "filters", "order", "summaries", "sort"}
DIRECTIONS = {"ASC", "DESC"}
GLOBAL_FUNCTIONS = {"escapeHTML", "date", "duration", "file", "html", "if", "image", "icon", "link", "list", "max",
                    "min", "now", "number", "today", "random"}
METHODS = {"isTruthy", "isType", "toString", "date", "format", "time", "relative", "isEmpty", "contains",
           "containsAll", "containsAny", "endsWith", "lower", "replace", "repeat", "reverse", "slice", "split",
           "startsWith", "title", "trim", "abs", "ceil", "floor", "round", "toFixed", "filter", "flat", "join",
           "map", "reduce", "sort", "unique", "asFile", "linksTo", "asLink", "hasLink", "hasProperty", "hasTag",
           "inFolder", "keys", "values", "matches"}
FIELDS = {"length", "year", "month", "day", "hour", "minute", "second", "millisecond"}
FILE_PROPERTIES = {"backlinks", "ctime", "embeds", "ext", "file", "folder", "links", "mtime", "name", "path",
                   "properties", "size", "tags", "basename"}
LITERALS = {"true", "false", "null"}
SUMMARIES = {"Average", "Min", "Max", "Sum", "Range", "Median", "Stddev", "Earliest", "Latest", "Checked",
             "Unchecked", "Empty", "Filled", "Unique"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_TOKEN = re.compile(r"(\.?)([A-Za-z_][A-Za-z0-9_]*)(\s*\()?")


def expression_names(expr: str) -> tuple[set[str], list[str]]:
    """(properties an expression reads, problems) for a filter statement or formula."""
    props: set[str] = set()
    problems: list[str] = []
    code = _STRING.sub('""', expr)
    if code.count("(") != code.count(")"):
        problems.append(f"unbalanced parentheses: {expr}")
    tokens = list(_TOKEN.finditer(code))
    skip = 0
    for i, m in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        member, name, call = m.group(1), m.group(2), bool(m.group(3))
        if member:
            if call and name not in METHODS:
                problems.append(f"undocumented method .{name}() in {expr}")
            if not call and name not in FIELDS:
                problems.append(f"undocumented field .{name} in {expr}")
            continue
        if call:
            if name not in GLOBAL_FUNCTIONS:
                problems.append(f"undocumented function {name}() in {expr}")
            continue
        if name in LITERALS:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if name in ("file", "note", "formula") and nxt and nxt.group(1) and nxt.start() == m.end():
            if name == "file" and not nxt.group(3):
                if nxt.group(2) not in FILE_PROPERTIES:
                    problems.append(f"undocumented file property file.{nxt.group(2)} in {expr}")
                props.add(f"file.{nxt.group(2)}")
                skip = 1
            elif name in ("note", "formula"):
                props.add(f"{name}.{nxt.group(2)}")
                skip = 1
            continue  # file.inFolder(…): a method on the file object, checked as a member
        props.add(name)
    return props, problems


def filter_statements(node: Any, where: str, problems: list[str]) -> list[str]:
    """The statements of a filter: a string, or an object with exactly one of and/or/not holding a
    list of statements and filter objects."""
    if isinstance(node, str):
        return [node]
    if not (isinstance(node, dict) and len(node) == 1 and next(iter(node)) in ("and", "or", "not")):
        problems.append(f"{where}: a filter is a string or one of and/or/not: {node!r}")
        return []
    items = next(iter(node.values()))
    if not isinstance(items, list) or not items:
        problems.append(f"{where}: and/or/not holds a non-empty list")
        return []
    return [s for item in items for s in filter_statements(item, where, problems)]


def parse_base(text: str) -> tuple[dict[str, Any], set[str], list[str]]:
    """The base as YAML, every property it names (normalised: `note.` dropped), and the problems."""
    problems: list[str] = []
    data = yaml.safe_load(text)
    assert isinstance(data, dict), "a base is a YAML mapping"
    problems += [f"unknown section {k}" for k in data if k not in SECTIONS]
    named: set[str] = set()
    statements = filter_statements(data["filters"], "filters", problems) if "filters" in data else []
    formulas = data.get("formulas", {})
    assert isinstance(formulas, dict)
    for name, expr in formulas.items():
        if not isinstance(expr, str):
            problems.append(f"formula {name} is stored as a string")
            continue
        statements.append(expr)
    for key, config in data.get("properties", {}).items():
        named.add(key)
        if not (isinstance(config, dict) and isinstance(config.get("displayName"), str)):
            problems.append(f"properties.{key}: displayName is a string")
    views = data.get("views")
    if not isinstance(views, list) or not views:
        problems.append("views is a non-empty list")
        views = []
    for view in views:
        where = f"view {view.get('name')!r}"
        problems += [f"{where}: unknown key {k}" for k in view if k not in VIEW_KEYS]
        if view.get("type") not in VIEW_TYPES:
            problems.append(f"{where}: type {view.get('type')!r} is not a documented layout")
        if not isinstance(view.get("name"), str):
            problems.append(f"{where}: name is a string")
        if "filters" in view:
            statements += filter_statements(view["filters"], where, problems)
        order = view.get("order", [])
        if not (isinstance(order, list) and all(isinstance(p, str) for p in order)):
            problems.append(f"{where}: order is a list of property names")
        named.update(order)
        for entry in view.get("sort", []):
            if set(entry) != {"property", "direction"} or entry["direction"] not in DIRECTIONS:
                problems.append(f"{where}: sort entries are property + ASC/DESC: {entry}")
            named.add(entry["property"])
        if "groupBy" in view:
            group = view["groupBy"]
            if set(group) - {"property", "direction"} or group.get("direction", "ASC") not in DIRECTIONS:
                problems.append(f"{where}: groupBy is property + direction")
            named.add(group["property"])
        for prop, summary in view.get("summaries", {}).items():
            named.add(prop)
            if summary not in SUMMARIES and summary not in data.get("summaries", {}):
                problems.append(f"{where}: summary {summary} is not defined")
        if "limit" in view and not isinstance(view["limit"], int):
            problems.append(f"{where}: limit is a number")
    for statement in statements:
        props, found = expression_names(statement)
        named |= props
        problems += found
    for prop in named:
        if prop.startswith("formula.") and prop[8:] not in formulas:
            problems.append(f"{prop} names no formula of the base")
        if prop.startswith("file.") and prop[5:] not in FILE_PROPERTIES:
            problems.append(f"{prop} is not a file property")
    return data, {p[5:] if p.startswith("note.") else p for p in named}, problems


# -- a compiled vault with every kind of note the views list ---------------------------------------

def _notes(root: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root).as_posix()
        if not rel.startswith((".kbd/", "kbd/")):
            out[rel] = frontmatter.loads(path.read_text(encoding="utf-8")).metadata
    return out


def _selected(data: dict[str, Any], notes: dict[str, dict[str, Any]]) -> list[str]:
    """The notes a base's global filter (kbd's own: inFolder and type ==) selects."""
    statements = filter_statements(data["filters"], "filters", [])
    picked = []
    for path, meta in notes.items():
        ok = True
        for s in statements:
            if m := re.fullmatch(r'file\.inFolder\("([^"]+)"\)', s):
                ok &= path.startswith(m.group(1) + "/")
            elif m := re.fullmatch(r'type == "([^"]+)"', s):
                ok &= meta.get("type") == m.group(1)
            elif s == 'file.ext == "md"':
                ok &= path.endswith(".md")
            else:
                raise AssertionError(f"the test does not evaluate {s!r}")
        if ok:
            picked.append(path)
    return picked


def test_bases_follow_the_documented_syntax_and_name_real_properties(sample_vault: Vault) -> None:
    vault = sample_vault
    vault.compile()
    answer = vault.root / json.loads(vault.kbd("ask", ".", "Why do B-trees stay shallow?", "--json").stdout)["note"]
    clip = vault.raw / "Why B-trees stay shallow.md"
    vault.clip(clip.name, clip.read_text(encoding="utf-8").replace("Every relational database",
                                                                   "Nearly every relational database"))
    vault.compile()
    assert vault.note(answer.relative_to(vault.root).as_posix())["stale"] is True
    vault.kbd("lint", ".")
    notes = _notes(vault.root)
    shapes: dict[str, set[str]] = defaultdict(set)
    for meta in notes.values():
        for key, value in meta.items():
            if (s := shape(value)) is not None:
                shapes[key].add(s)
    index = (vault.wiki / "index.md").read_text(encoding="utf-8")
    for name in BASES:
        rel = f"wiki/{name}.base"
        assert f"[[{rel}|{name}]]" in index
        data, named, problems = parse_base((vault.root / rel).read_text(encoding="utf-8"))
        assert problems == [], f"{rel}: {problems}"
        selected = _selected(data, notes)
        assert selected, f"{rel} selects no note"
        for prop in sorted(p for p in named if not p.startswith(("file.", "formula."))):
            assert any(prop in notes[p] for p in selected), f"{rel} names {prop}, which no note it lists has"
            assert len(shapes[prop]) == 1, f"{rel}: property {prop} has types {shapes[prop]} across the vault"
    assert not unresolved_links(vault.root, {"wiki/index.md": index})


def test_bases_are_written_once_and_a_user_edit_is_kept(sample_vault: Vault) -> None:
    vault = sample_vault
    vault.compile()
    base = vault.wiki / "Sources.base"
    mtimes = vault.mtimes()
    vault.clip("Another.md", "---\ntitle: Another\n---\nA short note about B-trees and their fan-out.\n")
    vault.compile()
    assert base.stat().st_mtime_ns == mtimes["wiki/Sources.base"], "an unchanged view was rewritten"
    # The user turns a view into cards in Obsidian: the file is theirs from then on.
    edited = base.read_text(encoding="utf-8").replace("type: table", "type: cards", 1)
    base.write_text(edited, encoding="utf-8")
    vault.clip("Third.md", "---\ntitle: Third\n---\nWrite-ahead logs make commits durable.\n")
    report = vault.compile()
    assert base.read_text(encoding="utf-8") == edited
    assert "wiki/Sources.base" in report.kept_user_edits
    assert "Sources.base" in vault.status()
    vault.kbd("adopt", "wiki/Sources.base")
    vault.clip("Fourth.md", "---\ntitle: Fourth\n---\nLSM trees trade reads for writes.\n")
    vault.compile()
    assert "type: cards" not in base.read_text(encoding="utf-8")


def test_writer_refuses_a_base_that_is_not_bases_yaml(vault: Vault) -> None:
    vault.compile()
    state = open_state(VaultLayout.from_config(vault.root, load_config(vault.root)))
    try:
        writer = VaultWriter(VaultLayout.from_config(vault.root, load_config(vault.root)), state)
        outcomes = writer.write_many([
            ("wiki/Fine.base", "views:\n- type: table\n  name: All\n"),
            ("wiki/Markdown.base", "# Title\n\nsome markdown\n"),
            ("wiki/Bomb.base", "views: &a [1]\nfilters: *a\n"),
            ("wiki/Script.base", "views: []\nscript: x\n"),
        ])
    finally:
        state.close()
    assert outcomes == [Outcome.WRITTEN, Outcome.REFUSED, Outcome.REFUSED, Outcome.REFUSED]
    assert "not a YAML mapping" in writer.refused["wiki/Markdown.base"]
    assert "anchors or aliases" in writer.refused["wiki/Bomb.base"]
    assert "unknown section 'script'" in writer.refused["wiki/Script.base"]
    assert not (vault.wiki / "Markdown.base").exists()

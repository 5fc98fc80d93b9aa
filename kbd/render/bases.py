"""Obsidian Bases views of the wiki: `Sources.base`, `Concepts.base`, `Answers.base`, `Reports.base`.

A `.base` file is YAML in the documented Bases syntax (obsidian-help, "Bases syntax"): global
`filters`, `formulas`, `properties` (display names) and a list of `views`. These views read only
the flat properties kbd already writes into its notes, so they need no extra bookkeeping: a new
source shows up in Obsidian the moment its note exists. Pure: the texts depend only on the folder
names, so an unchanged layout rewrites nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

BASE_NAMES = ("Sources", "Concepts", "Answers", "Reports")


@dataclass(frozen=True)
class BaseFolders:
    """Vault-relative folders the views filter on (configurable through `paths:`)."""

    wiki: str
    sources: str
    concepts: str
    answers: str
    reports: str


def base_paths(folders: BaseFolders) -> list[str]:
    return [f"{folders.wiki}/{name}.base" for name in BASE_NAMES]


def render_bases(folders: BaseFolders) -> list[tuple[str, str]]:
    """(vault-relative path, text) of every base kbd keeps, in BASE_NAMES order."""
    specs = (_sources(folders), _concepts(folders), _answers(folders), _reports(folders))
    return [(path, _dump(spec)) for path, spec in zip(base_paths(folders), specs, strict=True)]


def _literal(text: str) -> str:
    """A string literal inside a Bases expression. Bases expressions follow JavaScript, whose
    double-quoted literals read JSON's escapes the same way."""
    return json.dumps(text, ensure_ascii=False)


def _in(folder: str, note_type: str) -> dict[str, list[str]]:
    # The folder and kbd's own `type` both: a user's note dropped into the folder is not kbd's.
    return {"and": [f"file.inFolder({_literal(folder)})", f"type == {_literal(note_type)}"]}


def _sort(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"property": prop, "direction": direction} for prop, direction in pairs]


def _names(pairs: dict[str, str]) -> dict[str, dict[str, str]]:
    return {prop: {"displayName": name} for prop, name in pairs.items()}


def _sources(f: BaseFolders) -> dict[str, object]:
    columns = ["file.name", "published", "author", "concepts", "verified", "engine", "generated"]
    return {
        "filters": _in(f.sources, "source"),
        "formulas": {"concept_count": "list(concepts).length"},
        "properties": _names({"note.published": "Published", "note.author": "Author", "note.concepts": "Concepts",
                              "note.verified": "Verified", "note.engine": "Engine", "note.generated": "Summarised",
                              "formula.concept_count": "Concepts (n)"}),
        "views": [
            {"type": "table", "name": "By published date", "order": columns,
             "sort": _sort(("published", "DESC"), ("file.name", "ASC"))},
            {"type": "table", "name": "By author", "groupBy": {"property": "author", "direction": "ASC"},
             "order": columns, "sort": _sort(("published", "DESC"))},
            {"type": "table", "name": "Not verified", "filters": {"and": ["verified == false"]},
             "order": columns, "sort": _sort(("generated", "DESC"))},
            {"type": "table", "name": "By engine", "groupBy": {"property": "engine", "direction": "ASC"},
             "order": ["file.name", "engine", "generated", "formula.concept_count"],
             "sort": _sort(("generated", "DESC"))},
        ],
    }


def _concepts(f: BaseFolders) -> dict[str, object]:
    return {
        "filters": _in(f.concepts, "concept"),
        # A concept note's `sources` lists its most relevant sources (up to 30; the rest are on its
        # sub-pages), so the count is exact up to 30 and "30" beyond: enough to rank by.
        "formulas": {"source_count": "list(sources).length"},
        "properties": _names({"formula.source_count": "Sources", "note.sources": "Top sources",
                              "note.related": "Related", "note.generated": "Updated"}),
        "views": [
            {"type": "table", "name": "By number of sources",
             "order": ["file.name", "formula.source_count", "related", "generated"],
             "sort": _sort(("formula.source_count", "DESC"), ("file.name", "ASC"))},
            {"type": "table", "name": "Recently updated", "order": ["file.name", "generated", "formula.source_count"],
             "sort": _sort(("generated", "DESC"))},
        ],
    }


def _answers(f: BaseFolders) -> dict[str, object]:
    columns = ["file.name", "question", "asked", "stale", "verified", "engine", "sources"]
    return {
        "filters": _in(f.answers, "answer"),
        # `stale: true` is written only on a stale answer; 0 sorts it before the current ones (1).
        "formulas": {"stale_first": "if(stale, 0, 1)"},
        "properties": _names({"note.question": "Question", "note.asked": "Asked", "note.stale": "Stale",
                              "note.verified": "Verified", "note.engine": "Engine", "note.sources": "Sources"}),
        "views": [
            {"type": "table", "name": "Stale first", "order": columns,
             "sort": _sort(("formula.stale_first", "ASC"), ("asked", "DESC"))},
            {"type": "table", "name": "Stale", "filters": {"and": ["stale == true"]}, "order": columns,
             "sort": _sort(("asked", "DESC"))},
            {"type": "list", "name": "Questions", "order": ["question", "asked"], "sort": _sort(("asked", "DESC"))},
        ],
    }


def _reports(f: BaseFolders) -> dict[str, object]:
    return {
        "filters": {"and": [f"file.inFolder({_literal(f.reports)})", 'file.ext == "md"']},
        "properties": _names({"note.type": "Kind", "file.mtime": "Updated", "note.date": "Date"}),
        "views": [
            {"type": "table", "name": "Latest", "order": ["file.name", "type", "file.mtime"],
             "sort": _sort(("file.mtime", "DESC"))},
            {"type": "table", "name": "By kind", "groupBy": {"property": "type", "direction": "ASC"},
             "order": ["file.name", "file.mtime"], "sort": _sort(("file.mtime", "DESC"))},
            {"type": "table", "name": "Lint", "filters": {"and": ['type == "lint"']},
             "order": ["file.name", "date"], "sort": _sort(("date", "DESC"))},
        ],
    }


def _dump(spec: dict[str, object]) -> str:
    spec = json.loads(json.dumps(spec))  # shared lists become copies: PyYAML would write them as aliases
    header = "# Written by kbd; edit it and kbd stops updating it (`kbd adopt` hands it back).\n"
    return header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)

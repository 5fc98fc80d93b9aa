"""The `decks:` section of kbd/config.yaml: decks kbd keeps current.

    decks:
      - {title: "Sleep and mood", query: "sleep mood depression", max_slides: 12}
      - {concept: "Circadian rhythm"}
      - {title: "Exercise vs medication", from: "wiki/answers/Does exercise help depression.md"}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from kbd.config import Trigger
from kbd.configbase import ConfigError, ConfigSection, register_section
from kbd.configbase import construct as _construct

DEFAULT_MAX_SLIDES = 12
MIN_SLIDES, MAX_SLIDES = 3, 40
MAX_DECKS = 50
_KEYS = ("title", "query", "concept", "from", "max_slides")


@dataclass(frozen=True)
class DeckSpec:
    """What a deck is made from: a search query, a concept article, or an answer note."""

    title: str
    query: str | None = None
    concept: str | None = None
    answer: str | None = None  # vault-relative path of an answer note (`from:`)
    max_slides: int = DEFAULT_MAX_SLIDES

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "query": self.query, "concept": self.concept, "answer": self.answer,
                "max_slides": self.max_slides}


def deck_key(title: str) -> str:
    """The same title (case, spacing, final punctuation aside) is the same deck."""
    return re.sub(r"\s+", " ", title.casefold()).strip().rstrip(".?!").strip()


def parse_decks(node: yaml.Node, shown: str) -> tuple[DeckSpec, ...]:
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise ConfigError('must be a list of decks, each `- {title: "…", query: "…"}` or `- {concept: "…"}`',
                          file=shown, line=node.start_mark.line + 1, key="decks")
    if len(node.value) > MAX_DECKS:
        raise ConfigError(f"{len(node.value)} decks; at most {MAX_DECKS} are kept current", file=shown,
                          line=node.start_mark.line + 1, key="decks")
    specs: list[DeckSpec] = []
    for index, item in enumerate(node.value):
        where, line = f"decks[{index}]", item.start_mark.line + 1
        value = _construct(item, shown, where)
        if not isinstance(value, dict):
            raise ConfigError('each deck is a mapping: {title: "…", query: "…", max_slides: 12}, {concept: "…"} '
                              'or {title: "…", from: "wiki/answers/….md"}', file=shown, line=line, key=where)
        for key, item_value in value.items():
            if key not in _KEYS:
                close = [k for k in _KEYS if k[:3] == str(key)[:3]]
                hint = f"; did you mean `{close[0]}`?" if close else f"; known keys: {', '.join(_KEYS)}"
                raise ConfigError(f"unknown key{hint}", file=shown, line=line, key=f"{where}.{key}")
            if key != "max_slides" and (not isinstance(item_value, str) or not item_value.strip()):
                raise ConfigError("must be a non-empty text value", file=shown, line=line, key=f"{where}.{key}")
        sources = [k for k in ("query", "concept", "from") if k in value]
        if len(sources) > 1:
            raise ConfigError(f"give one of query, concept or from, not {' and '.join(sources)}", file=shown,
                              line=line, key=where)
        title = " ".join(str(value.get("title") or value.get("concept") or "").split())
        if not title:
            raise ConfigError("needs a `title:` (or a `concept:`, whose name is the title)", file=shown, line=line,
                              key=where)
        slides = value.get("max_slides", DEFAULT_MAX_SLIDES)
        if isinstance(slides, bool) or not isinstance(slides, int) or not MIN_SLIDES <= slides <= MAX_SLIDES:
            raise ConfigError(f"must be a whole number from {MIN_SLIDES} to {MAX_SLIDES} (the title and Sources "
                              "slides count)", file=shown, line=line, key=f"{where}.max_slides")
        answer = value.get("from")
        if answer is not None:
            pure = PurePosixPath(answer.strip())
            if pure.is_absolute() or ".." in pure.parts or pure.suffix != ".md":
                raise ConfigError("must be the vault-relative path of an answer note, e.g. "
                                  '"wiki/answers/Does exercise help.md"', file=shown, line=line, key=f"{where}.from")
            answer = str(pure)
        if any(deck_key(s.title) == deck_key(title) for s in specs):
            raise ConfigError(f"two decks are titled {title!r}; each deck needs its own title", file=shown, line=line,
                              key=where)
        query = value.get("query")
        specs.append(DeckSpec(title=title[:200], query=" ".join(query.split()) if query else None,
                              concept=" ".join(value["concept"].split()) if "concept" in value else None,
                              answer=answer, max_slides=slides))
    return tuple(specs)


def deck_triggers(decks: tuple[DeckSpec, ...], clips: str) -> tuple[Trigger, ...]:
    """With decks to keep current: after each compile of a clip (the queue runs in this order), and
    once at start, after the start-up scan."""
    if not decks:
        return ()
    return (Trigger("decks", "files", clips, "slides"), Trigger("decks-start", "start", "", "slides"))


register_section(ConfigSection("decks", parse_decks, tuple, deck_triggers))

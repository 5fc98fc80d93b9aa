"""The deck pages of the wiki: where Marp decks live and the files a recorded deck is written as.

A deck is made by `kbd slides` (kbd/ask/slides.py) and recorded in state.db; like every other wiki
page it is rendered from there by the wiki model (kbd/compile/model.py), which is why this lives
below the ask feature.
"""

from __future__ import annotations

import json
from dataclasses import replace

from kbd.engines.decks import Deck
from kbd.render.charts import grounded, render_svg
from kbd.render.slides import render_deck
from kbd.state import State
from kbd.vault.layout import VaultLayout


def slides_folder(layout: VaultLayout) -> str:
    return f"{layout.wiki}/slides"


def deck_files(state: State, layout: VaultLayout, deck_id: int) -> list[tuple[str, str]] | None:
    """(path, text) of the deck note and its chart images, as they are to be written; None when
    the deck is gone. Every chart point is checked against its passage once more, here: a number
    that is not in the passage it cites is never drawn."""
    row = state.db.execute("SELECT note_name, deck FROM decks WHERE id=?", (deck_id,)).fetchone()
    if row is None:
        return None
    deck = Deck.from_json(json.loads(row["deck"]))
    path = f"{slides_folder(layout)}/{row['note_name']}.md"
    charts, files = [], []
    for chart in deck.charts:
        points = tuple(grounded(list(chart.points), deck.passages))
        charts.append(replace(chart, points=points) if len(points) >= 2 else None)
    kept = tuple(c for c in charts if c is not None)
    renumber = {old: new for new, old in enumerate(i for i, c in enumerate(charts) if c is not None)}
    slides = tuple(s if s.chart is None else replace(s, chart=renumber[s.chart]) for s in deck.slides
                   if s.chart is None or s.chart in renumber)
    deck = replace(deck, charts=kept, slides=slides)
    for chart in kept:
        files.append((chart.asset, render_svg(chart, [deck.passages[p.passage].title for p in chart.points])))
    return [(path, render_deck(deck, path)), *files]


def deck_paths(state: State, layout: VaultLayout) -> set[str]:
    return {f"{slides_folder(layout)}/{r[0]}.md" for r in state.db.execute("SELECT note_name FROM decks")}
